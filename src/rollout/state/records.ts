// The journal's records: one typed union, split in two by what the safety of a run depends on.
//
// DURABLE records are write-ahead: the engine awaits `ctx.commit(r)`, which resolves only once the
// line is written and fsynced, before it takes the next remote action. If that fails the run halts
// (exit 4, JournalUnwritableError names the file and the OS error) and touches no node further:
// resume depends on these records (an `upgrade.begin` without its `upgrade.end` is what makes the
// next run re-observe a node instead of upgrading it blindly).
//
// NOTE records are evidence (every command, event, stage): `ctx.note(r)` is best-effort and never
// delays or fails the run; a failed note is counted and reported once at the end.
//
// Readers (resume.ts, recover-boot) recognise records by `kind` only — never by a regex on a string.
import type { RelupUpgradeVerdictKind } from '../../emqx/types.js';

/** How an `upgrade.end` closed the hop. `applied`: the live code may have changed. */
export type UpgradeEndVerdict =
  | RelupUpgradeVerdictKind // a definite answer from `relup upgrade` itself
  | 'complete-observed' // resume: the earlier hop landed (target, marker, hot-upgraded)
  | 'never-started-observed' // resume: no new relup log row, node idle on the old version
  | 'unknown-observed'; // resume: the state proves neither; halted for a human

export interface RunMetaRecord {
  readonly kind: 'run.meta';
  readonly runId: string;
  readonly command: 'upgrade';
  readonly fingerprint: string;
  readonly cluster: string;
  readonly from: string | null;
  readonly to: string;
  readonly sha256: string;
  readonly nodes: readonly string[];
}

export interface UpgradeBeginRecord {
  readonly kind: 'upgrade.begin';
  readonly runId: string;
  readonly node: string;
  readonly from: string;
  readonly to: string;
  readonly command: string;
  /** Number of `relup logs` rows before the command was sent. */
  readonly logRowsBefore: number;
  /** MQTT connections before the hop: the connections gate's baseline when resuming. */
  readonly connectionsBefore: number | null;
}

export interface UpgradeEndRecord {
  readonly kind: 'upgrade.end';
  readonly runId: string;
  readonly node: string;
  readonly to: string;
  readonly verdict: UpgradeEndVerdict;
  /** The hop reached the node's live code (complete, or failed past check_and_unpack). */
  readonly applied: boolean;
  readonly exitCode?: number | null;
  readonly durationMs?: number;
}

/** Every gate after a hop passed (after soak): a later run may skip this node. */
export interface NodeGatedRecord {
  readonly kind: 'node.gated';
  readonly runId: string;
  readonly node: string;
  readonly to: string;
}

export interface RestartBeginRecord {
  readonly kind: 'restart.begin';
  readonly runId: string;
  readonly node: string;
  readonly command: string;
  readonly expect: string;
  readonly tree: 'relup' | 'base';
}

export interface RestartEndRecord {
  readonly kind: 'restart.end';
  readonly runId: string;
  readonly node: string;
  readonly exitCode: number | null;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
}

/** Written BEFORE `rebalance start`: from then on the node may refuse clients until it is stopped. */
export interface EvacuateBeginRecord {
  readonly kind: 'evacuate.begin';
  readonly runId: string;
  readonly node: string;
  readonly command: string;
}

export interface EvacuateEndRecord {
  readonly kind: 'evacuate.end';
  readonly runId: string;
  readonly node: string;
  readonly stopped: boolean;
}

/** Written BEFORE recover-boot removes the marker. */
export interface RecoverRemoveRecord {
  readonly kind: 'recover.remove';
  readonly runId: string;
  readonly node: string;
  readonly target: string;
  readonly removeTree: boolean;
}

export type DurableRecord =
  | RunMetaRecord
  | UpgradeBeginRecord
  | UpgradeEndRecord
  | NodeGatedRecord
  | RestartBeginRecord
  | RestartEndRecord
  | EvacuateBeginRecord
  | EvacuateEndRecord
  | RecoverRemoveRecord;

// ---- notes (best-effort evidence) ----------------------------------------------------------------

export interface RunStartRecord {
  readonly kind: 'run.start';
  readonly runId: string;
  readonly command: string;
  readonly who: string;
  readonly pid: number;
  readonly cwd: string;
  readonly argv: readonly string[];
  readonly version: string;
  readonly inventory: string;
  readonly cluster: string;
}

export interface RunEndRecord {
  readonly kind: 'run.end';
  readonly runId: string;
  readonly outcome: string;
}

export interface BackupRecord {
  readonly kind: 'backup';
  readonly runId: string;
  readonly node: string;
  readonly path: string;
  readonly bytes: number;
}

export interface NoteRecordBase {
  readonly runId: string;
  readonly node?: string;
  readonly [field: string]: unknown;
}

/** Evidence records whose fields are free-form (commands, events, decisions). */
export interface EvidenceRecord extends NoteRecordBase {
  readonly kind:
    | 'exec'
    | 'stage'
    | 'event'
    | 'connect.failed'
    | 'report'
    | 'restart.plan'
    | 'recover.decision'
    | 'cleanup'
    | 'logs.clear'
    | 'notify'
    | 'approval'
    | 'tunnel'
    | 'mqtt.probe';
}

export type NoteRecord = RunStartRecord | RunEndRecord | BackupRecord | EvidenceRecord;

export type JournalRecord = DurableRecord | NoteRecord;

const DURABLE_KINDS: ReadonlySet<string> = new Set<DurableRecord['kind']>([
  'run.meta',
  'upgrade.begin',
  'upgrade.end',
  'node.gated',
  'restart.begin',
  'restart.end',
  'evacuate.begin',
  'evacuate.end',
  'recover.remove',
]);

export function isDurableKind(kind: string): kind is DurableRecord['kind'] {
  return DURABLE_KINDS.has(kind);
}

/**
 * A record read back from disk, checked just enough to be trusted by kind (a journal written by an
 * older version, or damaged by hand, yields null for the records it cannot vouch for).
 */
export function asRecord(raw: object): (JournalRecord & { readonly ts?: string }) | null {
  const r = raw as Record<string, unknown>;
  if (typeof r.kind !== 'string' || typeof r.runId !== 'string') return null;
  switch (r.kind) {
    case 'upgrade.begin':
      return typeof r.node === 'string' && typeof r.from === 'string' && typeof r.to === 'string'
        ? (r as unknown as UpgradeBeginRecord)
        : null;
    case 'upgrade.end':
    case 'node.gated':
      return typeof r.node === 'string' ? (r as unknown as JournalRecord) : null;
    case 'run.meta':
      return typeof r.fingerprint === 'string' && Array.isArray(r.nodes) ? (r as unknown as RunMetaRecord) : null;
    default:
      return r as unknown as JournalRecord;
  }
}
