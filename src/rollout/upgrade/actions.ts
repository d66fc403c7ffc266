// The commands that change a node, each as a string builder (pure) — the engine runs them.
import type { NodeSpec } from '../../inventory/types.js';
import { shq } from '../../util/shellQuote.js';

/** File name of a backup archive: node, from-version and UTC time, sortable. */
export function backupName(spec: NodeSpec, from: string, at: Date): string {
  const ts = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const node = spec.name.replace(/[^A-Za-z0-9._-]/g, '_');
  return `emqx-backup-${node}-${from}-${ts}.tar.gz`;
}

/**
 * Back up data/ etc/ log/ (those that exist) into backupDir, verified before it counts: write to
 * a .part, test the gzip stream and the tar index, then rename. Prints the final path and size.
 * `--warning=no-file-changed`-style noise from a live node's log files is tolerated by GNU tar's
 * exit code 1 ("some files differ"); anything else fails.
 */
export function backupCommand(spec: NodeSpec, name: string, dirs?: BackupDirs): string {
  const dir = shq(spec.backupDir);
  const part = shq(`${spec.backupDir}/.${name}.part`);
  const final = shq(`${spec.backupDir}/${name}`);
  const root = shq(spec.rootDir);
  const under = (d: string) =>
    d === `${spec.rootDir}/data` || d === `${spec.rootDir}/etc` || d === `${spec.rootDir}/log`;
  if (dirs && !(under(dirs.dataDir) && under(dirs.etcDir) && under(dirs.logDir)))
    return realDirsBackup(spec, name, dirs);
  return [
    `set -u`,
    `mkdir -p -- ${dir}`,
    `set --; for d in data etc log; do [ -e ${root}/"$d" ] && set -- "$@" "$d"; done`,
    // the path goes in as a quoted printf argument: inside "…" a `$(…)` in rootDir would run
    `[ "$#" -gt 0 ] || { printf 'nothing to back up under %s\\n' ${root} >&2; exit 2; }`,
    `tar -czf ${part} -C ${root} "$@"; rc=$?; [ "$rc" -le 1 ] || { rm -f -- ${part}; exit "$rc"; }`,
    `gzip -t ${part} && tar -tzf ${part} >/dev/null || { echo "backup archive failed verification" >&2; rm -f -- ${part}; exit 3; }`,
    `mv -f -- ${part} ${final}`,
    `printf '%s %s\\n' "$(wc -c < ${final} | tr -d ' ')" ${final}`,
  ].join('\n');
}

export function sidecarPathOf(tarballRemotePath: string): string {
  return `${tarballRemotePath}.sha256`;
}

/** The node's real config, data and log dirs (facts A3): on a package install /etc/emqx, /var/lib/emqx, /var/log/emqx. */
export interface BackupDirs {
  readonly etcDir: string;
  readonly dataDir: string;
  readonly logDir: string;
}

/**
 * Package layout: archive the real dirs by their absolute paths (stored relative to /, as
 * `etc/emqx/…`, `var/lib/emqx/…`), every one required to exist — a backup that silently lacks the
 * config is no backup. Verified like the tarball-layout one: gzip stream, tar index, and each dir
 * present in the index; then renamed into place.
 */
function realDirsBackup(spec: NodeSpec, name: string, d: BackupDirs): string {
  const dir = shq(spec.backupDir);
  const part = shq(`${spec.backupDir}/.${name}.part`);
  const final = shq(`${spec.backupDir}/${name}`);
  const rel = [...new Set([d.etcDir, d.dataDir, d.logDir])].map((p) => p.replace(/^\/+/, ''));
  const words = rel.map(shq).join(' ');
  return [
    `set -u`,
    `mkdir -p -- ${dir}`,
    `for d in ${words}; do [ -d "/$d" ] || { echo "missing /$d: not backed up" >&2; exit 2; }; done`,
    `tar -czf ${part} -C / -- ${words}; rc=$?; [ "$rc" -le 1 ] || { rm -f -- ${part}; exit "$rc"; }`,
    `gzip -t ${part} && tar -tzf ${part} > ${part}.idx || { echo "backup archive failed verification" >&2; rm -f -- ${part} ${part}.idx; exit 3; }`,
    `for d in ${words}; do grep -q -e "^$d/" ${part}.idx || { echo "backup archive lacks /$d" >&2; rm -f -- ${part} ${part}.idx; exit 3; }; done`,
    `rm -f -- ${part}.idx`,
    `mv -f -- ${part} ${final}`,
    `printf '%s %s\\n' "$(wc -c < ${final} | tr -d ' ')" ${final}`,
  ].join('\n');
}
