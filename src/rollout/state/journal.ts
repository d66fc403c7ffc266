// The rollout journal: append-only, one JSON object per line, each line fsync'd before append()
// resolves, so whatever the engine was told is written survives a crash or SIGKILL (PRODUCT.md
// "Every run writes a journal"). Resume reads it back; a crash mid-write leaves at most one torn
// line, which the reader skips and reports instead of failing the resume.
//
// Secrets never reach the file: every record passes through redact() first.

import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RolloutError } from '../../util/errors.js';

/**
 * A write-ahead record could not be made durable: the run halts (exit 4) before its next remote
 * action, because resume would not know what this run did next.
 */
/** What did not happen because a durable record could not be written first (write-ahead). */
const UNWRITTEN: Readonly<Record<string, string>> = {
  'run.meta': 'no node was touched',
  'upgrade.begin': 'the hop that record announces was not sent (its node may hold a fresh backup)',
  'upgrade.end': 'nothing after the hop ran (the next run re-observes that node)',
  'node.gated': 'no further node was touched',
};

export class JournalUnwritableError extends RolloutError {
  readonly file: string;
  readonly code: string;

  constructor(file: string, recordKind: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      'halted',
      `the journal ${file} cannot be written (${code}): halted; ${UNWRITTEN[recordKind] ?? `the step its '${recordKind}' record announces did not run, nor anything after it`}`,
      {
        details: [`the write-ahead record '${recordKind}' failed: ${why}`],
        hint: `free space or fix permissions under ${dirname(file)}, then re-run the same command: it re-observes every node and resumes from the facts`,
        cause,
      },
    );
    this.name = 'JournalUnwritableError';
    this.file = file;
    this.code = code;
  }
}

export interface Journal {
  readonly file: string;
  /** Redact, write one line, fsync. Appends are serialised in call order. */
  append(record: object): Promise<void>;
  /** Waits for pending appends, then closes. Later appends reject. */
  close(): Promise<void>;
}

/** A line that was not a JSON object: the torn tail of a crash (or damage), skipped. */
export interface SkippedLine {
  /** 1-based line number. */
  readonly line: number;
  /** The line, cut to 200 characters. */
  readonly text: string;
  readonly reason: string;
}

export interface JournalContents {
  readonly records: object[];
  readonly skipped: readonly SkippedLine[];
}

/**
 * Open (creating it and its parent directories) `file` for appending. If the previous writer
 * died mid-line, a newline is appended first so the torn fragment stays on its own line as
 * evidence instead of gluing onto the next record.
 */
export async function openJournal(file: string): Promise<Journal> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let existed = true;
  let tailOk = true;
  try {
    const prev = await readFile(file);
    tailOk = prev.length === 0 || prev[prev.length - 1] === 0x0a;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    existed = false;
  }
  // 'a' = O_WRONLY|O_CREAT|O_APPEND: every write lands at the end, even with another writer.
  const fh = await open(file, 'a', 0o600);
  try {
    if (!existed) await fsyncDir(dirname(file)); // the new directory entry must survive a crash too
    if (!tailOk) {
      await writeAll(fh, Buffer.from('\n'));
      await fh.sync();
    }
  } catch (e) {
    await fh.close();
    throw e;
  }
  return new FileJournal(file, fh);
}

interface Pending {
  readonly line: Buffer;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit: while one write + fsync runs, later appends queue up and go to disk together in the
 * next write + fsync. Each append still resolves only once its own line is written and fsynced, in
 * call order; but 30 nodes' exec records cost a few fsyncs, not one each in a row (a backlog that
 * close(), and so the process's exit, used to wait for).
 */
class FileJournal implements Journal {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly fh: FileHandle,
  ) {}

  append(record: object): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`journal ${this.file} is closed`));
    // Serialise before queueing: the record is captured as it is now, not when the write runs.
    const line = Buffer.from(`${JSON.stringify(redact(record))}\n`, 'utf8');
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        await writeAll(this.fh, batch.length === 1 ? batch[0].line : Buffer.concat(batch.map((p) => p.line)));
        await this.fh.sync();
        for (const p of batch) p.resolve();
      } catch (e) {
        // A failed write rejects the appends it carried; later ones are tried again.
        for (const p of batch) p.reject(e);
      }
    }
    this.flushing = null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    await this.fh.close();
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Every record of the journal; torn/unparseable lines are skipped (see readJournalWithReport). */
export async function readJournal(file: string, onSkipped?: (s: SkippedLine) => void): Promise<object[]> {
  const { records, skipped } = await readJournalWithReport(file);
  if (onSkipped) for (const s of skipped) onSkipped(s);
  return records;
}

/** Records plus the lines that were skipped, with line numbers, for the caller to report. */
export async function readJournalWithReport(file: string): Promise<JournalContents> {
  const text = await readFile(file, 'utf8');
  const lines = text.split('\n');
  const records: object[] = [];
  const skipped: SkippedLine[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    const complete = i < lines.length - 1; // the last element follows the final '\n' (or is torn)
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      skipped.push({
        line: i + 1,
        text: l.slice(0, 200),
        reason: complete
          ? 'not JSON (a torn write terminated by a later run, or damage)'
          : 'torn last line (the writer stopped mid-line)',
      });
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      skipped.push({ line: i + 1, text: l.slice(0, 200), reason: 'not a JSON object' });
      return;
    }
    if (!complete) {
      // Complete JSON but no newline: the write was cut right before '\n', so append() never
      // resolved and nobody acted on this record. Report it, but keep it — its content is whole.
      skipped.push({
        line: i + 1,
        text: l.slice(0, 200),
        reason: 'last line has no newline (kept: the JSON is complete)',
      });
    }
    records.push(v);
  });
  return { records, skipped };
}

// ---- redaction ---------------------------------------------------------------------------------

const SECRET_KEY = /passphrase|password|token|secret|private.?key/i;
export const REDACTED = '[redacted]';
/** Secrets shorter than this are only redacted on exact match: replacing every "ab" inside
 *  unrelated text would mangle the evidence without protecting anything meaningful. */
const MIN_SUBSTRING_SECRET = 6;

const secrets = new Set<string>();

/** Register a secret value (passphrase, token): it is replaced wherever it appears. */
export function registerSecret(s: string): void {
  if (s !== '') secrets.add(s);
}

/** Drop all registered secrets (tests). */
export function forgetSecrets(): void {
  secrets.clear();
}

/**
 * Credentials that operators write inline in inventory gate commands (health checks against the
 * EMQX REST API are the usual case), recognised by shape: `curl -u user:pass`, `--user user:pass`,
 * `scheme://user:pass@host`, `Authorization: Basic …`/`Bearer …`, and VAR=value where the name
 * says PASS/PASSWORD/TOKEN/SECRET/API_KEY. The secret part becomes [redacted]; the rest stays as
 * evidence of what ran.
 */
const INLINE_SECRETS: ReadonlyArray<[RegExp, string]> = [
  [/(\s-u\s*|--user[=\s]+)'([^':]+):[^']*'/g, `$1'$2:${REDACTED}'`],
  [/(\s-u\s*|--user[=\s]+)"([^":]+):[^"]*"/g, `$1"$2:${REDACTED}"`],
  [/(\s-u\s*|--user[=\s]+)([^\s:'"]+):[^\s'"]+/g, `$1$2:${REDACTED}`],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+):([^\s@/'"]+)@/gi, `$1:${REDACTED}@`],
  [/(authorization:\s*(?:basic|bearer|token)\s+)[^\s'"]+/gi, `$1${REDACTED}`],
  [
    /(\b(?:[A-Za-z_][A-Za-z0-9_]*)?(?:PASS|PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY)[A-Za-z0-9_]*=)(?:'[^']*'|"[^"]*"|[^\s;&|]+)/gi,
    `$1${REDACTED}`,
  ],
];

export function redactString(s: string): string {
  for (const secret of secrets) {
    if (s === secret) return REDACTED;
    if (secret.length >= MIN_SUBSTRING_SECRET && s.includes(secret)) s = s.split(secret).join(REDACTED);
  }
  for (const [re, to] of INLINE_SECRETS) s = s.replace(re, to);
  return s;
}

/**
 * A JSON-safe deep copy of `value` without secrets: values under keys matching
 * /passphrase|password|token|secret|private.?key/i become "[redacted]", and registered secrets
 * are replaced inside any string. Errors become {name, message, …own fields, cause}; Dates ISO
 * strings; bigints strings; cycles "[circular]".
 */
export function redact(value: unknown): unknown {
  return walk(value, new WeakSet());
}

function walk(v: unknown, seen: WeakSet<object>): unknown {
  if (typeof v === 'string') return redactString(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'object' || v === null) return typeof v === 'function' || typeof v === 'symbol' ? undefined : v;
  if (seen.has(v)) return '[circular]';
  seen.add(v);
  try {
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    if (Array.isArray(v)) return v.map((x) => walk(x, seen) ?? null);
    if (v instanceof Map)
      return walkEntries(
        [...v.entries()].map(([k, x]) => [String(k), x]),
        seen,
      );
    if (v instanceof Set) return [...v].map((x) => walk(x, seen) ?? null);
    if (v instanceof Error) {
      const entries: [string, unknown][] = [
        ['name', v.name],
        ['message', v.message],
        ...Object.entries(v).filter(([k]) => k !== 'name' && k !== 'message' && k !== 'stack'),
      ];
      if (v.cause !== undefined) entries.push(['cause', v.cause]);
      return walkEntries(entries, seen);
    }
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function')
      return walk((v as { toJSON(): unknown }).toJSON(), seen);
    return walkEntries(Object.entries(v), seen);
  } finally {
    seen.delete(v);
  }
}

function walkEntries(entries: [string, unknown][], seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) {
    if (SECRET_KEY.test(k)) {
      out[k] = REDACTED;
      continue;
    }
    const w = walk(x, seen);
    if (w !== undefined) out[redactString(k)] = w;
  }
  return out;
}
