// Can the EMQX service user read the staged tarball and its sidecar? The relup handler reads them
// inside the VM, as that user (facts A4), not as whoever staged them. Pure judgement of `stat`.
import { normalize } from './common.js';

export interface ReadableVerdict {
  readonly ok: boolean;
  readonly message: string;
}

interface Entry {
  readonly mode: number;
  readonly owner: string;
  readonly path: string;
}

/** `stat -c '%a %U %n'` lines: the file, the sidecar, then every ancestor dir. */
export function parseStatLines(text: string): Entry[] {
  const out: Entry[] = [];
  for (const l of normalize(text).split('\n')) {
    const m = /^([0-7]{3,4}) (\S+) (\/.*)$/.exec(l.trim());
    if (m) out.push({ mode: parseInt(m[1], 8), owner: m[2], path: m[3] });
  }
  return out;
}

/**
 * Files need read, dirs search (x), for `runnerUser` (the beam's user, else RUNNER_USER): by the
 * owner bits when it owns the entry, else by the other bits (group membership is not known here,
 * so it does not count). null when that user is unknown: then this is not judged at all.
 */
export function judgeStagedReadable(
  statText: string,
  files: readonly string[],
  runnerUser: string | null,
): ReadableVerdict | null {
  // Unknown user (a tarball install whose beam we did not find): nothing to judge against.
  if (!runnerUser) return null;
  if (runnerUser === 'root' || runnerUser === '0')
    return { ok: true, message: 'the EMQX node runs as root: it reads any staged file' };
  const es = parseStatLines(statText);
  const who = runnerUser;
  for (const f of files) if (!es.some((e) => e.path === f)) return { ok: false, message: `cannot stat ${f}` };
  for (const e of es) {
    const isFile = files.includes(e.path);
    const need = isFile ? 4 : 1;
    const bits = runnerUser && e.owner === runnerUser ? (e.mode >> 6) & 7 : e.mode & 7;
    if ((bits & need) === 0) {
      const fix = isFile ? `chmod o+r ${e.path}` : `chmod o+x ${e.path}`;
      return {
        ok: false,
        message: `${e.path} (mode ${e.mode.toString(8).padStart(4, '0')}, owner ${e.owner}) is not ${isFile ? 'readable' : 'searchable'} by ${who}, who runs the relup handler: ${fix}`,
      };
    }
  }
  return { ok: true, message: `staged tarball and sidecar readable by ${who}` };
}
