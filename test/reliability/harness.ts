// The fault matrix's machinery: one case = one fresh simulated cluster, a fault, one or two runs of
// the BUILT CLI, then what the nodes, the journal and the report say, judged against the case's
// expectation. Each result is written to test/reliability/.results/<id>.json; the global teardown
// (report.ts) turns them into docs/RELIABILITY.md.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import { clearFaults, setFaults, type Faults } from '../../src/sim/faults.js';
import {
  explain,
  readJournalFile,
  relupRows,
  runCli,
  sigkill,
  startCli,
  type CliEvent,
  type CliResult,
  type JournalRecord,
} from '../e2e/support/crashCli.js';
import { attachClients, type Clients } from '../e2e/support/mqtt.js';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '.results');

/** Where a node must end: at the target, still at the from-version, or either (the failing node). */
export type NodeEnd = 'to' | 'from' | 'any';

export interface KillPoint {
  /** Human name of the boundary, e.g. "gate-after on node 2". */
  readonly what: string;
  /** The first NDJSON event matching this is where the controller gets SIGKILL. */
  readonly at: (e: CliEvent, nodes: readonly string[]) => boolean;
}

export interface CaseContext {
  readonly c: SimCluster;
  /** The case's command line (`upgrade` by default, see `command`), with `more` appended. */
  readonly args: (...more: string[]) => string[];
}

/** The command a case drives: the upgrade, or a day-2 command after a clean upgrade (see `prepare`). */
export type CaseCommand = 'upgrade' | 'restart' | 'cleanup';

export interface ReliabilityCase {
  readonly id: string;
  /** Row group in docs/RELIABILITY.md. */
  readonly group: string;
  /** What goes wrong, in words. */
  readonly fault: string;
  readonly nodes?: number;
  readonly soakSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly padBytes?: number;
  /** Simulator faults set before the first run (node is 1-based). */
  readonly faults?: ReadonlyArray<{ readonly node: number; readonly faults: Partial<Faults> }>;
  /** Real MQTT clients attached before the run. */
  readonly clients?: { readonly node: number; readonly count: number };
  /** SIGKILL the controller at this point of the first run. */
  readonly kill?: KillPoint;
  /**
   * A custom first run (e.g. killing an sshd mid-upload); returns its exit code. Default: the
   * upgrade, run to its end or to `kill`.
   */
  readonly drive?: (ctx: CaseContext) => Promise<CliResult>;
  /** Case-specific truths about the runs (e.g. "the halt names the deadline"); each string is a problem. */
  readonly checks?: (o: {
    readonly runs: ReadonlyArray<CliResult | null>;
    readonly journal: readonly JournalRecord[];
    readonly c: SimCluster;
  }) => string[];
  /** After the first run: clear the faults and run again (how an operator continues). */
  readonly rerun?: boolean;
  /**
   * The first run loses its journal mid-way (the disk under it filled): it cannot have a `run.end`,
   * and its stderr must say which records were lost. The re-run's journal is judged as usual.
   */
  readonly journalLost?: boolean;
  /** The command of both runs (default `upgrade`). */
  readonly command?: CaseCommand;
  /** Extra arguments of the first run only (e.g. `--window …`). */
  readonly firstRunArgs?: readonly string[];
  /**
   * Before the first run, after the faults are set (e.g. mount a tmpfs, edit the inventory, bring
   * the cluster to the target with a clean upgrade). May return an undo, run after the judging.
   */
  readonly prepare?: (ctx: CaseContext) => Promise<void | (() => Promise<void>)>;
  /** Before the re-run, after the faults are cleared: what the operator fixes (e.g. frees the disk). */
  readonly beforeRerun?: (ctx: CaseContext) => Promise<void>;
  readonly expect: {
    /** Exit code of the first run (null: killed by the harness). */
    readonly exit: number | null;
    /** Exit code of the re-run, when there is one. */
    readonly rerunExit?: number;
    /** Per node, after everything. */
    readonly nodes: readonly NodeEnd[];
  };
}

export interface CaseResult {
  readonly id: string;
  readonly group: string;
  readonly fault: string;
  readonly expected: string;
  readonly observed: string;
  readonly survived: boolean;
  readonly wronglyTouched: number;
  readonly dataLost: number;
  readonly journalTruthful: boolean;
  readonly reportTruthful: boolean;
  readonly problems: readonly string[];
  readonly durationMs: number;
  /** Where the time went (ms): cluster start, prepare, first run, re-run, judging and teardown. */
  readonly phasesMs?: Readonly<Record<string, number>>;
}

const OUTCOME_OF_EXIT: Record<number, string> = {
  0: 'done',
  3: 'blocked',
  4: 'halted',
  5: 'paused',
  130: 'interrupted',
};

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function describeExpect(x: ReliabilityCase['expect']): string {
  const ends = x.nodes.map((e, i) => `n${i + 1}:${e}`).join(' ');
  return `exit ${x.exit ?? 'killed'}${x.rerunExit !== undefined ? ` → re-run ${x.rerunExit}` : ''}; ${ends}`;
}

/** Version a node reports (`emqx ctl status`), or 'down'. Async: the three nodes are asked at once. */
function versionOf(rootDir: string): Promise<string> {
  return new Promise((res) => {
    execFile(join(rootDir, 'bin', 'emqx'), ['ctl', 'status'], { encoding: 'utf8', timeout: 30_000 }, (err, out) => {
      res((!err && /^Node '[^']+' (\S+) is started/m.exec(out)?.[1]) || 'down');
    });
  });
}

/**
 * A case that must change nothing (preflight refuses: exit 3, no re-run, nothing prepared) on a
 * default cluster may reuse the cluster the previous such case left — once that case survived, i.e.
 * the harness saw every node untouched — with every fault cleared. One per worker process.
 */
export function sharesCluster(k: ReliabilityCase): boolean {
  return (
    k.expect.exit === 3 &&
    !k.rerun &&
    !k.prepare &&
    !k.kill &&
    !k.drive &&
    !k.clients &&
    k.nodes === undefined &&
    k.soakSeconds === undefined &&
    k.timeoutSeconds === undefined &&
    k.padBytes === undefined
  );
}
let spare: { c: SimCluster; dir: string } | undefined;

/** Stops the cluster kept for the next preflight case (at the end of a test file). */
export async function releaseSpareCluster(): Promise<void> {
  const s = spare;
  spare = undefined;
  await s?.c.stop().catch(() => undefined);
  if (s) await rm(s.dir, { recursive: true, force: true }).catch(() => undefined);
}

export async function runCase(k: ReliabilityCase): Promise<CaseResult> {
  const t0 = Date.now();
  const reuse = sharesCluster(k) ? spare : undefined;
  // A case that cannot reuse the spare cluster stops it (before forgetting it: it would leak).
  if (!reuse) await releaseSpareCluster();
  spare = undefined;
  const dir = reuse?.dir ?? (await mkdtemp(join(tmpdir(), `reliab-${k.id}-`)));
  const problems: string[] = [];
  let clients: Clients | undefined;
  let c: SimCluster | undefined;
  let observed = '';
  let wronglyTouched = 0;
  let dataLost = 0;
  let journalTruthful = false;
  let reportTruthful = false;
  const phasesMs: Record<string, number> = {};
  let tPhase = Date.now();
  const phase = (name: string): void => {
    const now = Date.now();
    phasesMs[name] = now - tPhase;
    tPhase = now;
  };
  let undo: void | (() => Promise<void>) = undefined;
  try {
    c =
      reuse?.c ??
      (await startSimCluster({
        dir,
        nodes: k.nodes ?? 3,
        soakSeconds: k.soakSeconds ?? 0,
        timeoutSeconds: k.timeoutSeconds ?? 60,
        ...(k.padBytes ? { padBytes: k.padBytes } : {}),
      }));
    const cl = c;
    const names = cl.nodes.map((n) => n.name);
    // Data a rollout must never lose: a random file in every node's data/, checked at the end.
    const data = cl.nodes.map((n) => {
      const p = join(n.rootDir, 'data', `reliability-${k.id}.bin`);
      mkdirSync(dirname(p), { recursive: true });
      const b = randomBytes(4096);
      writeFileSync(p, b);
      return { p, sum: sha(b) };
    });
    for (const f of k.faults ?? []) await setFaults(cl.nodes[f.node - 1].rootDir, f.faults);
    if (k.clients)
      clients = await attachClients(
        cl.nodes[k.clients.node - 1].host,
        cl.nodes[k.clients.node - 1].mqttPort,
        k.clients.count,
        k.id,
      );

    const command = k.command ?? 'upgrade';
    const args = (...more: string[]) => [
      command,
      '-i',
      cl.inventoryPath,
      ...(command === 'restart' ? [] : ['--tarball', cl.tarballPath]),
      '--yes',
      '--json',
      ...more,
    ];
    const ctx: CaseContext = { c: cl, args };
    phase('cluster');
    if (k.prepare) {
      undo = await k.prepare(ctx);
      phase('prepare');
    }
    const journalFile = join(dirname(cl.inventoryPath), '.emqx-rollout', 'sim', 'journal.ndjson');
    // runs journaled before the case's first run (a `prepare` upgrade): not the case's
    const runsBefore = existsSync(journalFile)
      ? readJournalFile(cl.inventoryPath, 'sim').filter((r) => r.kind === 'run.start').length
      : 0;
    const firstArgs = k.firstRunArgs ?? [];
    const runs: Array<{ r: CliResult | null; code: number | null }> = [];
    if (k.drive) {
      const r = await k.drive(ctx);
      runs.push({ r, code: r.code });
    } else if (k.kill) {
      const first = startCli(args(...firstArgs));
      const kp = k.kill;
      await first.waitFor((e) => kp.at(e, names), 90_000, kp.what);
      const killed = await sigkill(first);
      runs.push({ r: killed, code: null });
    } else {
      const r = await runCli(args(...firstArgs), { timeoutMs: 120_000 });
      runs.push({ r, code: r.code });
    }
    phase('run');
    if (k.rerun) {
      for (const f of k.faults ?? []) await clearFaults(cl.nodes[f.node - 1].rootDir);
      await k.beforeRerun?.(ctx);
      const r = await runCli(args(), { timeoutMs: 120_000 });
      runs.push({ r, code: r.code });
      phase('rerun');
    }

    // ---- judge -----------------------------------------------------------------------------
    const exits = runs.map((x) => x.code);
    if (exits[0] !== k.expect.exit)
      problems.push(
        `first run exit ${exits[0]}, expected ${k.expect.exit}${runs[0].r ? `\n${explain(runs[0].r)}` : ''}`,
      );
    if (k.expect.rerunExit !== undefined && exits[1] !== k.expect.rerunExit)
      problems.push(
        `re-run exit ${exits[1]}, expected ${k.expect.rerunExit}${runs[1]?.r ? `\n${explain(runs[1].r)}` : ''}`,
      );

    const versions = await Promise.all(cl.nodes.map((n) => versionOf(n.rootDir)));
    const rows = cl.nodes.map((n) => relupRows(n.rootDir));
    cl.nodes.forEach((n, i) => {
      const want = k.expect.nodes[i];
      const successes = rows[i].filter((r) => r.result === 'success').length;
      const backups = existsSync(n.backupDir) ? readdirSync(n.backupDir).filter((f) => f.endsWith('.tar.gz')) : [];
      if (want === 'to' && (versions[i] !== cl.to || successes !== 1)) {
        problems.push(
          `${n.name}: expected at ${cl.to} upgraded exactly once, found ${versions[i]} with ${successes} successful hops`,
        );
        if (successes > 1) wronglyTouched++;
      }
      // Untouched: never hopped, never backed up. (A node the fault stopped reads 'down': not our doing.)
      if (want === 'from' && (versions[i] === cl.to || rows[i].length > 0 || backups.length > 0)) {
        problems.push(
          `${n.name}: expected untouched at ${cl.from}, found ${versions[i]}, ${rows[i].length} relup rows, ${backups.length} backups`,
        );
        wronglyTouched++;
      }
      if (want === 'any' && rows[i].filter((r) => r.result === 'success').length > 1) {
        problems.push(`${n.name}: upgraded more than once`);
        wronglyTouched++;
      }
      const d = data[i];
      if (!existsSync(d.p) || sha(readFileSync(d.p)) !== d.sum) {
        problems.push(`${n.name}: data/${d.p.split('/').pop()} lost or changed`);
        dataLost++;
      }
    });
    observed = `exit ${exits[0] ?? 'killed'}${exits.length > 1 ? ` → re-run ${exits[1]}` : ''}; ${versions.map((v, i) => `n${i + 1}:${v === cl.to ? 'to' : v === cl.from ? 'from' : v}`).join(' ')}`;

    // The journal tells the truth: every hop a node recorded was journaled before it was sent, every
    // journaled hop has a verdict (upgrade.end) by the end, and each finished run says how it ended.
    const j: JournalRecord[] = existsSync(journalFile) ? readJournalFile(cl.inventoryPath, 'sim') : [];
    const jp: string[] = [];
    cl.nodes.forEach((n, i) => {
      const begins = j.filter((r) => r.kind === 'upgrade.begin' && r.node === n.name);
      const ends = j.filter((r) => r.kind === 'upgrade.end' && r.node === n.name);
      if (rows[i].length > begins.length)
        jp.push(
          `${n.name}: ${rows[i].length} relup attempts on the node, ${begins.length} upgrade.begin in the journal`,
        );
      const lastBegin = begins.at(-1);
      if (lastBegin && !ends.some((e) => j.indexOf(e) > j.indexOf(lastBegin)))
        jp.push(`${n.name}: upgrade.begin without a later upgrade.end`);
    });
    const runIds = [...new Set(j.filter((r) => r.kind === 'run.start').map((r) => r.runId))];
    const finished = runs.filter((x) => x.code !== null);
    // the runs that ended on their own, in order, are the last runIds
    finished.forEach((x, idx) => {
      if (k.journalLost && x === runs[0]) {
        if (!/records were not written to .*journal\.ndjson/.test(x.r?.stderr ?? ''))
          jp.push('first run: its journal lost records, and its stderr does not say so');
        return;
      }
      const id = runIds[runIds.length - finished.length + idx];
      const end = j.find((r) => r.kind === 'run.end' && r.runId === id);
      const want = OUTCOME_OF_EXIT[x.code!];
      if (want && end?.outcome !== want)
        jp.push(`run ${id}: run.end ${String(end?.outcome)}, expected ${want} (exit ${x.code})`);
    });
    if (k.kill && runIds.length > runsBefore && j.some((r) => r.kind === 'run.end' && r.runId === runIds[runsBefore]))
      jp.push('the SIGKILLed run has a run.end it cannot have written');
    if (k.checks) jp.push(...k.checks({ runs: runs.map((x) => x.r), journal: j, c: cl }));
    journalTruthful = jp.length === 0;
    // what the runs printed, beside the result, for whoever reads a failure
    mkdirSync(RESULTS_DIR, { recursive: true });
    runs.forEach((x, i) => {
      if (x.r) writeFileSync(join(RESULTS_DIR, `${k.id}.run${i + 1}.log`), `${x.r.stdout}\n--- stderr\n${x.r.stderr}`);
    });
    problems.push(...jp);

    // The report of the last finished run matches the nodes.
    const last = finished.at(-1);
    const rp: string[] = [];
    const reportFile = join(dirname(cl.inventoryPath), '.emqx-rollout', 'sim', 'last-report.json');
    if (last && (last.code === 0 || last.code === 4)) {
      if (!existsSync(reportFile)) rp.push('no last-report.json');
      else {
        const rep = JSON.parse(readFileSync(reportFile, 'utf8')) as {
          outcome: string;
          rows: Array<{ node: string; outcome: string }>;
        };
        if (rep.outcome !== OUTCOME_OF_EXIT[last.code]) rp.push(`report outcome ${rep.outcome}, exit ${last.code}`);
        for (const row of rep.rows) {
          const i = names.indexOf(row.node);
          if (row.outcome === 'upgraded' && versions[i] !== cl.to)
            rp.push(`report says ${row.node} upgraded, it runs ${versions[i]}`);
          if (command === 'upgrade' && row.outcome === 'untouched' && rows[i].length > 0)
            rp.push(`report says ${row.node} untouched, it has relup rows`);
        }
      }
    }
    reportTruthful = rp.length === 0;
    problems.push(...rp);
  } catch (e) {
    problems.push(`harness: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    if (undo) await undo().catch((e: unknown) => problems.push(`harness: undo: ${String(e)}`));
    await clients?.end().catch(() => undefined);
    let kept = false;
    if (c && sharesCluster(k) && problems.length === 0) {
      const cl = c;
      kept = await Promise.all(cl.nodes.map((n) => clearFaults(n.rootDir))).then(
        () => true,
        () => false,
      );
      if (kept) spare = { c: cl, dir };
    }
    if (!kept) {
      await c?.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
    phase('judge+teardown');
  }
  const result: CaseResult = {
    id: k.id,
    group: k.group,
    fault: k.fault,
    expected: describeExpect(k.expect),
    observed: observed || 'harness failure',
    survived: problems.length === 0,
    wronglyTouched,
    dataLost,
    journalTruthful,
    reportTruthful,
    problems,
    durationMs: Date.now() - t0,
    phasesMs,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${k.id}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
