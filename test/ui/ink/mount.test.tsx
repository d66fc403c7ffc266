import { describe, expect, it } from 'vitest';
import { mountInk } from '../../../src/ui/ink/mount.js';
import { FILE, NODES, SIZE, T0, cleanRollout, haltedRollout, ts } from '../fixtures.js';
import { FakeStdin, FakeTerminal, stripAnsi, waitFor } from '../helpers.js';

function mount(columns = 100) {
  const stdout = new FakeTerminal(columns);
  let clock = T0;
  const r = mountInk({
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    stderr: new FakeTerminal() as unknown as NodeJS.WriteStream,
    now: () => clock,
    color: false,
    debug: true, // every frame written whole: the last write is the screen
  });
  return { r, stdout, setClock: (ms: number) => (clock = ms) };
}

describe('mountInk', () => {
  it('store-driven updates reach the screen; finish() commits the final frame and unmounts', async () => {
    const { r, stdout, setClock } = mount();
    const events = cleanRollout();
    r.onEvent(events[0]);
    await waitFor(() => expect(stripAnsi(stdout.lastFrame())).toContain('0/3 done'));
    for (const e of events.slice(1)) r.onEvent(e);
    setClock(T0 + 60_000);
    const t = Date.now();
    await r.finish();
    const ms = Date.now() - t;
    const last = stripAnsi(stdout.lastFrame());
    expect(last).toContain('3/3 done · 0:49'); // run over: the clock stops at the run's duration
    expect(last).toContain('Done in 49.5s: 3 upgraded, 0 skipped');
    expect(last).toContain('MQTT: 30 clients, 0 disconnects, 1234 published, 1234 received, 0 lost');
    expect(ms).toBeLessThan(1_000); // exit came from inside, not from the 2 s grace timer
    await r.finish(); // idempotent
  });

  it('halted run: the final frame shows the halt panel', async () => {
    const { r, stdout } = mount();
    for (const e of haltedRollout()) r.onEvent(e);
    await r.finish();
    const last = stripAnsi(stdout.lastFrame());
    expect(last).toContain('HALTED at emqx@127.0.0.12 · check marker');
    expect(last).toContain('4. re-run: emqx-rollout upgrade');
    expect(last).toContain('untouched');
  });

  it('re-renders on resize: narrower terminal, narrower lines', async () => {
    const { r, stdout } = mount(100);
    for (const e of haltedRollout()) r.onEvent(e);
    await waitFor(() => expect(stripAnsi(stdout.lastFrame())).toContain('HALTED'));
    expect(stripAnsi(stdout.lastFrame())).toContain('╭' + '─'.repeat(98) + '╮');
    stdout.resize(60);
    await waitFor(() => {
      const f = stripAnsi(stdout.lastFrame());
      expect(f).toContain('╭' + '─'.repeat(58) + '╮');
      expect(f).toContain('\nupgrade · demo'); // the header's narrow form: React saw the new width
    });
    // <Static> lines were printed once at the old width (they are scrollback); the live region follows.
    const all = stripAnsi(stdout.lastFrame()).split('\n');
    const dynamic = all.slice(all.findIndex((l) => l.startsWith('upgrade · demo')));
    expect(dynamic.length).toBeGreaterThan(10);
    for (const line of dynamic) expect([...line].length, line).toBeLessThanOrEqual(60);
    await r.finish();
  });

  it('the live clock ticks the header while running', async () => {
    const { r, stdout, setClock } = mount();
    r.onEvent(cleanRollout()[0]);
    setClock(T0 + 65_000);
    await waitFor(() => expect(stripAnsi(stdout.lastFrame())).toContain('0/3 done · 1:05'));
    await r.finish();
  });

  it('a flood of SFTP progress events is coalesced into a few frames, and the final state is exact', async () => {
    const { r, stdout } = mount();
    r.onEvent(cleanRollout()[0]);
    await waitFor(() => expect(stripAnsi(stdout.lastFrame())).toContain('0/3 done'));
    const before = stdout.writes.length;
    const t = performance.now();
    // 5 000 × 16 KiB chunks (~80 MiB) arriving in one burst, as a fast LAN upload would deliver them
    for (let k = 1; k <= 5_000; k++) {
      r.onEvent({
        ts: ts(1_000 + k),
        type: 'stage.progress',
        node: NODES[0],
        file: FILE,
        bytesDone: Math.round((SIZE * k) / 10_000),
        bytesTotal: SIZE,
        rate: 8 << 20,
        done: false,
      });
    }
    const dispatchMs = performance.now() - t;
    await waitFor(() => expect(stripAnsi(stdout.lastFrame())).toContain(' 50% 8.0 MB/s ETA 5.0s'));
    expect(stdout.writes.length - before).toBeLessThan(10);
    expect(dispatchMs).toBeLessThan(1_000);
    await r.finish();
  });
});
