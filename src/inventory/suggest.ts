// "Did you mean …?" for unknown keys: the closest known key by edit distance.

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The closest candidate, compared case-insensitively (so `identityfile` → `identityFile` at distance 0),
 * accepted only when at most a third of the typed key differs (min 2 edits): `prot` → `port` (2 of 4),
 * but `foo` suggests nothing rather than a random key.
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const t = typed.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(t, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(2, Math.floor(typed.length / 3));
  return bestD <= limit ? best : undefined;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const guess = closest(key, known);
  return guess !== undefined
    ? `unknown key "${key}"; did you mean \`${guess}\`?`
    : `unknown key "${key}"; expected one of ${known.map((k) => `\`${k}\``).join(', ')}`;
}
