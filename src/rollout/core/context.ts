// Everything an engine run needs from the outside world, passed in (STYLE.md: the clock, the
// abort signal and the output are parameters, never globals).
import type { Inventory } from '../../inventory/types.js';
import type { RemoteHost } from '../../remote/types.js';
import type { EventInput } from './events.js';

export interface RunContext {
  readonly inv: Inventory;
  readonly runId: string;
  /** Reachable nodes only (unreachable ones are preflight findings). */
  readonly hosts: ReadonlyMap<string, RemoteHost>;
  /** Connection failures by node: message, evidence, finding code. */
  readonly unreachable: ReadonlyMap<string, { readonly message: string; readonly details: readonly string[]; readonly code: string }>;
  readonly emit: (e: EventInput) => void;
  readonly now: () => Date;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Hard abort: stop at once (second Ctrl-C, SIGTERM). */
  readonly signal: AbortSignal;
  /** Soft stop: finish the node in flight (its upgrade and gates), then stop. First Ctrl-C. */
  readonly stopRequested: () => boolean;
  /**
   * Append a journal record (redacted). Resolves once the line is fsynced: await it where the record
   * must be on disk before the act it announces (write-ahead `upgrade.begin`); elsewhere fire and forget.
   */
  readonly record: (r: object) => Promise<void>;
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
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
