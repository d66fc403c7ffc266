// The exact remote command strings the orchestrator runs on a node. Every path is shell-quoted
// with shq(); fixed words pass through. Paths must be absolute: the EMQX VM resolves a relative
// tarball path against its own cwd (<RootDir>, facts §1.4), never the caller's.

import { shq } from '../util/shellQuote.js';
import { BadInputError } from '../util/errors.js';

/** `markerRead()` exits with this when `<RootDir>/relup/current` does not exist. */
export const MARKER_ABSENT_EXIT = 3;

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

function word(s: string): string {
  return SAFE_WORD.test(s) ? s : shq(s);
}

function absolute(what: string, p: string): string {
  if (!p.startsWith('/')) {
    throw new BadInputError(`${what} must be an absolute path on the node, got ${JSON.stringify(p)}`, {
      hint: 'use an absolute path; EMQX resolves relative paths against its install root, not your shell',
    });
  }
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** `'<rootDir>/bin/emqx' <args…>`, e.g. emqxCmd('/opt/emqx', 'ctl', 'relup', 'status'). */
export function emqxCmd(rootDir: string, ...args: string[]): string {
  const bin = `${absolute('rootDir', rootDir)}/bin/emqx`.replace(/^\/\//, '/');
  return [shq(bin), ...args.map(word)].join(' ');
}

/** `'<rootDir>/bin/emqx' ctl <args…>`. */
export function ctlCmd(rootDir: string, ...args: string[]): string {
  return emqxCmd(rootDir, 'ctl', ...args);
}

export const ctlStatus = (rootDir: string): string => ctlCmd(rootDir, 'status');
export const clusterStatus = (rootDir: string, opts: { json?: boolean } = {}): string =>
  opts.json ? ctlCmd(rootDir, 'cluster', 'status', '--json') : ctlCmd(rootDir, 'cluster', 'status');
export const broker = (rootDir: string): string => ctlCmd(rootDir, 'broker');
export const brokerStats = (rootDir: string): string => ctlCmd(rootDir, 'broker', 'stats');
export const pluginsList = (rootDir: string): string => ctlCmd(rootDir, 'plugins', 'list');
export const relupStatus = (rootDir: string): string => ctlCmd(rootDir, 'relup', 'status');
export const relupLogs = (rootDir: string): string => ctlCmd(rootDir, 'relup', 'logs');
export const relupSupportedPaths = (rootDir: string): string => ctlCmd(rootDir, 'relup', 'list-supported-paths');

/**
 * `relup upgrade <tarball> [--force]`. `--force` must come last: `upgrade --force <path>` prints
 * usage (facts §1.2), and plugin 1.0.0 has no `--force` at all.
 */
export function relupUpgrade(rootDir: string, tarball: string, opts: { force?: boolean } = {}): string {
  const args = ['relup', 'upgrade'];
  const cmd = `${ctlCmd(rootDir, ...args)} ${shq(absolute('tarball', tarball))}`;
  return opts.force ? `${cmd} --force` : cmd;
}

/** `<RootDir>/relup/current`: the pending-hop marker (facts §1.9). */
export function markerPath(rootDir: string): string {
  return `${absolute('rootDir', rootDir)}/relup/current`;
}

/** Prints the marker (parse with parseMarker); exits MARKER_ABSENT_EXIT when there is none. */
export function markerRead(rootDir: string): string {
  const p = shq(markerPath(rootDir));
  return `if [ -e ${p} ]; then cat ${p}; else exit ${MARKER_ABSENT_EXIT}; fi`;
}

/**
 * Lists `*.beam` in the hot-patch dir (parse with parsePatchesList). The plugin refuses to
 * upgrade while any exist unless `--force` (facts §1.4 check 1). dataDir defaults to
 * `<rootDir>/data` (tgz layout); deb/rpm installs keep data in /var/lib/emqx.
 */
export function patchesList(rootDir: string, dataDir?: string): string {
  const dir = shq(`${absolute('dataDir', dataDir ?? `${absolute('rootDir', rootDir)}/data`)}/patches`);
  return `if [ -d ${dir} ]; then find ${dir} -maxdepth 1 -name '*.beam' -print; fi`;
}

/**
 * Exit 0 when `<RootDir>/relup` is a directory the EMQX user can write (parse with parseWritable).
 * Writes nothing: the handler's own probe writes a file (facts §1.4 step 8); observe must not.
 * `test -w` alone answers for the SSH user, and root passes it whatever the mode, while the node,
 * running as its own user, gets no_write_permission; so the owner's write bit must be set too (the
 * EMQX user owns its install: a 0555 relup/ fails the handler).
 */
export function relupWritable(rootDir: string): string {
  const d = shq(`${absolute('rootDir', rootDir)}/relup`);
  return `test -d ${d} && test -w ${d} && case "$(stat -c %A -- ${d})" in d?w*) exit 0 ;; *) exit 1 ;; esac`;
}

/** `df -Pk <path>` (parse with parseDfAvailBytes). */
export function dfAvail(path: string): string {
  return `df -Pk ${shq(absolute('path', path))}`;
}

/** `sha256sum <path>` (parse with parseSha256). */
export function sha256(path: string): string {
  return `sha256sum ${shq(absolute('path', path))}`;
}

// ---- real installs (facts A3, A4) ---------------------------------------------------------------

const SEC = '@@emqx-rollout:';

/**
 * Read-only layout probe, one round trip, sections parsed by parseLayoutProbe: `bin/emqx root_dir`
 * (exits before any node contact), releases/emqx_vars, every relup/<vsn>/releases/emqx_vars, the
 * base tree's BUILD_INFO, and the beam command lines (`ps -efww`, else /proc/<pid>/cmdline).
 */
export function layoutProbe(rootDir: string): string {
  const r = shq(absolute('rootDir', rootDir));
  return [
    `r=${r}`,
    `echo '${SEC}root-dir'; "$r/bin/emqx" root_dir 2>&1; echo "${SEC}root-dir-rc $?"`,
    `if [ -f "$r/releases/emqx_vars" ]; then echo '${SEC}vars'; cat -- "$r/releases/emqx_vars"; echo; fi`,
    `for f in "$r"/relup/*/releases/emqx_vars; do [ -f "$f" ] || continue; v=\${f#"$r/relup/"}; v=\${v%%/*}; echo "${SEC}relup-vars $v"; cat -- "$f"; echo; done`,
    `for f in "$r"/releases/*/BUILD_INFO; do [ -f "$f" ] || continue; echo '${SEC}build-info'; cat -- "$f"; echo; break; done`,
    `echo '${SEC}ps'`,
    `{ ps -efww 2>/dev/null || for f in /proc/[0-9]*/cmdline; do tr '\\000' ' ' < "$f" 2>/dev/null; echo; done; } | grep -e ' -emqx_data_dir ' | grep -v ' grep '`,
    `true`,
  ].join('\n');
}

/**
 * Where the relup handler will work (facts A4), read-only: the VM's TMP (first set of TMPDIR, TEMP,
 * TMP in the beam's environment, else /tmp) with its free space and whether the extraction cache
 * `emqx_relup_<first 16 hex of the tarball sha256>` already holds releases/emqx_vars; free space
 * under <RootDir>/relup; MemAvailable. Parse with parseWorkspaceProbe.
 */
export function workspaceProbe(rootDir: string, node: string, sha256: string): string {
  const r = shq(absolute('rootDir', rootDir));
  const hash = sha256.slice(0, 16);
  const dfNearest = (v: string) =>
    `d=${v}; while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done; df -Pk -- "$d" | tail -n 1`;
  return [
    `r=${r}`,
    `beams=$(ps -eo pid=,args= 2>/dev/null | grep -e ' -emqx_data_dir ' | grep -v ' grep ')`,
    `pid=$(printf '%s\\n' "$beams" | grep -F -e ${shq(` -name ${node} `)} -e ${shq(` -sname ${node} `)} | awk 'NR==1{print $1}')`,
    `[ -n "$pid" ] || pid=$(printf '%s\\n' "$beams" | grep -F -e "$r/" | awk 'END{if (NR==1) print $1}')`,
    `t=; src=default`,
    `if [ -n "$pid" ] && [ -r "/proc/$pid/environ" ]; then for k in TMPDIR TEMP TMP; do v=$(tr '\\000' '\\n' < "/proc/$pid/environ" | sed -n "s/^$k=//p" | head -n 1); if [ -n "$v" ] && [ -d "$v" ]; then t=$v; src=$k; break; fi; done; fi`,
    `[ -n "$t" ] || t=/tmp`,
    `echo "${SEC}tmp $src $t"`,
    `echo '${SEC}tmp-df'; ${dfNearest('"$t"')}`,
    `if [ -f "$t/emqx_relup_${hash}/releases/emqx_vars" ] || [ -f "$t/emqx_relup_${hash.toUpperCase()}/releases/emqx_vars" ]; then echo '${SEC}cached yes'; else echo '${SEC}cached no'; fi`,
    `echo '${SEC}relup-df'; ${dfNearest('"$r/relup"')}`,
    `echo '${SEC}mem'; grep -E '^MemAvailable:' /proc/meminfo`,
    `true`,
  ].join('\n');
}

/** Exit 0 when `<dataDir>/.evacuation` exists: a persisted evacuation, resumed at every boot (A1). */
export function evacuationFileRead(dataDir: string): string {
  const f = shq(`${absolute('dataDir', dataDir)}/.evacuation`);
  return `if [ -e ${f} ]; then cat -- ${f}; else exit ${MARKER_ABSENT_EXIT}; fi`;
}

/** `stat -c '%a %U %n'` of the files and every ancestor dir (parse with judgeStagedReadable). */
export function stagedModes(files: readonly string[]): string {
  const dirs = new Set<string>();
  for (const f of files) {
    let d = absolute('path', f);
    while ((d = d.slice(0, d.lastIndexOf('/')) || '/') !== '/') dirs.add(d);
  }
  return `stat -c '%a %U %n' -- ${[...files, ...[...dirs].sort()].map((x) => shq(x)).join(' ')}`;
}

// ---- evacuation (`emqx ctl rebalance …`, facts A1; parse with ./parse/rebalance.ts) ---------------

export const rebalanceEvacuate = (rootDir: string): string => ctlCmd(rootDir, 'rebalance', 'start', '--evacuation');
export const rebalanceNodeStatus = (rootDir: string): string => ctlCmd(rootDir, 'rebalance', 'node-status');
export const rebalanceStop = (rootDir: string): string => ctlCmd(rootDir, 'rebalance', 'stop');
export const evictionStatus = (rootDir: string): string => ctlCmd(rootDir, 'eviction', 'status');

/** How many troubleshoot files `<RootDir>/relup_YYYY-MM-DD_HH-MM-SS` the handler left (prints a number). */
export function troubleshootCount(rootDir: string): string {
  return `ls -1 -- ${shq(absolute('rootDir', rootDir))} 2>/dev/null | grep -cE '^relup_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}$'; true`;
}
