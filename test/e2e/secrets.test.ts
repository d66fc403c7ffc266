// An encrypted identityFile: the passphrase comes from EMQX_ROLLOUT_KEY_PASSPHRASE (or a prompt on a
// TTY), and it never appears in output, errors or the journal. Without it and without a TTY the run
// refuses with a clear message (exit 2) before touching any node.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { footprint, startCluster, type E2eCluster } from './support/cluster.js';

const PASSPHRASE = 'correct-horse-battery-staple-42';

describe('an encrypted key', () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startCluster('secrets', { nodes: 2, gates: { soakSeconds: 0 } });
    // Encrypt the cluster's client key in place (same key, so the nodes still accept it).
    await promisify(execFile)('ssh-keygen', ['-q', '-p', '-P', '', '-N', PASSPHRASE, '-f', c.keyPath]);
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it('without the passphrase and without a TTY: exit 2, says how to give it, nothing touched', async () => {
    const r = await runCli(['upgrade', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--yes'], {
      env: { EMQX_ROLLOUT_KEY_PASSPHRASE: undefined },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/passphrase/i);
    expect(r.stderr).toMatch(/EMQX_ROLLOUT_KEY_PASSPHRASE/);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    for (const n of c.nodes) expect(await footprint(n)).toEqual({ staging: [], backups: [], lock: false });
  });

  it('with a wrong passphrase: exit 2, and the wrong passphrase is not echoed', async () => {
    const wrong = 'not-the-right-one-9000';
    const r = await runCli(['status', '-i', c.inventoryPath], { env: { EMQX_ROLLOUT_KEY_PASSPHRASE: wrong } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/wrong passphrase/);
    expect(r.stdout + r.stderr).not.toContain(wrong);
  });

  it('with EMQX_ROLLOUT_KEY_PASSPHRASE: the rollout runs, and the passphrase is in no output and not in the journal', async () => {
    const r = await runCli(['upgrade', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--yes', '--json'], {
      env: { EMQX_ROLLOUT_KEY_PASSPHRASE: PASSPHRASE },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PASSPHRASE);
    const journal = await readFile(join(c.dir, '.emqx-rollout', 'sim', 'journal.ndjson'), 'utf8');
    expect(journal).toMatch(/"kind":"upgrade.begin"/);
    expect(journal).not.toContain(PASSPHRASE);
  });
});

describe('credentials written inline in gate commands', () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startCluster('gatesecret', { nodes: 1 });
    // `true` ignores its arguments: the gate passes, and its command line carries the credentials.
    await c.setGates({
      soakSeconds: 0,
      timeoutSeconds: 60,
      commands: ['true -sf -u admin:S3cretPW http://127.0.0.1:18083/api/v5/status', 'MQTT_PASSWORD=hunter2xyz true'],
    });
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it('never reach stdout, stderr or the journal; what ran stays visible as evidence', async () => {
    const r = await runCli(['upgrade', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const journal = await readFile(join(c.dir, '.emqx-rollout', 'sim', 'journal.ndjson'), 'utf8');
    for (const text of [r.stdout, r.stderr, journal]) {
      expect(text).not.toContain('S3cretPW');
      expect(text).not.toContain('hunter2xyz');
    }
    expect(journal).toContain('-u admin:[redacted]');
    expect(r.stdout).toContain('MQTT_PASSWORD=[redacted]');
  });
});

// The whole footprint of a run: every byte it wrote to stdout and stderr, and every file under its
// state directory (journal, report-<run>.json/.md, last-report.*), for a run that used an encrypted
// key AND inline gate credentials — including a gate that fails and prints its credentials, so the
// halt's evidence and the report carry them too. The sudo password of `become: sudo` is checked the same
// way, behind real sudo, by test/e2e/pkgInstall.test.ts case 4.
describe('every output, journal and report of a run with an encrypted key and inline credentials', () => {
  let c: E2eCluster;
  const SECRETS = [PASSPHRASE, 'S3cretPW', 'hunter2xyz', 'tok-9f8e7d6c5b'];
  beforeAll(async () => {
    c = await startCluster('allsecrets', { nodes: 2 });
    await promisify(execFile)('ssh-keygen', ['-q', '-p', '-P', '', '-N', PASSPHRASE, '-f', c.keyPath]);
    await c.setGates({
      soakSeconds: 0,
      timeoutSeconds: 60,
      commands: [
        'true -sf -u admin:S3cretPW http://127.0.0.1:18083/api/v5/status',
        // fails on the second node, echoing its credentials into the gate's evidence
        `if [ {node} = ${c.nodes[1].name} ]; then echo "curl -H 'Authorization: Bearer tok-9f8e7d6c5b' failed" >&2; echo MQTT_PASSWORD=hunter2xyz; exit 3; fi`,
      ],
    });
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it('contain none of the secrets, while the run and its evidence are all there', async () => {
    const env = { EMQX_ROLLOUT_KEY_PASSPHRASE: PASSPHRASE };
    const runs = [
      await runCli(['plan', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--json'], { env }),
      await runCli(['upgrade', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--yes', '--json'], { env }),
      await runCli(['upgrade', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--yes', '--plain'], { env }),
      await runCli(['status', '-i', c.inventoryPath, '--json'], { env }),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 4, 4, 0]);
    const stateDir = join(c.dir, '.emqx-rollout', 'sim');
    const files = (await readdir(stateDir)).filter((f) => statSync(join(stateDir, f)).isFile());
    expect(files).toEqual(expect.arrayContaining(['journal.ndjson', 'last-report.json', 'last-report.md']));
    expect(files.some((f) => /^report-.+\.md$/.test(f))).toBe(true);
    const texts: Array<[string, string]> = [
      ...runs.flatMap((r, i): Array<[string, string]> => [
        [`run ${i} stdout`, r.stdout],
        [`run ${i} stderr`, r.stderr],
      ]),
      ...(await Promise.all(
        files.map(async (f): Promise<[string, string]> => [f, await readFile(join(stateDir, f), 'utf8')]),
      )),
    ];
    for (const [where, text] of texts)
      for (const s of SECRETS) expect(text.includes(s), `${s} in ${where}`).toBe(false);
    // …and the evidence was kept, redacted: the halt names the gate and shows what it printed.
    const halted = runs[1].events().find((e) => e.type === 'rollout.halted')!;
    expect(halted).toMatchObject({ node: c.nodes[1].name, check: 'gate-after:command:1' });
    const all = texts.map(([, t]) => t).join('\n');
    expect(all).toContain('MQTT_PASSWORD=[redacted]');
    expect(all).toContain('Bearer [redacted]');
    expect(all).toContain('-u admin:[redacted]');
  }, 240_000);
});
