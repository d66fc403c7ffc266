// startSshd({ skipDotfiles }): the login shell of a command run by the test sshd skips ~/.bashrc
// (this machine's runs `pyenv init` on every exec), so a benchmark measures the product, not the box.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCmd } from '../sim/helpers.js';
import { haveSshd, knownHostsLine, makeClientKey, startSshd, type SshdInstance } from '../support/sshd.js';

const SSHD = haveSshd();
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

describe.skipIf(!SSHD)('startSshd skipDotfiles', () => {
  it('sets SHLVL for the session shell only when asked (bash then sources no ~/.bashrc)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-sshd-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const key = await makeClientKey(dir);
    const run = async (s: SshdInstance) => {
      const kh = join(dir, `kh-${s.port}`);
      await writeFile(kh, `${knownHostsLine(s.host, s.port, s.hostPublicKey)}\n`);
      const r = await runCmd('ssh', [
        '-i',
        key.privatePath,
        '-o',
        `UserKnownHostsFile=${kh}`,
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-p',
        String(s.port),
        `${userInfo().username}@${s.host}`,
        'echo "$SHLVL ${PYENV_ROOT-unset}"',
      ]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim().split(' ');
    };
    const skip = await startSshd({ authorizedKeys: `${key.publicKey}\n`, skipDotfiles: true });
    stops.push(() => skip.stop());
    const plain = await startSshd({ authorizedKeys: `${key.publicKey}\n` });
    stops.push(() => plain.stop());
    // with SHLVL=1 from sshd, bash counts itself nested (2) and its ssh-started-shell rule does not fire
    expect(await run(skip)).toEqual(['2', 'unset']);
    // default: what any operator's sshd does (the login shell is the first level)
    expect((await run(plain))[0]).toBe('1');
  }, 60_000);
});
