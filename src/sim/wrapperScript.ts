// `bin/emqx` of a simulated release: a POSIX sh script with the real wrapper's relup logic
// (bin/emqx @ e5.10.4 lines 183–220, facts §2) in front of the node simulator's CLI.
//   - help/root_dir/ertspath and `<cmd> help` answer before the relup check (so root_dir prints
//     the base root even after a hot upgrade);
//   - `$RUNNER_ROOT_DIR/relup/current` present → exec the deployed tree's bin/emqx with
//     BASE_RUNNER_ROOT_DIR exported; boot commands first print the INFO line;
//   - otherwise exec `<node> <dist/sim/emqxCli.js>` (absolute paths baked in at build time, so it
//     works from an sshd login shell whose PATH has no node).

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function wrapperScript(nodeBin: string, cliJs: string): string {
  return `#!/bin/sh
# EMQX Enterprise node (emqx-rollout simulator). Behaves like bin/emqx of EMQX 5.10.
set -e
RUNNER_ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
export RUNNER_ROOT_DIR
SIM_NODE=${q(nodeBin)}
SIM_CLI=${q(cliJs)}

case "\${1:-}" in
  ''|help|root_dir|ertspath)
    BASE_RUNNER_ROOT_DIR="\${BASE_RUNNER_ROOT_DIR:-$RUNNER_ROOT_DIR}"
    export BASE_RUNNER_ROOT_DIR
    exec "$SIM_NODE" "$SIM_CLI" "$@"
    ;;
esac
if [ "\${1:-}" != ctl ] && [ "\${2:-}" = help ]; then
  exec "$SIM_NODE" "$SIM_CLI" help
fi

RELUP_DIR="relup"
BASE_RUNNER_ROOT_DIR="\${BASE_RUNNER_ROOT_DIR:-$RUNNER_ROOT_DIR}"
RELUP_PATH="$RUNNER_ROOT_DIR/$RELUP_DIR"

if [ -f "$RELUP_PATH/current" ]; then
    TARGET_VSN=$(cat "$RELUP_PATH/current")
    export BASE_RUNNER_ROOT_DIR
    ## only print for boot commands to avoid messing the CLI outputs
    case "$1" in
      start|console|console_clean|foreground|check_config)
        echo "INFO: Loading emqx from hot-upgrade dir: $RELUP_PATH" ;;
    esac
    exec "$RELUP_PATH/$TARGET_VSN"/bin/emqx "$@"
fi

export BASE_RUNNER_ROOT_DIR
cd "$BASE_RUNNER_ROOT_DIR"
exec "$SIM_NODE" "$SIM_CLI" "$@"
`;
}
