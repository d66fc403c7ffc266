// `emqx ctl relup upgrade <tarball> [--force]` (facts §1.2–§1.5). The exit code is 0 on failure
// too, so the verdict comes from the stdout prefixes `upgrade complete` / `upgrade failed, reason: `.
// A crash during code changes restarts the VM under the CLI call: expect `RPC to … failed: …` or
// no output at all with exit 1 (§1.4 "VM-restart path").

import { atomName, mapGet, parseTerm, type ErlTerm } from '../erlangTerm.js';
import type { RelupUpgradeResult } from '../types.js';
import { detectDown, detectNotRegistered, detectRelupUsage, normalize, unrecognised } from './common.js';

const COMPLETE = /^upgrade complete[ \t]*$/m;
const FAILED = 'upgrade failed, reason: ';
const VM_RESTARTED = 'upgrade failed, emqx restarted, reason: ';
const RPC_FAILED = /^RPC to \S+ failed: /m;

export function parseRelupUpgrade(stdout: string, stderr: string, exitCode: number | null): RelupUpgradeResult {
  const down = detectDown(stdout, stderr, exitCode);
  if (down) return down;
  const text = normalize(stdout);

  const restarted = findLineStart(text, VM_RESTARTED);
  if (restarted >= 0) {
    const r = readReason(text, restarted + VM_RESTARTED.length);
    return { kind: 'vm-restarted', reason: r.term, raw: stdout };
  }
  const failed = findLineStart(text, FAILED);
  if (failed >= 0) {
    const r = readReason(text, failed + FAILED.length);
    const errType = atomName(mapGet(r.term, 'err_type')) ?? r.errTypeText ?? 'unknown';
    const stage = atomName(mapGet(r.term, 'stage')) ?? r.stageText;
    return stage === undefined
      ? { kind: 'failed', errType, reason: r.term, raw: stdout }
      : { kind: 'failed', errType, stage, reason: r.term, raw: stdout };
  }
  if (COMPLETE.test(text)) {
    // `upgrade complete` comes with exit 0 (the return of emqx_ctl:print); any other exit code
    // means something else happened after it, and we will not call that a success.
    return exitCode === 0 ? { kind: 'complete', raw: stdout } : unrecognised(stdout, stderr, exitCode);
  }
  if (RPC_FAILED.test(text) || RPC_FAILED.test(normalize(stderr))) {
    return { kind: 'rpc-failed', raw: joinRaw(stdout, stderr) };
  }
  const notRegistered = detectNotRegistered(stdout, exitCode);
  if (notRegistered) return notRegistered;
  const usage = detectRelupUsage(stdout);
  if (usage) return usage;
  // The VM went away mid-call (code-change crash → init:restart()): nodetool exits 1 with nothing
  // printed. Only exit 1 counts; a null exit (channel died) is the remote layer's failure, not this.
  if (text.trim() === '' && exitCode === 1) return { kind: 'rpc-failed', raw: joinRaw(stdout, stderr) };
  return unrecognised(stdout, stderr, exitCode);
}

function joinRaw(stdout: string, stderr: string): string {
  return stderr.trim() === ''
    ? stdout
    : `${stdout}${stdout.endsWith('\n') || stdout === '' ? '' : '\n'}[stderr] ${stderr.trim()}`;
}

/** Index of `prefix` at the start of a line, or -1. */
function findLineStart(text: string, prefix: string): number {
  let i = text.indexOf(prefix);
  while (i > 0 && text[i - 1] !== '\n') i = text.indexOf(prefix, i + 1);
  return i;
}

interface ReasonRead {
  readonly term: ErlTerm | null;
  readonly errTypeText?: string;
  readonly stageText?: string;
}

/** Parse the `~p` reason after the prefix; if it does not parse, fall back to `err_type => x`. */
function readReason(text: string, from: number): ReasonRead {
  const r = parseTerm(text, from);
  if (r.ok) return { term: r.term };
  const rest = text.slice(from);
  const errType = /err_type\s*=>\s*([a-z][A-Za-z0-9_]*)/.exec(rest)?.[1];
  const stage = /stage\s*=>\s*([a-z][A-Za-z0-9_]*)/.exec(rest)?.[1];
  return {
    term: null,
    ...(errType === undefined ? {} : { errTypeText: errType }),
    ...(stage === undefined ? {} : { stageText: stage }),
  };
}
