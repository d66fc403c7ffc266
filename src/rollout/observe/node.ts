// Observe: read-only facts from one node. Every command here only reads; `plan` relies on that.
import * as cmd from '../../emqx/commands.js';
import { parseBuildInfo } from '../../release/buildInfo.js';
import { connectionCount, parseBrokerStats } from '../../emqx/parse/broker.js';
import { parseClusterStatus } from '../../emqx/parse/clusterStatus.js';
import { parseCtlStatus } from '../../emqx/parse/ctlStatus.js';
import { parsePluginsList } from '../../emqx/parse/plugins.js';
import {
  parseDfAvailBytes,
  parseMarker,
  parsePatchesList,
  parseSha256,
  parseWritable,
} from '../../emqx/parse/probes.js';
import { parseRelupLogs } from '../../emqx/parse/relupLogs.js';
import { parseSupportedPaths } from '../../emqx/parse/relupPaths.js';
import { parseRelupStatus } from '../../emqx/parse/relupStatus.js';
import type { NodeSpec } from '../../inventory/types.js';
import { shq } from '../../util/shellQuote.js';
import type { ExecResult, RemoteHost } from '../../remote/types.js';
import type { NodeFacts } from '../core/facts.js';
import { RolloutError } from '../../util/errors.js';
import {
  parseEmqxVars,
  parseLayoutProbe,
  parseWorkspaceProbe,
  resolveLayout,
  type EmqxVars,
} from '../../emqx/parse/layout.js';
import { detectPrivilegeProblem } from '../../emqx/parse/privilege.js';
import { execAsLogin } from '../../remote/become.js';
import { judgeStagedReadable } from '../../emqx/parse/modes.js';
import { runBatch } from '../../remote/batch.js';

export interface ObserveOptions {
  /** Base name of the release tarball to look for in stagingDir (null: don't look). */
  readonly tarballName: string | null;
  /** sha256 of that tarball: names the handler's extraction cache; with it the workspace is probed (A4). */
  readonly tarballSha256?: string;
  readonly signal?: AbortSignal;
  /** Per-command deadline. `emqx ctl` on a real node starts an Erlang VM for nodetool: ~1 s. */
  readonly commandTimeoutMs?: number;
  /** Deadline of the operator's gate commands run in the same exec (gates.timeoutSeconds). */
  readonly extraTimeoutMs?: number;
}

/** `df -Pk` of the nearest existing ancestor: stagingDir may not exist before the first run. */
/**
 * Can the SSH user create files in stagingDir (or, before the first run, in its nearest existing
 * ancestor, where `mkdir -p` will create it)? The lock file and the upload both land there.
 * Exit 0 yes, 1 no. Writes nothing.
 */
export function stagingWritable(path: string): string {
  return `d=${shq(path)}; while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done; test -d "$d" && test -w "$d" && test -x "$d"`;
}

export function dfNearest(path: string): string {
  return `d=${shq(path)}; while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done; df -Pk -- "$d"`;
}

/**
 * Every BUILD_INFO on the node (base tree and relup trees), each after a `==> <path>` line: read in the
 * same exec as `ctl status`, before the running version is known (pickBuildInfo chooses).
 */
export function buildInfoAll(rootDir: string): string {
  const r = shq(rootDir);
  return `for f in ${r}/releases/*/BUILD_INFO ${r}/relup/*/releases/*/BUILD_INFO; do [ -f "$f" ] && { printf '==> %s\\n' "$f"; cat -- "$f"; echo; }; done; true`;
}

/** The running version's BUILD_INFO from buildInfoAll's output: the base tree's, else the relup tree it booted from. */
export function pickBuildInfo(stdout: string, rootDir: string, version: string): string | null {
  const sections = new Map<string, string>();
  for (const part of stdout.split(/^==> /m).slice(1)) {
    const nl = part.indexOf('\n');
    if (nl > 0) sections.set(part.slice(0, nl), part.slice(nl + 1));
  }
  return (
    sections.get(`${rootDir}/releases/${version}/BUILD_INFO`) ??
    sections.get(`${rootDir}/relup/${version}/releases/${version}/BUILD_INFO`) ??
    null
  );
}

export function unreachableFacts(spec: NodeSpec, message: string, details: readonly string[], code: string): NodeFacts {
  return {
    node: spec.name,
    host: spec.host,
    reachable: false,
    unreachable: { message, details, code },
    ctl: null,
    version: null,
    relupStatus: null,
    supportedPaths: null,
    supportedPathsKind: null,
    logs: null,
    plugins: null,
    cluster: null,
    connections: null,
    marker: null,
    patches: null,
    relupWritable: null,
    stagingFreeBytes: null,
    buildInfo: null,
    stagedSha256: null,
    stagedSidecar: false,
    evidence: [],
  };
}

/**
 * What an observation is for, and so which probes it runs. A gate judges 4–6 facts; on a real node
 * every `emqx ctl` costs two Erlang VM starts, so a gate runs only what it judges (and what the
 * engine keeps for later: the log row count and troubleshoot files of gate-before, for the
 * in-flight and empty-output verdicts), all in one SSH exec (remote/batch.ts).
 * - `full`: everything (plan, preflight, status, re-observations): two execs, as the second round
 *   needs the running version and the discovered data dir.
 * - `gate-before`: ctl status, relup status, relup logs, cluster status, broker stats, the layout
 *   probe, the troubleshoot count, the staged files (see `staged`) and their modes.
 * - `gate-after` (and soak): ctl status, relup status, the marker, relup logs, cluster status,
 *   broker stats, plus the operator's gate commands (`extra`).
 */
export type ObservePhase = 'full' | 'gate-before' | 'gate-after';

export interface PhaseOptions {
  readonly phase?: ObservePhase;
  /**
   * gate-before: the staged tarball is checked by size and sidecar digest, not hashed again. This run
   * verified its sha256 on the node when it staged it (or found it present by hash), and the relup
   * handler itself verifies the tarball against the sidecar before it changes anything (facts §1.4,
   * check 3): a third hash would prove nothing new for ~0.2 s per 64 MiB.
   */
  readonly staged?: { readonly size: number; readonly sha256: string };
  /** gate-after: the operator's gate commands, run in the same exec; results in `extraResults`. */
  readonly extra?: readonly string[];
}

export async function observeNode(
  host: RemoteHost,
  spec: NodeSpec,
  opts: ObserveOptions & PhaseOptions,
): Promise<NodeFacts & { readonly extraResults?: readonly ExecResult[] }> {
  const evidence: ExecResult[] = [];
  const timeoutMs = opts.commandTimeoutMs ?? 30_000;
  // One exec per round; results (and evidence) keep the round's order.
  const runAll = async (commands: readonly string[], deadlineMs = timeoutMs): Promise<ExecResult[]> => {
    const out = await runBatch(host, commands, { timeoutMs: deadlineMs, signal: opts.signal });
    evidence.push(...out);
    // An aborted command returns empty output: judging it would invent facts ("not running",
    // "plugin missing"). An abort is an interruption, never an observation.
    if (out.some((r) => r.aborted) || opts.signal?.aborted) {
      throw new RolloutError('interrupted', `interrupted while observing ${spec.name}`, { cause: opts.signal?.reason });
    }
    return out;
  };
  const phase = opts.phase ?? 'full';
  if (phase !== 'full') return observeForGate(spec, phase, opts, runAll, evidence);
  const root = spec.rootDir;
  const staged = opts.tarballName ? `${spec.stagingDir}/${opts.tarballName}` : null;

  // SFTP uploads as the login user, so that user (not the `become` one) must be able to write there.
  const loginWritable = host.execAsLogin
    ? execAsLogin(host, stagingWritable(spec.stagingDir), { timeoutMs, signal: opts.signal })
    : null;
  loginWritable?.catch(() => undefined); // awaited below; an interruption must not leave it unhandled
  // Round 1, the one that pays `emqx ctl`: every ctl probe at once (on a down node each just says
  // "not responding to pings"; they run concurrently, so that costs no extra time), plus the shell
  // probes that describe the install on disk whether or not EMQX answers.
  const [st, mk, lp, wr, df, sw0, bw, ws, tc, bi, rs, sp, lg, pl, cs, bs, sh] = await runAll([
    cmd.ctlStatus(root),
    cmd.markerRead(root),
    cmd.layoutProbe(root),
    cmd.relupWritable(root),
    dfNearest(spec.stagingDir),
    stagingWritable(spec.stagingDir),
    stagingWritable(spec.backupDir), // same question: can the SSH user create files there
    opts.tarballSha256 ? cmd.workspaceProbe(root, spec.name, opts.tarballSha256) : 'true',
    cmd.troubleshootCount(root),
    buildInfoAll(root),
    cmd.relupStatus(root),
    cmd.relupSupportedPaths(root),
    cmd.relupLogs(root),
    cmd.pluginsList(root),
    cmd.clusterStatus(root, { json: true }),
    cmd.brokerStats(root),
    ...(staged ? [stagedHashProbe(staged)] : []),
  ]);
  const sw = loginWritable ? await loginWritable : sw0;
  if (loginWritable) evidence.push(sw);
  // sudo's or check_user's refusal comes back from every command: nothing else here is a fact then.
  const privilege =
    detectPrivilegeProblem(st.stdout, st.stderr, st.exitCode) ??
    detectPrivilegeProblem(lp.stdout, lp.stderr, lp.exitCode);
  if (privilege) return privilegeFacts(spec, privilege, evidence);
  const probe = parseLayoutProbe(lp.stdout);
  const layout = resolveLayout(spec.name, spec, probe);
  const relupVars: Record<string, EmqxVars> = {};
  for (const [v, text] of probe.relupVars) relupVars[v] = parseEmqxVars(text, root);
  const ctl = parseCtlStatus(st.stdout, st.stderr, st.exitCode);
  const running = ctl.kind === 'running';
  const version = running ? ctl.version : null;
  const marker = parseMarker(mk.stdout, mk.exitCode, mk.stderr);
  const writable = parseWritable(wr.exitCode, wr.stdout, wr.stderr);
  const dfr = parseDfAvailBytes(df.stdout, df.exitCode, df.stderr);
  const { stagedSha256, stagedSidecar } = sh ? parseStagedHash(sh) : { stagedSha256: null, stagedSidecar: false };

  let buildInfo: NodeFacts['buildInfo'] = null;
  let relupStatus: NodeFacts['relupStatus'] = null;
  let supportedPaths: NodeFacts['supportedPaths'] = null;
  let supportedPathsKind: string | null = null;
  let logs: NodeFacts['logs'] = null;
  let plugins: NodeFacts['plugins'] = null;
  let cluster: NodeFacts['cluster'] = null;
  let connections: number | null = null;
  // The ctl answers are facts only when the node answers `ctl status` (as before: on a down node
  // they are the same "not responding" line, judged nowhere).
  if (running && version) {
    const text = pickBuildInfo(bi.stdout, root, version);
    const parsed = text !== null ? parseBuildInfo(text) : {};
    buildInfo =
      parsed.os && parsed.arch && parsed.erlang ? { os: parsed.os, arch: parsed.arch, otp: parsed.erlang } : null;
    relupStatus = parseRelupStatus(rs.stdout, rs.stderr, rs.exitCode);
    const paths = parseSupportedPaths(sp.stdout, sp.exitCode, sp.stderr);
    supportedPathsKind = paths.kind;
    supportedPaths = paths.kind === 'paths' ? paths.paths : null;
    const lr = parseRelupLogs(lg.stdout, lg.stderr, lg.exitCode);
    logs = lr.kind === 'logs' ? lr.rows : null;
    const pr = parsePluginsList(pl.stdout, pl.stderr, pl.exitCode);
    plugins = pr.kind === 'plugins' ? pr.plugins : null;
    cluster = parseClusterStatus(cs.stdout, cs.stderr, cs.exitCode);
    const stats = parseBrokerStats(bs.stdout, bs.stderr, bs.exitCode);
    connections = stats.kind === 'stats' ? connectionCount(stats.stats) : null;
  }

  // Round 2, shell only (no ctl, one short exec): the hot-patch dir and the evacuation file live in
  // the real data dir (A3, A1), known only now; the staged files' modes, when both are there.
  const afterLayout = [cmd.patchesList(root, layout.dataDir.path), cmd.evacuationFileRead(layout.dataDir.path)];
  const files = staged && stagedSha256 !== null && stagedSidecar ? [staged, `${staged}.sha256`] : null;
  const [pt, ev, mo] = await runAll([...afterLayout, ...(files ? [cmd.stagedModes(files)] : [])]);

  const patches = parsePatchesList(pt.stdout, pt.exitCode, pt.stderr);
  const stagedReadable =
    files && mo
      ? (judgeStagedReadable(mo.stdout, files, layout.processUser ?? (layout.runnerUser || null)) ?? undefined)
      : undefined;
  const wsp = opts.tarballSha256 ? parseWorkspaceProbe(ws.stdout) : null;
  return {
    node: spec.name,
    host: spec.host,
    reachable: true,
    layout,
    relupVars,
    ...(wsp ? { workspace: wsp } : {}),
    ...(dfr.kind === 'df' ? { stagingMount: dfr.mountedOn } : {}),
    ...(ev.exitCode === 0 ? { evacuationPersisted: true } : {}),
    ...(stagedReadable ? { stagedReadable } : {}),
    ...(mk.exitCode === 0 && mk.stdout === '' ? { markerEmpty: true } : {}),
    ...(/^\d+\s*$/.test(tc.stdout) ? { troubleshootFiles: Number(tc.stdout.trim()) } : {}),
    ctl,
    version,
    relupStatus,
    supportedPaths,
    supportedPathsKind,
    logs,
    plugins,
    cluster,
    connections,
    marker: marker.kind === 'marker' ? marker.version : null,
    ...(marker.kind === 'marker' ? {} : { markerUnreadable: true }),
    patches: patches.kind === 'patches' ? patches.files : null,
    relupWritable: writable.kind === 'writable' ? writable.writable : null,
    stagingFreeBytes: dfr.kind === 'df' ? dfr.availBytes : null,
    ...(sw.exitCode === 1 ? { stagingWritable: false } : {}),
    ...(bw.exitCode === 1 ? { backupWritable: false } : {}),
    buildInfo,
    stagedSha256,
    stagedSidecar,
    evidence,
  };
}

/** The one exec of a gate (see ObservePhase): only the facts the gate judges; the rest stay null. */
async function observeForGate(
  spec: NodeSpec,
  phase: 'gate-before' | 'gate-after',
  opts: ObserveOptions & PhaseOptions,
  runAll: (commands: readonly string[], deadlineMs?: number) => Promise<ExecResult[]>,
  evidence: ExecResult[],
): Promise<NodeFacts & { readonly extraResults?: readonly ExecResult[] }> {
  const root = spec.rootDir;
  const staged = phase === 'gate-before' && opts.tarballName ? `${spec.stagingDir}/${opts.tarballName}` : null;
  const files = staged ? [staged, `${staged}.sha256`] : null;
  const common = [
    cmd.ctlStatus(root),
    cmd.relupStatus(root),
    cmd.relupLogs(root),
    cmd.clusterStatus(root, { json: true }),
    cmd.brokerStats(root),
  ];
  const own =
    phase === 'gate-before'
      ? [
          cmd.layoutProbe(root),
          cmd.troubleshootCount(root),
          ...(staged && files
            ? [opts.staged ? stagedSizeProbe(staged) : stagedHashProbe(staged), cmd.stagedModes(files)]
            : []),
        ]
      : [cmd.markerRead(root)];
  const extra = phase === 'gate-after' ? (opts.extra ?? []) : [];
  // The operator's commands may take up to their own deadline (gates.timeoutSeconds).
  const results = await runAll(
    [...common, ...own, ...extra],
    Math.max(opts.commandTimeoutMs ?? 30_000, opts.extraTimeoutMs ?? 0),
  );
  const [st, rs, lg, cs, bs] = results;
  const ownResults = results.slice(common.length, common.length + own.length);
  const extraResults = results.slice(common.length + own.length);
  const lp = phase === 'gate-before' ? ownResults[0] : undefined;
  const privilege =
    detectPrivilegeProblem(st.stdout, st.stderr, st.exitCode) ??
    (lp ? detectPrivilegeProblem(lp.stdout, lp.stderr, lp.exitCode) : null);
  if (privilege) return { ...privilegeFacts(spec, privilege, evidence), extraResults };
  const ctl = parseCtlStatus(st.stdout, st.stderr, st.exitCode);
  const version = ctl.kind === 'running' ? ctl.version : null;
  const lr = parseRelupLogs(lg.stdout, lg.stderr, lg.exitCode);
  const stats = parseBrokerStats(bs.stdout, bs.stderr, bs.exitCode);
  const facts: NodeFacts = {
    ...unreachableFacts(spec, '', [], ''),
    reachable: true,
    unreachable: undefined,
    ctl,
    version,
    relupStatus: parseRelupStatus(rs.stdout, rs.stderr, rs.exitCode),
    logs: lr.kind === 'logs' ? lr.rows : null,
    cluster: parseClusterStatus(cs.stdout, cs.stderr, cs.exitCode),
    connections: stats.kind === 'stats' ? connectionCount(stats.stats) : null,
    evidence,
  };
  if (phase === 'gate-after') {
    const mk = ownResults[0];
    const marker = parseMarker(mk.stdout, mk.exitCode, mk.stderr);
    return {
      ...facts,
      marker: marker.kind === 'marker' ? marker.version : null,
      ...(marker.kind === 'marker' ? {} : { markerUnreadable: true }),
      ...(mk.exitCode === 0 && mk.stdout === '' ? { markerEmpty: true } : {}),
      extraResults,
    };
  }
  const [, tc, sh, mo] = ownResults;
  const layout = resolveLayout(spec.name, spec, parseLayoutProbe(lp!.stdout));
  let stagedFacts: Pick<NodeFacts, 'stagedSha256' | 'stagedSidecar'> & { stagedBySize?: StagedBySize } = {
    stagedSha256: null,
    stagedSidecar: false,
  };
  if (sh && opts.staged) {
    const bySize = parseStagedSize(sh.stdout);
    stagedFacts = { stagedSha256: null, stagedSidecar: bySize.sidecar !== null, stagedBySize: bySize };
  } else if (sh) stagedFacts = parseStagedHash(sh);
  const present = stagedFacts.stagedSha256 !== null || (stagedFacts.stagedBySize?.size ?? null) !== null;
  const stagedReadable =
    files && mo && present && stagedFacts.stagedSidecar
      ? (judgeStagedReadable(mo.stdout, files, layout.processUser ?? (layout.runnerUser || null)) ?? undefined)
      : undefined;
  return {
    ...facts,
    layout,
    ...stagedFacts,
    ...(stagedReadable ? { stagedReadable } : {}),
    ...(/^\d+\s*$/.test(tc.stdout) ? { troubleshootFiles: Number(tc.stdout.trim()) } : {}),
  };
}

/**
 * gate-before's staged probes alone (size + sidecar digest, modes), for a gate-before observed while
 * the tarball was still uploading (upgrade/engine.ts prefetch); `layout` from that observation.
 */
export async function observeStaged(
  host: RemoteHost,
  spec: NodeSpec,
  tarballName: string,
  layout: NodeFacts['layout'],
  opts: { readonly signal?: AbortSignal; readonly commandTimeoutMs?: number },
): Promise<Pick<NodeFacts, 'stagedSha256' | 'stagedSidecar' | 'stagedBySize' | 'stagedReadable' | 'evidence'>> {
  const staged = `${spec.stagingDir}/${tarballName}`;
  const files = [staged, `${staged}.sha256`];
  const out = await runBatch(host, [stagedSizeProbe(staged), cmd.stagedModes(files)], {
    timeoutMs: opts.commandTimeoutMs ?? 30_000,
    signal: opts.signal,
  });
  if (out.some((r) => r.aborted) || opts.signal?.aborted)
    throw new RolloutError('interrupted', `interrupted while observing ${spec.name}`, { cause: opts.signal?.reason });
  const [sh, mo] = out;
  const bySize = parseStagedSize(sh.stdout);
  const user = layout ? (layout.processUser ?? (layout.runnerUser || null)) : null;
  const stagedReadable =
    bySize.size !== null && bySize.sidecar !== null
      ? (judgeStagedReadable(mo.stdout, files, user) ?? undefined)
      : undefined;
  return {
    stagedSha256: null,
    stagedSidecar: bySize.sidecar !== null,
    stagedBySize: bySize,
    ...(stagedReadable ? { stagedReadable } : {}),
    evidence: out,
  };
}

/** The staged tarball by hash, and whether its sidecar is there (exit 3: no tarball). */
function stagedHashProbe(staged: string): string {
  return `if [ -f ${shq(staged)} ]; then sha256sum -- ${shq(staged)}; else exit 3; fi; test -f ${shq(`${staged}.sha256`)} && echo sidecar-present`;
}

function parseStagedHash(sh: ExecResult): Pick<NodeFacts, 'stagedSha256' | 'stagedSidecar'> {
  let stagedSha256: string | null = null;
  if (sh.exitCode === 0 || /sidecar-present/.test(sh.stdout)) {
    const s = parseSha256(sh.stdout.split('\n')[0] ?? '', 0);
    stagedSha256 = s.kind === 'sha256' ? s.hex : null;
  }
  return { stagedSha256, stagedSidecar: /sidecar-present/.test(sh.stdout) };
}

/** The staged tarball by size (`size <bytes>`) and the digest its sidecar names (`sidecar <hex>`). */
function stagedSizeProbe(staged: string): string {
  const t = shq(staged);
  const sc = shq(`${staged}.sha256`);
  return `if [ -f ${t} ]; then echo "size $(wc -c < ${t})"; fi; if [ -f ${sc} ]; then echo "sidecar $(head -c 64 ${sc})"; fi; true`;
}

export interface StagedBySize {
  readonly size: number | null;
  readonly sidecar: string | null;
}

export function parseStagedSize(stdout: string): StagedBySize {
  const size = /^size\s+(\d+)\s*$/m.exec(stdout);
  const sidecar = /^sidecar ([0-9a-fA-F]{64})\s*$/m.exec(stdout);
  return { size: size ? Number(size[1]) : null, sidecar: sidecar ? sidecar[1].toLowerCase() : null };
}

function privilegeFacts(spec: NodeSpec, privilege: NonNullable<NodeFacts['privilege']>, evidence: ExecResult[]) {
  return {
    ...unreachableFacts(spec, privilege.line, [], privilege.kind),
    reachable: true,
    unreachable: undefined,
    privilege,
    evidence,
  };
}
