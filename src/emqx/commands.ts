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
