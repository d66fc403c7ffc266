// The node side of staging over ONE exec channel (stage.ts): a POSIX sh script that observes, then
// takes the tarball on its stdin, hashes what landed, verifies and renames in place.
// Pure: builds the command text and parses what the script prints; no I/O here.
//
// Conversation (stdout lines are tagged; anything else, e.g. a noisy login shell, is ignored):
//   node → `pgid N`, then the observation (`sha HEX` when the target exists with the expected size,
//          `part N` when a .part exists, `df …`), then `ready`
//   ctl  → `stop`                       nothing to do (present, or refused): exit 0, nothing written
//        → `hash N [M]`                 node prints `prefix N HEX` per offset, then `ready` again
//        → `from K` + the bytes [K, size) + EOF
//   node → the .part is cut to K bytes (0: emptied), `cat >> .part` appends the bytes until EOF, then
//          the whole .part is hashed from the page cache: the digest is of the file as it is on disk.
//          Then, on the node:
//            cat's status 0, size = SIZE, digest = SHA → `mv -f .part target` → `done HEX N`
//            otherwise → `bad rc=… size=… sha=…`; a .part of SIZE bytes or more is removed (it
//            can never become right), a shorter one stays for the next resume.
// Why not hash while receiving (`tee .part | sha256`): measured on this 2-core box (256 MiB, client
// and node sharing the cores) that pipeline cost the node side ~1.1–2.0 s CPU against ~0.5 s for
// `cat` + ~0.3 s for the hash afterwards (openssl with SHA-NI, from the page cache); the extra pipe
// hop and tee's 8 KiB reads cost more than the second read. scp's node side: ~0.7–1.5 s.
// The digest program is `openssl dgst -sha256` when the node has a working one (SHA-NI: ~5× less
// CPU than coreutils sha256sum here, 0.14 s vs 0.78 s for 256 MiB), else sha256sum.
// Arguments reach the script as positional parameters ($1…$5), never inside its text.
import { shq } from '../util/shellQuote.js';

export const STAGE_SCRIPT = [
  'd=$1 f=$2 p=$3 size=$4 want=$5',
  'echo "pgid $$"',
  "if printf '' | openssl dgst -sha256 -r 2>/dev/null | grep -q '^e3b0c44298fc1c149afbf4c8996fb924'; then",
  "  H='openssl dgst -sha256 -r'; else H=sha256sum; fi",
  'mkdir -p -- "$d" || exit 10',
  // hash an existing target only when its size is right: a wrong size is never "present"
  'if [ -f "$f" ] && [ "$(wc -c < "$f" | tr -d " ")" = "$size" ]; then printf \'sha %s\\n\' "$($H < "$f")"; fi',
  'if [ -f "$p" ]; then printf \'part %s\\n\' "$(wc -c < "$p" | tr -d " ")"; fi',
  'df -Pk -- "$d" | tail -n 1 | sed \'s/^/df /\'',
  'echo ready',
  'while read -r cmd a b; do',
  '  case $cmd in',
  '  hash)',
  '    for n in $a $b; do printf \'prefix %s %s\\n\' "$n" "$(head -c "$n" < "$p" | $H)"; done',
  '    echo ready ;;',
  '  from)',
  '    if [ "$a" -gt 0 ]; then dd if=/dev/null of="$p" bs=1 seek="$a" 2>/dev/null || exit 11',
  '    else : > "$p" || exit 11; fi',
  '    cat >> "$p"; rc=$?',
  '    n=$(wc -c < "$p" | tr -d " ")',
  '    sum=; [ "$n" = "$size" ] && ' + 'sum=$($H < "$p" | sed -n \'s/^\\([0-9a-f]\\{64\\}\\).*/\\1/p\')',
  '    if [ "$rc" = 0 ] && [ "$n" = "$size" ] && [ "$sum" = "$want" ]; then',
  '      mv -f -- "$p" "$f" || exit 12',
  '      echo "done $sum $n"; exit 0',
  '    fi',
  '    [ "$n" -lt "$size" ] 2>/dev/null || rm -f -- "$p"',
  '    echo "bad rc=$rc size=$n sha=$sum"; exit 1 ;;',
  '  *) exit 0 ;;',
  '  esac',
  'done',
  'exit 0',
].join('\n');

/**
 * The exec command: the script under `sh` whatever the login shell is, its inputs as arguments.
 * `$0` names it in `ps` on the node.
 */
export function stageCommand(dir: string, target: string, part: string, size: number, sha256: string): string {
  return `exec sh -c ${shq(STAGE_SCRIPT)} emqx-rollout-stage ${[dir, target, part, String(size), sha256]
    .map(shq)
    .join(' ')}`;
}

export type StageOutcome =
  | { readonly kind: 'done'; readonly sha: string; readonly size: number }
  | { readonly kind: 'bad'; readonly rc: string; readonly size: number | undefined; readonly sha: string }
  | { readonly kind: 'none' };

/** The script's last word after an upload (`done …` or `bad …`); `none` when it said neither. */
export function parseOutcome(stdout: string): StageOutcome {
  for (const line of stdout.split('\n').reverse()) {
    const done = /^done ([0-9a-f]{64}) (\d+)$/.exec(line);
    if (done) return { kind: 'done', sha: done[1], size: Number(done[2]) };
    const bad = /^bad rc=(\S*) size=(\S*) sha=(\S*)$/.exec(line);
    if (bad) {
      const size = /^\d+$/.test(bad[2]) ? Number(bad[2]) : undefined;
      return { kind: 'bad', rc: bad[1], size, sha: bad[3] };
    }
  }
  return { kind: 'none' };
}

/** `prefix N HEX` lines → offset → digest. */
export function parsePrefixes(stdout: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const m of stdout.matchAll(/^prefix (\d+) ([0-9a-f]{64})\b/gm)) out.set(Number(m[1]), m[2]);
  return out;
}
