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

export interface ObserveOptions {
  /** Base name of the release tarball to look for in stagingDir (null: don't look). */
  readonly tarballName: string | null;
  /** sha256 of that tarball: names the handler's extraction cache; with it the workspace is probed (A4). */
  readonly tarballSha256?: string;
  readonly signal?: AbortSignal;
  /** Per-command deadline. `emqx ctl` on a real node starts an Erlang VM for nodetool: ~1 s. */
  readonly commandTimeoutMs?: number;
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

export function buildInfoRead(rootDir: string, version: string): string {
  // The running release's BUILD_INFO: the base tree, or the relup tree the node booted from.
  const base = `${rootDir}/releases/${version}/BUILD_INFO`;
  const relup = `${rootDir}/relup/${version}/releases/${version}/BUILD_INFO`;
  return `cat -- ${shq(base)} 2>/dev/null || cat -- ${shq(relup)}`;
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
 * Commands per node in flight at once. SSH multiplexes channels on the one connection (OpenSSH's
 * MaxSessions default is 10), and on a real node every `emqx ctl` starts a nodetool VM (~0.5–1 s),
 * so 13 commands one after another cost ~10 s per observation; 4 at a time cut that to ~3 s
 * without crowding the node.
 */
const PER_NODE_CONCURRENCY = 4;

export async function observeNode(host: RemoteHost, spec: NodeSpec, opts: ObserveOptions): Promise<NodeFacts> {
  const evidence: ExecResult[] = [];
  // Runs a batch with bounded concurrency; results (and evidence) keep the batch's order.
  const runAll = async (commands: readonly string[]): Promise<ExecResult[]> => {
    const out = new Array<ExecResult>(commands.length);
    let next = 0;
    const worker = async () => {
      while (next < commands.length) {
        const i = next++;
        out[i] = await host.exec(commands[i], { timeoutMs: opts.commandTimeoutMs ?? 30_000, signal: opts.signal });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PER_NODE_CONCURRENCY, commands.length) }, worker));
    evidence.push(...out);
    // An aborted command returns empty output: judging it would invent facts ("not running",
    // "plugin missing"). An abort is an interruption, never an observation.
    if (out.some((r) => r.aborted) || opts.signal?.aborted) {
      throw new RolloutError('interrupted', `interrupted while observing ${spec.name}`, { cause: opts.signal?.reason });
    }
    return out;
  };
  const root = spec.rootDir;
  const staged = opts.tarballName ? `${spec.stagingDir}/${opts.tarballName}` : null;

  // Round 1: is EMQX running, plus the plain shell probes, which describe the install on disk
  // whether or not EMQX answers.
  // SFTP uploads as the login user, so that user (not the `become` one) must be able to write there.
  const loginWritable = host.execAsLogin
    ? execAsLogin(host, stagingWritable(spec.stagingDir), {
        timeoutMs: opts.commandTimeoutMs ?? 30_000,
        signal: opts.signal,
      })
    : null;
  loginWritable?.catch(() => undefined); // awaited below; an interruption must not leave it unhandled
  const [st, mk, lp, wr, df, sw0, bw, ws, tc, sh] = await runAll([
    cmd.ctlStatus(root),
    cmd.markerRead(root),
    cmd.layoutProbe(root),
    cmd.relupWritable(root),
    dfNearest(spec.stagingDir),
    stagingWritable(spec.stagingDir),
    stagingWritable(spec.backupDir), // same question: can the SSH user create files there
    opts.tarballSha256 ? cmd.workspaceProbe(root, spec.name, opts.tarballSha256) : 'true',
    cmd.troubleshootCount(root),
    ...(staged
      ? [
          `if [ -f ${shq(staged)} ]; then sha256sum -- ${shq(staged)}; else exit 3; fi; test -f ${shq(`${staged}.sha256`)} && echo sidecar-present`,
        ]
      : []),
  ]);
  const sw = loginWritable ? await loginWritable : sw0;
  if (loginWritable) evidence.push(sw);
  // sudo's or check_user's refusal comes back from every command: nothing else here is a fact then.
  const privilege =
    detectPrivilegeProblem(st.stdout, st.stderr, st.exitCode) ??
    detectPrivilegeProblem(lp.stdout, lp.stderr, lp.exitCode);
  if (privilege)
    return {
      ...unreachableFacts(spec, privilege.line, [], privilege.kind),
      reachable: true,
      unreachable: undefined,
      privilege,
      evidence,
    };
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

  let stagedSha256: string | null = null;
  let stagedSidecar = false;
  if (sh) {
    if (sh.exitCode === 0 || /sidecar-present/.test(sh.stdout)) {
      const s = parseSha256(sh.stdout.split('\n')[0] ?? '', 0);
      stagedSha256 = s.kind === 'sha256' ? s.hex : null;
    }
    stagedSidecar = /sidecar-present/.test(sh.stdout);
  }

  let buildInfo: NodeFacts['buildInfo'] = null;
  let relupStatus: NodeFacts['relupStatus'] = null;
  let supportedPaths: NodeFacts['supportedPaths'] = null;
  let supportedPathsKind: string | null = null;
  let logs: NodeFacts['logs'] = null;
  let plugins: NodeFacts['plugins'] = null;
  let cluster: NodeFacts['cluster'] = null;
  let connections: number | null = null;

  // The hot-patch dir and the evacuation file live in the real data dir (A3, A1), known only now.
  const afterLayout = [cmd.patchesList(root, layout.dataDir.path), cmd.evacuationFileRead(layout.dataDir.path)];
  let pt: ExecResult;
  let ev: ExecResult;
  // Round 2 only when the node answers: on a down node every `ctl` call just repeats "not
  // responding to pings" (and costs a VM start each).
  if (!(running && version)) [pt, ev] = await runAll(afterLayout);
  if (running && version) {
    const [bi, rs, sp, lg, pl, cs, bs, pt2, ev2] = await runAll([
      buildInfoRead(root, version),
      cmd.relupStatus(root),
      cmd.relupSupportedPaths(root),
      cmd.relupLogs(root),
      cmd.pluginsList(root),
      cmd.clusterStatus(root, { json: true }),
      cmd.brokerStats(root),
      ...afterLayout,
    ]);
    [pt, ev] = [pt2, ev2];
    const parsed = bi.exitCode === 0 ? parseBuildInfo(bi.stdout) : {};
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

  const patches = parsePatchesList(pt!.stdout, pt!.exitCode, pt!.stderr);
  let stagedReadable: NodeFacts['stagedReadable'];
  if (staged && stagedSha256 !== null && stagedSidecar) {
    const files = [staged, `${staged}.sha256`];
    const [mo] = await runAll([cmd.stagedModes(files)]);
    stagedReadable =
      judgeStagedReadable(mo.stdout, files, layout.processUser ?? (layout.runnerUser || null)) ?? undefined;
  }
  const wsp = opts.tarballSha256 ? parseWorkspaceProbe(ws.stdout) : null;
  return {
    node: spec.name,
    host: spec.host,
    reachable: true,
    layout,
    relupVars,
    ...(wsp ? { workspace: wsp } : {}),
    ...(dfr.kind === 'df' ? { stagingMount: dfr.mountedOn } : {}),
    ...(ev!.exitCode === 0 ? { evacuationPersisted: true } : {}),
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
