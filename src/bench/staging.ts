// Staging throughput: our stage() versus OpenSSH `scp` of the same file to the same real sshd on 127.0.0.x.
//   - one node: stage() over its default exec transport (observe, stream, hash on the node while
//     writing, rename: one exec channel), the previous SFTP transport, and scp, in rotating order;
//     medians compared. End to end = what the operator waits for (connect included on both sides;
//     ours also verifies the sha256 on the node, scp does not). Target ≥ 0.95.
//   - N nodes at once: one process staging to N sshds versus N scp processes in parallel.
//   - peak RSS of one process staging a large file to many nodes at once (GNU time %M), from
//     stageMany.ts: every node at once, more than the CLI's --stage-concurrency ever asks.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, writeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SshRemoteHost } from '../remote/host.js';
import type { SshTarget } from '../remote/types.js';
import { GNU_TIME, runTimed } from './proc.js';
import { knownHostsLine, makeClientKey, startSshd, type SshdInstance } from './sshd.js';
import type { StageManySpec } from './stageMany.js';
import { median, type Bench, type BenchRow } from './types.js';

const execFileP = promisify(execFile);
const MiB = 1024 * 1024;
const STAGE_MANY = fileURLToPath(new URL('./stageMany.js', import.meta.url));

export interface StagingBenchOptions {
  /** One-node file size (default 256 MiB). */
  readonly sizeBytes?: number;
  readonly runs?: number;
  /** Nodes of the N-at-once row (default 5) and its file size (default 256 MiB), runs (default 2). */
  readonly parallelNodes?: number;
  readonly parallelBytes?: number;
  readonly parallelRuns?: number;
  /** Nodes of the peak-RSS row (default 30; 0 skips it) and its file size (default 256 MiB). */
  readonly rssNodes?: number;
  readonly rssBytes?: number;
}

type Way = 'exec' | 'sftp' | 'scp';

export function stagingBench(opts: StagingBenchOptions = {}): Bench {
  const size = opts.sizeBytes ?? 256 * MiB;
  const runs = opts.runs ?? 3;
  const pN = opts.parallelNodes ?? 5;
  const pSize = opts.parallelBytes ?? 256 * MiB;
  const pRuns = opts.parallelRuns ?? 2;
  const rssN = opts.rssNodes ?? 30;
  const rssSize = opts.rssBytes ?? 256 * MiB;
  return {
    id: 'staging',
    title:
      `stage ${size / MiB} MiB vs scp; ${pN} nodes at once` +
      (rssN > 0 ? `; peak RSS staging ${rssSize / MiB} MiB to ${rssN} nodes` : ''),
    async run(ctx) {
      const dir = mkdtempSync(join(tmpdir(), 'emqx-rollout-bench-'));
      const servers: SshdInstance[] = [];
      try {
        const files = new Map<number, { path: string; sha: string }>();
        const file = (bytes: number) => {
          let f = files.get(bytes);
          if (!f) {
            ctx.log(`writing ${bytes / MiB} MiB of random bytes`);
            f = writeRandom(join(dir, `emqx-enterprise-bench-${bytes}.tar.gz`), bytes);
            files.set(bytes, f);
          }
          return f;
        };
        const one = file(size);
        const key = await makeClientKey(dir, { name: 'bench_key' });
        const nSshd = Math.max(1, pN, rssN);
        ctx.log(`starting ${nSshd} OpenSSH sshds`);
        for (let i = 0; i < nSshd; i += 10) {
          const batch = Array.from({ length: Math.min(10, nSshd - i) }, () =>
            startSshd({ authorizedKeys: `${key.publicKey}\n`, skipDotfiles: true }),
          );
          servers.push(...(await Promise.all(batch)));
        }
        const kh = join(dir, 'known_hosts');
        writeFileSync(kh, servers.map((s) => `${knownHostsLine(s.host, s.port, s.hostPublicKey)}\n`).join(''));
        const user = userInfo().username;
        const remoteDir = (i: number) => join(dir, `remote-${i}`);
        const spec = (i: number): SshTarget => ({
          name: `bench-${i}@node`,
          host: servers[i].host,
          port: servers[i].port,
          user,
          identityFile: key.privatePath,
          knownHosts: kh,
          jump: [],
        });
        const clean = async (n: number) => {
          for (let i = 0; i < n; i++) rmSync(remoteDir(i), { recursive: true, force: true });
          await Promise.all(Array.from({ length: n }, (_, i) => execFileP('mkdir', ['-p', remoteDir(i)])));
        };
        const scpTo = (i: number, local: string) =>
          execFileP('scp', [
            '-q',
            '-B',
            '-i',
            key.privatePath,
            '-P',
            String(servers[i].port),
            '-o',
            `UserKnownHostsFile=${kh}`,
            '-o',
            'StrictHostKeyChecking=yes',
            '-o',
            'GlobalKnownHostsFile=/dev/null',
            local,
            `${user}@${servers[i].host}:${join(remoteDir(i), 'scp.tar.gz')}`,
          ]);

        // warm-up, not measured: the first stage() of a process also pays for JIT and lazy module loads,
        // which a compiled scp never does
        {
          const w = file(MiB);
          await clean(1);
          for (const transport of ['exec', 'sftp'] as const) {
            const h = new SshRemoteHost(spec(0));
            await h.stage(w.path, join(remoteDir(0), `warm-${transport}.tar.gz`), w.sha, { transport });
            await h.close();
          }
          await scpTo(0, w.path);
        }
        // 1. one node, rotating the order every run
        const e2e: Record<Way, number[]> = { exec: [], sftp: [], scp: [] };
        const transfer: Record<'exec' | 'sftp', number[]> = { exec: [], sftp: [] };
        const ways: Way[] = ['exec', 'sftp', 'scp'];
        for (let r = 0; r < runs; r++) {
          for (const w of [...ways.slice(r % 3), ...ways.slice(0, r % 3)]) {
            gc();
            await clean(1);
            const t0 = performance.now();
            let rate = 0;
            if (w === 'scp') {
              await scpTo(0, one.path);
            } else {
              const h = new SshRemoteHost(spec(0));
              const res = await h.stage(one.path, join(remoteDir(0), 'ours.tar.gz'), one.sha, {
                transport: w,
                onProgress: (p) => (rate = p.rate),
              });
              await h.close();
              if (res.action !== 'uploaded') throw new Error(`bench: expected a fresh upload, got ${res.action}`);
              transfer[w].push(rate);
            }
            const sec = (performance.now() - t0) / 1000;
            e2e[w].push(size / sec);
            ctx.log(
              `run ${r + 1}: ${w.padEnd(4)} ${(sec * 1000).toFixed(0)} ms (${mbps(size / sec)})` +
                (w === 'scp' ? '' : `, transfer phase ${mbps(rate)}`),
            );
          }
        }
        const m = { exec: median(e2e.exec), sftp: median(e2e.sftp), scp: median(e2e.scp) };
        const mT = median(transfer.exec);
        const rows: BenchRow[] = [
          {
            bench: 'staging',
            metric: `scp ${size / MiB} MiB → sshd (median of ${runs})`,
            value: r2(m.scp / MiB),
            unit: 'MiB/s',
          },
          {
            bench: 'staging',
            metric: 'stage() end to end incl. connect + sha256 verify on node (exec transport)',
            value: r2(m.exec / MiB),
            unit: 'MiB/s',
          },
          { bench: 'staging', metric: 'stage() transfer phase (exec transport)', value: r2(mT / MiB), unit: 'MiB/s' },
          {
            bench: 'staging',
            metric: 'ratio end to end / scp',
            value: r2(m.exec / m.scp),
            unit: '×',
            target: '≥ 0.95',
            pass: m.exec / m.scp >= 0.95,
            note: 'ours also hashes the file on the node (scp does not verify)',
          },
          { bench: 'staging', metric: 'ratio transfer phase / scp', value: r2(mT / m.scp), unit: '×' },
          {
            bench: 'staging',
            metric: 'previous SFTP transport: end to end / scp',
            value: r2(m.sftp / m.scp),
            unit: '×',
            note: `${r2(m.sftp / MiB)} MiB/s; transfer phase ${r2(median(transfer.sftp) / MiB)} MiB/s`,
          },
        ];

        // 2. N nodes at once: one process of ours vs N scp processes
        if (pN > 1) {
          const pf = file(pSize);
          const ours: number[] = [];
          const scps: number[] = [];
          let rssKb = 0;
          for (let r = 0; r < pRuns; r++) {
            for (const w of r % 2 ? (['scp', 'ours'] as const) : (['ours', 'scp'] as const)) {
              gc();
              await clean(pN);
              if (w === 'ours') {
                const res = await stageMany(dir, pf, pN, spec, remoteDir, `par-${r}`);
                ours.push(res.wallMs);
                rssKb = Math.max(rssKb, res.maxRssKb ?? 0);
                ctx.log(`${pN} nodes at once, run ${r + 1}: ours ${res.wallMs} ms`);
              } else {
                const t0 = performance.now();
                await Promise.all(Array.from({ length: pN }, (_, i) => scpTo(i, pf.path)));
                scps.push(performance.now() - t0);
                ctx.log(`${pN} nodes at once, run ${r + 1}: scp  ${Math.round(scps.at(-1)!)} ms`);
              }
            }
          }
          const ratio = median(scps) / median(ours);
          rows.push({
            bench: 'staging',
            metric: `${pN} nodes at once, ${pSize / MiB} MiB each: ${pN} parallel scp / ours (wall, median of ${pRuns})`,
            value: r2(ratio),
            unit: '×',
            target: '≥ 0.95',
            pass: ratio >= 0.95,
            note:
              `ours ${Math.round(median(ours))} ms (one process, spawn → exit), scp ${Math.round(median(scps))} ms` +
              (rssKb ? `; our peak RSS ${Math.round(rssKb / 1024)} MiB` : ''),
          });
        }

        // 3. peak RSS of one process staging to rssN nodes at once
        if (rssN > 0) {
          const rf = file(rssSize);
          gc();
          await clean(rssN);
          const res = await stageMany(dir, rf, rssN, spec, remoteDir, 'rss');
          await clean(rssN);
          const mb = (res.maxRssKb ?? NaN) / 1024;
          ctx.log(
            `peak RSS staging ${rssSize / MiB} MiB to ${rssN} nodes at once: ${Math.round(mb)} MiB, ${res.wallMs} ms`,
          );
          rows.push({
            bench: 'staging',
            metric: `peak RSS staging ${rssSize / MiB} MiB to ${rssN} nodes at once (one process, stage() only)`,
            value: Math.round(mb),
            unit: 'MiB',
            target: '≤ 200',
            pass: mb <= 200,
            note: GNU_TIME
              ? `${rssN}/${rssN} staged in ${(res.wallMs / 1000).toFixed(1)} s; the CLI's own peak is in the rollout rows`
              : 'GNU time not installed',
          });
        }
        ctx.detail?.('staging', { e2e, transfer, size, runs });
        return rows;
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Stage `f` to nodes 0..n-1 from a child process (stageMany.ts); its wall time and peak RSS. */
async function stageMany(
  dir: string,
  f: { path: string; sha: string },
  n: number,
  spec: (i: number) => SshTarget,
  remoteDir: (i: number) => string,
  tag: string,
): Promise<{ wallMs: number; maxRssKb: number | null }> {
  const job: StageManySpec = {
    localPath: f.path,
    sha256: f.sha,
    nodes: Array.from({ length: n }, (_, i) => ({ spec: spec(i), remotePath: join(remoteDir(i), 'ours.tar.gz') })),
  };
  const jobPath = join(dir, `stage-many-${tag}.json`);
  writeFileSync(jobPath, JSON.stringify(job));
  const r = await runTimed([process.execPath, STAGE_MANY, jobPath], { timeoutMs: Math.max(120_000, n * 30_000) });
  if (r.code !== 0) throw new Error(`stageMany to ${n} nodes: exit ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return { wallMs: r.wallMs, maxRssKb: r.maxRssKb };
}

function writeRandom(path: string, size: number): { path: string; sha: string } {
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  for (let done = 0; done < size; done += 16 * MiB) {
    const b = randomBytes(Math.min(16 * MiB, size - done));
    hash.update(b);
    writeSync(fd, b);
  }
  closeSync(fd);
  return { path, sha: hash.digest('hex') };
}

function gc(): void {
  // run.ts is started with --expose-gc so a 256 MiB run does not pay for the previous one's garbage.
  (globalThis as { gc?: () => void }).gc?.();
}

function mbps(bytesPerSec: number): string {
  return `${(bytesPerSec / MiB).toFixed(0)} MiB/s`;
}

function r2(n: number): number {
  return Math.round(n * 100) / 100;
}
