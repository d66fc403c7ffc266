// Many read-only probes, one SSH exec. On a real node every `emqx ctl` starts two Erlang VMs
// (~0.5–1 s), and each SSH exec costs a channel round trip plus a login shell: a gate that ran its
// probes as separate execs, four at a time, paid the ctl latency in waves. Here a generated POSIX
// `sh` script starts every probe at once on the node, and streams back each probe's stdout, stderr
// and exit status as soon as that probe finishes, framed so that the controller parses every probe
// exactly as if it had run alone (same ExecResult, same parsers, same evidence).
//
// The framing: the script picks nothing itself; the controller passes a random 128-bit nonce that no
// probe can know. Each frame is
//   @@<nonce> <index> <exit status>\n<stdout>\n@@<nonce> e\n<stderr>\n@@<nonce> .\n
// and the stream is bracketed by `@@<nonce> begin` and `@@<nonce> end`. One newline before each
// marker is the framing's own, so a probe's output comes back byte for byte (trailing newline or not).
//
// What the script writes: a private `mktemp -d` directory under $TMPDIR (or /tmp) with one output
// file per probe and a FIFO through which finished probes announce themselves; removed on exit and on
// TERM/INT/HUP (a deadline kills the whole process group, exec.ts); a dir left by a SIGKILLed batch is
// removed by a later one once it is an hour old. Nothing else on the node. Where
// mktemp or mkfifo is missing or the temp dir is not writable, the script says so before starting
// anything and the probes run one exec each, as before.
import { randomBytes } from 'node:crypto';
import type { ExecOptions, ExecResult, RemoteHost } from './types.js';

export interface BatchOptions extends ExecOptions {
  /** Wraps the whole script (e.g. `sudo … sh -c`): the probes then run under it, as they would alone. */
  readonly wrap?: (script: string) => string;
}

/** Probes per node when the node cannot run a batch: one exec each, this many at once. */
const FALLBACK_CONCURRENCY = 4;

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** The script that runs `commands` concurrently and frames their results (see the file comment). */
export function buildBatchScript(commands: readonly string[], nonce: string): string {
  if (!/^[0-9a-f]{16,64}$/.test(nonce)) throw new Error('batch nonce must be hex');
  const jobs = commands.map(
    (c, i) => `{ (\n${c}\n) 3>&- </dev/null >"$d/${i}.o" 2>"$d/${i}.e"; echo $? >"$d/${i}.x"; echo ${i} >&3; } &`,
  );
  return [
    `n=${nonce}`,
    `d=$(mktemp -d "\${TMPDIR:-/tmp}/emqx-rollout-probe.XXXXXX" 2>/dev/null) && mkfifo "$d/q" 2>/dev/null || {`,
    `  [ -n "$d" ] && rm -rf -- "$d"; echo "@@$n nobatch"; exit 0; }`,
    `trap 'rm -rf -- "$d"' EXIT`,
    // A batch killed by SIGKILL (the deadline's last resort, a dying sshd) cannot clean up: its dir
    // is removed by a later batch once it is an hour old. Only our own prefix, never anything else.
    `find "\${TMPDIR:-/tmp}" -maxdepth 1 -name 'emqx-rollout-probe.*' -mmin +60 -exec rm -rf -- {} + 2>/dev/null`,
    `trap 'exit 143' TERM; trap 'exit 130' INT; trap 'exit 129' HUP`,
    `exec 3<>"$d/q"`,
    `echo "@@$n begin"`,
    ...jobs,
    `i=0`,
    `while [ "$i" -lt ${commands.length} ] && read k <&3; do`,
    `  printf '@@%s %s %s\\n' "$n" "$k" "$(cat "$d/$k.x" 2>/dev/null)"`,
    `  cat "$d/$k.o"; printf '\\n@@%s e\\n' "$n"; cat "$d/$k.e"; printf '\\n@@%s .\\n' "$n"`,
    `  i=$((i+1))`,
    `done`,
    `echo "@@$n end"`,
  ].join('\n');
}

export interface ParsedFrame {
  readonly index: number;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Offset in the stream just past this frame: when it was complete. */
  readonly end: number;
}

export type ParsedBatch =
  | { readonly kind: 'frames'; readonly frames: readonly ParsedFrame[]; readonly complete: boolean }
  | { readonly kind: 'nobatch' }
  /** No begin marker: the script never ran (sudo refused, no POSIX shell, …). */
  | { readonly kind: 'not-started' };

/** Parse a (possibly truncated) batch stream. Pure. Frames that are cut off are not returned. */
export function parseBatchOutput(stream: string, nonce: string): ParsedBatch {
  const mark = `@@${nonce} `;
  if (stream.startsWith(`${mark}nobatch\n`) || stream.includes(`\n${mark}nobatch\n`)) return { kind: 'nobatch' };
  const begin = `${mark}begin\n`;
  const at = stream.startsWith(begin) ? 0 : stream.indexOf(`\n${begin}`) + 1;
  if (at <= 0 && !stream.startsWith(begin)) return { kind: 'not-started' };
  let pos = at + begin.length;
  const frames: ParsedFrame[] = [];
  const header = new RegExp(`^@@${nonce} (\\d+) (\\d*)\\n`);
  for (;;) {
    if (stream.startsWith(`${mark}end\n`, pos) || stream.slice(pos) === `${mark}end`)
      return { kind: 'frames', frames, complete: true };
    const h = header.exec(stream.slice(pos, pos + 200));
    if (!h) return { kind: 'frames', frames, complete: false };
    const outStart = pos + h[0].length;
    const errMark = `\n${mark}e\n`;
    const errAt = stream.indexOf(errMark, outStart);
    if (errAt < 0) return { kind: 'frames', frames, complete: false };
    const errStart = errAt + errMark.length;
    const endMark = `\n${mark}.\n`;
    const next = stream.indexOf(endMark, errStart);
    if (next < 0) return { kind: 'frames', frames, complete: false };
    frames.push({
      index: Number(h[1]),
      exitCode: h[2] === '' ? null : Number(h[2]),
      stdout: stream.slice(outStart, errAt),
      stderr: stream.slice(errStart, next),
      end: next + endMark.length,
    });
    pos = next + endMark.length;
  }
}

/** Run `commands` on `host` through one exec (see the file comment); results in `commands` order. */
export async function runBatch(
  host: RemoteHost,
  commands: readonly string[],
  opts: BatchOptions = {},
): Promise<ExecResult[]> {
  if (commands.length === 0) return [];
  if (host.execBatch) return host.execBatch(commands, opts);
  return execBatchVia(host, commands, opts);
}

/** The batch over `host.exec` (RemoteHost implementations call this from their execBatch). */
export async function execBatchVia(
  host: RemoteHost,
  commands: readonly string[],
  opts: BatchOptions = {},
): Promise<ExecResult[]> {
  const nonce = newNonce();
  const script = buildBatchScript(commands, nonce);
  // When each chunk arrived: a probe's duration is when its frame was complete, from the start.
  const arrivals: Array<{ at: number; len: number }> = [];
  let len = 0;
  const started = Date.now();
  const { wrap, ...execOpts } = opts;
  const r = await host.exec(wrap ? wrap(script) : script, {
    ...execOpts,
    onStdout: (chunk) => {
      len += chunk.length;
      arrivals.push({ at: Date.now(), len });
      opts.onStdout?.(chunk);
    },
  });
  const parsed = parseBatchOutput(r.stdout, nonce);
  if (parsed.kind === 'nobatch') return runEach(host, commands, opts);
  const base = { node: r.node, signal: null, timedOut: false, aborted: false } as const;
  if (parsed.kind === 'not-started') {
    // What would have come back from every probe alone (e.g. sudo's refusal): the same answer each.
    return commands.map((command) => ({ ...r, command }));
  }
  const byIndex = new Map(parsed.frames.map((f) => [f.index, f]));
  const doneAt = (end: number) => (arrivals.find((a) => a.len >= end)?.at ?? Date.now()) - started;
  return commands.map((command, i): ExecResult => {
    const f = byIndex.get(i);
    if (f)
      return {
        ...base,
        command,
        exitCode: f.exitCode,
        stdout: f.stdout,
        stderr: f.stderr,
        durationMs: Math.min(doneAt(f.end), r.durationMs),
      };
    // Not finished when the batch ended: the deadline or an abort cut it (the process group is
    // killed), or the script died. Never a fact: no exit status, flagged as the batch was.
    return {
      ...base,
      command,
      exitCode: null,
      signal: r.signal,
      stdout: '',
      stderr: r.timedOut || r.aborted ? '' : r.stderr,
      durationMs: r.durationMs,
      timedOut: r.timedOut,
      aborted: r.aborted,
    };
  });
}

async function runEach(host: RemoteHost, commands: readonly string[], opts: BatchOptions): Promise<ExecResult[]> {
  const { wrap, ...execOpts } = opts;
  const out = new Array<ExecResult>(commands.length);
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const i = next++;
      const r = await host.exec(wrap ? wrap(commands[i]) : commands[i], execOpts);
      out[i] = { ...r, command: commands[i] };
    }
  };
  await Promise.all(Array.from({ length: Math.min(FALLBACK_CONCURRENCY, commands.length) }, worker));
  return out;
}
