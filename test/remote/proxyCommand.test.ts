// ssh_config ProxyCommand as the transport: a local command's stdio carries the SSH connection.
// The working path is covered over real sshd by test/e2e/sshConfig.test.ts; here, how it fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeSpec } from '../../src/inventory/types.js';
import { connectNode } from '../../src/remote/connect.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'emqx-rollout-proxycmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const knownHosts = path.join(dir, 'known_hosts');
writeFileSync(knownHosts, '');

const spec = (proxyCommand: string): NodeSpec => ({
  name: 'emqx@pc',
  host: '127.0.0.1',
  port: 1,
  user: 'u',
  identityFile: undefined,
  knownHosts,
  jump: [],
  rootDir: '/opt/emqx',
  stagingDir: '/opt/upgrade',
  backupDir: '/var/backups/emqx',
  proxyCommand,
});

describe('ProxyCommand transport', () => {
  it('a command that fails is named with its exit code and stderr, not a bare "connection lost"', async () => {
    const e = await connectNode(spec(`sh -c 'echo no route to bastion >&2; exit 3'`), {
      agentSocket: '/nonexistent',
      readyTimeoutMs: 10_000,
    }).catch((x: unknown) => x as Error);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/ProxyCommand exited with code 3: no route to bastion/);
  });

  it('a command that cannot be found says so', async () => {
    const e = await connectNode(spec('/nonexistent/proxy %h'), {
      agentSocket: '/nonexistent',
      readyTimeoutMs: 10_000,
    }).catch((x: unknown) => x as Error);
    expect((e as Error).message).toMatch(/ProxyCommand exited with code 127: .*not found/);
  });
});
