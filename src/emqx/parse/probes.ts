// Parsers for the plain shell probes built in ../commands.ts (marker, patches, df, sha256, -w).

import type { DfAvail, MarkerRead, PatchesList, Sha256Read, WritableProbe } from '../types.js';
import { lines, normalize, unrecognised } from './common.js';
import { MARKER_ABSENT_EXIT } from '../commands.js';

/**
 * `markerRead()` output. The marker is the bare target version without a newline (facts §1.9);
 * bin/emqx reads it with `$(cat …)`, which strips trailing newlines, so we trim too. An empty or
 * multi-word marker would make bin/emqx exec a bogus path: that is unrecognised, not "absent".
 */
export function parseMarker(stdout: string, exitCode: number | null, stderr = ''): MarkerRead {
  if (exitCode === MARKER_ABSENT_EXIT && stdout.trim() === '') return { kind: 'marker', version: null };
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  const v = normalize(stdout).trim();
  if (v === '' || /\s/.test(v)) return unrecognised(stdout, stderr, exitCode);
  return { kind: 'marker', version: v };
}

/** `patchesList()` output: one path per line → the `*.beam` basenames (facts §1.4 check 1). */
export function parsePatchesList(stdout: string, exitCode: number | null, stderr = ''): PatchesList {
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  const files: string[] = [];
  for (const l of lines(stdout)) {
    const base = l.slice(l.lastIndexOf('/') + 1);
    if (!base.endsWith('.beam')) return unrecognised(stdout, stderr, exitCode);
    files.push(base);
  }
  return { kind: 'patches', files: files.sort() };
}

/** `relupWritable()`: `test` exits 0 (writable) or 1 (not); anything else is a broken probe. */
export function parseWritable(exitCode: number | null, stdout = '', stderr = ''): WritableProbe {
  if (exitCode === 0) return { kind: 'writable', writable: true };
  if (exitCode === 1) return { kind: 'writable', writable: false };
  return unrecognised(stdout, stderr, exitCode);
}

// POSIX `df -Pk`: header + one line per file system; the mount point may contain spaces, so the
// numeric columns are read from the left of `NN%` and the mount point is the rest.
const DF_LINE = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+|-)%\s+(\/.*)$/;

/** `df -Pk <path>` → available bytes (1024-byte blocks × 1024). */
export function parseDfAvailBytes(stdout: string, exitCode: number | null = 0, stderr = ''): DfAvail {
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  const ls = lines(stdout);
  if (ls.length !== 2 || !/^Filesystem\s/.test(ls[0]) || !/1024-blocks/.test(ls[0])) {
    return unrecognised(stdout, stderr, exitCode);
  }
  const m = DF_LINE.exec(ls[1]);
  if (!m) return unrecognised(stdout, stderr, exitCode);
  return { kind: 'df', availBytes: Number(m[4]) * 1024, mountedOn: m[6] };
}

/**
 * `sha256sum <path>` (`<hex>  <path>`) or a sidecar's content (bare hex, facts §4; or
 * `<hex>  <name>`). Like the plugin, only a leading 64-hex digest counts, lowercased.
 */
export function parseSha256(stdout: string, exitCode: number | null = 0, stderr = ''): Sha256Read {
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  const m = /^([0-9a-fA-F]{64})(?:\s|$)/.exec(normalize(stdout).trimStart());
  if (!m) return unrecognised(stdout, stderr, exitCode);
  return { kind: 'sha256', hex: m[1].toLowerCase() };
}
