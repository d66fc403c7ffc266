// The rollout benchmark (issue 11): our built CLI against the physical limit and against its peers,
// in ONE run on ONE cluster of simulated nodes behind real OpenSSH sshds, with the cost model of a
// real node on (`emqx ctl` latency, a node-side hop time) and the sshds skipping this box's dotfiles.
//   - `upgrade` wall / limit at 5, 10 and 30 nodes (limit = one scp + Σ node hops + 2 ctl latencies
//     per node), controller overhead per node, where the time went (events + journal);
//   - peers at 5 nodes, alternating with ours: an Ansible `serial: 1` play, a bash ControlMaster loop;
//   - `plan` at 30 nodes; peak RSS while staging 256 MiB to 30 nodes;
//   - the same 5-node contenders again with the sshds sourcing ~/.bashrc (both visible).
// Everything is timed from outside (spawn → exit) and bounded: a total budget skips what no longer
// fits (with a row saying so), and every process has a hard timeout.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildReleaseTarball } from '../sim/tarball.js';
import { startBenchCluster, type BenchCluster } from './cluster.js';
import { ANSIBLE_PLAYBOOK, ansiblePlay, bashLoop, sshClientOptions, type PeerRun } from './peers.js';
import { breakdown, execStats, limitMs, type Breakdown, type ExecStats, type TimedEvent } from './phases.js';
import { ndjson, runTimed, type Timed } from './proc.js';
import { median, type Bench, type BenchContext, type BenchRow } from './types.js';

const execFileP = promisify(execFile);
const MiB = 1024 * 1024;
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface RolloutBenchOptions {
  /** 5-node contenders only, one round. */
  readonly quick?: boolean;
  readonly rounds?: number;
  readonly ctlLatencyMs?: number;
  readonly hopSeconds?: number;
  readonly tarballMiB?: number;
  /** Whole-bench budget; items that no longer fit are skipped with a row saying so. */
  readonly budgetSeconds?: number;
  readonly peers?: boolean;
  /** Also run the 5-node contenders with the sshds sourcing ~/.bashrc. */
  readonly dotfilesPass?: boolean;
  /** Cluster sizes for our rollout (default 5, 10, 30; --quick: 5). Peers always run at 5. */
  readonly sizes?: readonly number[];
}

type Contender = 'ours' | 'ansible' | 'bash';

interface Measured {
  readonly contender: Contender;
  readonly nodes: number;
  readonly dotfiles: 'skipped' | 'sourced';
  readonly round: number;
  readonly wallMs: number;
  readonly limitMs: number;
  readonly ratio: number;
  readonly scpMs: number;
  /** Measured cost of one `emqx ctl` on a node (median of 3, run locally: no SSH). */
  readonly ctlMs: number;
  readonly hopMs: readonly number[];
  readonly maxRssKb: number | null;
  readonly breakdown?: Breakdown;
  readonly execs?: ExecStats;
  /** Bash peer: spawn → all nodes staged (ControlMasters + parallel scp). */
  readonly peerStagingMs?: number;
}

const r2 = (n: number) => Math.round(n * 100) / 100;
const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function rolloutBench(opts: RolloutBenchOptions = {}): Bench {
  const quick = opts.quick ?? false;
  const rounds = opts.rounds ?? (quick ? 1 : 2);
  const ctl = opts.ctlLatencyMs ?? 500;
  const hopS = opts.hopSeconds ?? 1;
  const size = (opts.tarballMiB ?? 64) * MiB;
  const budgetMs = (opts.budgetSeconds ?? (quick ? 420 : 570)) * 1000;
  const peers = opts.peers ?? true;
  const dotfilesPass = opts.dotfilesPass ?? true;
  const sizes = [...new Set([5, ...(opts.sizes ?? (quick ? [5] : [5, 10, 30]))])].sort((a, b) => a - b);
  const maxN = Math.max(...sizes);
  return {
    id: 'rollout',
    title: `upgrade vs limit and peers, ${sizes.join('/')} nodes, ctl ${ctl} ms, hop +${hopS} s, ${size / MiB} MiB`,
    async run(ctx) {
      const t0 = Date.now();
      const left = () => budgetMs - (Date.now() - t0);
      const dir = mkdtempSync(join(tmpdir(), 'emqx-rollout-bench-rollout-'));
      const rows: BenchRow[] = [];
      const all: Measured[] = [];
      const skipped: string[] = [];
      const failures: string[] = [];
      let c: BenchCluster | undefined;
      try {
        ctx.log(`starting ${maxN} simulated nodes behind ${maxN} OpenSSH sshds (${dir})`);
        c = await startBenchCluster({
          dir,
          nodes: maxN,
          ctlLatencyMs: ctl,
          hopSeconds: hopS,
          padBytes: size,
          skipDotfiles: true,
        });
        ctx.log(`cluster up in ${s1(Date.now() - t0)}`);
        const cl = c;
        const execProbe = { skipped: await sshExecMs(cl), sourced: NaN };

        // per-node seconds each contender needed so far: the estimate that decides what still fits
        const perNode: Partial<Record<Contender, number>> = {};
        const fits = (what: Contender, n: number) => {
          // before a contender's first run: ours' pace so far (peers are rarely faster), else 12 s/node
          const est = (perNode[what] ?? perNode.ours ?? 12_000) * n * 1.15 + 8_000;
          return est < left();
        };
        let seq = 0;
        const measure = async (
          what: Contender,
          n: number,
          round: number,
          dotfiles: 'skipped' | 'sourced',
        ): Promise<void> => {
          const label = `${what} ${n} nodes round ${round} (dotfiles ${dotfiles})`;
          try {
            await measureOne(what, n, round, dotfiles, label);
          } catch (e) {
            // one contender failing (or timing out) must not cost the rest of the run
            const msg = e instanceof Error ? e.message : String(e);
            failures.push(msg.split('\n')[0]);
            ctx.log(`FAILED ${msg}`);
          }
        };
        const measureOne = async (
          what: Contender,
          n: number,
          round: number,
          dotfiles: 'skipped' | 'sourced',
          label: string,
        ): Promise<void> => {
          if (!fits(what, n)) {
            skipped.push(label);
            ctx.log(`skip ${label}: ${s1(left())} of the budget left`);
            return;
          }
          await cl.reset(n);
          const scpMs = await scpOnce(cl, dir);
          // what one `emqx ctl` really costs on these nodes: the modelled latency plus the simulator's own
          // process start (which a loaded machine stretches); the limit uses this, not the bare setting
          const ctlMs = await ctlCostMs(cl);
          const runDir = join(dir, `run-${++seq}-${what}-${n}`);
          // generous: a timeout is a failed row, never a hung bench
          const timeoutMs = what === 'ours' ? Math.max(240_000, n * 40_000) : Math.max(300_000, n * 60_000);
          let peer: PeerRun | null = null;
          if (what === 'ansible') peer = await ansiblePlay(cl, n, runDir);
          if (what === 'bash') peer = await bashLoop(cl, n, runDir);
          const inv = await cl.inventory(n);
          const argv =
            what === 'ours'
              ? [
                  process.execPath,
                  CLI,
                  'upgrade',
                  '-i',
                  inv,
                  '--tarball',
                  cl.tarballPath,
                  '--yes',
                  '--json',
                  '--no-backup',
                  '--state-dir',
                  runDir,
                ]
              : peer!.argv;
          const r = await runTimed(argv, { env: peer?.env ?? {}, timeoutMs });
          for (const d of peer?.tmpDirs ?? []) await rm(d, { recursive: true, force: true });
          if (r.code !== 0) throw new Error(`${label}: ${exitText(r, timeoutMs)}\n${tail(r)}`);
          const hopMs = cl.hopTimesMs(n);
          const lim = limitMs({ ctlLatencyMs: ctlMs, scpMs, hopMs });
          let m: Measured = {
            contender: what,
            nodes: n,
            dotfiles,
            round,
            wallMs: r.wallMs,
            limitMs: lim,
            ratio: r.wallMs / lim,
            scpMs,
            ctlMs,
            hopMs,
            maxRssKb: r.maxRssKb,
          };
          if (what === 'ours') {
            const events = ndjson(r.stdout) as unknown as TimedEvent[];
            const journal = ndjson(await readFile(join(runDir, 'journal.ndjson'), 'utf8').catch(() => ''));
            m = {
              ...m,
              breakdown: breakdown(events, r, { ctlLatencyMs: ctlMs, scpMs, hopMs }),
              execs: execStats(journal, n),
            };
          }
          if (what === 'bash') {
            const staged = /^staged (\d+\.\d+)/m.exec(r.stdout);
            if (staged) m = { ...m, peerStagingMs: Number(staged[1]) * 1000 - r.spawnAt };
          }
          all.push(m);
          perNode[what] = Math.max(perNode[what] ?? 0, r.wallMs / n);
          ctx.log(
            `${label}: ${s1(r.wallMs)}, limit ${s1(lim)} → ${r2(m.ratio)}× (scp ${scpMs} ms, ctl ${ctlMs} ms, hops Σ ${s1(hopMs.reduce((a, b) => a + b, 0))})`,
          );
        };

        let planMs: number[] = [];
        let rss: RssResult | null = null;
        const guard = async <T>(what: string, f: () => Promise<T>): Promise<T | null> => {
          try {
            return await f();
          } catch (e) {
            const msg = e instanceof Error ? e.message : String(e);
            failures.push(msg.split('\n')[0].startsWith(what) ? msg.split('\n')[0] : `${what}: ${msg.split('\n')[0]}`);
            ctx.log(`FAILED ${what}: ${msg}`);
            return null;
          }
        };
        const planAndRss = async () => {
          if (maxN > 5) {
            planMs = (await guard(`plan ${maxN} nodes`, () => planAt(cl, maxN, dir, left))) ?? [];
            if (!planMs.length) skipped.push(`plan ${maxN} nodes`);
          }
          const rssN = maxN;
          rss = await guard(`peak RSS staging 256 MiB to ${rssN} nodes`, () => rssStaging(cl, rssN, dir, left, ctx));
          if (!rss && !failures.some((f) => f.startsWith('peak RSS')))
            skipped.push(`peak RSS staging 256 MiB to ${rssN} nodes`);
        };
        const contenders: Contender[] = peers
          ? ANSIBLE_PLAYBOOK
            ? ['ours', 'ansible', 'bash']
            : ['ours', 'bash']
          : ['ours'];
        // With the sshds sourcing ~/.bashrc: ours and the bash loop once (Ansible last: slowest, least needed).
        const sourcedPass = async () => {
          ctx.log('restarting the sshds WITHOUT SetEnv SHLVL=1: their shells now source ~/.bashrc');
          await cl.setSkipDotfiles(false);
          try {
            execProbe.sourced = await sshExecMs(cl);
            const order: Contender[] = [
              ...contenders.filter((x) => x !== 'ansible'),
              ...contenders.filter((x) => x === 'ansible'),
            ];
            for (const w of order) {
              await measure(w, 5, 1, 'sourced');
            }
          } finally {
            await cl.setSkipDotfiles(true);
          }
        };
        // Priority under the budget: round 1 (every contender and size), then plan + RSS, then the
        // dotfiles pass, then further rounds (which turn single values into medians).
        for (let round = 1; round <= Math.max(1, rounds); round++) {
          if (round <= rounds) {
            // alternate the order so no contender always runs first (warm caches, a neighbour's load)
            const order = round % 2 ? contenders : [...contenders].reverse();
            for (const w of order) await measure(w, 5, round, 'skipped');
            for (const n of sizes.filter((x) => x > 5)) await measure('ours', n, round, 'skipped');
          }
          if (round === 1) {
            await planAndRss();
            if (dotfilesPass) await sourcedPass();
          }
        }

        rows.push(...summarize(all, { ctl, planMs, planNodes: maxN, rss, execProbe, skipped, budgetMs, peers }));
        for (const f of failures)
          rows.push({
            bench: 'rollout',
            metric: f,
            value: NaN,
            unit: '',
            pass: false,
            note: 'failed (details on stderr)',
          });
        ctx.detail?.('rollout', {
          settings: {
            ctlLatencyMs: ctl,
            hopSeconds: hopS,
            tarballBytes: size,
            rounds,
            sizes,
            budgetSeconds: budgetMs / 1000,
          },
          runs: all,
          planMs,
          rss,
          sshExecMs: execProbe,
          skipped,
          failures,
        });
        return rows;
      } finally {
        await c?.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

function exitText(r: Timed, timeoutMs: number): string {
  return r.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${r.code ?? r.signal}`;
}

function tail(r: Timed): string {
  return `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`;
}

/** One fresh `scp` of the tarball to node 1 (what the limit grants staging). */
async function scpOnce(c: BenchCluster, dir: string): Promise<number> {
  const n = c.nodes[0];
  const dest = join(n.stagingDir, 'scp-probe.tar.gz');
  const t = Date.now();
  await execFileP(
    'scp',
    [
      '-q',
      '-B',
      '-i',
      c.keyPath,
      '-P',
      String(n.port),
      '-o',
      `UserKnownHostsFile=${c.knownHostsPath}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      c.tarballPath,
      `${c.user}@${n.host}:${dest}`,
    ],
    { timeout: 120_000, cwd: dir },
  );
  const ms = Date.now() - t;
  await rm(dest, { force: true });
  return ms;
}

/** Median of 3 local `bin/emqx ctl status` on node 1. */
async function ctlCostMs(c: BenchCluster): Promise<number> {
  const n = c.nodes[0];
  const xs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await execFileP(join(n.rootDir, 'bin', 'emqx'), ['ctl', 'status'], {
      timeout: 30_000,
      env: { ...process.env, TMPDIR: n.tmpDir },
    });
    xs.push(performance.now() - t);
  }
  return Math.round(median(xs));
}

/** Median of 5 `ssh … true` over an established ControlMaster (one SSH exec, no connection set-up). */
async function sshExecMs(c: BenchCluster): Promise<number> {
  const n = c.nodes[0];
  const cpDir = await mkdtemp('/tmp/bcm-');
  const cp = join(cpDir, 'probe');
  const o = [...sshClientOptions(c, cp), '-p', String(n.port)];
  const dest = `${c.user}@${n.host}`;
  await execFileP('ssh', [...o, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=yes', '-fN', dest], {
    timeout: 30_000,
  });
  const xs: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await execFileP('ssh', [...o, dest, 'true'], { timeout: 30_000 });
      xs.push(performance.now() - t);
    }
  } finally {
    await execFileP('ssh', [...o, '-O', 'exit', dest], { timeout: 10_000 }).catch(() => undefined);
    await rm(cpDir, { recursive: true, force: true });
  }
  return Math.round(median(xs));
}

async function planAt(c: BenchCluster, n: number, dir: string, left: () => number): Promise<number[]> {
  await c.reset(n);
  const inv = await c.inventory(n);
  const out: number[] = [];
  for (let i = 0; i < 2; i++) {
    if (left() < 20_000) break;
    const r = await runTimed(
      [
        process.execPath,
        CLI,
        'plan',
        '-i',
        inv,
        '--tarball',
        c.tarballPath,
        '--json',
        '--no-backup',
        '--state-dir',
        join(dir, `plan-${i}`),
      ],
      { timeoutMs: 120_000 },
    );
    if (r.code !== 0) throw new Error(`plan ${n} nodes: ${exitText(r, 120_000)}\n${tail(r)}`);
    out.push(r.wallMs);
  }
  return out;
}

interface RssResult {
  readonly nodes: number;
  readonly maxRssKb: number | null;
  readonly wallMs: number;
  readonly stagedNodes: number;
}

/** `upgrade --pause-after 1` with a 256 MiB tarball: stages every node, upgrades node 1, pauses (exit 5). */
async function rssStaging(
  c: BenchCluster,
  n: number,
  dir: string,
  left: () => number,
  ctx: BenchContext,
): Promise<RssResult | null> {
  if (left() < 60_000 + n * 2_000) return null;
  ctx.log(`building a 256 MiB ${c.to} tarball; staging it to ${n} nodes with --pause-after 1 (peak RSS)`);
  const rel = await buildReleaseTarball({ version: c.to, outDir: join(dir, 'release-256'), padBytes: 256 * MiB });
  await c.reset(n);
  const inv = await c.inventory(n);
  const timeoutMs = Math.max(300_000, n * 20_000);
  const r = await runTimed(
    [
      process.execPath,
      CLI,
      'upgrade',
      '-i',
      inv,
      '--tarball',
      rel.tarballPath,
      '--yes',
      '--json',
      '--no-backup',
      '--pause-after',
      '1',
      '--state-dir',
      join(dir, 'rss'),
    ],
    { timeoutMs },
  );
  const staged = new Set(
    ndjson(r.stdout)
      .filter((e) => e.type === 'stage.progress' && e.done === true)
      .map((e) => e.node),
  ).size;
  await c.reset(n);
  await rm(join(dir, 'release-256'), { recursive: true, force: true });
  if (r.code !== 5 && r.code !== 0) throw new Error(`${exitText(r, timeoutMs)}\n${tail(r)}`);
  ctx.log(`peak RSS ${r.maxRssKb} KiB, ${staged}/${n} nodes staged, ${s1(r.wallMs)}`);
  return { nodes: n, maxRssKb: r.maxRssKb, wallMs: r.wallMs, stagedNodes: staged };
}

interface SummaryInput {
  readonly ctl: number;
  readonly planMs: readonly number[];
  readonly planNodes: number;
  readonly rss: RssResult | null;
  readonly execProbe: { skipped: number; sourced: number };
  readonly skipped: readonly string[];
  readonly budgetMs: number;
  readonly peers: boolean;
}

export function summarize(all: readonly Measured[], s: SummaryInput): BenchRow[] {
  const rows: BenchRow[] = [];
  const pick = (w: Contender, n: number, d: 'skipped' | 'sourced') =>
    all.filter((m) => m.contender === w && m.nodes === n && m.dotfiles === d);
  const med = (ms: readonly Measured[], f: (m: Measured) => number) => median(ms.map(f));
  const B = 'rollout';
  const sizes = [...new Set(all.filter((m) => m.contender === 'ours').map((m) => m.nodes))].sort((a, b) => a - b);
  for (const n of sizes) {
    const ms = pick('ours', n, 'skipped');
    if (!ms.length) continue;
    const ratio = med(ms, (m) => m.ratio);
    const target = n <= 5 ? 1.2 : n >= 30 ? 1.15 : undefined;
    rows.push({
      bench: B,
      metric: `ours ${n} nodes: wall / limit (median of ${ms.length})`,
      value: r2(ratio),
      unit: '×',
      target: target ? `≤ ${target}` : undefined,
      pass: target ? ratio <= target : undefined,
      note: `wall ${s1(med(ms, (m) => m.wallMs))}, limit ${s1(med(ms, (m) => m.limitMs))}`,
    });
    const over = med(ms, (m) => m.breakdown?.overheadPerNodeMs ?? NaN);
    rows.push({
      bench: B,
      metric: `ours ${n} nodes: controller overhead per node, (wall − limit) / N`,
      value: Math.round(over),
      unit: 'ms',
      target: '≤ 250',
      pass: over <= 250,
      note: ms[0]?.execs
        ? `${r2(ms[0].execs.perNode)} remote commands/node in ${r2(ms[0].execs.sshExecsPerNode)} SSH execs (${r2(ms[0].execs.ctlPerNode)} ctl, ${r2(ms[0].execs.sha256PerNode)} sha256sum)`
        : undefined,
    });
    const rss = Math.max(...ms.map((m) => m.maxRssKb ?? 0));
    if (rss > 0)
      rows.push({
        bench: B,
        metric: `ours ${n} nodes: peak RSS (64 MiB tarball)`,
        value: Math.round(rss / 1024),
        unit: 'MiB',
      });
  }
  const ours5 = pick('ours', 5, 'skipped');
  const bash5 = pick('bash', 5, 'skipped');
  const stOurs = ours5.map((m) => m.breakdown?.stagingSpanMs).filter((x): x is number => typeof x === 'number');
  const stBash = bash5.map((m) => m.peerStagingMs).filter((x): x is number => typeof x === 'number');
  if (stOurs.length && stBash.length) {
    const ratio = median(stBash) / median(stOurs);
    rows.push({
      bench: B,
      metric: 'staging to 5 nodes: parallel scp (bash peer, incl. connect) / ours (stage span)',
      value: r2(ratio),
      unit: '×',
      target: '≥ 0.95',
      pass: ratio >= 0.95,
      note: `ours ${Math.round(median(stOurs))} ms, scp ${Math.round(median(stBash))} ms`,
    });
  }
  if (stOurs.length) {
    const oneScp = median(ours5.map((m) => m.scpMs));
    rows.push({
      bench: B,
      metric: 'staging to 5 nodes: ours (stage span) / one scp to one node',
      value: r2(median(stOurs) / oneScp),
      unit: '×',
      note: `${Math.round(median(stOurs))} ms vs ${Math.round(oneScp)} ms`,
    });
  }
  const scps = all.map((m) => m.scpMs);
  if (scps.length)
    rows.push({
      bench: B,
      metric: 'one scp of the tarball to one node (limit term)',
      value: Math.round(median(scps)),
      unit: 'ms',
    });
  const ctls = all.map((m) => m.ctlMs);
  if (ctls.length) {
    rows.push({
      bench: B,
      metric: 'one `emqx ctl status` on a node, local (limit term)',
      value: Math.round(median(ctls)),
      unit: 'ms',
      note: `modelled latency ${s.ctl} ms + the simulator's process start`,
    });
  }
  if (s.peers) {
    for (const d of ['skipped', 'sourced'] as const) {
      const o = pick('ours', 5, d);
      for (const w of ['ansible', 'bash'] as const) {
        const p = pick(w, 5, d);
        if (!o.length) continue;
        if (!p.length) {
          if (w === 'ansible' && d === 'skipped' && !all.some((m) => m.contender === 'ansible')) {
            rows.push({
              bench: B,
              metric: 'ansible serial: 1 play, 5 nodes',
              value: NaN,
              unit: '',
              note: 'ansible-playbook not installed or skipped',
            });
          }
          continue;
        }
        const speed = med(p, (m) => m.wallMs) / med(o, (m) => m.wallMs);
        rows.push({
          bench: B,
          metric: `${w === 'ansible' ? 'Ansible serial: 1 play' : 'bash ControlMaster loop'} 5 nodes (dotfiles ${d}): wall / limit`,
          value: r2(med(p, (m) => m.ratio)),
          unit: '×',
          note: `wall ${s1(med(p, (m) => m.wallMs))}; ours ${s1(med(o, (m) => m.wallMs))} = ${r2(med(o, (m) => m.ratio))}×`,
        });
        rows.push({
          bench: B,
          metric: `speed-up vs ${w} at 5 nodes (dotfiles ${d}): peer wall / our wall`,
          value: r2(speed),
          unit: '×',
          target: w === 'ansible' && d === 'skipped' ? '≥ 2' : undefined,
          pass: w === 'ansible' && d === 'skipped' ? speed >= 2 : undefined,
        });
      }
    }
  }
  const oSrc = pick('ours', 5, 'sourced');
  if (oSrc.length) {
    rows.push({
      bench: B,
      metric: 'ours 5 nodes with the sshds sourcing ~/.bashrc: wall / limit',
      value: r2(med(oSrc, (m) => m.ratio)),
      unit: '×',
      note: `wall ${s1(med(oSrc, (m) => m.wallMs))} (pyenv init on every exec)`,
    });
  }
  rows.push({
    bench: B,
    metric: 'one ssh exec over a ControlMaster, dotfiles skipped / sourced',
    value: s.execProbe.skipped,
    unit: 'ms',
    note: Number.isNaN(s.execProbe.sourced) ? undefined : `sourced: ${s.execProbe.sourced} ms`,
  });
  if (s.planMs.length) {
    const p = median(s.planMs);
    rows.push({
      bench: B,
      metric: `plan ${s.planNodes} nodes, spawn → exit (median of ${s.planMs.length})`,
      value: r2(p / 1000),
      unit: 's',
      target: '≤ 2',
      pass: p <= 2000,
    });
  }
  if (s.rss) {
    const mb = (s.rss.maxRssKb ?? NaN) / 1024;
    rows.push({
      bench: B,
      metric: `peak RSS staging 256 MiB to ${s.rss.nodes} nodes (--pause-after 1)`,
      value: Math.round(mb),
      unit: 'MiB',
      target: '≤ 200',
      pass: mb <= 200,
      note: `${s.rss.stagedNodes}/${s.rss.nodes} nodes staged, ${s1(s.rss.wallMs)}`,
    });
  }
  for (const k of s.skipped)
    rows.push({
      bench: B,
      metric: k,
      value: NaN,
      unit: '',
      note: `skipped: no time left in the ${s.budgetMs / 1000} s budget`,
    });
  return rows;
}
