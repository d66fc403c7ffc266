// Plain timestamped lines for pipes, CI logs and `--plain`: one line per meaningful change, no
// cursor movement, no ANSI unless asked. Example: `2026-11-26T21:03:04Z [emqx@127.0.0.11] upgrade ✓ 3.2s`.
import type { RolloutEvent } from '../rollout/core/events.js';
import { renderReportText } from './report.js';
import { guardedOutput } from './output.js';
import { formatDuration, formatMB, formatRate, percent, shortTs, trafficLine, versionHop } from './format.js';
import type { Renderer } from './renderer.js';

export interface PlainOptions {
  readonly color: boolean;
}

type Paint = (s: string) => string;
interface Palette {
  readonly ok: Paint;
  readonly bad: Paint;
  readonly warn: Paint;
  readonly dim: Paint;
  readonly bold: Paint;
}

const sgr =
  (open: number, close: number): Paint =>
  (s) =>
    `\u001b[${open}m${s}\u001b[${close}m`;
const id: Paint = (s) => s;
const COLORS: Palette = { ok: sgr(32, 39), bad: sgr(31, 39), warn: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
const NONE: Palette = { ok: id, bad: id, warn: id, dim: id, bold: id };

/** Staging progress is logged at these marks only: a 100 MB upload would otherwise print thousands of lines. */
const MARKS = [25, 50, 75, 100] as const;

/** Formats events into lines; the stateful part (what changed) lives here, the writing in the renderer. */
export class PlainFormatter {
  readonly #c: Palette;
  readonly #progressMark = new Map<string, number>();
  readonly #observed = new Map<string, string>();
  #trafficKey = '';
  #lastTraffic: Extract<RolloutEvent, { type: 'traffic' }> | null = null;

  constructor(opts: PlainOptions) {
    this.#c = opts.color ? COLORS : NONE;
  }

  /** The lines for one event (often none), without trailing newlines. */
  format(e: RolloutEvent): string[] {
    const c = this.#c;
    const t = shortTs(e.ts);
    const line = (node: string | undefined | null, text: string) => `${t} ${node ? `[${node}] ` : ''}${text}`;
    const mark = (ok: boolean) => (ok ? c.ok('✓') : c.bad('✗'));
    switch (e.type) {
      case 'rollout.started': {
        const out = [
          line(
            null,
            `${c.bold(e.command)} ${e.cluster}: ${e.nodes.length} node${e.nodes.length === 1 ? '' : 's'}${e.to ? `, ${e.from ? versionHop(e.from, e.to) : `→ ${e.to}`}` : ''} (run ${e.runId}${e.resumed ? ', resumed' : ''})`,
          ),
        ];
        if (e.window) out.push(line(null, `window: ${e.window}`));
        this.#progressMark.clear();
        this.#observed.clear();
        return out;
      }
      case 'preflight.finding': {
        const sev = e.severity === 'blocker' ? c.bad('blocker') : e.severity === 'warning' ? c.warn('warning') : 'info';
        return [line(e.node, `${sev} ${e.code}: ${e.message}${e.fix ? ` (fix: ${e.fix})` : ''}`)];
      }
      case 'plan.ready': {
        const p = e.plan;
        const n = (a: string) => p.nodes.filter((x) => x.action === a).length;
        const out = [
          line(
            null,
            `plan: ${versionHop(p.from, p.to)}, ${n('upgrade')} to upgrade, ${n('skip')} to skip, ${n('blocked')} blocked — ${p.canProceed ? 'can proceed' : c.bad('blocked')}`,
          ),
        ];
        for (const pn of p.nodes) {
          if (pn.action !== 'upgrade')
            out.push(line(pn.name, `plan: ${pn.action}${pn.reason ? ` (${pn.reason})` : ''}`));
        }
        return out;
      }
      case 'node.observed': {
        const text = e.reachable
          ? `observed: ${e.version ?? 'version unknown'}, relup ${e.relupStatus ?? 'unknown'}${e.connections === null ? '' : `, ${e.connections} connections`}`
          : c.bad('observed: unreachable');
        // Re-observations that found the same facts are not news.
        if (this.#observed.get(e.node) === text) return [];
        this.#observed.set(e.node, text);
        return [line(e.node, text)];
      }
      case 'stage.progress': {
        const key = `${e.node}\u0000${e.file}`;
        if (e.done) {
          this.#progressMark.set(key, 100);
          if (e.action === 'present') return [line(e.node, `stage ${e.file}: already present, sha256 verified`)];
          return [line(e.node, `stage 100% ${e.action ?? 'done'} (${formatMB(e.bytesTotal)}, ${formatRate(e.rate)})`)];
        }
        const pct = percent(e.bytesDone, e.bytesTotal);
        // All bytes sent but not yet verified on the node: the done line (100%, verified) follows;
        // a 75% mark here would only misreport a finished upload.
        if (pct >= 100) return [];
        const reached = MARKS.filter((m) => m <= pct).pop();
        if (reached === undefined || (this.#progressMark.get(key) ?? 0) >= reached) return [];
        this.#progressMark.set(key, reached);
        return [
          line(
            e.node,
            `stage ${reached}% (${formatMB(e.bytesDone)} / ${formatMB(e.bytesTotal)}, ${formatRate(e.rate)})`,
          ),
        ];
      }
      case 'step.started':
        return [line(e.node, `${e.step}…${e.detail ? ` ${e.detail}` : ''}`)];
      case 'step.finished':
        return [
          line(
            e.node,
            `${e.step} ${mark(e.ok)} ${formatDuration(e.durationMs)}${e.message ? ` ${e.ok ? c.dim(e.message) : e.message}` : ''}`,
          ),
        ];
      case 'gate.checked': {
        const out = [line(e.node, `gate ${e.phase} ${e.gate} ${mark(e.ok)} ${e.message}`)];
        if (!e.ok) for (const ev of e.evidence ?? []) out.push(`    ${ev}`);
        return out;
      }
      case 'node.done': {
        const conn =
          e.connectionsBefore !== undefined || e.connectionsAfter !== undefined
            ? `, connections ${e.connectionsBefore ?? '?'} → ${e.connectionsAfter ?? '?'}`
            : '';
        return [
          line(e.node, `${c.ok(e.outcome)} ${versionHop(e.from, e.to)} in ${formatDuration(e.durationMs)}${conn}`),
        ];
      }
      case 'rollout.awaiting-approval': {
        const until = e.deadline ? ` (until ${shortTs(e.deadline)}, then paused)` : '';
        return [
          line(
            null,
            `${c.warn('AWAITING APPROVAL')}: ${e.upgraded} node${e.upgraded === 1 ? '' : 's'} upgraded, ${e.done}/${e.total} at the target; next node ${e.nextNode}${until}`,
          ),
          `  ${e.hint}`,
        ];
      }
      case 'rollout.approved':
        return [line(null, `${c.ok('approved')} by ${e.by}: continuing with ${e.nextNode}`)];
      case 'rollout.rejected':
        return [line(null, `${c.warn('rejected')} by ${e.by}: stopping before ${e.nextNode}`)];
      case 'rollout.paused': {
        const out = [line(null, `${c.warn('PAUSED')}: ${e.reason}`)];
        if (e.nextNode) out.push(`  next node: ${e.nextNode}`);
        out.push(`  to resume: ${e.resumeHint}`);
        return out;
      }
      case 'rollout.halted': {
        const where = [e.node, e.check].filter(Boolean).join(' ');
        const out = [line(null, `${c.bad(c.bold('HALTED'))}${where ? ` ${where}` : ''}: ${e.message}`)];
        if (e.evidence.length > 0) {
          out.push('  evidence:');
          for (const ev of e.evidence) out.push(`    ${ev}`);
        }
        if (e.recovery.length > 0) {
          out.push('  recovery:');
          e.recovery.forEach((r, i) => out.push(`    ${i + 1}. ${r}`));
        }
        out.push('  no further node was touched');
        return out;
      }
      case 'rollout.done': {
        const out = [line(null, `${c.ok('done')} in ${formatDuration(e.durationMs)}`)];
        for (const l of renderReportText(e.rows).split('\n')) out.push(`  ${l}`);
        if (this.#lastTraffic) out.push(`  ${trafficLine(this.#lastTraffic)}`);
        return out;
      }
      case 'log':
        return [line(e.node, e.level === 'warn' ? `${c.warn('warning')}: ${e.message}` : e.message)];
      case 'traffic': {
        this.#lastTraffic = e;
        // Counters grow every second; only a change in who is connected or what was lost is news.
        const key = `${e.clients}/${e.connected}/${e.disconnects}/${e.lost}`;
        if (key === this.#trafficKey) return [];
        this.#trafficKey = key;
        return [line(null, trafficLine(e))];
      }
    }
  }
}

export function createPlainRenderer(stream: NodeJS.WritableStream, opts: PlainOptions): Renderer {
  const f = new PlainFormatter(opts);
  const out = guardedOutput(stream);
  return {
    onEvent(e) {
      const lines = f.format(e);
      if (lines.length > 0) out.write(lines.join('\n') + '\n');
    },
    finish: () => out.flush(),
  };
}
