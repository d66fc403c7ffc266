#!/usr/bin/env bash
# Rehearse a rollout in CI: start a simulated EMQX cluster (sandbox), plan, upgrade it with the
# real tool over real SSH, then check that the run ended in rollout.done and every node runs the
# target version. Exit 0 = the rehearsal passed; anything else fails the CI job.
#
# Usage:   examples/rehearse-in-ci.sh
# Env:     EMQX_ROLLOUT  the command to run (default: `node dist/cli/main.js`, i.e. from a built
#                        checkout; set it to `emqx-rollout` when installed)
#          DIR           where the sandbox lives (default: a fresh temp dir, removed afterwards)
#          NODES         cluster size (default 3)
# Needs:   bash, node (for the JSON checks; jq is not required).
set -euo pipefail

# Word-split on purpose: the default is a command plus an argument.
read -r -a ROLLOUT <<< "${EMQX_ROLLOUT:-node dist/cli/main.js}"
NODES="${NODES:-3}"
OWN_DIR=""
if [[ -z "${DIR:-}" ]]; then
  DIR="$(mktemp -d "${TMPDIR:-/tmp}/emqx-rollout-rehearsal.XXXXXX")"
  OWN_DIR="$DIR"
fi
OUT="$DIR/out"

say() { printf '[rehearse] %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# Always stop the sandbox (its supervisor and node daemons outlive this shell otherwise).
cleanup() {
  local rc=$?
  "${ROLLOUT[@]}" sandbox down --dir "$DIR" >&2 || say "sandbox down failed (rc $?)"
  if [[ -n "$OWN_DIR" ]]; then rm -rf "$OWN_DIR"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting a $NODES-node sandbox in $DIR"
"${ROLLOUT[@]}" sandbox up --dir "$DIR" --nodes "$NODES" >&2
mkdir -p "$OUT"
INV="$DIR/inventory.yaml"
TARBALLS=("$DIR"/release/*.tar.gz)
[[ ${#TARBALLS[@]} -eq 1 && -f "${TARBALLS[0]}" ]] || fail "expected one tarball in $DIR/release, found: ${TARBALLS[*]}"
TARBALL="${TARBALLS[0]}"

# 1. plan: exit 0 = can proceed, 3 = preflight blocks it (the plan says why), 2 = bad input.
say "plan"
set +e
"${ROLLOUT[@]}" plan -i "$INV" --tarball "$TARBALL" --json > "$OUT/plan.ndjson"
rc=$?
set -e
[[ $rc -eq 0 ]] || fail "plan exited $rc (3 = preflight blocked); see $OUT/plan.ndjson"

# The target version, read from the plan rather than assumed.
TARGET="$(node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const p = lines.find((e) => e.type === "plan.ready");
  if (!p) { console.error("no plan.ready event"); process.exit(1); }
  process.stdout.write(p.plan.to);
' "$OUT/plan.ndjson")"
say "target version $TARGET"

# 2. upgrade, non-interactive. Exit codes: 0 done, 3 blocked, 4 halted, 5 paused, 6 lock held.
say "upgrade"
set +e
"${ROLLOUT[@]}" upgrade -i "$INV" --tarball "$TARBALL" --yes --json > "$OUT/rollout.ndjson"
rc=$?
set -e
[[ $rc -eq 0 ]] || fail "upgrade exited $rc; events in $OUT/rollout.ndjson"

# 3. The event stream ends in rollout.done (log lines may follow it; they do not count).
node -e '
  const events = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const last = events.filter((e) => e.type !== "log").at(-1);
  if (!last || last.type !== "rollout.done") {
    console.error(`last event is ${last ? last.type : "missing"}, expected rollout.done`);
    process.exit(1);
  }
' "$OUT/rollout.ndjson" || fail "the rollout did not end in rollout.done"

# 4. Every node is reachable, running and on the target version.
say "status"
"${ROLLOUT[@]}" status -i "$INV" --json > "$OUT/status.ndjson"
node -e '
  const [file, target, n] = process.argv.slice(1);
  const rows = require("fs").readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === "node.status");
  const bad = rows.filter((r) => !r.reachable || !r.running || r.version !== target);
  if (rows.length !== Number(n) || bad.length > 0) {
    console.error(`expected ${n} nodes running ${target}, found: ` + rows.map((r) => `${r.node}=${r.reachable ? (r.running ? r.version : "down") : "unreachable"}`).join(", "));
    process.exit(1);
  }
' "$OUT/status.ndjson" "$TARGET" "$NODES" || fail "not every node reached $TARGET"

say "OK: $NODES nodes upgraded to $TARGET"
