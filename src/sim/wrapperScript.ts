// `bin/emqx` of a simulated release: a POSIX sh script with the real wrapper's logic
// (bin/emqx @ e5.10.4 lines 157–283, facts §2 and A3) in front of the node simulator's CLI.
//   - RUNNER_ROOT_DIR comes from the script's realpath, so a symlink (`/usr/bin/emqx` of a package
//     install) finds the install root;
//   - help/root_dir/ertspath and `<cmd> help` answer before the relup check (so root_dir prints
//     the base root even after a hot upgrade);
//   - `$RUNNER_ROOT_DIR/relup/current` present → exec the deployed tree's bin/emqx with
//     BASE_RUNNER_ROOT_DIR exported; boot commands first print the INFO line;
//   - then `releases/emqx_vars` is sourced (of the tree actually running: after the re-exec, the
//     target's copy decides) and `check_user` runs exactly as bin/emqx does it:
//       RUNNER_USER set and the caller neither that user nor root → stdout
//       `You need to be root or use sudo to run this command`, exit 1;
//       the caller root → `exec su - "$RUNNER_USER" -c 'DEBUG=0 "<RUNNER_SCRIPT>"  "arg"…'`.
//   - otherwise exec `<node> <dist/sim/emqxCli.js>` (absolute paths baked in at build time, so it
//     works from an sshd login shell whose PATH has no node).
//
// Who the caller is. bin/emqx takes `whoami`. This script does too, so behind real OpenSSH with a
// real non-root user and real `sudo -u`, check_user is real. The simulator's in-process SSH server
// runs every command as the sandbox's own OS user and cannot change uid without root, so for a
// package-layout node it exports EMQX_SIM_LOGIN_USER=<the SSH login name>, and its `sudo` shim
// (shims.ts) re-exports it as the target user; this script then uses that name instead of whoami.
// `su -` as root: real `su` only when `<BaseRoot>/.sim/real_su` exists (a test that created the
// service user as a real account and chowned the install to it) and we really are uid 0; otherwise a
// simulated `su -`: the environment is reset (env -i) to PATH, HOME, the EMQX_SIM_* variables, DEBUG
// and — standing for the service user's login profile — the node's TMPDIR, and the command runs as
// the same OS user with EMQX_SIM_LOGIN_USER=<RUNNER_USER>.

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `emqx ctl` without starting Node: on a real node a ctl call costs two Erlang VM starts, which the
 * cost model stands for with `ctlLatencyMs`; the simulator's own Node start (~0.1 s of CPU per call)
 * is an artefact that 30 simulated nodes on one small machine would pay 200 times over a `plan`.
 * So a running node's ctl calls go through this Perl client (perl-base, present on every Debian):
 * wait the modelled latency, send the request over the daemon's socket, print the framed reply
 * byte for byte, exit with its code. Anything else (no socket, the node down, no reply) execs the
 * full CLI, which prints exactly what a real node prints then (EMQX_SIM_CTL_SLEPT: already waited).
 * No single quotes below: it is passed to `perl -e '…'`.
 */
const FAST_CTL = String.raw`use strict; use IO::Socket::UNIX; use Socket;
my ($sock, $cfg, $node, $cli, @args) = @ARGV;
my $lat = 0;
if (open(my $fh, "<", $cfg)) { local $/; my $j = <$fh>; $lat = $1 if defined $j && $j =~ /"ctlLatencyMs"\s*:\s*(\d+)/; }
select(undef, undef, undef, $lat / 1000) if $lat > 0;
sub slow { $ENV{EMQX_SIM_CTL_SLEPT} = "1"; exec($node, $cli, "ctl", @args) or exit 1; }
sub js { my $x = shift; $x =~ s/([\\"])/\\$1/g; $x =~ s/([\x00-\x1f])/sprintf("\\u%04x", ord($1))/ge; return "\"" . $x . "\""; }
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock) or slow();
binmode($s); binmode(STDOUT); binmode(STDERR);
print $s "{\"op\":\"ctl\",\"raw\":true,\"args\":[" . join(",", map { js($_) } @args) . "]}\n";
my $hdr = <$s>;
slow() unless defined $hdr && $hdr =~ /^R (\d+) (\d+) (\d+)\n$/;
my ($code, $ol, $el) = ($1, $2, $3);
my $buf = ""; my $want = $ol + $el;
while (length($buf) < $want) { my $n = read($s, $buf, $want - length($buf), length($buf)); last unless $n; }
exit 1 if length($buf) < $want;
print STDOUT substr($buf, 0, $ol); print STDERR substr($buf, $ol);
exit $code;`;

export function wrapperScript(nodeBin: string, cliJs: string): string {
  return `#!/bin/sh
# EMQX Enterprise node (emqx-rollout simulator). Behaves like bin/emqx of EMQX 5.10.
set -e
THIS_SCRIPT="$0"
RUNNER_ROOT_DIR="$(cd "$(dirname "$(realpath "$THIS_SCRIPT" 2>/dev/null || echo "$THIS_SCRIPT")")"/..; pwd -P)"
export RUNNER_ROOT_DIR
SIM_NODE=${q(nodeBin)}
SIM_CLI=${q(cliJs)}
DEBUG="\${DEBUG:-0}"

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

. "$RUNNER_ROOT_DIR"/releases/emqx_vars
export RUNNER_ROOT_DIR
export EMQX_ETC_DIR
export REL_VSN
RUNNER_SCRIPT="$RUNNER_BIN_DIR/$REL_NAME"

if [ -n "\${EMQX_SIM_LOGIN_USER:-}" ]; then
  WHOAMI="$EMQX_SIM_LOGIN_USER"
else
  WHOAMI=$(whoami 2>/dev/null || id -u)
fi

if [ "$RUNNER_USER" ] && [ "x$WHOAMI" != "x$RUNNER_USER" ]; then
    if [ "x$WHOAMI" != "xroot" ]; then
        echo "You need to be root or use sudo to run this command"
        exit 1
    fi
    CMD="DEBUG=$DEBUG \\"$RUNNER_SCRIPT\\" "
    for ARG in "$@"; do
        CMD="\${CMD} \\"$ARG\\""
    done
    if [ -z "\${EMQX_SIM_LOGIN_USER:-}" ] && [ "$(id -u)" = 0 ] && [ -f "$BASE_RUNNER_ROOT_DIR/.sim/real_su" ]; then
        exec su - "$RUNNER_USER" -c "$CMD"
    fi
    exec env -i PATH="$PATH" HOME="\${HOME:-/}" EMQX_SIM_LOGIN_USER="$RUNNER_USER" \\
      \${EMQX_SIM_SUDOERS:+"EMQX_SIM_SUDOERS=$EMQX_SIM_SUDOERS"} \\
      \${EMQX_SIM_NODE_TMPDIR:+"TMPDIR=$EMQX_SIM_NODE_TMPDIR"} \\
      \${EMQX_SIM_NODE_TMPDIR:+"EMQX_SIM_NODE_TMPDIR=$EMQX_SIM_NODE_TMPDIR"} \\
      /bin/sh -c "$CMD"
fi

export BASE_RUNNER_ROOT_DIR
cd "$BASE_RUNNER_ROOT_DIR"
if [ "$1" = ctl ] && [ -S .sim/d.sock ] && [ -z "\${EMQX_SIM_SLOW_CTL:-}" ] && command -v perl >/dev/null 2>&1; then
  shift
  exec perl -e '${FAST_CTL}' "$BASE_RUNNER_ROOT_DIR/.sim/d.sock" "$BASE_RUNNER_ROOT_DIR/.sim/node.json" "$SIM_NODE" "$SIM_CLI" "$@"
fi
exec "$SIM_NODE" "$SIM_CLI" "$@"
`;
}
