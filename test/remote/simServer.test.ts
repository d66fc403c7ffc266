// The remote layer against the simulator's in-process ssh2 server (src/sim/sshServer.ts): a
// different SSH implementation from OpenSSH, with no SFTP extensions (so the rename falls back to
// `mv -f` over exec) and a fault injector that drops connections after N uploaded bytes.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshServer, type SimSshServer } from '../../src/sim/sshServer.js';
import { connectNode } from '../../src/remote/connect.js';
import { SshRemoteHost } from '../../src/remote/host.js';
import { RolloutError } from '../../src/util/errors.js';
import { knownHostsLine } from '../support/sshd.js';
import { makeFixture, type Fixture } from './fixture.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('remote layer against the in-process ssh2 server', () => {
  let fx: Fixture;
  let srv: SimSshServer;
  let host: SshRemoteHost;
  let file: { path: string; sha: string; size: number };
  beforeAll(async () => {
    fx = await makeFixture();
    const hk = join(fx.dir, 'sim_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hk]);
    srv = await startSshServer({
      host: '127.0.0.1',
      hostKey: readFileSync(hk, 'utf8'),
      authorizedKeys: [fx.key.publicKey],
      cwd: fx.dir,
    });
    fx.knownHosts([knownHostsLine(srv.host, srv.port, srv.hostPublicKey)]);
    const data = randomBytes(12 * 1024 * 1024 + 5);
    file = { path: join(fx.dir, 'emqx.tar.gz'), sha: sha(data), size: data.length };
    writeFileSync(file.path, data);
    host = new SshRemoteHost({
      name: 'emqx@sim1',
      host: srv.host,
      port: srv.port,
      user: fx.user,
      identityFile: fx.key.privatePath,
      knownHosts: join(fx.dir, 'known_hosts'),
      jump: [],
    });
    await host.connect();
  });
  afterAll(async () => {
    await host?.close();
    await srv?.close();
    await fx?.cleanup();
  });

  it('exec: exit code, streams, deadline', async () => {
    const r = await host.exec('echo out; echo err >&2; exit 4');
    expect(r).toMatchObject({ exitCode: 4, stdout: 'out\n', stderr: 'err\n' });
    const t = await host.exec(`sleep 33.${process.pid}`, { timeoutMs: 300, graceMs: 500 });
    expect(t.timedOut).toBe(true);
    let left = '';
    try {
      left = execFileSync('pgrep', ['-f', `sleep 33.${process.pid}`], { encoding: 'utf8' });
    } catch {
      /* none */
    }
    expect(left).toBe('');
  });

  it('stages with the mv fallback (no posix-rename extension) over the one connection', async () => {
    const remote = join(fx.dir, 'staging', 'a', 'emqx.tar.gz');
    const r = await host.stage(file.path, remote, file.sha);
    expect(r.action).toBe('uploaded');
    expect(sha(readFileSync(remote))).toBe(file.sha);
    expect(existsSync(`${remote}.part`)).toBe(false);
    expect((await host.sftp()).posixRename).toBe(false);
    expect(srv.connectionCount()).toBe(1); // exec + sftp share one SSH connection
    expect((await host.stage(file.path, remote, file.sha)).action).toBe('present');
  });

  it('resumes after the server drops the connection mid-upload', async () => {
    const remote = join(fx.dir, 'staging', 'b', 'emqx.tar.gz');
    srv.dropConnectionsAfterBytes(8 * 1024 * 1024);
    const err = await host.stage(file.path, remote, file.sha).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RolloutError);
    expect((err as RolloutError).message).toContain('lost while');
    await new Promise((res) => setTimeout(res, 100));
    const part = statSync(`${remote}.part`).size;
    expect(part).toBeGreaterThan(0);
    const r = await host.stage(file.path, remote, file.sha); // reconnects once
    expect(r.action).toBe('resumed');
    // This server runs WRITEs concurrently, so the .part may end in a hole; then the resume starts
    // from the verified earlier offset (stagePlan.resumeCandidates), never from unverified bytes.
    expect([
      file.size - part,
      file.size - Math.floor((part - 4 * 1024 * 1024) / (1024 * 1024)) * 1024 * 1024,
    ]).toContain(r.bytesSent);
    expect(sha(readFileSync(remote))).toBe(file.sha);
  });

  it('refuses an unknown host key here too', async () => {
    const kh = fx.knownHosts([], 'empty_known_hosts');
    const e = await connectNode({ ...host.spec, knownHosts: kh }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(RolloutError);
    expect((e as RolloutError).message).toContain(`host key of ${srv.host}:${srv.port} is not in ${kh}`);
  });
});
