// Stat → SFTPv3 attributes and the `ls -l` style longname OpenSSH's sftp client prints for `ls -l`.
import type { Stats } from 'node:fs';
import type { Attributes } from 'ssh2';

export function attrsOf(st: Stats): Attributes {
  return {
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

const TYPE_CHARS: ReadonlyArray<[number, string]> = [
  [0o140000, 's'],
  [0o120000, 'l'],
  [0o100000, '-'],
  [0o060000, 'b'],
  [0o040000, 'd'],
  [0o020000, 'c'],
  [0o010000, 'p'],
];

export function modeString(mode: number): string {
  const fmt = mode & 0o170000;
  const type = TYPE_CHARS.find(([bits]) => bits === fmt)?.[1] ?? '?';
  const rwx = (shift: number, special: number, specialChar: string): string => {
    const bits = (mode >> shift) & 7;
    const x = bits & 1;
    const s = (mode & special) !== 0;
    const last = s ? (x ? specialChar : specialChar.toUpperCase()) : x ? 'x' : '-';
    return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${last}`;
  };
  return type + rwx(6, 0o4000, 's') + rwx(3, 0o2000, 's') + rwx(0, 0o1000, 't');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// ls shows the year instead of the time for files older than ~6 months (182 days).
const HALF_YEAR_MS = 182 * 24 * 3600 * 1000;

export function longname(name: string, st: Stats, nowMs: number): string {
  const d = new Date(st.mtimeMs);
  const day = String(d.getDate()).padStart(2, ' ');
  const recent = Math.abs(nowMs - st.mtimeMs) < HALF_YEAR_MS;
  const tail = recent
    ? `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
    : ` ${d.getFullYear()}`;
  return [
    modeString(st.mode),
    String(st.nlink).padStart(4),
    String(st.uid).padEnd(8),
    String(st.gid).padEnd(8),
    String(st.size).padStart(8),
    `${MONTHS[d.getMonth()]} ${day} ${tail}`,
    name,
  ].join(' ');
}
