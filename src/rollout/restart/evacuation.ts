// Node evacuation (`emqx ctl rebalance …`, emqx_node_rebalance_cli): command strings and the
// parser of `rebalance node-status` (pure). Evacuation evicts the node's MQTT clients (they
// reconnect to the other nodes) and refuses new ones until `rebalance stop`; EMQX keeps the
// evacuation across a restart, so it is stopped explicitly once the restarted node passed its gates.
import { ctlCmd } from '../../emqx/commands.js';

export const evacuateStart = (rootDir: string): string => ctlCmd(rootDir, 'rebalance', 'start', '--evacuation');
export const evacuateStatus = (rootDir: string): string => ctlCmd(rootDir, 'rebalance', 'node-status');
export const evacuateStop = (rootDir: string): string => ctlCmd(rootDir, 'rebalance', 'stop');

export type EvacuationStatus =
  | { readonly kind: 'disabled' }
  | { readonly kind: 'evacuating'; readonly state: string | null; readonly connected: number | null; readonly sessions: number | null }
  | { readonly kind: 'unrecognised'; readonly raw: string };

/**
 * `Rebalance status: disabled`, or a block starting `Rebalance type: evacuation` with
 * `Rebalance state: …` and, under `Channel statistics:`, `current_connected: N` / `current_sessions: N`.
 */
export function parseEvacuationStatus(stdout: string, exitCode: number | null): EvacuationStatus {
  const text = stdout.trim();
  if (exitCode === 0 && /^Rebalance status: disabled$/m.test(text)) return { kind: 'disabled' };
  if (exitCode === 0 && /^Rebalance type: evacuation$/m.test(text)) {
    const num = (key: string): number | null => {
      const m = new RegExp(`^\\s*${key}: (\\d+)$`, 'm').exec(text);
      return m ? Number(m[1]) : null;
    };
    return { kind: 'evacuating', state: /^Rebalance state: (\S+)$/m.exec(text)?.[1] ?? null, connected: num('current_connected'), sessions: num('current_sessions') };
  }
  return { kind: 'unrecognised', raw: stdout };
}

/** Drained: no client connected to the node any more. */
export function isDrained(s: EvacuationStatus): boolean {
  return s.kind === 'evacuating' && s.connected === 0;
}

/** `rebalance start --evacuation` accepted (or already running from an earlier attempt). */
export function evacuationStarted(stdout: string, exitCode: number | null): boolean {
  return (exitCode === 0 && /Rebalance\(evacuation\) started/.test(stdout)) || /already_started/.test(stdout);
}

/** `rebalance stop` done, or nothing to stop (evacuation not persisted across that restart). */
export function evacuationStopped(stdout: string, exitCode: number | null): boolean {
  return (exitCode === 0 && /Rebalance\(evacuation\) stopped/.test(stdout)) || /not_started/.test(stdout);
}
