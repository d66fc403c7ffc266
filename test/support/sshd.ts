// Real OpenSSH sshd for tests (the implementation is src/bench/sshd.ts, shared with the benchmark).
// Policy: without sshd, tests skip with a printed reason — except under CI=true, where a missing
// prerequisite must fail.
import { SSHD_PATH } from '../../src/bench/sshd.js';

export {
  SSHD_PATH,
  startSshd,
  makeClientKey,
  knownHostsLine,
  hashedKnownHostsLine,
  randomLoopback,
  sshdConfig,
  type SshdInstance,
  type SshdOptions,
  type ClientKey,
} from '../../src/bench/sshd.js';

/** True when sshd is usable. Use as `describe.skipIf(!haveSshd())`. Throws under CI=true when missing. */
export function haveSshd(): boolean {
  if (SSHD_PATH) return true;
  if (process.env.CI === 'true') {
    throw new Error('sshd is required under CI=true: apt-get install -y openssh-server');
  }
  console.warn(
    '[skip] OpenSSH sshd not found (/usr/sbin/sshd): remote-layer integration tests skipped; apt-get install -y openssh-server',
  );
  return false;
}
