// `demo`: the first impression. A simulated cluster in a temp dir (real SSH servers, real MQTT
// listeners, a real tarball), MQTT clients publishing across nodes the whole time, and the REAL
// `upgrade --yes` code path against it, with the MQTT counters fed into the same live view. Then
// the status table and one verdict line. Everything it started is stopped on every way out
// (done, failure, Ctrl-C, SIGTERM); the temp dir goes too unless --keep.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTraffic, type Traffic } from '../../demo/traffic.js';
import { demoVerdict, verdictLines } from '../../demo/verdict.js';
import { watchRun } from '../../demo/watch.js';
import type { RolloutEvent } from '../../rollout/core/events.js';
import { startSimCluster } from '../../sim/cluster.js';
import { sandboxUp } from '../../sim/sandbox.js';
import type { SimClusterNode } from '../../sim/cluster.js';
import { chooseRenderer } from '../../ui/renderer.js';
import { BadInputError, RolloutError } from '../../util/errors.js';
import type { CliIO } from '../io.js';
import { checkSandboxLayout } from './sandbox.js';
import { statusCommand } from './status.js';
import { upgradeCommand } from './upgrade.js';

export interface DemoFlags {
  readonly nodes: number;
  readonly clients: number;
  readonly plain: boolean;
  readonly json: boolean;
  readonly keep: boolean;
  /** 'pkg': package-layout nodes reached as a non-root user through sudo (default 'tgz'). */
  readonly layout?: string;
}

/** The live view gets fresh counters twice a second; the Ink view redraws at 10 fps anyway. */
export const TRAFFIC_EVERY_MS = 500;
/** After the last node, publishers stop and in-flight messages get this long to arrive (150 msg/s need ~100 ms). */
export const DRAIN_MS = 3_000;

interface Running {
  readonly dir: string;
  readonly inventoryPath: string;
  readonly tarballPath: string;
  readonly from: string;
  readonly to: string;
  readonly nodes: readonly SimClusterNode[];
  stop(): Promise<void>;
}

/** In-process (gone with us) unless --keep, which needs a cluster that outlives this process. */
async function startCluster(dir: string, f: DemoFlags): Promise<Running> {
  const layout = f.layout === 'pkg' ? 'pkg' : 'tgz';
  if (f.keep) {
    const info = await sandboxUp({ dir, nodes: f.nodes, layout });
    return { ...info, stop: async () => undefined };
  }
  // soak 1 s: the demo shows the gates, not a production soak (3 nodes ≈ 20 s end to end)
  return startSimCluster({ dir, nodes: f.nodes, soakSeconds: 1, layout });
}

/** Each node is a process, an SSH server and an MQTT listener on this machine; 20 is already a lot for 2 cores. */
export const MAX_NODES = 20;
/** 100 clients × 5 msg/s per node is the most one node process keeps up with comfortably. */
export const MAX_CLIENTS = 100;

export async function demoCommand(io: CliIO, f: DemoFlags, argv: readonly string[] = []): Promise<void> {
  if (f.nodes > MAX_NODES)
    throw new BadInputError(`--nodes ${f.nodes}: the demo runs at most ${MAX_NODES} simulated nodes on one machine`, {
      hint: `use --nodes ${MAX_NODES} or fewer`,
    });
  checkSandboxLayout(f.layout ?? 'tgz');
  if (f.clients > MAX_CLIENTS)
    throw new BadInputError(`--clients ${f.clients}: the demo runs at most ${MAX_CLIENTS} MQTT clients per node`, {
      hint: `use --clients ${MAX_CLIENTS} or fewer`,
    });
  const say = (s: string) => (f.json ? io.stderr : io.stdout).write(s);
  const now = () => io.now().getTime();
  const interrupted = (when: string) => new RolloutError('interrupted', `demo interrupted ${when}`);
  const dir = await mkdtemp(join(tmpdir(), 'emqx-rollout-demo-'));
  say(
    `demo: starting ${f.nodes} simulated EMQX node${f.nodes === 1 ? '' : 's'} with ${f.clients} MQTT client${f.clients === 1 ? '' : 's'} each in ${dir}\n`,
  );

  let cluster: Running | null = null;
  let traffic: Traffic | null = null;
  let feed: NodeJS.Timeout | null = null;
  try {
    cluster = await startCluster(dir, f);
    if (io.stopRequested()) throw interrupted('while the simulated cluster started');
    traffic = await startTraffic({
      nodes: cluster.nodes.map((n) => ({ name: n.name, host: n.host, mqttPort: n.mqttPort })),
      clientsPerNode: f.clients,
      tag: `demo-${randomBytes(3).toString('hex')}`,
      now,
    });
    if (io.stopRequested()) throw interrupted('while the MQTT clients connected');

    const watch = watchRun(
      chooseRenderer({
        json: f.json,
        plain: f.plain,
        isTTY: io.stdoutTTY,
        env: io.env,
        stdout: io.stdout,
        stderr: io.stderr,
        stdin: io.stdin,
        now,
      }),
    );
    const t = traffic;
    const pushTraffic = () =>
      watch.renderer.onEvent({ ts: io.now().toISOString(), type: 'traffic', ...t.snapshot() } satisfies RolloutEvent);
    pushTraffic();
    feed = setInterval(pushTraffic, TRAFFIC_EVERY_MS);

    const t0 = now();
    let failure: unknown = null;
    try {
      // the same code path as `emqx-rollout upgrade -i <inv> --tarball <tgz> --yes`
      await upgradeCommand(
        io,
        {
          inventory: cluster.inventoryPath,
          tarball: cluster.tarballPath,
          yes: true,
          json: f.json,
          plain: f.plain,
          resume: false,
          backup: true,
          force: false,
          breakLock: false,
          stageConcurrency: 4,
          renderer: watch.renderer,
        },
        argv,
      );
    } catch (e) {
      failure = e;
    }
    clearInterval(feed);
    feed = null;
    const elapsed = now() - t0;
    const final = await traffic.drain(DRAIN_MS);
    if (io.signal.aborted) throw asError(failure) ?? interrupted('after the upgrade');

    say('\n');
    await statusCommand(io, { inventory: cluster.inventoryPath, json: f.json }, argv);
    const v = demoVerdict({
      nodes: cluster.nodes.length,
      upgraded: watch.seen.upgraded,
      from: cluster.from,
      to: cluster.to,
      durationMs: watch.seen.durationMs ?? elapsed,
      outcome: failure ? 'failed' : 'done',
      traffic: final,
    });
    if (f.json)
      io.stdout.write(
        `${JSON.stringify({ ts: io.now().toISOString(), type: 'demo.verdict', ok: v.ok, line: v.line, problems: v.problems, ...final })}\n`,
      );
    else io.stdout.write(`\n${verdictLines(v.line, io.stdoutTTY ? io.stdout.columns || 80 : Infinity).join('\n')}\n`);
    const failed = asError(failure);
    if (failed) throw failed;
    if (!v.ok)
      throw new RolloutError('halted', 'demo: the hot upgrade was not invisible to MQTT clients', {
        details: v.problems,
      });
  } finally {
    if (feed) clearInterval(feed);
    await traffic?.close();
    await cluster?.stop();
    if (f.keep) {
      say(
        `demo: the simulated cluster is still running in ${dir}\n  inventory: ${join(dir, 'inventory.yaml')}\n  stop it with: emqx-rollout sandbox down --dir ${dir}\n`,
      );
    } else {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** What the demo caught, as an Error (only Errors are thrown). */
function asError(e: unknown): Error | null {
  if (e === null || e === undefined) return null;
  return e instanceof Error ? e : new Error(JSON.stringify(e));
}
