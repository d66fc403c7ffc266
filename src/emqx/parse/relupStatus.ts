// `emqx ctl relup status` (facts §1.2, §1.7): `idle`, `in-progress`, or
// `hot-upgraded to <vsn>; pending on restart to boot from the new version`. Exit 0.
// Note: `in-progress` can be stale after a VM restart mid-upgrade (§1.4).

import type { RelupStatus } from '../types.js';
import { detectRelupCommon, lines, unrecognised } from './common.js';

const HOT = /^hot-upgraded to (\S+); pending on restart to boot from the new version$/;

export function parseRelupStatus(stdout: string, stderr = '', exitCode: number | null = 0): RelupStatus {
  const common = detectRelupCommon(stdout, stderr, exitCode);
  if (common) return common;
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  const ls = lines(stdout);
  if (ls.length !== 1) return unrecognised(stdout);
  if (ls[0] === 'idle') return { kind: 'idle' };
  if (ls[0] === 'in-progress') return { kind: 'in-progress' };
  const m = HOT.exec(ls[0]);
  if (m) return { kind: 'hot-upgraded', target: m[1] };
  return unrecognised(stdout);
}
