// Commands the simulator puts first on PATH of every SSH session of a node (besides `df`, see
// dfShim.ts), so an orchestrator meets a package install reached as a non-root user and sudo:
//
// - `sudo`: the in-process SSH server runs every command as the sandbox's own OS user and cannot
//   change uid without root. It exports EMQX_SIM_LOGIN_USER=<SSH login name>; this shim honours
//   `-n`, `-S`, `-u USER` (also `-uUSER`, `-nu USER`, `--user=USER`), `-H`/`-E`/`-k`/`-P`, `-p PROMPT`, `--`; applies a
//   simulated sudoers policy read from `$EMQX_SIM_SUDOERS` (lines `policy nopasswd|password|deny`,
//   `password <text>`; missing file = nopasswd), and runs the command with
//   EMQX_SIM_LOGIN_USER=<target user> (bin/emqx's check_user uses that name instead of whoami).
//   Messages are sudo 1.9's:
//     password wanted with -n        → stderr `sudo: a password is required`, exit 1
//     password wanted, no -S, no tty → `sudo: a terminal is required to read the password; …` and
//                                      `sudo: a password is required`, exit 1
//     -S                             → prompt `[sudo] password for <login>: ` on stderr, reads a line
//                                      from stdin; wrong: `Sorry, try again.` (3 tries, then
//                                      `sudo: 3 incorrect password attempts`, exit 1); EOF:
//                                      `sudo: no password was provided`, exit 1
//     deny                           → `Sorry, user <login> is not allowed to execute '<cmd>' as
//                                      <target> on <host>.`, exit 1 (what sudo says to a user whose
//                                      sudoers entries do not cover the command)
//   The login user root never needs a password. The environment is kept (as with env_keep of
//   everything): the node's TMPDIR survives, so the sandbox never writes outside its dir. Call it as
//   `sudo` (PATH), not `/usr/bin/sudo`, or the real one runs.
// - `whoami` / `id`: report EMQX_SIM_LOGIN_USER when it is set (`id -un`, `id -u`, `id -gn`, `id`),
//   else exec the real ones.
// - `free`: procps-ng 4 output with `available` = the memLowKb fault's value while it is set
//   (`<BaseRoot>/.sim/mem_available_kb`), else the real `free`. /proc/meminfo itself is real.
import { memAvailablePath } from './layout.js';

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function sudoShimScript(): string {
  return `#!/bin/sh
# emqx-rollout simulator: sudo for the in-process SSH server (see src/sim/shims.ts)
ME="\${EMQX_SIM_LOGIN_USER:-$(whoami)}"
NONINT=0; STDIN=0; TARGET=root
while [ $# -gt 0 ]; do
  case "$1" in
    --non-interactive) NONINT=1 ;;
    --stdin) STDIN=1 ;;
    --user=*) TARGET="\${1#--user=}" ;;
    --user) shift; TARGET="$1" ;;
    --prompt) shift ;;
    --prompt=*|--preserve-env|--preserve-env=*|--set-home|--reset-timestamp) ;;
    --) shift; break ;;
    -?*)
      OPTS="\${1#-}"
      while [ -n "$OPTS" ]; do
        C=$(printf %s "$OPTS" | cut -c1)
        OPTS=$(printf %s "$OPTS" | cut -c2-)
        case "$C" in
          n) NONINT=1 ;;
          S) STDIN=1 ;;
          H|E|k|P) ;;
          u) if [ -n "$OPTS" ]; then TARGET="$OPTS"; else shift; TARGET="$1"; fi; OPTS= ;;
          p) [ -z "$OPTS" ] && shift; OPTS= ;;
          *) echo "sudo: invalid option -- '$C'" >&2
             echo "usage: sudo [-AbEHknPS] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] [VAR=value] [-i | -s] [command [arg ...]]" >&2
             exit 1 ;;
        esac
      done ;;
    *) break ;;
  esac
  shift
done
if [ $# -eq 0 ]; then
  echo "usage: sudo -h | -K | -k | -V" >&2
  exit 1
fi
POLICY=nopasswd; PASSWORD=
if [ -n "\${EMQX_SIM_SUDOERS:-}" ] && [ -f "$EMQX_SIM_SUDOERS" ]; then
  POLICY=$(sed -n 's/^policy //p' "$EMQX_SIM_SUDOERS" | head -n 1)
  PASSWORD=$(sed -n 's/^password //p' "$EMQX_SIM_SUDOERS" | head -n 1)
fi
if [ "$ME" != root ]; then
  case "$POLICY" in
    nopasswd) ;;
    password)
      if [ "$NONINT" = 1 ]; then echo "sudo: a password is required" >&2; exit 1; fi
      if [ "$STDIN" = 0 ]; then
        echo "sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper" >&2
        echo "sudo: a password is required" >&2
        exit 1
      fi
      TRIES=0
      while :; do
        printf '[sudo] password for %s: ' "$ME" >&2
        if ! IFS= read -r PW; then echo "sudo: no password was provided" >&2; exit 1; fi
        [ "$PW" = "$PASSWORD" ] && break
        TRIES=$((TRIES + 1))
        if [ "$TRIES" -ge 3 ]; then echo "sudo: 3 incorrect password attempts" >&2; exit 1; fi
        echo "Sorry, try again." >&2
      done ;;
    *)
      echo "Sorry, user $ME is not allowed to execute '$*' as $TARGET on $(hostname)." >&2
      exit 1 ;;
  esac
fi
EMQX_SIM_LOGIN_USER="$TARGET"; SUDO_USER="$ME"; USER="$TARGET"; LOGNAME="$TARGET"
export EMQX_SIM_LOGIN_USER SUDO_USER USER LOGNAME
exec "$@"
`;
}

export function whoamiShimScript(realWhoami = '/usr/bin/whoami'): string {
  return `#!/bin/sh
# emqx-rollout simulator: whoami of the simulated login user (see src/sim/shims.ts)
if [ -n "\${EMQX_SIM_LOGIN_USER:-}" ] && [ $# -eq 0 ]; then echo "$EMQX_SIM_LOGIN_USER"; exit 0; fi
exec ${q(realWhoami)} "$@"
`;
}

export function idShimScript(realId = '/usr/bin/id'): string {
  return `#!/bin/sh
# emqx-rollout simulator: id of the simulated login user (see src/sim/shims.ts)
U="\${EMQX_SIM_LOGIN_USER:-}"
[ -z "$U" ] && exec ${q(realId)} "$@"
if [ "$U" = root ]; then N=0; else N=$(${q(realId)} -u); [ "$N" = 0 ] && N=1000; fi
case "$*" in
  -un|-nu|"-u -n"|"-n -u"|-gn|-ng|"-g -n"|"-n -g") echo "$U" ;;
  -u|-g) echo "$N" ;;
  "") echo "uid=$N($U) gid=$N($U) groups=$N($U)" ;;
  *) exec ${q(realId)} "$@" ;;
esac
`;
}

export function freeShimScript(baseRoot: string, realFree = '/usr/bin/free'): string {
  return `#!/bin/sh
# emqx-rollout simulator: free for the memLowKb fault (see src/sim/shims.ts)
F=${q(memAvailablePath(baseRoot))}
[ -f "$F" ] || exec ${q(realFree)} "$@"
AVAIL=$(cat "$F")
DIV=1; MUL=1
for a in "$@"; do
  case "$a" in
    -b|--bytes) MUL=1024 ;;
    -m|--mebi) DIV=1024 ;;
    -g|--gibi) DIV=1048576 ;;
  esac
done
TOTAL=16777216
v() { echo $(( $1 * MUL / DIV )); }
printf '%9s%11s %11s %11s %11s %11s %11s\\n' '' total used free shared buff/cache available
printf '%-9s%11s %11s %11s %11s %11s %11s\\n' Mem: "$(v $TOTAL)" "$(v $((TOTAL - AVAIL)))" "$(v "$AVAIL")" 0 0 "$(v "$AVAIL")"
printf '%-9s%11s %11s %11s\\n' Swap: 0 0 0
`;
}
