// Preloaded into the CLI (NODE_OPTIONS=--import) by the `clock-jump-*` rows of the fault matrix:
// the bastion's WALL clock jumps, its monotonic clock does not — what an NTP step or an operator's
// `date -s` does to a running process. Date.now() and `new Date()` add the offset (ms) written in
// $RELIABILITY_CLOCK_OFFSET_FILE (read at most every 50 ms; absent = 0); setTimeout, setInterval
// and performance.now() are untouched, as they are by a real clock step. A test-side shim in the
// manner of libfaketime: the product has no fake clock and reads none.
import { readFileSync } from 'node:fs';
import process from 'node:process';

const file = process.env.RELIABILITY_CLOCK_OFFSET_FILE;
if (file) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  let offset = 0;
  let checkedAt = -Infinity;
  const off = () => {
    const t = realNow();
    if (t - checkedAt >= 50) {
      checkedAt = t;
      try {
        offset = Number(readFileSync(file, 'utf8').trim()) || 0;
      } catch {
        offset = 0;
      }
    }
    return offset;
  };
  class SteppedDate extends RealDate {
    constructor(...a) {
      if (a.length === 0) super(realNow() + off());
      else super(...a);
    }
    static now() {
      return realNow() + off();
    }
  }
  globalThis.Date = SteppedDate;
}
