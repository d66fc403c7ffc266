import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshRemoteHost } from '../../src/remote/host.js';
import { describeResult } from '../../src/remote/exec.js';
import { shq } from '../../src/util/shellQuote.js';
import { RolloutError } from '../../src/util/errors.js';
import { haveSshd } from '../support/sshd.js';
import { makeFixture, type Fixture } from './fixture.js';

function pgrep(pattern: string): string {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
}

describe.skipIf(!haveSshd())('exec against real OpenSSH sshd', () => {
  let fx: Fixture;
  let host: SshRemoteHost;
  beforeAll(async () => {
    fx = await makeFixture();
    const s = await fx.start();
    fx.knownHosts();
    host = new SshRemoteHost(fx.spec(s));
    await host.connect();
  });
  afterAll(async () => {
    await host?.close();
    await fx?.cleanup();
  });

  it('returns exit code, stdout and stderr separately; non-zero exit is data', async () => {
    const r = await host.exec('echo out; echo err >&2; exit 7');
    expect(r).toMatchObject({
      exitCode: 7,
      signal: null,
      stdout: 'out\n',
      stderr: 'err\n',
      timedOut: false,
      aborted: false,
    });
    expect(r.node).toBe(host.node);
    expect(r.command).toBe('echo out; echo err >&2; exit 7');
    const ok = await host.exec('true');
    expect(ok.exitCode).toBe(0);
    expect(ok.stderr).toBe(''); // the pgid marker line is stripped
  });

  it('stdin: given bytes then EOF (sudo -S reads its password there), else /dev/null', async () => {
    const r = await host.exec('read -r pw; echo "got:$pw"; cat', { stdin: 's3cret\nrest\n' });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'got:s3cret\nrest\n' });
    expect(r.command).not.toContain('s3cret');
    expect((await host.exec('cat')).stdout).toBe('');
  });

  it('reports a signal death', async () => {
    const r = await host.exec('kill -TERM $$');
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGTERM');
  });

  it('streams stdout as it arrives and never waits for stdin', async () => {
    const chunks: { t: number; s: string }[] = [];
    const t0 = Date.now();
    const r = await host.exec('cat; for i in 1 2 3; do echo line$i; sleep 0.2; done', {
      onStdout: (s) => chunks.push({ t: Date.now() - t0, s }),
    });
    expect(r.stdout).toBe('line1\nline2\nline3\n');
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks[chunks.length - 1].t - chunks[0].t).toBeGreaterThan(300);
  });

  it('a deadline kills the remote process group (root login: channel signals are ignored)', async () => {
    const marker = `sleep 30.${process.pid}`;
    const t0 = Date.now();
    const r = await host.exec(`${marker} & ${marker}; echo never`, { timeoutMs: 500, graceMs: 1000 });
    const took = Date.now() - t0;
    expect(r.timedOut).toBe(true);
    expect(r.stdout).toBe('');
    expect(r.exitCode === null || r.exitCode !== 0).toBe(true);
    expect(took).toBeLessThan(3_000);
    await new Promise((res) => setTimeout(res, 200));
    expect(pgrep(marker)).toBe(''); // both the foreground and the background sleep are gone
    expect(describeResult(r).join('\n')).toMatch(/timed out after \d+ ms/);
  });

  it('a command that ignores TERM is KILLed after the grace', async () => {
    const marker = `sleep 31.${process.pid}`;
    const r = await host.exec(`trap '' TERM; ${marker}`, { timeoutMs: 300, graceMs: 700 });
    expect(r.timedOut).toBe(true);
    await new Promise((res) => setTimeout(res, 200));
    expect(pgrep(marker)).toBe('');
  });

  it('an AbortSignal stops the command and marks it aborted', async () => {
    const marker = `sleep 32.${process.pid}`;
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('operator pressed Ctrl-C')), 300);
    const r = await host.exec(marker, { signal: ac.signal, graceMs: 1000 });
    expect(r.aborted).toBe(true);
    expect(r.timedOut).toBe(false);
    await new Promise((res) => setTimeout(res, 200));
    expect(pgrep(marker)).toBe('');
  });

  it('hostile strings quoted with shq stay literal', async () => {
    const hostile = `a b'c"$(touch /tmp/pwned-${process.pid})\`id\`;$HOME*`;
    const r = await host.exec(`printf %s ${shq(hostile)}`);
    expect(r.stdout).toBe(hostile);
    const touched = await host.exec(`test -e /tmp/pwned-${process.pid}`);
    expect(touched.exitCode).toBe(1);
  });

  it('many sequential commands reuse one connection without leaking sessions (MaxSessions 10)', async () => {
    for (let i = 0; i < 25; i++) {
      const r = await host.exec(`echo ${i}`);
      expect(r.stdout).toBe(`${i}\n`);
    }
  });

  it('describeResult gives command, outcome, duration and output tails', async () => {
    const r = await host.exec('seq 1 30; echo boom >&2; exit 3');
    const lines = describeResult(r);
    expect(lines).toContain('command: seq 1 30; echo boom >&2; exit 3');
    expect(lines).toContain('result: exit code 3');
    expect(lines.some((l) => /^duration: \d+ ms$/.test(l))).toBe(true);
    expect(lines).toContain('stdout (last 20 of 30 lines):');
    expect(lines).toContain('  | 30');
    expect(lines).not.toContain('  | 10');
    expect(lines).toContain('  | boom');
  });

  it('rejects with evidence when the connection dies mid-command; the next exec reconnects', async () => {
    const conn = await host.connection();
    const p = host.exec('echo started; sleep 5');
    setTimeout(() => (conn.client as unknown as { _sock: { destroy(): void } })._sock.destroy(), 300);
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RolloutError);
    const re = err as RolloutError;
    expect(re.kind).toBe('remote');
    expect(re.message).toContain(host.node);
    expect(re.message).toContain('lost while running a command');
    expect(re.details).toContain('command: echo started; sleep 5');
    const again = await host.exec('echo back');
    expect(again.stdout).toBe('back\n');
    expect(await host.connection()).not.toBe(conn);
  });
});
