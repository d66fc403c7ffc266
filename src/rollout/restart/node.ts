// Restart one node with the inventory's restart command and poll its gates until they pass or the
// per-node deadline (gates.timeoutSeconds) expires; then soak and check again. Shared by the
// rolling `restart` (into relup/<vsn>/) and `recover-boot` (back into the base tree).
import { emitGates, emitObserved } from '../core/emit.js';
import * as cmd from '../../emqx/commands.js';
import { parseBroker } from '../../emqx/parse/broker.js';
import type { NodeSpec } from '../../inventory/types.js';
import { describeResult } from '../../remote/exec.js';
import type { ExecResult, RemoteHost } from '../../remote/types.js';
import { RolloutError } from '../../util/errors.js';
import { hostOf, type RunContext } from '../core/context.js';
import { NodeFailure } from '../core/failure.js';
import { throwIfAborted, type InFlight } from '../core/run.js';
import type { NodeFacts } from '../core/facts.js';
import { renderTemplate, type GateResult } from '../upgrade/gates.js';
import { observeNode } from '../observe/node.js';
import { judgeBootedInto } from './gates.js';

/** Between two observations of a node that is coming back: a real node boots in 10–60 s. */
export const POLL_INTERVAL_MS = 1000;

export interface GateTally {
  gatesPassed: number;
  gatesTotal: number;
  connectionsAfter?: number;
}

/** `broker` uptime in seconds; null when unreadable. An aborted read is an interruption, not "unreadable". */
export async function readUptime(
  ctx: RunContext,
  host: RemoteHost,
  spec: NodeSpec,
  timeoutMs: number,
): Promise<number | null> {
  const r = await host.exec(cmd.broker(spec.rootDir), { timeoutMs, signal: ctx.signal });
  throwIfAborted(ctx, r, `reading the uptime of ${spec.name}`);
  const b = parseBroker(r.stdout, r.stderr, r.exitCode);
  return b.kind === 'broker' ? b.uptimeSeconds : null;
}

export interface RestartExpect {
  readonly version: string;
  readonly tree: 'relup' | 'base';
  readonly mode: 'restart' | 'recover-boot';
  /** The node was evacuated first: an interruption must say its evacuation is still active. */
  readonly evacuated?: boolean;
  /** The exact words that end that evacuation (evacuation.ts endEvacuationAdvice). */
  readonly evacuationAdvice?: string;
}

/** What an interruption leaves: the restart command in flight, or the node restarted but not yet gated. */
function notes(spec: NodeSpec, e: RestartExpect): { command: string; gates: string } {
  const bin = `${spec.rootDir}/bin/emqx`;
  const evac = e.evacuated
    ? `; ${e.evacuationAdvice ?? `its evacuation is still active: once it is healthy, \`${bin} ctl rebalance stop\` re-admits clients`}`
    : '';
  return e.mode === 'restart'
    ? {
        command: `the restart command was running on ${spec.name}: the node may be stopped — check it (\`${bin} ctl status\`; if it is down, \`${bin} start\` boots relup/${e.version}/)${evac}`,
        gates: `${spec.name} was restarted but had not passed its gates yet — check it (\`${bin} ctl status\` should say ${e.version} started, \`${bin} ctl relup status\` idle)${evac}`,
      }
    : {
        command: `relup/current is gone on ${spec.name} and the restart command was running: the node may be stopped — check it (\`${bin} ctl status\`; if it is down, \`${bin} start\` boots the base tree, ${e.version})`,
        gates: `${spec.name} was restarted into the base tree (${e.version}) but had not passed its gates yet — check it (\`${bin} ctl status\`)`,
      };
}

export async function restartAndGate(
  ctx: RunContext,
  spec: NodeSpec,
  expect: RestartExpect,
  tally: GateTally,
  flight: InFlight,
): Promise<void> {
  const host = hostOf(ctx, spec.name);
  const timeoutMs = ctx.inv.gates.timeoutSeconds * 1000;
  const failKind = expect.mode === 'restart' ? 'not-back' : 'recover-restart';
  const note = notes(spec, expect);
  const uptimeBefore = await readUptime(ctx, host, spec, 30_000);
  // Last point before the node goes down: an abort that arrived meanwhile must not restart it.
  throwIfAborted(ctx, null, `about to restart ${spec.name}`);

  // The command is not tied to ctx.signal: an abort between `stop` and `start` would leave the node
  // down. The deadline still applies (the same per-node budget covers the gates below).
  const command = renderTemplate(ctx.inv.restart.command, spec);
  const sent = ctx.now().getTime();
  const deadline = sent + timeoutMs;
  ctx.emit({ type: 'step.started', node: spec.name, step: 'restart', detail: command });
  await ctx.commit({
    kind: 'restart.begin',
    runId: ctx.runId,
    node: spec.name,
    command,
    expect: expect.version,
    tree: expect.tree,
  });
  flight.note = note.command;
  const r = await host.exec(command, { timeoutMs });
  await ctx.commit({
    kind: 'restart.end',
    runId: ctx.runId,
    node: spec.name,
    exitCode: r.exitCode,
    durationMs: Math.round(r.durationMs),
    timedOut: r.timedOut,
    aborted: r.aborted,
  });
  // Not tied to ctx.signal, but if anything ever aborts it, its empty result says nothing about the node.
  if (r.aborted)
    throw new RolloutError('interrupted', `interrupted while the restart command ran on ${spec.name}`, {
      cause: ctx.signal.reason,
    });
  if (r.timedOut || r.exitCode !== 0) {
    ctx.emit({
      type: 'step.finished',
      node: spec.name,
      step: 'restart',
      ok: false,
      durationMs: r.durationMs,
      message: r.timedOut ? `no result within ${ctx.inv.gates.timeoutSeconds}s` : `exit ${r.exitCode ?? r.signal}`,
    });
    throw new NodeFailure(
      spec.name,
      'restart',
      r.timedOut
        ? `the restart command did not finish within ${ctx.inv.gates.timeoutSeconds}s`
        : `the restart command failed (exit ${r.exitCode ?? r.signal})`,
      describeResult(r),
      { kind: expect.mode === 'restart' ? 'restart-command' : 'recover-restart' },
    );
  }
  ctx.emit({
    type: 'step.finished',
    node: spec.name,
    step: 'restart',
    ok: true,
    durationMs: r.durationMs,
    message: lastLine(r.stdout),
  });
  flight.note = note.gates;

  // gates-after, polled: the node may still be booting when the command returns.
  let t = ctx.now().getTime();
  ctx.emit({
    type: 'step.started',
    node: spec.name,
    step: 'gate-after',
    detail: `${expect.version} from ${expect.tree === 'relup' ? `relup/${expect.version}/` : 'the base tree'}, rejoined (deadline ${Math.round((deadline - t) / 1000)}s)`,
  });
  let waitingLogged = false;
  for (;;) {
    const { facts, results } = await checkOnce(ctx, host, spec, expect, uptimeBefore, sent, deadline);
    const bad = results.find((g) => !g.ok);
    if (!bad || ctx.now().getTime() >= deadline) {
      emitObserved(ctx, facts);
      emitGates(ctx, spec.name, 'after', results);
      tally.gatesTotal += results.length;
      tally.gatesPassed += results.filter((g) => g.ok).length;
      if (facts.connections !== null) tally.connectionsAfter = facts.connections;
      ctx.emit({
        type: 'step.finished',
        node: spec.name,
        step: 'gate-after',
        ok: !bad,
        durationMs: ctx.now().getTime() - t,
      });
      if (bad)
        throw new NodeFailure(
          spec.name,
          `gate-after:${bad.gate}`,
          `${bad.message} (after ${Math.round((ctx.now().getTime() - sent) / 1000)}s)`,
          bad.evidence ?? [],
          { kind: failKind },
        );
      break;
    }
    if (!waitingLogged) {
      ctx.emit({
        type: 'log',
        level: 'info',
        node: spec.name,
        message: `waiting for ${spec.name} to come back: ${bad.message}`,
      });
      waitingLogged = true;
    }
    await ctx.sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - ctx.now().getTime())), ctx.signal);
  }

  if (ctx.inv.gates.soakSeconds > 0) {
    t = ctx.now().getTime();
    ctx.emit({ type: 'step.started', node: spec.name, step: 'soak', detail: `${ctx.inv.gates.soakSeconds}s` });
    await ctx.sleep(ctx.inv.gates.soakSeconds * 1000, ctx.signal);
    const { facts, results } = await checkOnce(
      ctx,
      host,
      spec,
      expect,
      uptimeBefore,
      sent,
      ctx.now().getTime() + 30_000,
    );
    emitObserved(ctx, facts);
    emitGates(ctx, spec.name, 'soak', results);
    tally.gatesTotal += results.length;
    tally.gatesPassed += results.filter((g) => g.ok).length;
    if (facts.connections !== null) tally.connectionsAfter = facts.connections;
    const bad = results.find((g) => !g.ok);
    ctx.emit({ type: 'step.finished', node: spec.name, step: 'soak', ok: !bad, durationMs: ctx.now().getTime() - t });
    if (bad) throw new NodeFailure(spec.name, `soak:${bad.gate}`, bad.message, bad.evidence ?? [], { kind: failKind });
  }
}

async function checkOnce(
  ctx: RunContext,
  host: RemoteHost,
  spec: NodeSpec,
  expect: RestartExpect,
  uptimeBefore: number | null,
  sent: number,
  deadline: number,
): Promise<{ facts: NodeFacts; results: GateResult[] }> {
  // Each command gets what is left of the deadline (at least 1 s, at most 30 s): a hung node must
  // not stretch one observation past the node's budget.
  const budget = () => Math.min(30_000, Math.max(1000, deadline - ctx.now().getTime()));
  const facts = await observeNode(host, spec, { tarballName: null, signal: ctx.signal, commandTimeoutMs: budget() });
  throwIfAborted(ctx, null, `checking ${spec.name}`);
  const running = facts.ctl?.kind === 'running';
  const uptimeAfter = running ? await readUptime(ctx, host, spec, budget()) : null;
  const commandResults: ExecResult[] = [];
  if (running) {
    for (const c of ctx.inv.gates.commands) {
      const r = await host.exec(renderTemplate(c, spec), { timeoutMs: budget(), signal: ctx.signal });
      throwIfAborted(ctx, r, `running the gate command \`${c}\` on ${spec.name}`);
      commandResults.push(r);
    }
  }
  const results = judgeBootedInto(
    ctx.inv,
    facts,
    { version: expect.version, tree: expect.tree, uptimeBefore, uptimeAfter, elapsedMs: ctx.now().getTime() - sent },
    commandResults,
  );
  return { facts, results };
}

function lastLine(s: string): string {
  return (
    s
      .trimEnd()
      .split('\n')
      .filter((l) => l.trim())
      .pop()
      ?.trim() ?? ''
  );
}
