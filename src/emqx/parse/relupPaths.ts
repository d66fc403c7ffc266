// `emqx ctl relup list-supported-paths` (facts §1.6, §1.3). One `<from> -> <to>` line per hop and
// exit 1 (a list-comprehension return), or `no supported upgrade paths in priv catalog` and exit 0.

import type { SupportedPaths, UpgradePath } from '../types.js';
import { detectRelupCommon, lines, unrecognised } from './common.js';

const NONE = 'no supported upgrade paths in priv catalog';
const PATH = /^(\S+) -> (\S+)$/;

export function parseSupportedPaths(stdout: string, exitCode: number | null, stderr = ''): SupportedPaths {
  const common = detectRelupCommon(stdout, stderr, exitCode);
  if (common) return common;
  const ls = lines(stdout);
  if (ls.length === 1 && ls[0] === NONE) {
    return exitCode === 0 ? { kind: 'paths', paths: [] } : unrecognised(stdout, stderr, exitCode);
  }
  // Exit 1 with path lines is the real success; exit 0 is accepted too should a later plugin
  // normalise the return value. Every line must be a path: no partial reading.
  if ((exitCode !== 0 && exitCode !== 1) || ls.length === 0) return unrecognised(stdout, stderr, exitCode);
  const paths: UpgradePath[] = [];
  for (const l of ls) {
    const m = PATH.exec(l);
    if (!m) return unrecognised(stdout, stderr, exitCode);
    paths.push({ from: m[1], to: m[2] });
  }
  return { kind: 'paths', paths };
}
