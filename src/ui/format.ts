// Small, pure text formatters shared by the Ink view, the plain log and the report.
// No I/O, no clock: every value comes in as a parameter.

/** `2026-11-26T21:03:04.123Z` → `2026-11-26T21:03:04Z` (the plain log shows whole seconds). */
export function shortTs(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** Milliseconds since the epoch, or NaN when the string is not a date. */
export function tsMs(iso: string): number {
  return Date.parse(iso);
}

/** 850 → `850ms`, 3200 → `3.2s`, 123000 → `2m03s`, 3720000 → `1h02m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  return `${m}m${String(sec).padStart(2, '0')}s`;
}

/** Whole-second clock for the header: 0:07, 2:03, 1:02:03. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const MB = 1024 * 1024;

/** Bytes as MB with one decimal (release tarballs are 80–200 MB; KB precision is noise). */
export function formatMB(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** Bytes/s as `12.3 MB/s`. */
export function formatRate(bytesPerSec: number): string {
  return `${(Math.max(0, bytesPerSec) / MB).toFixed(1)} MB/s`;
}

/** Seconds left at the current rate, or null when the rate is 0 (no estimate is better than ∞). */
export function etaMs(bytesDone: number, bytesTotal: number, rate: number): number | null {
  if (rate <= 0) return null;
  return (Math.max(0, bytesTotal - bytesDone) / rate) * 1000;
}

/** Integer percentage, clamped to 0..100; an empty file counts as complete. */
export function percent(done: number, total: number): number {
  if (total <= 0) return 100;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/** `████░░░░` of `width` cells for a 0..100 percentage. */
export function bar(pct: number, width: number): string {
  const filled = Math.round((Math.max(0, Math.min(100, pct)) / 100) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export function versionHop(from: string | null | undefined, to: string | null | undefined): string {
  return `${from ?? '?'} → ${to ?? '?'}`;
}

export function connections(before: number | null | undefined, after: number | null | undefined): string {
  if (before == null && after == null) return '';
  return `${before ?? '?'} → ${after ?? '?'}`;
}

/** Pads every column to its widest cell; the last column is not padded (no trailing blanks). */
export function alignTable(rows: readonly (readonly string[])[], gap = 2): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i] - [...c].length + gap)))
      .join('')
      .trimEnd(),
  );
}

/** Cut to `width` visible characters with a trailing `…` (plain text only, no ANSI inside). */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, width).join('');
  return chars.slice(0, width - 1).join('') + '…';
}

import type { TrafficCounts } from '../rollout/core/events.js';
export type { TrafficCounts };

/** `MQTT: 30 clients, 0 disconnects, 1234 published, 1234 received, 0 lost` (+ connected when not all). */
export function trafficLine(t: TrafficCounts): string {
  const conn = t.connected === t.clients ? '' : ` (${t.connected} connected)`;
  return `MQTT: ${t.clients} clients${conn}, ${t.disconnects} disconnects, ${t.published} published, ${t.received} received, ${t.lost} lost`;
}
