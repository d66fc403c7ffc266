// `emqx ctl status` (facts §3): `Node 'emqx@127.0.0.1' 5.10.4 is started`, exit 0.
// The node name is printed with ~p, so it is quoted whenever it contains `@` or `.`.

import type { CtlStatus, InternalStatus } from '../types.js';
import { detectDown, lines, unrecognised } from './common.js';

const STATUS_LINE = /^Node (?:'((?:[^'\\]|\\.)+)'|([a-z][A-Za-z0-9_@]*)) (\S+) is (started|starting|stopping)$/;

export function parseCtlStatus(stdout: string, stderr: string, exitCode: number | null): CtlStatus {
  const down = detectDown(stdout, stderr, exitCode);
  if (down) return down;
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  // Exactly one status line; anything else on stdout means we are not reading what we think.
  const ls = lines(stdout);
  if (ls.length !== 1) return unrecognised(stdout, stderr, exitCode);
  const m = STATUS_LINE.exec(ls[0]);
  if (!m) return unrecognised(stdout, stderr, exitCode);
  const node = (m[1] ?? m[2]).replace(/\\(.)/g, '$1');
  return { kind: 'running', node, version: m[3], status: m[4] as InternalStatus };
}
