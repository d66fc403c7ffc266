// `emqx ctl rebalance …` (facts A1), pure. `start` and `stop` return true/false instead of ok, so
// nodetool exits 1 EVEN ON SUCCESS: the verdict is the stdout text, never the exit code.
import type { NodeDown, Unrecognised } from '../types.js';
import { detectDown, normalize, unrecognised } from './common.js';
import { detectTransient, type Transient } from './transient.js';

export type RebalanceStart =
  | { readonly kind: 'started' } // `Rebalance(evacuation) started`
  | { readonly kind: 'already-enabled' } // something (evacuation, purge, rebalance) already runs here
  | { readonly kind: 'error'; readonly message: string } // `Rebalance start error: <msg>`
  | { readonly kind: 'crashed' } // empty output, exit 1: the eviction agent is held by a purge/rebalance
  | Transient
  | NodeDown
  | Unrecognised;

export function parseRebalanceStart(stdout: string, stderr: string, exitCode: number | null): RebalanceStart {
  const down = detectDown(stdout, stderr, exitCode);
  if (down) return down;
  const tr = detectTransient(stdout, exitCode, 'rebalance');
  if (tr) return tr;
  const t = normalize(stdout).trim();
  if (t === 'Rebalance(evacuation) started') return { kind: 'started' };
  if (t === 'Rebalance is already enabled') return { kind: 'already-enabled' };
  const e = /^Rebalance start error: ([\s\S]*)$/.exec(t);
  if (e) return { kind: 'error', message: e[1].replace(/\s*\n\s*/g, ' ') };
  if (t === '' && exitCode === 1) return { kind: 'crashed' };
  return unrecognised(stdout, stderr, exitCode);
}

export type RebalanceStop =
  | { readonly kind: 'stopped'; readonly what: 'evacuation' | 'purge' | 'rebalance' }
  | { readonly kind: 'already-disabled' }
  | Transient
  | NodeDown
  | Unrecognised;

export function parseRebalanceStop(stdout: string, stderr: string, exitCode: number | null): RebalanceStop {
  const down = detectDown(stdout, stderr, exitCode);
  if (down) return down;
  const tr = detectTransient(stdout, exitCode, 'rebalance');
  if (tr) return tr;
  const t = normalize(stdout).trim();
  if (t === 'Rebalance(evacuation) stopped') return { kind: 'stopped', what: 'evacuation' };
  if (t === 'Rebalance(purge) stopped') return { kind: 'stopped', what: 'purge' };
  if (t === 'Rebalance stopped') return { kind: 'stopped', what: 'rebalance' };
  if (t === 'Rebalance is already disabled') return { kind: 'already-disabled' };
  return unrecognised(stdout, stderr, exitCode);
}

export type RebalanceNodeStatus =
  | { readonly kind: 'disabled' }
  | {
      readonly kind: 'enabled';
      /** evacuation, purge, rebalance (`Rebalance type: ~p`). */
      readonly type: string;
      readonly state: string | null;
      readonly connected: number | null;
      readonly sessions: number | null;
      readonly recipients: readonly string[] | null;
    }
  | { readonly kind: 'error'; readonly message: string } // `Node status error: …` / `Error detecting rebalance status: …`
  | Transient
  | NodeDown
  | Unrecognised;

/** `rebalance node-status`: `Rebalance disabled`, or the block starting `Rebalance type: evacuation`. */
export function parseRebalanceNodeStatus(stdout: string, stderr: string, exitCode: number | null): RebalanceNodeStatus {
  const down = detectDown(stdout, stderr, exitCode);
  if (down) return down;
  const tr = detectTransient(stdout, exitCode, 'rebalance');
  if (tr) return tr;
  const t = normalize(stdout).trim();
  const err = /^(Node status error: .*|Error detecting rebalance status: .*)$/m.exec(t);
  if (err) return { kind: 'error', message: err[1] };
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  if (t === 'Rebalance disabled') return { kind: 'disabled' };
  const type = /^Rebalance type: (\S+)$/m.exec(t);
  if (type) {
    // Statistics lines come from maps:to_list/1: their order is not guaranteed (A1), so by name.
    const num = (key: string): number | null => {
      const m = new RegExp(`^\\s*${key}: (\\d+)$`, 'm').exec(t);
      return m ? Number(m[1]) : null;
    };
    const rec = /^Session recipient nodes: \[(.*)\]$/m.exec(t);
    const recipients = rec
      ? rec[1]
          .split(',')
          .map((x) => x.trim().replace(/^'|'$/g, ''))
          .filter(Boolean)
      : null;
    return {
      kind: 'enabled',
      type: type[1],
      state: /^Rebalance state: (\S+)$/m.exec(t)?.[1] ?? null,
      connected: num('current_connected'),
      sessions: num('current_sessions'),
      recipients,
    };
  }
  return unrecognised(stdout, stderr, exitCode);
}

export type EvictionStatus =
  { readonly kind: 'eviction'; readonly enabled: boolean } | Transient | NodeDown | Unrecognised;

/** `emqx ctl eviction status`: `Eviction status: enabled|disabled`, exit 0 (A1 "Other read-only probes"). */
export function parseEvictionStatus(stdout: string, stderr: string, exitCode: number | null): EvictionStatus {
  const down = detectDown(stdout, stderr, exitCode);
  if (down) return down;
  const tr = detectTransient(stdout, exitCode, 'eviction');
  if (tr) return tr;
  const m = /^Eviction status: (enabled|disabled)$/m.exec(normalize(stdout).trim());
  return m && exitCode === 0
    ? { kind: 'eviction', enabled: m[1] === 'enabled' }
    : unrecognised(stdout, stderr, exitCode);
}

/** Drained: an evacuation with no client connected any more (state evicting_sessions or later). */
export function isDrained(s: RebalanceNodeStatus): boolean {
  return s.kind === 'enabled' && s.type === 'evacuation' && s.connected === 0;
}
