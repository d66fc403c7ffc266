import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageChannel } from '../../src/remote/execUpload.js';
import { SshRemoteHost } from '../../src/remote/host.js';
import { parseObservation } from '../../src/remote/stagePlan.js';
import { parseOutcome, stageCommand } from '../../src/remote/stageScript.js';
import type { StageProgress } from '../../src/remote/types.js';
import { BadInputError, RolloutError } from '../../src/util/errors.js';
import { haveSshd } from '../support/sshd.js';
import { makeFixture, type Fixture } from './fixture.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const fileSha = (p: string) => sha(readFileSync(p));

describe.skipIf(!haveSshd())('stage against real OpenSSH sshd', () => {
  let fx: Fixture;
  let host: SshRemoteHost;
  let small: { path: string; sha: string; size: number };
  let big: { path: string; sha: string; size: number };
  let staging: string;
  beforeAll(async () => {
    fx = await makeFixture();
    const s = await fx.start();
    fx.knownHosts();
    host = new SshRemoteHost(fx.spec(s));
    await host.connect();
    staging = join(fx.dir, 'staging');
    const mk = (name: string, size: number) => {
      const data = randomBytes(size);
      const path = join(fx.dir, name);
      writeFileSync(path, data);
      return { path, sha: sha(data), size };
    };
    small = mk('emqx-enterprise-5.10.2-small.tar.gz', 3 * 1024 * 1024 + 17);
    big = mk('emqx-enterprise-5.10.2-big.tar.gz', 48 * 1024 * 1024);
  });
  afterAll(async () => {
    await host?.close();
    await fx?.cleanup();
  });

  it('uploads fresh (creating stagingDir), verifies, renames into place, throttles progress; then skips when present', async () => {
    const remote = join(staging, 'fresh', 'emqx.tar.gz');
    const progress: StageProgress[] = [];
    const t0 = Date.now();
    const r = await host.stage(big.path, remote, big.sha, { onProgress: (p) => progress.push({ ...p }) });
    const took = Date.now() - t0;
    expect(r.action).toBe('uploaded');
    expect(r.bytesSent).toBe(big.size);
    expect(fileSha(remote)).toBe(big.sha);
    expect(existsSync(`${remote}.part`)).toBe(false);
    // ≤ 10 per second plus the final one
    expect(progress.length).toBeLessThanOrEqual(Math.floor(took / 100) + 2);
    expect(progress.at(-1)).toMatchObject({ bytesDone: big.size, bytesTotal: big.size, file: remote });
    expect(progress.at(-1)!.rate).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i].bytesDone).toBeGreaterThanOrEqual(progress[i - 1].bytesDone);

    const again = await host.stage(big.path, remote, big.sha);
    expect(again).toMatchObject({ action: 'present', bytesSent: 0 });
  });

  it('resumes after the connection is killed mid-upload, sending only the rest', async () => {
    const remote = join(staging, 'resume', 'emqx.tar.gz');
    const conn = await host.connection();
    let killed = false;
    const err = await host
      .stage(big.path, remote, big.sha, {
        onProgress: (p) => {
          if (!killed && p.bytesDone >= 12 * 1024 * 1024) {
            killed = true;
            // End the TCP connection under the transfer, like a network drop.
            (conn.client as unknown as { _sock: { destroy(): void } })._sock.destroy();
          }
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(killed).toBe(true);
    expect(err).toBeInstanceOf(RolloutError);
    expect((err as RolloutError).kind).toBe('remote');
    expect((err as RolloutError).message).toContain('lost while uploading');
    await new Promise((res) => setTimeout(res, 200)); // let sftp-server flush what it received
    const partSize = statSync(`${remote}.part`).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThan(big.size);

    const r = await host.stage(big.path, remote, big.sha);
    expect(r.action).toBe('resumed');
    expect(r.bytesSent).toBe(big.size - partSize);
    expect(fileSha(remote)).toBe(big.sha);
    expect(existsSync(`${remote}.part`)).toBe(false);
  });

  it('an AbortSignal stops the upload, leaves the .part, and the next stage resumes', async () => {
    const remote = join(staging, 'abort', 'emqx.tar.gz');
    const ac = new AbortController();
    const err = await host
      .stage(big.path, remote, big.sha, {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.bytesDone >= 8 * 1024 * 1024) ac.abort(new Error('operator'));
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as RolloutError).kind).toBe('interrupted');
    expect(existsSync(remote)).toBe(false); // an aborted upload never lands under the final name
    await new Promise((res) => setTimeout(res, 200));
    expect(existsSync(`${remote}.part`)).toBe(true);
    expect(existsSync(remote)).toBe(false);
    const r = await host.stage(big.path, remote, big.sha);
    expect(r.action).toBe('resumed');
    expect(fileSha(remote)).toBe(big.sha);
  });

  it('a .part that is not our prefix is replaced, not resumed', async () => {
    const remote = join(staging, 'badpart', 'emqx.tar.gz');
    mkdirSync(join(staging, 'badpart'), { recursive: true });
    writeFileSync(`${remote}.part`, randomBytes(1024 * 1024));
    const r = await host.stage(small.path, remote, small.sha);
    expect(r).toMatchObject({ action: 'uploaded', bytesSent: small.size });
    expect(fileSha(remote)).toBe(small.sha);
  });

  it('a corrupted remote file is detected and replaced', async () => {
    const remote = join(staging, 'corrupt', 'emqx.tar.gz');
    await host.stage(small.path, remote, small.sha);
    const bytes = readFileSync(remote);
    bytes[1000] ^= 0xff; // one flipped byte
    writeFileSync(remote, bytes);
    const r = await host.stage(small.path, remote, small.sha);
    expect(r.action).toBe('uploaded');
    expect(fileSha(remote)).toBe(small.sha);
  });

  it('refuses when free space < size × factor, with the numbers, and uploads nothing', async () => {
    // An honest disk-full test over sshd: the node's real `df -Pk` is parsed and compared; we raise
    // the factor so that the real free space is not enough (a shim on PATH is impossible over sshd,
    // and mounting a tiny tmpfs needs privileges CI may not have).
    mkdirSync(staging, { recursive: true });
    const dfOut = execFileSync('df', ['-Pk', staging], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
    const freeBytes = Number(dfOut.split(/\s+/)[3]) * 1024;
    const factor = Math.ceil((freeBytes * 2) / small.size);
    const remote = join(staging, 'full', 'emqx.tar.gz');
    const err = await host.stage(small.path, remote, small.sha, { freeSpaceFactor: factor }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RolloutError);
    const e = err as RolloutError;
    expect(e.kind).toBe('remote');
    expect(e.message).toMatch(new RegExp(`^${host.node}: not enough free space in .*/full: .* free, need .*`));
    expect(e.details.join('\n')).toContain(`size × ${factor}`);
    expect(e.details.join('\n')).toMatch(/free: \d+ bytes \(df -Pk: /);
    expect(existsSync(`${remote}.part`)).toBe(false);
    expect(existsSync(remote)).toBe(false);
  });

  it('hostile remote paths are harmless (spaces, quotes, $(…), backticks)', async () => {
    const pwned = `/tmp/pwned-stage-${process.pid}`;
    const dir = join(staging, `with space $(touch ${pwned}) \`touch ${pwned}\``);
    const remote = join(dir, `it's "a" tar;gz`);
    const r = await host.stage(small.path, remote, small.sha);
    expect(r.action).toBe('uploaded');
    expect(fileSha(remote)).toBe(small.sha);
    expect(existsSync(pwned)).toBe(false);
    expect((await host.stage(small.path, remote, small.sha)).action).toBe('present');
  });

  it('a local file that does not match its sha256 is bad input and leaves nothing behind', async () => {
    const remote = join(staging, 'wrongsha', 'emqx.tar.gz');
    const err = await host.stage(small.path, remote, 'ab'.repeat(32)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as BadInputError).message).toContain('does not match its expected sha256');
    expect(existsSync(`${remote}.part`)).toBe(false);
    expect(existsSync(remote)).toBe(false);
  });

  it('a corrupted byte on the wire is rejected by the node: no final file, nothing left', async () => {
    const remote = join(staging, 'wire', 'emqx.tar.gz');
    const corrupt = join(fx.dir, 'corrupt-copy.tar.gz');
    const bytes = readFileSync(small.path);
    bytes[bytes.length >> 1] ^= 0x40;
    writeFileSync(corrupt, bytes);
    // the bytes the node receives differ from the digest it was told to expect
    const ch = await StageChannel.open(
      await host.connection(),
      stageCommand(join(staging, 'wire'), remote, `${remote}.part`, small.size, small.sha),
      { doing: 'test' },
    );
    expect(parseObservation(await ch.untilReady()).freeBytes).toBeGreaterThan(0);
    ch.say('from 0');
    const end = await ch.upload(corrupt, 0, small.size, () => {});
    expect(parseOutcome(end.stdout)).toMatchObject({ kind: 'bad', rc: '0', size: small.size, sha: sha(bytes) });
    expect(existsSync(remote)).toBe(false);
    expect(existsSync(`${remote}.part`)).toBe(false);
    // and through stage(): the same node then takes the right bytes
    expect((await host.stage(small.path, remote, small.sha)).action).toBe('uploaded');
    expect(fileSha(remote)).toBe(small.sha);
  });

  it('the SFTP transport (kept for comparison) still stages, verifies and renames', async () => {
    const remote = join(staging, 'sftp', 'emqx.tar.gz');
    const r = await host.stage(small.path, remote, small.sha, { transport: 'sftp' });
    expect(r).toMatchObject({ action: 'uploaded', bytesSent: small.size });
    expect(fileSha(remote)).toBe(small.sha);
    expect((await host.stage(small.path, remote, small.sha)).action).toBe('present');
  });

  it('rejects a relative remote path and a malformed digest as bad input', async () => {
    await expect(host.stage(small.path, 'relative/x.tar.gz', small.sha)).rejects.toBeInstanceOf(BadInputError);
    await expect(host.stage(small.path, '/tmp/x.tar.gz', 'nothex')).rejects.toBeInstanceOf(BadInputError);
  });
});
