// `relup upgrade` exited 1 with empty output (facts A2): the reason was not a map, so the CLI
// printed nothing. Three causes leave different traces; a read-only re-observation tells them apart
// and this pure function names the class. The halt message and recovery follow it (core/failure.ts).
//   A  marker write failed (enospc…): the NEW code is live, the version is the target, no marker.
//   B  deploy into <RootDir>/relup/<T>/ failed (sh_aborted: ENOSPC/EACCES during cp): nothing changed.
//   C  code-change crash → init:restart(): the VM re-booted the OLD tree; clients were disconnected,
//      a troubleshoot file <RootDir>/relup_<ts> was written (unless it crashed while preparing).
// Uptime does not tell C from B (init:restart keeps the emulator, A6), so it is not used to call C.

export type EmptyFailureClass =
  | { readonly kind: 'applied-no-marker'; readonly emptyMarker: boolean; readonly why: string }
  | { readonly kind: 'vm-restarted'; readonly why: string }
  | { readonly kind: 'deploy-failed'; readonly why: string }
  | { readonly kind: 'unknown'; readonly why: string };

export interface EmptyFailureObservation {
  /** Running version after the attempt (`ctl status`); null: down or unreadable. */
  readonly version: string | null;
  /** Marker content; null: absent; '' a 0-byte marker. undefined: unreadable. */
  readonly marker: string | null | undefined;
  /** `relup status` kind after the attempt. */
  readonly relupStatus: string | null;
  /** Troubleshoot files `<RootDir>/relup_YYYY-MM-DD_HH-MM-SS` before and after the attempt. */
  readonly troubleshootBefore: number | null;
  readonly troubleshootAfter: number | null;
  /** MQTT connections before (gate-before) and now. */
  readonly connectionsBefore: number | null;
  readonly connectionsAfter: number | null;
  /** Uptime (s) before and after, and the attempt's duration (ms): an OS restart shows as a reset. */
  readonly uptimeBefore: number | null;
  readonly uptimeAfter: number | null;
  readonly elapsedMs: number;
}

export function classifyEmptyUpgrade(o: EmptyFailureObservation, from: string, target: string): EmptyFailureClass {
  if (o.marker === '') {
    return {
      kind: 'applied-no-marker',
      emptyMarker: true,
      why: `a 0-byte relup/current was left: every bin/emqx command will try to exec relup//bin/emqx (exit 127)`,
    };
  }
  if (o.version === null) return { kind: 'unknown', why: 'the node does not answer `ctl status` after the attempt' };
  if (o.version === target) {
    return o.marker === target
      ? {
          kind: 'unknown',
          why: `the node runs ${target} and the marker names it: the hop landed, but the CLI printed nothing`,
        }
      : {
          kind: 'applied-no-marker',
          emptyMarker: false,
          why: `the node runs ${target} but relup/current is ${o.marker === null ? 'absent' : o.marker === undefined ? 'unreadable' : `"${o.marker}"`}: the code changed and the marker write failed`,
        };
  }
  if (o.version !== from) return { kind: 'unknown', why: `the node runs ${o.version}, neither ${from} nor ${target}` };
  if (o.uptimeBefore !== null && o.uptimeAfter !== null && o.uptimeAfter < o.uptimeBefore) {
    return {
      kind: 'unknown',
      why: `uptime went from ${o.uptimeBefore}s to ${o.uptimeAfter}s: the emulator itself restarted (not the handler's init:restart)`,
    };
  }
  const newTroubleshoot =
    o.troubleshootBefore !== null && o.troubleshootAfter !== null && o.troubleshootAfter > o.troubleshootBefore;
  if (newTroubleshoot)
    return {
      kind: 'vm-restarted',
      why: `still ${from}, and a new troubleshoot file relup_<ts> was written: code changes began, then the VM re-booted the old tree`,
    };
  const b = o.connectionsBefore;
  const a = o.connectionsAfter;
  if (b !== null && a !== null && b >= 10) {
    if (a < b / 2)
      return {
        kind: 'vm-restarted',
        why: `still ${from}, and MQTT connections fell from ${b} to ${a}: the applications restarted under the clients`,
      };
    if (o.troubleshootAfter !== null)
      return {
        kind: 'deploy-failed',
        why: `still ${from}, no troubleshoot file, connections kept (${b} → ${a}): the deploy into relup/${target}/ failed before any code change`,
      };
  }
  return {
    kind: 'unknown',
    why: `still ${from}, no troubleshoot file, and too few connections (${b ?? '?'} → ${a ?? '?'}) to tell a failed deploy from a restart while preparing`,
  };
}
