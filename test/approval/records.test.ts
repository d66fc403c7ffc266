// The approval hand-off files: what `approve` accepts (pure checks) and the atomic board.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBoard } from '../../src/approval/board.js';
import {
  AWAITING_FILE,
  RECORD_VERSION,
  asAwaiting,
  checkAwaiting,
  type AwaitingRecord,
} from '../../src/approval/records.js';

const rec: AwaitingRecord = {
  schemaVersion: RECORD_VERSION,
  runId: 'r1',
  cluster: 'c',
  pid: 4242,
  host: 'bastion',
  owner: 'ops@bastion',
  nextNode: 'emqx@b',
  upgraded: 1,
  done: 1,
  total: 3,
  since: '2026-12-01T10:00:00.000Z',
  deadline: '2026-12-01T11:00:00.000Z',
};
const NOW = new Date('2026-12-01T10:30:00Z');

describe('checkAwaiting', () => {
  it.each([
    ['alive, same host, before the deadline', {}, { ok: true }],
    [
      'another host',
      { host: 'laptop' },
      { ok: false, stale: false, message: 'run r1 waits for approval on host bastion, not on this host (laptop)' },
    ],
    [
      'its process is gone',
      { alive: false },
      { ok: false, stale: true, message: 'run r1 (pid 4242) that waited for approval is no longer running' },
    ],
    ['past its deadline', { now: new Date('2026-12-01T11:00:00Z') }, { ok: false, stale: false }],
  ] as const)('%s', (_name, o: { host?: string; alive?: boolean; now?: Date }, expected) => {
    const r = checkAwaiting(rec, {
      host: o.host ?? 'bastion',
      pidAlive: (pid) => pid === 4242 && (o.alive ?? true),
      now: o.now ?? NOW,
    });
    expect(r).toMatchObject(expected);
  });

  it('asAwaiting refuses records it cannot trust', () => {
    expect(asAwaiting(rec)).toEqual(rec);
    expect(asAwaiting({ ...rec, schemaVersion: 2 })).toBe('schemaVersion 2 (expected 1)');
    expect(asAwaiting({ ...rec, pid: -1 })).toBe('no pid');
    expect(asAwaiting({ ...rec, deadline: 'soon' })).toBe('deadline is not a date');
    expect(asAwaiting(null)).toBe('not a JSON object');
  });
});

describe('fileBoard', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'board-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('posts, decides for the right run only, clears, and leaves no temp files', async () => {
    const b = fileBoard(join(dir, 'state'));
    expect(await b.awaiting()).toBeUndefined();
    await b.post(rec);
    expect(await b.awaiting()).toEqual(rec);
    expect(await b.decision('r1')).toBeNull();
    await b.decide({
      schemaVersion: RECORD_VERSION,
      runId: 'other',
      decision: 'approve',
      by: 'x@y',
      pid: 1,
      at: NOW.toISOString(),
    });
    expect(await b.decision('r1')).toBeNull(); // a decision for another run is not ours
    await b.decide({
      schemaVersion: RECORD_VERSION,
      runId: 'r1',
      decision: 'reject',
      by: 'jo@bastion',
      pid: 1,
      at: NOW.toISOString(),
    });
    expect(await b.decision('r1')).toMatchObject({ decision: 'reject', by: 'jo@bastion' });
    await b.clear('r1');
    expect(await b.awaiting()).toBeUndefined();
    expect(await readdir(join(dir, 'state'))).toEqual([]);
  });

  it('a damaged awaiting record is reported, not trusted', async () => {
    const b = fileBoard(dir);
    await writeFile(join(dir, AWAITING_FILE), '{"schemaVersion":1,');
    expect(await b.awaiting()).toBe('not a JSON object');
    expect(await readFile(join(dir, AWAITING_FILE), 'utf8')).toContain('schemaVersion');
  });
});
