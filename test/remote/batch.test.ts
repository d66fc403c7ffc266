import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshRemoteHost } from '../../src/remote/host.js';
import { buildBatchScript, parseBatchOutput, runBatch } from '../../src/remote/batch.js';
import type { ExecOptions, ExecResult, RemoteHost } from '../../src/remote/types.js';
import { haveSshd } from '../support/sshd.js';
import { makeFixture, type Fixture } from './fixture.js';

const N = '0123456789abcdef0123456789abcdef';

describe('parseBatchOutput (pure)', () => {
  const frame = (i: number, rc: string, out: string, err: string) =>
    `@@${N} ${i} ${rc}\n${out}\n@@${N} e\n${err}\n@@${N} .\n`;

  it('returns every probe byte for byte, trailing newline or not, in any finishing order', () => {
    const s = `@@${N} begin\n${frame(1, '3', 'no newline', 'err\n')}${frame(0, '0', 'a\nb\n', '')}@@${N} end\n`;
    const p = parseBatchOutput(s, N);
    expect(p).toMatchObject({ kind: 'frames', complete: true });
    if (p.kind !== 'frames') return;
    expect(p.frames.map((f) => [f.index, f.exitCode, f.stdout, f.stderr])).toEqual([
      [1, 3, 'no newline', 'err\n'],
      [0, 0, 'a\nb\n', ''],
    ]);
  });

  it('a frame cut off by a deadline is not returned; what finished is', () => {
    const s = `@@${N} begin\n${frame(0, '0', 'x', '')}@@${N} 1 0\npartial out`;
    const p = parseBatchOutput(s, N);
    expect(p).toMatchObject({ kind: 'frames', complete: false });
    if (p.kind === 'frames') expect(p.frames.map((f) => f.index)).toEqual([0]);
  });

  it('output that imitates the framing without the nonce is content', () => {
    const fake = `@@${'f'.repeat(32)} 1 0\n@@ e\n`;
    const s = `@@${N} begin\n${frame(0, '0', fake, fake)}@@${N} end\n`;
    const p = parseBatchOutput(s, N);
    if (p.kind !== 'frames') throw new Error(p.kind);
    expect(p.frames[0]).toMatchObject({ stdout: fake, stderr: fake });
  });

  it('no begin marker: the script never ran; nobatch: the node cannot batch', () => {
    expect(parseBatchOutput('', N).kind).toBe('not-started');
    expect(parseBatchOutput('sudo: a password is required\n', N).kind).toBe('not-started');
    expect(parseBatchOutput(`@@${N} nobatch\n`, N).kind).toBe('nobatch');
  });

  it('refuses a nonce that is not hex (it is spliced into the script)', () => {
    expect(() => buildBatchScript(['true'], 'x; rm -rf /')).toThrow(/hex/);
  });
});

describe.skipIf(!haveSshd())('runBatch against real OpenSSH sshd', () => {
  let fx: Fixture;
  let host: SshRemoteHost;
  let execs: string[];
  let counting: RemoteHost;
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
  const count = () => {
    execs = [];
    counting = {
      node: host.node,
      exec: (c: string, o?: ExecOptions) => {
        execs.push(c);
        return host.exec(c, o);
      },
      stage: (...a) => host.stage(...a),
      openTcp: (...a) => host.openTcp(...a),
      close: () => Promise.resolve(),
    };
    return counting;
  };
  const alone = async (commands: string[]) => Promise.all(commands.map((c) => host.exec(c)));
  const facts = (r: ExecResult) => [r.command, r.exitCode, r.stdout, r.stderr];

  it('one exec; every probe as if it had run alone (stdout, stderr, exit status, quoting, exit)', async () => {
    const commands = [
      'echo out; echo err >&2; exit 7',
      "printf 'no newline'",
      'printf "\\n\\n"; printf "é✓\\n" >&2',
      `x='a b'; case "$x" in 'a b') echo quoted;; esac; exit 0`,
      'exit 3',
      'cat', // stdin is /dev/null, as alone
      `echo "@@${N} 0 0"`, // a lookalike marker is content
    ];
    const h = count();
    const got = await runBatch(h, commands, { timeoutMs: 20_000 });
    expect(execs).toHaveLength(1);
    expect(got.map(facts)).toEqual((await alone(commands)).map(facts));
    expect(got.every((r) => !r.timedOut && !r.aborted && r.node === host.node)).toBe(true);
  });

  // A TMPDIR of this test's own on the node: other tests' batches share the machine's /tmp.
  const privateTmp = () => `/tmp/batch-test-${process.pid}-${Math.random().toString(16).slice(2)}`;
  const inTmp = (dir: string) => (s: string) => `mkdir -p ${dir}; TMPDIR=${dir}; export TMPDIR\n${s}`;

  it('probes run concurrently on the node: five probes that each wait for all five to have started', async () => {
    // Timing-free: run one after another, the first would wait out its 5 s and see only itself.
    const d = privateTmp();
    const probe = (i: number) =>
      `mkdir -p ${d}; touch ${d}/${i}; n=0; while [ "$(ls ${d} | wc -l)" -lt 5 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n+1)); done; ls ${d} | wc -l`;
    const got = await runBatch(
      host,
      Array.from({ length: 5 }, (_, i) => probe(i)),
      { timeoutMs: 30_000 },
    );
    expect(got.map((r) => r.stdout.trim())).toEqual(['5', '5', '5', '5', '5']);
    // each result's duration is when its own frame arrived, never more than the batch's
    expect(got.every((r) => r.durationMs >= 0 && r.durationMs <= Math.max(...got.map((x) => x.durationMs)))).toBe(true);
    await host.exec(`rm -rf ${d}`);
  });

  it('a probe that never returns: the deadline keeps what finished, marks the rest timed out, kills it', async () => {
    const tmp = privateTmp();
    const got = await runBatch(host, ['echo quick', 'sleep 30; echo never', 'echo also'], {
      timeoutMs: 1_500,
      wrap: inTmp(tmp),
    });
    expect(got[0]).toMatchObject({ exitCode: 0, stdout: 'quick\n', timedOut: false });
    expect(got[2]).toMatchObject({ exitCode: 0, stdout: 'also\n', timedOut: false });
    expect(got[1]).toMatchObject({ exitCode: null, stdout: '', timedOut: true });
    // The process group was killed, and the script's temp dir went with it (TERM trap).
    // (the kill lands asynchronously after the deadline: allow it a moment)
    let left = '';
    for (let i = 0; i < 20; i++) {
      left = (await host.exec(`pgrep -f "[s]leep 30; echo never" || true; ls -A ${tmp}`)).stdout.trim();
      if (left === '') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(left).toBe('');
  });

  it('leaves nothing behind on the node after a normal batch', async () => {
    const tmp = privateTmp();
    const got = await runBatch(host, ['true', 'false'], { wrap: inTmp(tmp) });
    expect(got.map((r) => r.exitCode)).toEqual([0, 1]);
    const left = await host.exec(`ls -A ${tmp} | wc -l`);
    expect(left.stdout.trim()).toBe('0');
  });

  it('a node where the temp dir cannot be made: the probes run one exec each, same results', async () => {
    const h = count();
    const wrap = (s: string) => `TMPDIR=/nonexistent/dir; export TMPDIR\n${s}`;
    const got = await runBatch(h, ['echo a', 'echo b >&2; exit 2'], { wrap });
    expect(execs.length).toBe(3); // the batch that said "nobatch", then one per probe
    expect(got.map(facts)).toEqual([
      ['echo a', 0, 'a\n', ''],
      ['echo b >&2; exit 2', 2, '', 'b\n'],
    ]);
  });

  it('a wrapper that refuses (sudo without a password): every probe carries that answer', async () => {
    const wrap = () => `echo 'sudo: a password is required' >&2; exit 1`;
    const got = await runBatch(host, ['echo a', 'echo b'], { wrap });
    expect(got.map(facts)).toEqual([
      ['echo a', 1, '', 'sudo: a password is required\n'],
      ['echo b', 1, '', 'sudo: a password is required\n'],
    ]);
  });
});
