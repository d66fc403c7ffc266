import { Text } from 'ink';
import { connections, formatDuration, versionHop } from '../format.js';
import type { SettledItem } from '../state.js';
import { paint } from './theme.js';

/** One line printed once above the live region: a finished node, a preflight finding, a log line. */
export function SettledLine({ item, color }: { item: SettledItem; color: boolean }) {
  switch (item.kind) {
    case 'node': {
      const n = item.node;
      if (n.state === 'skipped') {
        return (
          <Text wrap="truncate-end" dimColor>
            - {n.name} skipped{n.message ? `: ${n.message}` : ''}
          </Text>
        );
      }
      const gates = n.gates.length > 0 ? ` · gates ${n.gates.filter((g) => g.ok).length}/${n.gates.length}` : '';
      const conn = connections(n.connectionsBefore, n.connectionsNow);
      return (
        <Text wrap="truncate-end">
          <Text color={paint(color, 'green')}>✓</Text> {n.name} {n.outcome ?? 'done'}{' '}
          {n.outcome === 'restarted' ? `into ${n.to ?? '?'}` : versionHop(n.from, n.to)}
          {n.durationMs === null ? '' : ` in ${formatDuration(n.durationMs)}`}
          {gates}
          {conn ? ` · conn ${conn}` : ''}
        </Text>
      );
    }
    case 'finding': {
      const f = item.finding;
      const sym = f.severity === 'blocker' ? '✗' : f.severity === 'warning' ? '⚠' : 'i';
      const col = f.severity === 'blocker' ? 'red' : f.severity === 'warning' ? 'yellow' : 'blue';
      return (
        <Text wrap="truncate-end">
          <Text color={paint(color, col)}>
            {sym} {f.severity}
          </Text>{' '}
          {f.code}: {f.message}
          {f.fix ? ` → ${f.fix}` : ''}
        </Text>
      );
    }
    case 'log':
      return (
        <Text
          wrap="truncate-end"
          dimColor={item.level === 'info'}
          color={item.level === 'warn' ? paint(color, 'yellow') : undefined}
        >
          {item.level === 'warn' ? '⚠' : '·'} {item.node ? `[${item.node}] ` : ''}
          {item.message}
        </Text>
      );
  }
}
