// POSIX shell quoting. Everything we interpolate into a remote command line (paths, node names,
// user-supplied gate commands as arguments of `sh -c`) goes through shq(): inside single quotes the
// shell expands nothing, so `$(touch /tmp/pwned)` or a path with spaces stays one literal word.

/** Quote `s` as one POSIX shell word: `it's` → `'it'\''s'`. The empty string becomes `''`. */
export function shq(s: string): string {
  if (s.includes('\0')) {
    // A NUL cannot be passed through argv at all; refusing beats silently truncating a path.
    throw new TypeError('shq: a shell word cannot contain a NUL byte');
  }
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quote every word and join with spaces: shqAll(['sha256sum', '--', p]). */
export function shqAll(words: readonly string[]): string {
  return words.map(shq).join(' ');
}
