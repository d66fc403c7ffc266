// Shared recognisers for the answers every `emqx ctl` command can give besides its own output:
// node down, command not registered, relup usage block. Plus CRLF normalisation: output that
// crossed a pty or a Windows jump host may carry `\r\n`.

import type { NodeDown, NotRegistered, Unrecognised, Usage } from '../types.js';

/** `\r\n` and stray `\r` → `\n`. */
export function normalize(s: string): string {
  return s.replace(/\r\n?/g, '\n');
}

/** Non-blank lines, right-trimmed. */
export function lines(s: string): string[] {
  return normalize(s)
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l !== '');
}

/** Raw evidence for an unrecognised result: stdout, plus stderr and exit code when they say something. */
export function unrecognised(stdout: string, stderr = '', exitCode: number | null = 0): Unrecognised {
  let raw = stdout;
  if (stderr.trim() !== '') raw += `${raw === '' || raw.endsWith('\n') ? '' : '\n'}[stderr] ${stderr.trim()}`;
  if (exitCode !== 0) raw += `${raw === '' || raw.endsWith('\n') ? '' : '\n'}[exit ${exitCode ?? 'none'}]`;
  return { kind: 'unrecognised', raw };
}

const NOT_RESPONDING = /^Node '?([^'\s]+)'? not responding to pings\.$/m;
const NOT_RUNNING = /^ERROR: Node '?([^'\s]+?)'? is not running\?$/m;
const FAILED_CONNECT = /^Failed to connect to node '?([^'\s]+)'?$/m;

/**
 * Recognise "node down" (facts §3). These lines come from nodetool / bin/emqx on stderr with
 * exit 1; we accept them on either stream (a pty merges them) but only with a non-zero exit, so a
 * command whose normal output happens to quote such a line is never mistaken for a dead node.
 */
export function detectDown(stdout: string, stderr: string, exitCode: number | null): NodeDown | null {
  if (exitCode === 0) return null;
  const text = normalize(`${stderr}\n${stdout}`);
  for (const re of [NOT_RESPONDING, NOT_RUNNING, FAILED_CONNECT]) {
    const m = re.exec(text);
    if (m) return { kind: 'down', node: m[1], message: m[0] };
  }
  return null;
}

/**
 * `emqx ctl` printed its global help because the command is not registered (plugin not installed
 * or stopped): `Usage: emqx ctl` then the commands, exit 1 (facts §1.3).
 */
export function detectNotRegistered(stdout: string, exitCode: number | null): NotRegistered | null {
  if (exitCode !== 1) return null;
  return /^Usage: emqx ctl\s*$/m.test(normalize(stdout)) ? { kind: 'not-registered', raw: stdout } : null;
}

/** The `emqx ctl relup` usage block (facts §1.2): bad arguments, e.g. `--force` on plugin 1.0.0. */
export function detectRelupUsage(stdout: string): Usage | null {
  const t = normalize(stdout);
  if (/^Usage: emqx ctl\s*$/m.test(t)) return null;
  return /^relup upgrade <TarballPath>/m.test(t) && /^relup status\s+#/m.test(t)
    ? { kind: 'usage', raw: stdout }
    : null;
}

/** The answers any `emqx ctl relup …` subcommand can give instead of its own output. */
export function detectRelupCommon(
  stdout: string,
  stderr: string,
  exitCode: number | null,
): NodeDown | NotRegistered | Usage | null {
  return detectDown(stdout, stderr, exitCode) ?? detectNotRegistered(stdout, exitCode) ?? detectRelupUsage(stdout);
}
