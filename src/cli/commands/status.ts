// `status`: per node — reachable, version, relup status, marker, plugin, cluster view,
// connections, staged files. Read-only.
import { basename } from 'node:path';
import { pluginOf, type NodeFacts } from '../../rollout/core/facts.js';
import { describeRelupStatus, observeAll } from '../../rollout/observe/all.js';
import type { Renderer } from '../../ui/renderer.js';
import { alignTable } from '../../ui/format.js';
import type { CliIO } from '../io.js';
import { validateInputs } from '../inputs.js';
import { openSession } from '../session.js';

export interface StatusRow {
  readonly node: string;
  readonly host: string;
  readonly reachable: boolean;
  readonly error?: string;
  readonly running: boolean;
  readonly version: string | null;
  readonly relupStatus: string | null;
  readonly marker: string | null;
  readonly plugin: string | null;
  readonly pluginStatus: string | null;
  readonly clusterRunning: readonly string[] | null;
  readonly clusterStopped: readonly string[] | null;
  readonly connections: number | null;
  /** null when nothing was looked at (no --tarball) or the node is unreachable. */
  readonly staged: boolean | null;
}

export function statusRow(f: NodeFacts, tarballGiven: boolean): StatusRow {
  const p = pluginOf(f);
  return {
    node: f.node,
    host: f.host,
    reachable: f.reachable,
    ...(f.unreachable ? { error: f.unreachable.message } : {}),
    running: f.ctl?.kind === 'running',
    version: f.version,
    relupStatus: describeRelupStatus(f),
    marker: f.marker,
    plugin: p ? `emqx_relup-${p.relVsn}` : null,
    pluginStatus: p ? p.runningStatus : null,
    clusterRunning: f.cluster?.kind === 'cluster' ? f.cluster.running : null,
    clusterStopped: f.cluster?.kind === 'cluster' ? f.cluster.stopped : null,
    connections: f.connections,
    staged: !tarballGiven ? null : f.stagedSha256 === null && !f.stagedSidecar ? (f.reachable ? false : null) : true,
  };
}

const quiet: Renderer = { onEvent: () => undefined, finish: async () => undefined };

export async function statusCommand(
  io: CliIO,
  o: { inventory: string; json: boolean; tarball?: string; stateDir?: string },
  argv: readonly string[],
): Promise<void> {
  const input = await validateInputs(io, { inventory: o.inventory, stateDir: o.stateDir });
  const s = await openSession(io, {
    loaded: input,
    inventory: o.inventory,
    command: 'status',
    json: o.json,
    plain: true,
    stateDir: o.stateDir,
    argv,
    renderer: quiet,
  });
  try {
    const facts = await observeAll(s.ctx, o.tarball ? basename(o.tarball) : null);
    const rows = facts.map((f) => statusRow(f, Boolean(o.tarball)));
    if (o.json) {
      for (const r of rows)
        io.stdout.write(`${JSON.stringify({ ts: io.now().toISOString(), type: 'node.status', ...r })}\n`);
    } else {
      const total = s.inv.nodes.length;
      const grid = [
        [
          'node',
          'ssh',
          'emqx',
          'version',
          'relup status',
          'relup/current',
          'plugin',
          'cluster',
          'conns',
          ...(o.tarball ? ['staged'] : []),
        ],
        ...rows.map((r) => [
          r.node,
          r.reachable ? 'ok' : 'UNREACHABLE',
          r.reachable ? (r.running ? 'running' : 'DOWN') : '-',
          r.version ?? '-',
          r.relupStatus ?? '-',
          r.marker ?? '-',
          r.plugin ? `${r.plugin} (${r.pluginStatus})` : r.reachable && r.running ? 'MISSING' : '-',
          r.clusterRunning
            ? `${r.clusterRunning.filter((n) => s.inv.nodes.some((x) => x.name === n)).length}/${total} running`
            : '-',
          r.connections === null ? '-' : String(r.connections),
          ...(o.tarball ? [r.staged === null ? '-' : r.staged ? 'yes' : 'no'] : []),
        ]),
      ];
      const table = fitTable(grid, io.stdoutTTY ? io.stdout.columns : undefined).join('\n');
      io.stdout.write(
        `cluster ${s.inv.cluster}: ${rows.filter((r) => r.running).length}/${total} nodes running\n${table}\n`,
      );
      for (const r of rows) if (r.error) io.stdout.write(`  ${r.node}: ${r.error}\n`);
    }
  } finally {
    await s.close();
  }
}

/**
 * On a terminal narrower than the table, drop the columns an operator needs least (the plugin
 * name, then the marker, then the ssh column: "UNREACHABLE" also shows as "-" under emqx) rather
 * than let every row wrap. Pipes and files always get every column.
 */
export function fitTable(grid: readonly (readonly string[])[], columns: number | undefined): string[] {
  let g = grid.map((r) => [...r]);
  const width = (rows: string[][]) => Math.max(...alignTable(rows).map((l) => [...l].length));
  for (const name of ['plugin', 'relup/current', 'ssh']) {
    if (columns === undefined || width(g) <= columns) break;
    const i = g[0].indexOf(name);
    if (i >= 0) g = g.map((r) => r.filter((_, k) => k !== i));
  }
  return alignTable(g);
}
