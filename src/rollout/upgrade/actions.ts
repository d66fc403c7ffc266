// The commands that change a node, each as a string builder (pure) — the engine runs them.
import type { NodeSpec } from '../../inventory/types.js';
import { shq } from '../../util/shellQuote.js';

/** File name of a backup archive: node, from-version and UTC time, sortable. */
export function backupName(spec: NodeSpec, from: string, at: Date): string {
  const ts = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const node = spec.name.replace(/[^A-Za-z0-9._-]/g, '_');
  return `emqx-backup-${node}-${from}-${ts}.tar.gz`;
}

/**
 * Back up data/ etc/ log/ (those that exist) into backupDir, verified before it counts: write to
 * a .part, test the gzip stream and the tar index, then rename. Prints the final path and size.
 * `--warning=no-file-changed`-style noise from a live node's log files is tolerated by GNU tar's
 * exit code 1 ("some files differ"); anything else fails.
 */
export function backupCommand(spec: NodeSpec, name: string): string {
  const dir = shq(spec.backupDir);
  const part = shq(`${spec.backupDir}/.${name}.part`);
  const final = shq(`${spec.backupDir}/${name}`);
  const root = shq(spec.rootDir);
  return [
    `set -u`,
    `mkdir -p -- ${dir}`,
    `set --; for d in data etc log; do [ -e ${root}/"$d" ] && set -- "$@" "$d"; done`,
    `[ "$#" -gt 0 ] || { echo "nothing to back up under ${spec.rootDir.replace(/"/g, '')}" >&2; exit 2; }`,
    `tar -czf ${part} -C ${root} "$@"; rc=$?; [ "$rc" -le 1 ] || { rm -f -- ${part}; exit "$rc"; }`,
    `gzip -t ${part} && tar -tzf ${part} >/dev/null || { echo "backup archive failed verification" >&2; rm -f -- ${part}; exit 3; }`,
    `mv -f -- ${part} ${final}`,
    `printf '%s %s\\n' "$(wc -c < ${final} | tr -d ' ')" ${final}`,
  ].join('\n');
}

export function sidecarPathOf(tarballRemotePath: string): string {
  return `${tarballRemotePath}.sha256`;
}
