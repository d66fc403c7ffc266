import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  REDACTED,
  forgetSecrets,
  openJournal,
  readJournal,
  readJournalWithReport,
  redact,
  redactString,
  registerSecret,
} from '../../../src/rollout/state/journal.js';

const tmp = mkdtempSync(join(tmpdir(), 'journal-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => forgetSecrets());
let n = 0;
const fresh = (): string => join(tmp, `case-${++n}`, 'nested', 'dir', 'journal.ndjson');

describe('openJournal / append / readJournal', () => {
  it('creates parent dirs, writes one JSON line per record, 0600, in call order', async () => {
    const file = fresh();
    const j = await openJournal(file);
    await Promise.all(Array.from({ length: 100 }, (_, i) => j.append({ type: 'step', i })));
    await j.close();
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')).toHaveLength(101); // 100 lines + the empty string after the last '\n'
    expect(await readJournal(file)).toEqual(Array.from({ length: 100 }, (_, i) => ({ type: 'step', i })));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('appends to an existing journal (resume) and rejects appends after close', async () => {
    const file = fresh();
    const a = await openJournal(file);
    await a.append({ run: 1 });
    await a.close();
    const b = await openJournal(file);
    await b.append({ run: 2 });
    await b.close();
    await expect(b.append({ run: 3 })).rejects.toThrow(/closed/);
    expect(await readJournal(file)).toEqual([{ run: 1 }, { run: 2 }]);
  });

  it('captures the record at append time', async () => {
    const file = fresh();
    const j = await openJournal(file);
    const rec = { state: 'before' };
    const p = j.append(rec);
    rec.state = 'after';
    await p;
    await j.close();
    expect(await readJournal(file)).toEqual([{ state: 'before' }]);
  });
});

describe('torn lines', () => {
  it('skips and reports a torn last line', async () => {
    const file = fresh();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, '{"a":1}\n{"b":2}\n{"c":3,"na');
    const seen: number[] = [];
    expect(await readJournal(file, (s) => seen.push(s.line))).toEqual([{ a: 1 }, { b: 2 }]);
    expect(seen).toEqual([3]);
    const report = await readJournalWithReport(file);
    expect(report.skipped).toEqual([
      { line: 3, text: '{"c":3,"na', reason: 'torn last line (the writer stopped mid-line)' },
    ]);
  });

  it('keeps a complete last record that lacks only its newline, but reports it', async () => {
    const file = fresh();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, '{"a":1}\n{"b":2}');
    const r = await readJournalWithReport(file);
    expect(r.records).toEqual([{ a: 1 }, { b: 2 }]);
    expect(r.skipped.map((s) => s.line)).toEqual([2]);
  });

  it('reopening after a crash terminates the torn fragment so the next record stays whole', async () => {
    const file = fresh();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, '{"a":1}\n{"torn":');
    const j = await openJournal(file);
    await j.append({ b: 2 });
    await j.close();
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"torn":\n{"b":2}\n');
    const r = await readJournalWithReport(file);
    expect(r.records).toEqual([{ a: 1 }, { b: 2 }]);
    expect(r.skipped).toMatchObject([{ line: 2, text: '{"torn":' }]);
  });

  it('non-object JSON lines are skipped and reported', async () => {
    const file = fresh();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, '{"a":1}\n42\n[1]\n');
    const r = await readJournalWithReport(file);
    expect(r.records).toEqual([{ a: 1 }]);
    expect(r.skipped.map((s) => s.line)).toEqual([2, 3]);
  });

  // A real writer process, SIGKILLed mid-stream: every append it acknowledged (printed after the
  // promise resolved, i.e. after fsync) must be in the file, in order; at most the last line torn.
  it('acknowledged lines survive SIGKILL of the writer', async () => {
    const dir = join(tmp, 'child');
    mkdirSync(dir, { recursive: true });
    // The built module (vitest's globalSetup builds dist/ first): what the CLI itself runs.
    const built = new URL('../../../dist/rollout/state/journal.js', import.meta.url).href;
    const file = join(dir, 'out', 'journal.ndjson');
    writeFileSync(
      join(dir, 'writer.mjs'),
      `import { openJournal } from ${JSON.stringify(built)};
       const j = await openJournal(${JSON.stringify(file)});
       const pad = 'x'.repeat(4000); // big lines make a kill inside a write likelier
       for (let i = 0; ; i++) { await j.append({ i, pad }); process.stdout.write(i + '\\n'); }`,
    );
    const child = spawn(process.execPath, [join(dir, 'writer.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = -1;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`writer made no progress; stderr: ${stderr}`)), 15_000);
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const parts = buf.split('\n');
          buf = parts.pop() ?? '';
          if (parts.length > 0) acked = Number(parts[parts.length - 1]);
          if (acked >= 150 && child.exitCode === null && !child.killed) {
            clearTimeout(timer);
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    const r = await readJournalWithReport(file);
    const is = r.records.map((x) => (x as { i: number }).i);
    expect(is.length).toBeGreaterThanOrEqual(acked + 1);
    expect(is).toEqual(Array.from({ length: is.length }, (_, k) => k)); // contiguous, in order
    // Only the very last line may be torn.
    const fileLines = readFileSync(file, 'utf8').split('\n');
    const lastLine = fileLines[fileLines.length - 1] === '' ? fileLines.length - 1 : fileLines.length;
    expect(r.skipped.length).toBeLessThanOrEqual(1);
    for (const s of r.skipped) expect(s.line).toBe(lastLine);
    // A resumed writer continues cleanly after whatever the kill left behind.
    const j = await openJournal(file);
    await j.append({ resumed: true });
    await j.close();
    const after = await readJournal(file);
    expect(after[after.length - 1]).toEqual({ resumed: true });
  });
});

describe('redact', () => {
  it('redacts values under secret-looking keys, at any depth', () => {
    expect(
      redact({
        node: 'emqx@a',
        passphrase: 'hunter2',
        nested: {
          apiToken: 't',
          Password: 'p',
          client_secret: 's',
          privateKey: 'k',
          private_key: 'k2',
          'private-key': 'k3',
        },
        list: [{ token: 'x' }],
      }),
    ).toEqual({
      node: 'emqx@a',
      passphrase: REDACTED,
      nested: {
        apiToken: REDACTED,
        Password: REDACTED,
        client_secret: REDACTED,
        privateKey: REDACTED,
        private_key: REDACTED,
        'private-key': REDACTED,
      },
      list: [{ token: REDACTED }],
    });
  });

  it('redacts registered secrets wherever they appear as values', () => {
    registerSecret('s3cr3t-passphrase');
    registerSecret('ab');
    expect(
      redact({
        a: 's3cr3t-passphrase',
        stderr: 'ssh: bad passphrase s3cr3t-passphrase for key',
        short: 'ab',
        other: 'abc', // short secrets only on exact match
        arr: ['s3cr3t-passphrase'],
      }),
    ).toEqual({
      a: REDACTED,
      stderr: `ssh: bad passphrase ${REDACTED} for key`,
      short: REDACTED,
      other: 'abc',
      arr: [REDACTED],
    });
  });

  it('errors, dates, cycles, bigints, maps become JSON-safe', () => {
    registerSecret('topsecret-value');
    const err = Object.assign(new Error('auth failed with topsecret-value'), { node: 'n1', exitCode: 255 });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redact({ err, at: new Date('2026-01-01T00:00:00Z'), cyclic, big: 10n, m: new Map([['k', 1]]) })).toEqual({
      err: { name: 'Error', message: `auth failed with ${REDACTED}`, node: 'n1', exitCode: 255 },
      at: '2026-01-01T00:00:00.000Z',
      cyclic: { a: 1, self: '[circular]' },
      big: '10',
      m: { k: 1 },
    });
  });

  it('nothing secret reaches the file', async () => {
    registerSecret('correct-horse-battery');
    const file = fresh();
    const j = await openJournal(file);
    await j.append({
      type: 'remote.error',
      message: 'key passphrase correct-horse-battery rejected',
      password: 'pw123456',
    });
    await j.close();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('correct-horse-battery');
    expect(text).not.toContain('pw123456');
    expect(text).toContain(REDACTED);
    appendFileSync(file, ''); // file still appendable
  });
});

describe('redactString: inline credentials in gate commands', () => {
  const cases: Array<[string, string]> = [
    [
      'curl -sf -u admin:S3cretPW http://127.0.0.1:18083/api/v5/status',
      'curl -sf -u admin:[redacted] http://127.0.0.1:18083/api/v5/status',
    ],
    ["curl --user 'admin:p@ss word' x", "curl --user 'admin:[redacted]' x"],
    ['curl https://admin:hunter22@example.com/api', 'curl https://admin:[redacted]@example.com/api'],
    ["curl -H 'Authorization: Bearer abc.def' x", "curl -H 'Authorization: Bearer [redacted]' x"],
    ["MQTT_PASSWORD=hunter2 true && API_KEY='xyz' foo", 'MQTT_PASSWORD=[redacted] true && API_KEY=[redacted] foo'],
    // evidence without credentials is left alone
    ['ssh -p 22 ops@bastion', 'ssh -p 22 ops@bastion'],
    ["'/opt/emqx'/bin/emqx ctl status", "'/opt/emqx'/bin/emqx ctl status"],
  ];
  it.each(cases)('%s', (input, expected) => {
    expect(redactString(input)).toBe(expected);
  });
});
