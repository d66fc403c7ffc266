// Which release tree a node booted from, decided from observed facts alone (pure).
//
// The marker file `<RootDir>/relup/current` is NOT removed by a restart: bin/emqx needs it on every
// command to re-exec into `relup/<vsn>/` (facts §2). What changes is `relup status`, which reads
// the marker relative to the VM's *booted* root (facts §1.7): booted from the base root it sees the
// marker and prints `hot-upgraded to <vsn>; pending on restart…`; booted from `relup/<vsn>/` it
// finds no marker there and prints `idle`. So:
//   marker T + status hot-upgraded to T  → pending: the hop is live, the VM still runs the base tree;
//   marker T + status idle + version T   → booted-new: the VM booted from relup/T/;
//   no marker                            → nothing to boot into.
import type { NodeFacts } from '../core/facts.js';

export type BootState =
  | { readonly kind: 'unreachable'; readonly message: string }
  | { readonly kind: 'down'; readonly message: string }
  | { readonly kind: 'no-marker'; readonly version: string | null }
  | { readonly kind: 'pending'; readonly target: string; readonly version: string | null }
  | { readonly kind: 'booted-new'; readonly target: string }
  | { readonly kind: 'in-progress'; readonly marker: string | null }
  /** Facts that fit none of the above (e.g. marker and status disagree): never act on a guess. */
  | { readonly kind: 'unclear'; readonly reason: string };

export function bootState(f: NodeFacts): BootState {
  if (!f.reachable) return { kind: 'unreachable', message: f.unreachable?.message ?? 'not reachable over SSH' };
  if (f.ctl?.kind === 'down') return { kind: 'down', message: f.ctl.message };
  if (f.ctl?.kind !== 'running')
    return {
      kind: 'unclear',
      reason: `ctl status unrecognised${f.ctl?.kind === 'unrecognised' ? `: ${f.ctl.raw.trim().split('\n')[0] ?? ''}` : ''}`,
    };
  const s = f.relupStatus;
  if (s?.kind === 'in-progress') return { kind: 'in-progress', marker: f.marker };
  if (f.marker === null) {
    if (s?.kind === 'hot-upgraded')
      return {
        kind: 'unclear',
        reason: `relup status says hot-upgraded to ${s.target} but <RootDir>/relup/current is missing`,
      };
    return { kind: 'no-marker', version: f.version };
  }
  if (s?.kind === 'hot-upgraded') {
    return s.target === f.marker
      ? { kind: 'pending', target: f.marker, version: f.version }
      : {
          kind: 'unclear',
          reason: `relup status says hot-upgraded to ${s.target} but relup/current holds ${f.marker}`,
        };
  }
  if (s?.kind === 'idle') {
    return f.version === f.marker
      ? { kind: 'booted-new', target: f.marker }
      : {
          kind: 'unclear',
          reason: `relup/current holds ${f.marker}, relup status is idle, but the node runs ${f.version ?? 'an unknown version'}`,
        };
  }
  return {
    kind: 'unclear',
    reason: `relup status unreadable (${s?.kind ?? 'not observed'}) with relup/current holding ${f.marker}`,
  };
}

export function describeBootState(b: BootState): string {
  switch (b.kind) {
    case 'unreachable':
      return `unreachable: ${b.message}`;
    case 'down':
      return `not running (${b.message})`;
    case 'no-marker':
      return `no relup/current marker (runs ${b.version ?? 'unknown'})`;
    case 'pending':
      return `hot-upgraded to ${b.target}, pending restart into relup/${b.target}/`;
    case 'booted-new':
      return `booted from relup/${b.target}/`;
    case 'in-progress':
      return 'relup upgrade in progress';
    case 'unclear':
      return b.reason;
  }
}
