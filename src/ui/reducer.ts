// events → view state. Pure: no I/O, no clock (times come from event `ts`), no mutation.
import type { RolloutEvent } from '../rollout/core/events.js';
import type { ReportRow, StepKind } from '../rollout/core/types.js';
import { tsMs } from './format.js';
import {
  FINAL_STATES,
  initialState,
  newNode,
  type GateView,
  type NodeState,
  type NodeView,
  type SettledItem,
  type ViewState,
} from './state.js';

export { initialState } from './state.js';

const STEP_STATE: Record<StepKind, NodeState> = {
  lock: 'observing',
  preflight: 'observing',
  stage: 'staging',
  'gate-before': 'gating',
  backup: 'upgrading',
  upgrade: 'upgrading',
  'gate-after': 'gating',
  soak: 'soaking',
  evacuate: 'upgrading',
  restart: 'upgrading',
  cleanup: 'upgrading',
  recover: 'upgrading',
};

/** Steps of the one-node-at-a-time phase: when one starts, the node's clock starts and the others wait. */
const SERIAL_STEPS: ReadonlySet<StepKind> = new Set(['gate-before', 'backup', 'upgrade', 'evacuate', 'restart']);

/** States a node can leave for 'waiting' when another node takes its turn. */
const WAITABLE: ReadonlySet<NodeState> = new Set(['pending', 'observing', 'staged']);

export function reduce(s: ViewState, e: RolloutEvent): ViewState {
  const at = tsMs(e.ts);
  const base: ViewState = Number.isFinite(at) ? { ...s, lastEventAt: at } : s;
  return apply(base, e, Number.isFinite(at) ? at : (s.lastEventAt ?? 0));
}

/** Folds a whole event list (tests, replaying a journal). */
export function reduceAll(events: readonly RolloutEvent[], s: ViewState = initialState()): ViewState {
  return events.reduce(reduce, s);
}

function apply(s: ViewState, e: RolloutEvent, at: number): ViewState {
  switch (e.type) {
    case 'rollout.started':
      // Settled lines were already printed above the live region; a new run keeps them.
      return {
        ...initialState(),
        settled: s.settled,
        lastEventAt: s.lastEventAt,
        phase: 'running',
        header: {
          command: e.command,
          cluster: e.cluster,
          runId: e.runId,
          from: e.from ?? null,
          to: e.to ?? null,
          window: e.window ?? null,
          resumed: e.resumed === true,
          startedAt: at,
        },
        nodes: e.nodes.map((n) => ({ ...newNode(n), from: e.from ?? null, to: e.to ?? null })),
      };

    case 'preflight.finding': {
      const { type: _t, ts: _ts, ...finding } = e;
      let next: ViewState = { ...s, findings: [...s.findings, finding] };
      next = settle(next, { kind: 'finding', finding });
      if (e.node && e.severity === 'blocker') next = updateNode(next, e.node, (n) => ({ ...n, message: e.message }));
      return next;
    }

    case 'plan.ready': {
      const p = e.plan;
      let next: ViewState = {
        ...s,
        plan: {
          upgrade: p.nodes.filter((n) => n.action === 'upgrade').length,
          skip: p.nodes.filter((n) => n.action === 'skip').length,
          blocked: p.nodes.filter((n) => n.action === 'blocked').length,
          canProceed: p.canProceed,
        },
        header: s.header ? { ...s.header, from: s.header.from ?? p.from, to: s.header.to ?? p.to } : s.header,
      };
      for (const pn of p.nodes) {
        next = updateNode(next, pn.name, (n) => ({
          ...n,
          from: pn.from,
          to: pn.to,
          // Observation is over once there is a plan.
          state: n.state === 'observing' ? 'pending' : n.state,
          message: pn.action === 'upgrade' ? n.message : (pn.reason ?? n.message),
        }));
        if (pn.action === 'skip') next = finishNode(next, pn.name, 'skipped', (n) => ({ ...n, outcome: 'skipped' }));
      }
      return next;
    }

    case 'node.observed':
      return updateNode(s, e.node, (n) => ({
        ...n,
        reachable: e.reachable,
        version: e.version,
        state: n.state === 'pending' ? 'observing' : n.state,
        message: e.reachable ? n.message : 'unreachable',
        // Before the node's own turn an observation is the baseline; afterwards it is "now".
        connectionsBefore: n.startedAt === null && e.connections !== null ? e.connections : n.connectionsBefore,
        connectionsNow: e.connections ?? n.connectionsNow,
      }));

    case 'stage.progress':
      return updateNode(s, e.node, (n) => ({
        ...n,
        state: FINAL_STATES.has(n.state) ? n.state : e.done ? 'staged' : 'staging',
        step: 'stage',
        staging: {
          file: e.file,
          bytesDone: e.bytesDone,
          bytesTotal: e.bytesTotal,
          rate: e.rate,
          done: e.done,
          ...(e.action ? { action: e.action } : {}),
        },
      }));

    case 'step.started': {
      let next = updateNode(s, e.node, (n) => ({
        ...n,
        state: STEP_STATE[e.step],
        step: e.step,
        detail: e.detail ?? null,
        stepResult: null,
        startedAt: n.startedAt === null && SERIAL_STEPS.has(e.step) ? at : n.startedAt,
      }));
      if (SERIAL_STEPS.has(e.step)) {
        next = {
          ...next,
          nodes: next.nodes.map((n) => (n.name !== e.node && WAITABLE.has(n.state) ? { ...n, state: 'waiting' } : n)),
        };
      }
      return next;
    }

    case 'step.finished':
      return updateNode(s, e.node, (n) => ({
        ...n,
        step: e.step,
        stepResult: { ok: e.ok, durationMs: e.durationMs },
        state: !e.ok ? 'failed' : e.step === 'stage' && !FINAL_STATES.has(n.state) ? 'staged' : n.state,
        message: e.ok ? n.message : (e.message ?? `${e.step} failed`),
      }));

    case 'gate.checked':
      return updateNode(s, e.node, (n) => {
        const g: GateView = { id: e.gate, phase: e.phase, ok: e.ok, message: e.message };
        const i = n.gates.findIndex((x) => x.id === e.gate && x.phase === e.phase);
        const gates = i < 0 ? [...n.gates, g] : n.gates.map((x, j) => (j === i ? g : x));
        return { ...n, gates, message: e.ok ? n.message : e.message };
      });

    case 'node.done':
      return finishNode(s, e.node, e.outcome === 'skipped' ? 'skipped' : 'done', (n) => ({
        ...n,
        outcome: e.outcome,
        from: e.from,
        to: e.to,
        version: e.outcome === 'skipped' ? n.version : (e.to ?? n.version),
        durationMs: e.durationMs,
        connectionsBefore: e.connectionsBefore ?? n.connectionsBefore,
        connectionsNow: e.connectionsAfter ?? n.connectionsNow,
      }));

    case 'rollout.awaiting-approval': {
      const deadline = e.deadline === null ? null : tsMs(e.deadline);
      const awaiting = {
        upgraded: e.upgraded,
        done: e.done,
        total: e.total,
        nextNode: e.nextNode,
        deadline: Number.isFinite(deadline) ? deadline : null,
        via: e.via,
        hint: e.hint,
      };
      return updateNode({ ...s, awaiting }, e.nextNode, (n) => ({
        ...n,
        state: FINAL_STATES.has(n.state) ? n.state : 'waiting',
        message: 'awaiting approval',
      }));
    }

    case 'rollout.approved':
      return settle(
        updateNode({ ...s, awaiting: null }, e.nextNode, (n) => ({ ...n, message: null })),
        { kind: 'log', level: 'info', message: `approved by ${e.by}: continuing with ${e.nextNode}`, node: null },
      );

    case 'rollout.rejected':
      return settle(
        { ...s, awaiting: null },
        { kind: 'log', level: 'warn', message: `rejected by ${e.by}: stopping before ${e.nextNode}`, node: null },
      );

    case 'rollout.paused':
      return {
        ...s,
        awaiting: null,
        phase: 'paused',
        paused: { reason: e.reason, resumeHint: e.resumeHint, nextNode: e.nextNode ?? null },
        nodes: s.nodes.map((n) => (n.state === 'staged' || n.state === 'pending' ? { ...n, state: 'waiting' } : n)),
      };

    case 'rollout.halted': {
      const nodes = s.nodes.map((n): NodeView => {
        if (n.name === e.node) return { ...n, state: 'failed', message: e.message };
        return FINAL_STATES.has(n.state) ? n : { ...n, state: 'untouched' };
      });
      return {
        ...s,
        phase: 'halted',
        nodes:
          e.node && !nodes.some((n) => n.name === e.node)
            ? [...nodes, { ...newNode(e.node), state: 'failed', message: e.message }]
            : nodes,
        halt: {
          node: e.node ?? null,
          check: e.check ?? null,
          message: e.message,
          evidence: e.evidence,
          recovery: e.recovery,
        },
      };
    }

    case 'rollout.done': {
      let next: ViewState = { ...s, phase: 'done', done: { rows: e.rows, durationMs: e.durationMs } };
      for (const r of e.rows) next = applyRow(next, r);
      return next;
    }

    case 'log':
      return settle(s, { kind: 'log', level: e.level, message: e.message, node: e.node ?? null });

    case 'traffic':
      return {
        ...s,
        traffic: {
          clients: e.clients,
          connected: e.connected,
          disconnects: e.disconnects,
          published: e.published,
          received: e.received,
          lost: e.lost,
        },
      };
  }
}

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

function settle(s: ViewState, item: Distribute<SettledItem>): ViewState {
  // ids are positions: <Static> only ever appends, so the list never shrinks.
  return { ...s, settled: [...s.settled, { ...item, id: s.settled.length }] };
}

function updateNode(s: ViewState, name: string, f: (n: NodeView) => NodeView): ViewState {
  // An event for a node the run did not announce still gets a row: hiding it would hide evidence.
  const known = s.nodes.some((n) => n.name === name);
  const nodes = known ? s.nodes : [...s.nodes, newNode(name)];
  return { ...s, nodes: nodes.map((n) => (n.name === name ? f(n) : n)) };
}

/** Moves a node to done/skipped and settles it into `<Static>` once (a later repeat only updates). */
function finishNode(s: ViewState, name: string, state: 'done' | 'skipped', f: (n: NodeView) => NodeView): ViewState {
  const prev = s.nodes.find((n) => n.name === name);
  const already = prev !== undefined && (prev.state === 'done' || prev.state === 'skipped');
  const next = updateNode(s, name, (n) => ({ ...f(n), state, step: null, detail: null, stepResult: null }));
  if (already) return next;
  const node = next.nodes.find((n) => n.name === name)!;
  return settle(next, { kind: 'node', node });
}

function applyRow(s: ViewState, r: ReportRow): ViewState {
  switch (r.outcome) {
    case 'upgraded':
    case 'restarted':
    case 'skipped': {
      const outcome = r.outcome;
      return finishNode(s, r.node, outcome === 'skipped' ? 'skipped' : 'done', (n) => ({
        ...n,
        outcome,
        from: r.from,
        to: r.to,
        durationMs: r.durationMs ?? n.durationMs,
        connectionsBefore: r.connectionsBefore ?? n.connectionsBefore,
        connectionsNow: r.connectionsAfter ?? n.connectionsNow,
      }));
    }
    case 'failed':
    case 'untouched':
      return updateNode(s, r.node, (n) => ({ ...n, state: r.outcome === 'failed' ? 'failed' : 'untouched' }));
    case 'removed': // cleanup / logs --clear: the node's part is done; no version change to show
    case 'cleared':
      return finishNode(s, r.node, 'done', (n) => n);
  }
}
