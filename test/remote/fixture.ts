// Shared set-up for remote-layer tests: a temp dir, a client key, real sshd instances, a
// known_hosts file and NodeSpecs pointing at them. Everything is removed by cleanup().
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { NodeSpec } from '../../src/inventory/types.js';
import {
  knownHostsLine,
  makeClientKey,
  startSshd,
  type ClientKey,
  type SshdInstance,
  type SshdOptions,
} from '../support/sshd.js';

export interface Fixture {
  readonly dir: string;
  readonly key: ClientKey;
  readonly user: string;
  readonly servers: SshdInstance[];
  start(opts?: Partial<SshdOptions>): Promise<SshdInstance>;
  /** Write a known_hosts file (default: all servers started so far, plain lines). */
  knownHosts(lines?: readonly string[], name?: string): string;
  spec(server: SshdInstance, over?: Partial<NodeSpec>): NodeSpec;
  cleanup(): Promise<void>;
}

export async function makeFixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'emqx-rollout-remote-'));
  const key = await makeClientKey(dir, { name: 'client_ed25519' });
  const servers: SshdInstance[] = [];
  const user = userInfo().username;
  const f: Fixture = {
    dir,
    key,
    user,
    servers,
    async start(opts = {}) {
      const s = await startSshd({ authorizedKeys: `${key.publicKey}\n`, ...opts });
      servers.push(s);
      return s;
    },
    knownHosts(lines, name = 'known_hosts') {
      const file = join(dir, name);
      const content = lines ?? servers.map((s) => knownHostsLine(s.host, s.port, s.hostPublicKey));
      writeFileSync(file, content.join('\n') + '\n');
      return file;
    },
    spec(server, over = {}) {
      return {
        name: `emqx@${server.host}`,
        host: server.host,
        port: server.port,
        user,
        identityFile: key.privatePath,
        knownHosts: join(dir, 'known_hosts'),
        jump: [],
        rootDir: '/opt/emqx',
        stagingDir: join(dir, 'staging'),
        backupDir: join(dir, 'backup'),
        ...over,
      };
    },
    async cleanup() {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return f;
}
