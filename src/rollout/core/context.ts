// Everything an engine run needs from the outside world, passed in (STYLE.md: the clock, the
// abort signal and the output are parameters, never globals).
import type { Inventory } from '../../inventory/types.js';
import type { RemoteHost } from '../../remote/types.js';
import type { DurableRecord, NoteRecord } from '../state/records.js';
import type { EventInput } from './events.js';

export interface RunContext {
  readonly inv: Inventory;
  readonly runId: string;
  /** Reachable nodes only (unreachable ones are preflight findings). */
  readonly hosts: ReadonlyMap<string, RemoteHost>;
  /** Connection failures by node: message, evidence, finding code. */
  readonly unreachable: ReadonlyMap<
    string,
    { readonly message: string; readonly details: readonly string[]; readonly code: string }
  >;
  /**
   * Resolves once `hosts` and `unreachable` are filled in, when the CLI connects in the background
   * (the run's first event is not held up by the SSH handshakes). Absent: they are complete already.
   * Read either map only after awaiting it: observeAll and takeLock do, and every engine that connects
   * in the background touches nodes first through them.
   */
  readonly connected?: Promise<void>;
  readonly emit: (e: EventInput) => void;
  readonly now: () => Date;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Hard abort: stop at once (second Ctrl-C, SIGTERM). */
  readonly signal: AbortSignal;
  /** Soft stop: finish the node in flight (its upgrade and gates), then stop. First Ctrl-C. */
  readonly stopRequested: () => boolean;
  /**
   * Write-ahead: append a record the run's safety depends on (state/records.ts DurableRecord) and
   * resolve once it is written and fsynced. Rejects with JournalUnwritableError (exit 4) when it
   * cannot be: the engine then halts and takes no further remote action. Always await it BEFORE
   * the act it announces.
   */
  readonly commit: (r: DurableRecord) => Promise<void>;
  /** Best-effort evidence (state/records.ts NoteRecord): never delays or fails the run. */
  readonly note: (r: NoteRecord) => void;
  /** The MQTT gate's password, read by the CLI from the variable gates.mqtt.passwordEnv names (redacted). */
  readonly mqttPassword?: string;
}

export function hostOf(ctx: RunContext, node: string): RemoteHost {
  const h = ctx.hosts.get(node);
  if (!h) throw new Error(`internal: no connection for ${node}`);
  return h;
}

export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(asError(signal.reason));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(asError(signal!.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** An abort reason as an Error (ours always are: RolloutError('interrupted')). */
function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
