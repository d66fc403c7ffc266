// Staging one file on a node: verify-or-upload, resumable, verified, atomic.
//   observe (mkdir -p, sha256 of the target, size of a .part, df) → decide (stagePlan.ts) →
//   maybe check the .part prefix → upload from the verified offset → verify size + sha256 → rename.
// Every remote path is shell-quoted; the .part sits in the same directory so the rename is atomic.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { BadInputError, RolloutError } from '../util/errors.js';
import type { ExecOptions, ExecResult, StageProgress, StageResult } from './types.js';
import { describeResult, execOn } from './exec.js';
import { shq } from '../util/shellQuote.js';
import type { SftpSession } from './sftp.js';
import { sftpCall } from './sftp.js';
import { decideStage, formatBytes, parseObservation, resumeCandidates, type StageObservation } from './stagePlan.js';
import { uploadFrom } from './upload.js';
import type { Connection } from './connect.js';
import { StageChannel } from './execUpload.js';
import { parseOutcome, parsePrefixes, stageCommand } from './stageScript.js';

export interface StageOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: StageProgress) => void;
  /** Required free space = file size × this (default 4, see stagePlan.ts decideStage). */
  readonly freeSpaceFactor?: number;
  /** Minimum gap between progress callbacks; 100 ms = at most 10 per second. */
  readonly progressIntervalMs?: number;
  readonly chunkSize?: number;
  readonly maxOutstanding?: number;
  /**
   * 'exec' (default when the context offers a connection): one exec channel observes, receives the
   * bytes on stdin, hashes them while writing and renames (stageScript.ts). 'sftp': the earlier
   * path (SFTP WRITEs, a follower hashing the .part, rename) — kept for comparison in the bench.
   */
  readonly transport?: 'exec' | 'sftp';
}

export interface StageContext {
  readonly node: string;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  sftp(): Promise<SftpSession>;
  /** The node's SSH connection (as the login user), for the exec transport. */
  connection?(): Promise<Connection>;
}

export const DEFAULT_FREE_SPACE_FACTOR = 4;

export async function stageFile(
  ctx: StageContext,
  localPath: string,
  remotePath: string,
  sha256: string,
  opts: StageOptions = {},
): Promise<StageResult> {
  const started = Date.now();
  const expected = sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected))
    throw new BadInputError(`stage ${localPath}: expected a sha256 of 64 hex digits, got ${JSON.stringify(sha256)}`);
  if (!remotePath.startsWith('/') || remotePath.endsWith('/')) {
    throw new BadInputError(`${ctx.node}: remote path ${JSON.stringify(remotePath)} must be an absolute file path`, {
      hint: 'stagingDir in the inventory must be absolute',
    });
  }
  let size: number;
  try {
    const st = await stat(localPath);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (e) {
    throw new BadInputError(`cannot read ${localPath}: ${(e as Error).message}`, { cause: e });
  }
  const dir = posix.dirname(remotePath);
  const part = `${remotePath}.part`;
  const progress = throttle(opts.onProgress, opts.progressIntervalMs ?? 100);
  const factor = opts.freeSpaceFactor ?? DEFAULT_FREE_SPACE_FACTOR;
  if (opts.transport !== 'sftp' && ctx.connection) {
    const conn = await ctx.connection();
    return stageViaExec(conn, { localPath, remotePath, dir, part, size, expected, factor, started }, progress, opts);
  }
  const q = { d: shq(dir), f: shq(remotePath), p: shq(part) };
  const run = async (what: string, command: string): Promise<ExecResult> => {
    const r = await ctx.exec(command, { ...(opts.signal ? { signal: opts.signal } : {}), timeoutMs: 10 * 60_000 });
    if (r.aborted) throw new RolloutError('interrupted', `${ctx.node}: staging cancelled while ${what}`);
    if (r.exitCode !== 0) {
      throw new RolloutError('remote', `${ctx.node}: staging ${remotePath} failed while ${what}`, {
        details: describeResult(r),
      });
    }
    return r;
  };

  // The SFTP subsystem opens in parallel with the observation: each is a round trip (~85 ms on
  // OpenSSH, whose sshd keeps Nagle on for exec sessions), and the upload needs both.
  const sftpReady = ctx.sftp();
  sftpReady.catch(() => undefined); // judged where it is awaited
  // 1. Observe. sha256sum of a large file takes ~1 s per GB; df -P keeps one line per filesystem.
  const obsResult = await run(
    'checking the node',
    [
      `mkdir -p -- ${q.d}`,
      `if [ -f ${q.f} ]; then printf 'sha %s\\n' "$(sha256sum -- ${q.f})"; fi`,
      `if [ -f ${q.p} ]; then printf 'part %s\\n' "$(wc -c < ${q.p})"; fi`,
      `df -Pk -- ${q.d} | tail -n 1 | sed 's/^/df /'`,
    ].join(' && '),
  );
  const obs = parseObservation(obsResult.stdout);
  const decision = decideStage(obs, { size, sha256: expected, freeSpaceFactor: factor });

  switch (decision.kind) {
    case 'present':
      progress.final({ file: remotePath, bytesDone: size, bytesTotal: size, rate: 0 });
      return { remotePath, action: 'present', bytesSent: 0, durationMs: Date.now() - started };
    case 'disk-unknown':
      throw new RolloutError('remote', `${ctx.node}: cannot tell the free space in ${dir}; refusing to stage`, {
        details: describeResult(obsResult),
        hint: 'df -Pk must work on the node',
      });
    case 'refuse-disk':
      throw diskError(ctx.node, dir, localPath, size, factor, decision, obs);
    case 'check-part':
    case 'fresh':
      break;
  }

  // 2. A .part from an earlier attempt is resumed only from an offset whose prefix hashes equal.
  let from = 0;
  if (decision.kind === 'check-part') {
    const candidates = resumeCandidates(decision.partSize);
    const [remoteOut, local] = await Promise.all([
      run('checking the partial upload', candidates.map((n) => `head -c ${n} < ${q.p} | sha256sum`).join(' && ')),
      hashPrefixes(localPath, candidates),
    ]);
    const remoteHex = remoteOut.stdout.split('\n').map((l) => /^([0-9a-f]{64})/.exec(l)?.[1]);
    const i = candidates.findIndex((n, k) => remoteHex[k] !== undefined && remoteHex[k] === local.get(n)!.hex);
    if (i >= 0) from = candidates[i]!;
  }

  // 3. Upload from the verified offset, while a follower on the node hashes the .part as it grows
  //    (see followerCommand): the 256 MiB bench spent 0.75 s in a sha256sum after a 1.0 s upload.
  const session = await sftpReady;
  const upStarted = Date.now();
  const followAbort = new AbortController();
  let follower: Promise<{ sha: string; size: number } | undefined> | undefined;
  let bytesSent: number;
  try {
    bytesSent = await uploadFrom({
      session,
      conn: session.conn,
      localPath,
      remotePath: part,
      fromOffset: from,
      size,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
      ...(opts.maxOutstanding ? { maxOutstanding: opts.maxOutstanding } : {}),
      onOpened: () => {
        follower = ctx.exec(followerCommand(part, size), { signal: followAbort.signal }).then(
          (r) => {
            const m = /^([0-9a-f]{64})\b.*\n\s*(\d+)\s*$/.exec(r.stdout);
            return r.exitCode === 0 && m ? { sha: m[1], size: Number(m[2]) } : undefined;
          },
          () => undefined,
        );
      },
      onBytes: (sent) =>
        progress.tick({ file: remotePath, bytesDone: from + sent, bytesTotal: size, rate: rate(sent, upStarted) }),
    });
  } catch (e) {
    followAbort.abort();
    await follower;
    throw e;
  }
  progress.final({ file: remotePath, bytesDone: size, bytesTotal: size, rate: rate(bytesSent, upStarted) });
  // 4. Verify what landed on the node, byte count and digest. The follower's digest counts only if it
  //    matches; anything else (hole read as zeros on a server that writes out of order, no GNU tail,
  //    a lagging follower) falls back to hashing the whole .part again.
  const followed = await withDeadline(
    follower ?? Promise.resolve(undefined),
    Math.max(5_000, (size / (20 * 1024 * 1024)) * 1000),
    () => followAbort.abort(),
  );
  let remoteSize: number;
  let remoteSha: string | undefined;
  let ver: ExecResult | undefined;
  if (followed && followed.sha === expected && followed.size === size) {
    remoteSize = followed.size;
    remoteSha = followed.sha;
  } else {
    ver = await run('verifying the upload', `wc -c < ${q.p} && sha256sum < ${q.p}`);
    const [sizeLine = '', shaLine = ''] = ver.stdout.trim().split('\n');
    remoteSize = Number(sizeLine.trim());
    remoteSha = /^([0-9a-f]{64})/.exec(shaLine)?.[1];
  }
  if (remoteSize !== size || remoteSha !== expected) {
    followAbort.abort();
    await ctx.exec(`rm -f -- ${q.p}`).catch(() => undefined); // the next attempt starts clean
    // Only now hash the local file: on the happy path that would cost a full read + sha256 on the
    // bastion's CPU during the upload (~0.4 s per 256 MiB here) for nothing.
    const localSha = await sha256File(localPath);
    if (localSha !== expected) {
      throw new BadInputError(`${localPath} does not match its expected sha256`, {
        details: [`expected: ${expected}`, `actual:   ${localSha}`],
        hint: 'the local tarball or its sidecar is corrupt or belongs to another release; download both again',
      });
    }
    throw new RolloutError('remote', `${ctx.node}: uploaded ${part} failed verification`, {
      details: [
        `size on node: ${remoteSize}, expected ${size}`,
        `sha256 on node: ${remoteSha ?? '?'}, expected ${expected}`,
        ...(ver ? describeResult(ver) : []),
      ],
      hint: "run the stage again; if it repeats, check the node's disk and filesystem",
    });
  }

  // 5. Atomic replace.
  if (session.posixRename && !session.closed) {
    await sftpCall<void>(session, session.conn, `renaming ${part}`, (cb) =>
      session.sftp.ext_openssh_rename(part, remotePath, cb),
    );
  } else {
    await run('renaming into place', `mv -f -- ${q.p} ${q.f}`);
  }
  return { remotePath, action: from > 0 ? 'resumed' : 'uploaded', bytesSent, durationMs: Date.now() - started };
}

function diskError(
  node: string,
  dir: string,
  localPath: string,
  size: number,
  factor: number,
  decision: { needBytes: number; freeBytes: number },
  obs: StageObservation,
): RolloutError {
  return new RolloutError(
    'remote',
    `${node}: not enough free space in ${dir}: ${formatBytes(decision.freeBytes)} free, need ${formatBytes(decision.needBytes)}`,
    {
      details: [
        `file: ${localPath} (${formatBytes(size)}, ${size} bytes)`,
        `needed: size × ${factor} (tarball + extracted copy + deployed relup tree + margin) = ${decision.needBytes} bytes`,
        `free: ${decision.freeBytes} bytes (df -Pk: ${obs.dfLine ?? '?'})`,
      ],
      hint: `free at least ${formatBytes(decision.needBytes - decision.freeBytes)} on the node or point stagingDir at a larger filesystem`,
    },
  );
}

interface Job {
  readonly localPath: string;
  readonly remotePath: string;
  readonly dir: string;
  readonly part: string;
  readonly size: number;
  readonly expected: string;
  readonly factor: number;
  readonly started: number;
}

/**
 * Staging over one exec channel (stageScript.ts): observe → decide → maybe compare .part prefixes →
 * stream the bytes → the node appends them to the .part, hashes the file (openssl when it works: one
 * read from the page cache), checks size + digest + cat's status and renames. Round trips on a fresh
 * upload: the exec itself and the bytes; no SFTP channel, no follower, no rename round trip, no hash
 * of the local file on the happy path.
 */
async function stageViaExec(
  conn: Connection,
  job: Job,
  progress: ReturnType<typeof throttle>,
  opts: StageOptions,
): Promise<StageResult> {
  const { localPath, remotePath, dir, part, size, expected, factor } = job;
  const node = conn.node;
  const ch = await StageChannel.open(conn, stageCommand(dir, remotePath, part, size, expected), {
    doing: `uploading ${part}`,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const obsText = await ch.untilReady();
  const obs = parseObservation(obsText);
  const decision = decideStage(obs, { size, sha256: expected, freeSpaceFactor: factor });
  switch (decision.kind) {
    case 'present':
      await ch.stop();
      progress.final({ file: remotePath, bytesDone: size, bytesTotal: size, rate: 0 });
      return { remotePath, action: 'present', bytesSent: 0, durationMs: Date.now() - job.started };
    case 'disk-unknown':
      await ch.stop();
      throw new RolloutError('remote', `${node}: cannot tell the free space in ${dir}; refusing to stage`, {
        details: ch.evidence(),
        hint: 'df -Pk must work on the node',
      });
    case 'refuse-disk':
      await ch.stop();
      throw diskError(node, dir, localPath, size, factor, decision, obs);
    case 'check-part':
    case 'fresh':
      break;
  }
  // A .part from an earlier attempt is resumed only from an offset whose prefix hashes equal.
  let from = 0;
  if (decision.kind === 'check-part') {
    const candidates = resumeCandidates(decision.partSize);
    ch.say(`hash ${candidates.join(' ')}`);
    const [remoteText, local] = await Promise.all([ch.untilReady(), hashPrefixes(localPath, candidates)]);
    const remote = parsePrefixes(remoteText);
    from = candidates.find((n) => remote.get(n) !== undefined && remote.get(n) === local.get(n)?.hex) ?? 0;
  }
  ch.say(`from ${from}`);
  const upStarted = Date.now();
  const end = await ch.upload(localPath, from, size, (sent) =>
    progress.tick({ file: remotePath, bytesDone: from + sent, bytesTotal: size, rate: rate(sent, upStarted) }),
  );
  const bytesSent = size - from;
  const outcome = parseOutcome(end.stdout);
  if (outcome.kind === 'done' && outcome.sha === expected && outcome.size === size) {
    progress.final({ file: remotePath, bytesDone: size, bytesTotal: size, rate: rate(bytesSent, upStarted) });
    return { remotePath, action: from > 0 ? 'resumed' : 'uploaded', bytesSent, durationMs: Date.now() - job.started };
  }
  if (outcome.kind === 'none') {
    throw new RolloutError('remote', `${node}: staging ${remotePath} failed on the node`, {
      details: ch.evidence(),
      hint: 'the node needs a POSIX sh with mkdir, df, head, cat, dd, mv and sha256sum (or openssl)',
    });
  }
  // Only now hash the local file: on the happy path that would cost a full read + sha256 here.
  const localSha = await sha256File(localPath);
  if (localSha !== expected) {
    // the script removed a full-size .part that did not match; a shorter one is not ours either
    if (outcome.kind === 'bad' && (outcome.size ?? 0) < size)
      await execOnLogin(conn, `rm -f -- ${shq(part)}`).catch(() => undefined);
    throw new BadInputError(`${localPath} does not match its expected sha256`, {
      details: [`expected: ${expected}`, `actual:   ${localSha}`],
      hint: 'the local tarball or its sidecar is corrupt or belongs to another release; download both again',
    });
  }
  throw new RolloutError('remote', `${node}: uploaded ${part} failed verification`, {
    details: [
      outcome.kind === 'bad'
        ? `on the node: cat status ${outcome.rc || '?'}, size ${outcome.size ?? '?'} (expected ${size}), sha256 ${outcome.sha || '?'}`
        : `on the node: sha256 ${outcome.sha}, size ${outcome.size}`,
      `expected sha256: ${expected}`,
      ...ch.evidence(),
    ],
    hint: "run the stage again (a short .part is resumed); if it repeats, check the node's disk and filesystem",
  });
}

function execOnLogin(conn: Connection, command: string): Promise<unknown> {
  return execOn(conn, command, { timeoutMs: 30_000 });
}

/**
 * Hash the .part on the node while it is being written: GNU `tail -f` (inotify; -s 0.1 when it must
 * poll) streams the file from byte 0, `head -c SIZE` stops at the expected length and sha256sum
 * prints the digest of exactly those bytes. Started only after the upload opened (and, for a fresh
 * upload, truncated) the file, so it never sees the old content. No temp files.
 * Self-limiting: sshd does not stop a non-pty command when the connection drops (libraries.md §1.7),
 * so tail follows only while a watchdog lives (`--pid`); the watchdog ends when the file reached
 * SIZE, when the .part is gone (renamed into place: the upload finished), or when it has not grown
 * for 20 checks × 0.5 s = 10 s (then the digest is of a short file, does not match, and the caller
 * hashes the whole file instead).
 */
export function followerCommand(part: string, size: number, stallChecks = 20): string {
  const p = shq(part);
  return [
    `( last=-1; still=0; while [ $still -lt ${stallChecks} ]; do sleep 0.5; [ -e ${p} ] || exit 0; n=$(wc -c < ${p}); [ "$n" -ge ${size} ] 2>/dev/null && exit 0;` +
      ` if [ "$n" = "$last" ]; then still=$((still+1)); else still=0; fi; last=$n; done ) >/dev/null 2>&1 &`,
    `tail -s 0.1 -c +1 -f --pid=$! -- ${p} 2>/dev/null | head -c ${size} | sha256sum`,
    // the size too, so a matching follower saves the verify round trip (~85 ms per exec on sshd)
    `wc -c < ${p}`,
  ].join('\n');
}

/** Resolve with the promise's value, or undefined after `ms` (calling onTimeout). */
async function withDeadline<T>(p: Promise<T | undefined>, ms: number, onTimeout: () => void): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((res) => {
    timer = setTimeout(() => {
      onTimeout();
      res(undefined);
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function rate(bytes: number, since: number): number {
  const s = (Date.now() - since) / 1000;
  return s > 0 ? Math.round(bytes / s) : 0;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest('hex');
}

/** sha256 of the first n bytes for every n in `sizes`, in one read, plus a live copy of each state. */
async function hashPrefixes(file: string, sizes: readonly number[]): Promise<Map<number, { hex: string; hash: Hash }>> {
  const marks = [...new Set(sizes)].sort((a, b) => a - b);
  const out = new Map<number, { hex: string; hash: Hash }>();
  const h = createHash('sha256');
  let pos = 0;
  const mark = () => {
    while (marks.length > 0 && marks[0] === pos)
      out.set(marks.shift()!, { hex: h.copy().digest('hex'), hash: h.copy() });
  };
  mark();
  if (marks.length === 0) return out;
  for await (const chunk of createReadStream(file, {
    start: 0,
    end: marks[marks.length - 1] - 1,
  }) as AsyncIterable<Buffer>) {
    let c = chunk;
    while (c.length > 0) {
      const take = Math.min(c.length, marks[0] - pos);
      h.update(c.subarray(0, take));
      pos += take;
      c = c.subarray(take);
      mark();
      if (marks.length === 0) return out;
    }
  }
  return out;
}

function throttle(fn: ((p: StageProgress) => void) | undefined, intervalMs: number) {
  let last = 0;
  return {
    tick(p: StageProgress) {
      if (!fn) return;
      const now = Date.now();
      if (now - last < intervalMs) return;
      last = now;
      fn(p);
    },
    final(p: StageProgress) {
      fn?.(p);
    },
  };
}
