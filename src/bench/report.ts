// docs/PERFORMANCE.md from one bench run: the table of rows, the settings, and for our rollout the
// phase breakdown (where the controller's time went) of the median run at each cluster size.
import type { Breakdown } from './phases.js';
import type { BenchRow } from './types.js';

interface Meta {
  readonly started: string;
  readonly seconds: number;
  readonly cores: number;
  readonly loadavg1: { start: number; end: number };
  readonly node: string;
  readonly argv: readonly string[];
}

interface RunLike {
  readonly contender: string;
  readonly nodes: number;
  readonly dotfiles: string;
  readonly round: number;
  readonly wallMs: number;
  readonly limitMs: number;
  readonly ratio: number;
  readonly breakdown?: Breakdown;
  readonly execs?: { perNode: number; sshExecsPerNode: number; ctlPerNode: number; sha256PerNode: number };
}

const esc = (s: string): string => s.replace(/\|/g, '\\|');
const v = (r: BenchRow): string => (Number.isNaN(r.value) ? '—' : `${r.value} ${r.unit}`.trim());

export function performanceMarkdown(
  meta: Meta,
  res: { rows: readonly BenchRow[]; errors: readonly string[]; details: Record<string, unknown> },
): string {
  const L: string[] = [
    '# Performance',
    '',
    `Written by \`npm run bench${meta.argv.length ? ` -- ${meta.argv.join(' ')}` : ''}\` (src/bench/run.ts) on ${meta.started}:`,
    `${meta.cores} cores, load average ${meta.loadavg1.start.toFixed(1)} at the start and ${meta.loadavg1.end.toFixed(1)} at the end, ` +
      `Node ${meta.node}, ${meta.seconds} s. Numbers from a loaded machine are noisy; rerun before comparing.`,
    '',
    '## How it is measured',
    '',
    '- **Nodes**: simulated EMQX 5.10 nodes (src/sim), each behind its own real OpenSSH sshd on 127.0.0.(150+i).',
    '  **Cost model of a real node**: every `emqx ctl` call first waits the ctl latency (a real `emqx ctl` runs',
    '  `nodetool ping` and `nodetool rpc_infinity`: two Erlang VM starts); the hop itself takes the node',
    '  `+hopSeconds` plus its real unpack work. The sshds set `SetEnv SHLVL=1`, so the login shell skips',
    "  root's `~/.bashrc` (`pyenv init` on every exec here); one pass runs without it to show the difference.",
    '- **Ours**: the built CLI, `node dist/cli/main.js upgrade -i INV --tarball T --yes --json --no-backup`, soak 0,',
    '  timed spawn → exit. **Peers**, on the same nodes through the same sshds, doing the same steps with the',
    '  same gate commands: an Ansible play (stage on all hosts, then `serial: 1`: 4 checks, `relup upgrade`,',
    '  6 checks; pipelining on, no facts) and a bash loop over one OpenSSH ControlMaster per node (parallel',
    '  `scp`, then one `ssh` per check). Rounds alternate the order; values are medians.',
    "- **Limit** = one `scp` of the tarball to one node + Σ the nodes' own hop times (their relup log rows,",
    "  finished − started) + per node 2 × one `emqx ctl` (the hop's and one concurrent gate round's), as",
    "  measured on the node without SSH: the modelled latency plus the simulator's own process start.",
    '  **Controller overhead per node** = (wall − limit) / N.',
    '',
    '## Results',
    '',
    '| bench | metric | value | target | result | note |',
    '|---|---|---|---|---|---|',
    ...res.rows.map(
      (r) =>
        `| ${r.bench} | ${esc(r.metric)} | ${v(r)} | ${r.target ?? ''} | ${r.pass === undefined ? '' : r.pass ? 'PASS' : '**FAIL**'} | ${esc(r.note ?? '')} |`,
    ),
    '',
  ];
  if (res.errors.length) L.push('Errors:', '', ...res.errors.map((e) => `    ${e.split('\n')[0]}`), '');
  const d = res.details.rollout as { runs?: RunLike[]; settings?: Record<string, unknown> } | undefined;
  if (d?.settings) L.push(`Settings: \`${JSON.stringify(d.settings)}\``, '');
  const runs = d?.runs ?? [];
  const ours = runs.filter((r) => r.contender === 'ours' && r.dotfiles === 'skipped' && r.breakdown);
  const sizes = [...new Set(ours.map((r) => r.nodes))].sort((a, b) => a - b);
  if (sizes.length) {
    L.push(
      '## Where our time goes',
      '',
      'From the NDJSON events of the median run at each size (step durations are summed over the nodes).',
      '"limit grants" is what the physical limit allows that phase; the rest is controller overhead.',
      '',
    );
    for (const n of sizes) {
      const byRatio = ours.filter((r) => r.nodes === n).sort((a, b) => a.ratio - b.ratio);
      const m = byRatio[Math.floor((byRatio.length - 1) / 2)];
      const b = m.breakdown!;
      L.push(
        `### ${n} nodes — wall ${(b.wallMs / 1000).toFixed(1)} s, limit ${(b.limitMs / 1000).toFixed(1)} s, ` +
          `${(b.wallMs / b.limitMs).toFixed(2)}×, overhead ${Math.round(b.overheadPerNodeMs)} ms/node`,
        '',
      );
      if (m.execs) {
        L.push(
          `Remote commands per node: ${m.execs.perNode.toFixed(1)} in ${m.execs.sshExecsPerNode.toFixed(1)} SSH execs (${m.execs.ctlPerNode.toFixed(1)} \`emqx ctl\`, ${m.execs.sha256PerNode.toFixed(1)} \`sha256sum\`).`,
          '',
        );
      }
      L.push('| phase | time | limit grants | over | note |', '|---|---|---|---|---|');
      for (const p of b.phases) {
        L.push(
          `| ${esc(p.phase)} | ${Math.round(p.totalMs)} ms | ${Math.round(p.limitMs)} ms | ${Math.round(p.totalMs - p.limitMs)} ms | ${esc(p.note ?? '')} |`,
        );
      }
      L.push('');
    }
  }
  if (runs.length) {
    L.push(
      '## Every run',
      '',
      '| contender | nodes | dotfiles | round | wall | limit | wall / limit |',
      '|---|---|---|---|---|---|---|',
    );
    for (const r of runs) {
      L.push(
        `| ${r.contender} | ${r.nodes} | ${r.dotfiles} | ${r.round} | ${(r.wallMs / 1000).toFixed(1)} s | ${(r.limitMs / 1000).toFixed(1)} s | ${r.ratio.toFixed(2)}× |`,
      );
    }
    L.push('');
  }
  return `${L.join('\n')}\n`;
}
