// Pure part of staging: read what the node told us, decide what to do. No I/O here.

export interface StageObservation {
  /** sha256 of the file at remotePath, when it exists. */
  readonly remoteSha: string | undefined;
  /** Size of `<remotePath>.part`, when it exists. */
  readonly partSize: number | undefined;
  /** Free bytes for unprivileged users in the staging directory's filesystem (df -Pk "Available"). */
  readonly freeBytes: number | undefined;
  readonly dfLine: string | undefined;
}

/** Parse the tagged output of the observe script in stage.ts (`sha …`, `part …`, `df …`). */
export function parseObservation(stdout: string): StageObservation {
  let remoteSha: string | undefined;
  let partSize: number | undefined;
  let freeBytes: number | undefined;
  let dfLine: string | undefined;
  for (const line of stdout.split('\n')) {
    // sha256sum prefixes the line with `\` when the file name needs escaping; the digest follows.
    const sha = /^sha \\?([0-9a-f]{64})\b/.exec(line);
    if (sha) remoteSha = sha[1];
    const part = /^part\s+(\d+)\s*$/.exec(line);
    if (part) partSize = Number(part[1]);
    if (line.startsWith('df ')) {
      const df = parseDfPkLine(line.slice(3));
      if (df !== undefined) {
        freeBytes = df;
        dfLine = line.slice(3);
      }
    }
  }
  return { remoteSha, partSize, freeBytes, dfLine };
}

/**
 * One data line of `df -Pk`: `Filesystem 1024-blocks Used Available Capacity Mounted-on`.
 * Parsed around the numeric columns because file system names and mount points may hold spaces.
 * Returns available bytes.
 */
export function parseDfPkLine(line: string): number | undefined {
  const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)\s+(.*)$/.exec(line.trim());
  return m ? Number(m[4]) * 1024 : undefined;
}

export type StageDecision =
  | { readonly kind: 'present' }
  | { readonly kind: 'refuse-disk'; readonly needBytes: number; readonly freeBytes: number }
  | { readonly kind: 'disk-unknown'; readonly needBytes: number }
  | { readonly kind: 'check-part'; readonly partSize: number }
  | { readonly kind: 'fresh' };

/**
 * Free space needed: the relup handler keeps the tarball, its extracted copy in $TMPDIR and the
 * deployed copy under relup/<vsn> (facts §6.11: "about 3×"), so we want size × 4 for a margin.
 * Bytes of a `.part` we will resume are already on disk and count as used.
 * Worked example: 180 MB tarball, 40 MB part → need 720 − 40 = 680 MB free.
 */
export function decideStage(
  obs: StageObservation,
  local: { size: number; sha256: string; freeSpaceFactor: number },
): StageDecision {
  if (obs.remoteSha === local.sha256) return { kind: 'present' };
  const resumable = obs.partSize !== undefined && obs.partSize > 0 && obs.partSize <= local.size;
  const onDisk = resumable ? obs.partSize : 0;
  const needBytes = Math.max(0, Math.ceil(local.size * local.freeSpaceFactor) - onDisk);
  // Fail closed: an unreadable df is not "enough space".
  if (obs.freeBytes === undefined) return { kind: 'disk-unknown', needBytes };
  if (obs.freeBytes < needBytes) return { kind: 'refuse-disk', needBytes, freeBytes: obs.freeBytes };
  return resumable ? { kind: 'check-part', partSize: obs.partSize } : { kind: 'fresh' };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/**
 * Offsets worth trying for a resume, largest first. The .part's full size is the usual answer; but
 * a server that runs WRITEs concurrently can leave holes in the last in-flight window when it dies
 * (up to 64 × 32 KiB = 2 MiB outstanding), so we also try 4 MiB earlier, aligned down to 1 MiB —
 * resending 4 MiB beats resending the whole file. Every candidate is verified by hash; none is trusted.
 */
export function resumeCandidates(partSize: number): number[] {
  const MiB = 1024 * 1024;
  const earlier = Math.floor((partSize - 4 * MiB) / MiB) * MiB;
  return earlier > 0 ? [partSize, earlier] : [partSize];
}
