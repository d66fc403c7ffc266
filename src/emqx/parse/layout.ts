// Install layout discovery (facts A3), pure: where a node keeps its config, data and logs, and the
// user it runs as. Read from the node without touching it: `bin/emqx root_dir`, releases/emqx_vars
// (EMQX_ETC_DIR, the EMQX_LOG_DIR default, RUNNER_USER), BUILD_INFO's relform, and the beam's command
// line (`-emqx_data_dir <dir>`, the last argument bin/emqx passes; bin/emqx@416bc5c:1121, 1127).
import { parseBuildInfo } from '../../release/buildInfo.js';
import { normalize } from './common.js';

export type RelForm = 'tgz' | 'deb' | 'rpm';

/** What a releases/emqx_vars says, with `$BASE_RUNNER_ROOT_DIR` resolved against the tree's root. */
export interface EmqxVars {
  readonly relVsn: string | null;
  readonly etcDir: string | null;
  /** The default the boot uses when neither EMQX_LOG_DIR nor RUNNER_LOG_DIR is set. */
  readonly logDir: string | null;
  /** '' on tgz (whoever starts it), `emqx` on deb/rpm. null: no RUNNER_USER line. */
  readonly runnerUser: string | null;
}

function varLine(text: string, name: string): string | null {
  const m = new RegExp(`^(?:export\\s+)?${name}=(.*)$`, 'm').exec(text);
  if (!m) return null;
  const v = m[1].trim();
  // "…" or '…' (no escapes in the template), else the bare word.
  const q = /^"([^"]*)"|^'([^']*)'/.exec(v);
  return q ? (q[1] ?? q[2]) : v.split(/\s+/)[0];
}

/** `${A:-${B:-x}}` → x: the innermost default, the value when the env sets neither. */
function innermostDefault(v: string): string {
  let cur = v;
  for (;;) {
    const m = /^\$\{[A-Za-z_][A-Za-z0-9_]*:-(.*)\}$/.exec(cur);
    if (!m) return cur;
    cur = m[1];
  }
}

function resolveRoot(v: string | null, root: string): string | null {
  if (v === null) return null;
  const r = v.replace(/\$\{?(BASE_RUNNER_ROOT_DIR|RUNNER_ROOT_DIR)\}?/g, root);
  return r.includes('$') ? null : r.replace(/\/+$/, '') || '/';
}

/**
 * Parse releases/emqx_vars (rel/emqx_vars@416bc5c:1-26). `treeRoot` is the root of the tree the file
 * belongs to: <RootDir>, or, for the copy a relup deployed, what `$BASE_RUNNER_ROOT_DIR` would be
 * when booting it — the *base* <RootDir> (bin/emqx re-execs the relup tree with the base root kept).
 */
export function parseEmqxVars(text: string, treeRoot: string): EmqxVars {
  const t = normalize(text);
  const user = varLine(t, 'RUNNER_USER');
  const log = varLine(t, 'EMQX_LOG_DIR');
  return {
    relVsn: varLine(t, 'REL_VSN'),
    etcDir: resolveRoot(varLine(t, 'EMQX_ETC_DIR'), treeRoot),
    logDir: resolveRoot(log === null ? null : innermostDefault(log), treeRoot),
    runnerUser: user,
  };
}

/** BUILD_INFO `relform`: tgz for a tarball install, deb/rpm for a package (A3). */
export function parseRelForm(buildInfo: string): RelForm | null {
  const f = parseBuildInfo(normalize(buildInfo)).relform;
  return f === 'tgz' || f === 'deb' || f === 'rpm' ? f : null;
}

/** `bin/emqx root_dir` prints the base <RootDir> and exits 0 (bin/emqx@416bc5c:199-201). */
export function parseRootDir(stdout: string, exitCode: number | null): string | null {
  if (exitCode !== 0) return null;
  const ls = normalize(stdout)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return ls.length === 1 && ls[0].startsWith('/') ? ls[0].replace(/\/+$/, '') || '/' : null;
}

/**
 * The data dir of the running node, from `ps -efww` lines (or /proc/<pid>/cmdline with NULs turned
 * into spaces). Several EMQX nodes may share a host: the beam whose `-name`/`-sname` is this node AND
 * that runs from under `rootDir`, else the only one under `rootDir`, else the only one of that name.
 * null when none matches, or the match is ambiguous.
 */
export function parseBeamDataDir(psText: string, node: string, rootDir: string): string | null {
  const l = parseBeamLine(psText, node, rootDir);
  const m = l ? /\s-emqx_data_dir\s+(\S+)/.exec(l) : null;
  return m && m[1].startsWith('/') ? m[1].replace(/\/+$/, '') || '/' : null;
}

/** The user the node's beam runs as: `ps -ef`'s first column (a name, or a uid when unnamed). */
export function parseBeamUser(psText: string, node: string, rootDir: string): string | null {
  const l = parseBeamLine(psText, node, rootDir);
  const u = l ? /^(\S+)\s+\d+\s/.exec(l.trim())?.[1] : undefined;
  return u ?? null;
}

function parseBeamLine(psText: string, node: string, rootDir: string): string | null {
  const beams = normalize(psText)
    .split('\n')
    .filter((l) => /\s-emqx_data_dir\s/.test(l) && !/\bgrep\b/.test(l));
  const named = (l: string) => new RegExp(`\\s-s?name\\s+${escapeRe(node)}(\\s|$)`).test(l);
  const underRoot = (l: string) => l.includes(`${rootDir}/`);
  // Name AND root first: several installs (or sandboxes) on one host may reuse a node name.
  const both = beams.filter((l) => named(l) && underRoot(l));
  if (both.length > 0) return both[0];
  // Never "the only beam on the host": another install (or another sandbox) may be the one running.
  const byRoot = beams.filter(underRoot);
  if (byRoot.length === 1) return byRoot[0];
  const byName = beams.filter(named);
  return byName.length === 1 && byRoot.length === 0 ? byName[0] : null;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---- the probe: one command, sections -------------------------------------------------------

export const SECTION = '@@emqx-rollout:';

export interface LayoutProbe {
  readonly rootDir: { readonly stdout: string; readonly exitCode: number | null } | null;
  /** releases/emqx_vars of the base tree. */
  readonly vars: string | null;
  /** relup/<vsn>/releases/emqx_vars of every deployed tree, by vsn. */
  readonly relupVars: ReadonlyMap<string, string>;
  readonly buildInfo: string | null;
  readonly ps: string | null;
}

/** Split the probe's output (see observe/layout.ts layoutProbe) into its sections. */
export function parseLayoutProbe(stdout: string): LayoutProbe {
  const sections = new Map<string, string[]>();
  let cur: string[] | null = null;
  for (const l of normalize(stdout).split('\n')) {
    if (l.startsWith(SECTION)) {
      cur = [];
      sections.set(l.slice(SECTION.length).trim(), cur);
    } else cur?.push(l);
  }
  const text = (k: string): string | null => (sections.has(k) ? sections.get(k)!.join('\n') : null);
  const relupVars = new Map<string, string>();
  for (const [k, v] of sections) {
    const m = /^relup-vars (\S+)$/.exec(k);
    if (m) relupVars.set(m[1], v.join('\n'));
  }
  const rd = [...sections.keys()].find((k) => k.startsWith('root-dir-rc '));
  const rc = rd ? Number(rd.slice('root-dir-rc '.length)) : null;
  return {
    rootDir: rd ? { stdout: text('root-dir') ?? '', exitCode: Number.isFinite(rc) ? rc : null } : null,
    vars: text('vars'),
    relupVars,
    buildInfo: text('build-info'),
    ps: text('ps'),
  };
}

// ---- resolution --------------------------------------------------------------------------------

export type LayoutSource = 'inventory' | 'process' | 'emqx_vars' | 'relform default' | 'tarball default';

export interface Located {
  readonly path: string;
  readonly source: LayoutSource;
}

export interface NodeLayout {
  readonly rootDir: string;
  /** What `bin/emqx root_dir` printed, when it differs from the inventory's rootDir. */
  readonly reportedRootDir: string | null;
  readonly relform: RelForm | null;
  readonly etcDir: Located;
  readonly dataDir: Located;
  readonly logDir: Located;
  /** '' → whoever starts it (tgz); null → unknown. */
  readonly runnerUser: string | null;
  /** The user the running beam belongs to (ps), when found. */
  readonly processUser: string | null;
}

export interface LayoutOverrides {
  readonly rootDir: string;
  readonly dataDir?: string;
  readonly etcDir?: string;
  readonly logDir?: string;
}

const PKG = { etc: '/etc/emqx', data: '/var/lib/emqx', log: '/var/log/emqx' } as const;

/**
 * Inventory first; then what the node says (the running beam for data, emqx_vars for etc/log);
 * then the layout's default (deb/rpm → /etc/emqx, /var/lib/emqx, /var/log/emqx; else under rootDir).
 */
export function resolveLayout(node: string, o: LayoutOverrides, p: LayoutProbe): NodeLayout {
  const root = o.rootDir;
  const vars = p.vars !== null ? parseEmqxVars(p.vars, root) : null;
  const relform = p.buildInfo !== null ? parseRelForm(p.buildInfo) : null;
  const pkg =
    relform === 'deb' ||
    relform === 'rpm' ||
    (relform === null && vars?.runnerUser === 'emqx' && vars.etcDir === PKG.etc);
  const dflt = (k: 'etc' | 'data' | 'log'): Located =>
    pkg ? { path: PKG[k], source: 'relform default' } : { path: `${root}/${k}`, source: 'tarball default' };
  const beamData = p.ps !== null ? parseBeamDataDir(p.ps, node, root) : null;
  const reported = p.rootDir ? parseRootDir(p.rootDir.stdout, p.rootDir.exitCode) : null;
  return {
    rootDir: root,
    reportedRootDir: reported !== null && reported !== root ? reported : null,
    relform,
    etcDir: o.etcDir
      ? { path: o.etcDir, source: 'inventory' }
      : vars?.etcDir
        ? { path: vars.etcDir, source: 'emqx_vars' }
        : dflt('etc'),
    dataDir: o.dataDir
      ? { path: o.dataDir, source: 'inventory' }
      : beamData
        ? { path: beamData, source: 'process' }
        : dflt('data'),
    logDir: o.logDir
      ? { path: o.logDir, source: 'inventory' }
      : vars?.logDir
        ? { path: vars.logDir, source: 'emqx_vars' }
        : dflt('log'),
    runnerUser: vars?.runnerUser ?? null,
    processUser: p.ps !== null ? parseBeamUser(p.ps, node, root) : null,
  };
}

// ---- the handler's workspace (facts A4) --------------------------------------------------------

export interface Workspace {
  /** The VM's TMP, and which variable named it ('default' → /tmp). */
  readonly tmpDir: string | null;
  readonly tmpSource: string | null;
  readonly tmpFreeBytes: number | null;
  /** Mount points, so that places on one filesystem are added up, not each checked alone. */
  readonly tmpMount: string | null;
  readonly relupMount: string | null;
  /** emqx_relup_<hash16>/releases/emqx_vars already there: the handler skips the extraction. */
  readonly extractionCached: boolean;
  readonly relupFreeBytes: number | null;
  readonly memAvailableBytes: number | null;
}

const DF_TAIL = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+|-)%\s+(\/.*)$/;

export function parseWorkspaceProbe(stdout: string): Workspace {
  let tmpDir: string | null = null;
  let tmpSource: string | null = null;
  let cached = false;
  let section = '';
  const df: Record<string, number | null> = {};
  const mount: Record<string, string> = {};
  let mem: number | null = null;
  for (const l of normalize(stdout).split('\n')) {
    if (l.startsWith(SECTION)) {
      const s = l.slice(SECTION.length);
      const t = /^tmp (\S+) (\/.*)$/.exec(s);
      if (t) {
        tmpSource = t[1];
        tmpDir = t[2];
      }
      if (s === 'cached yes') cached = true;
      section = s;
      continue;
    }
    if (section === 'tmp-df' || section === 'relup-df') {
      const m = DF_TAIL.exec(l.trim());
      if (m) {
        df[section] = Number(m[4]) * 1024;
        mount[section] = m[6];
      }
    }
    if (section === 'mem') {
      const m = /^MemAvailable:\s+(\d+)\s*kB$/.exec(l.trim());
      if (m) mem = Number(m[1]) * 1024;
    }
  }
  return {
    tmpDir,
    tmpSource,
    tmpFreeBytes: df['tmp-df'] ?? null,
    tmpMount: mount['tmp-df'] ?? null,
    relupMount: mount['relup-df'] ?? null,
    extractionCached: cached,
    relupFreeBytes: df['relup-df'] ?? null,
    memAvailableBytes: mem,
  };
}
