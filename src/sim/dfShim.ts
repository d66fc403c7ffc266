// The diskFull fault needs `df -Pk <dir>` on the node to report little free space. Root ignores
// quotas and we won't fill a real disk, so each simulated node's SSH sessions get PATH=<shimDir>:…
// with this `df`: while `<BaseRootDir>/.sim/df_avail_kb` exists it prints POSIX `df -P` output
// with that many free 1K blocks for every path operand; otherwise it execs the real df.
import { dfAvailPath } from './layout.js';

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function dfShimScript(baseRoot: string, realDf = '/bin/df'): string {
  return `#!/bin/sh
# emqx-rollout simulator: df shim for the diskFull fault (see src/sim/dfShim.ts)
F=${q(dfAvailPath(baseRoot))}
if [ -f "$F" ]; then
  AVAIL=$(cat "$F")
  TOTAL=104857600
  USED=$((TOTAL - AVAIL))
  echo "Filesystem     1024-blocks      Used Available Capacity Mounted on"
  N=0
  for a in "$@"; do
    case "$a" in -*) continue ;; esac
    N=$((N + 1))
    echo "simdisk          $TOTAL $USED $AVAIL      99% /"
  done
  [ "$N" -eq 0 ] && echo "simdisk          $TOTAL $USED $AVAIL      99% /"
  exit 0
fi
exec ${q(realDf)} "$@"
`;
}
