import { Box, Text } from 'ink';
import { connections, formatDuration, truncate } from '../format.js';
import { ACTIVE_STATES, nodeElapsedMs, type NodeView } from '../state.js';
import { Gates } from './Gates.js';
import { ProgressBar } from './ProgressBar.js';
import { paint, spinnerFrame, STATE_COLOR, type Layout } from './theme.js';

function icon(n: NodeView, now: number | undefined): string {
  if (ACTIVE_STATES.has(n.state)) return spinnerFrame(now);
  if (n.state === 'failed') return '✗';
  if (n.state === 'done') return '✓';
  return '·';
}

/** What the node is doing right now, in words (everything but the staging bar). */
function bodyText(n: NodeView): string {
  if (n.state === 'failed') return n.message ?? `${n.step ?? 'step'} failed`;
  if (n.state === 'untouched') return 'not touched';
  // A blocker or failed check named for a node that has not started outranks its staging status.
  if ((n.state === 'pending' || n.state === 'waiting') && n.message) return n.message;
  if (n.state === 'staged' || (n.state === 'waiting' && n.staging?.done)) {
    return n.staging?.action ? `tarball ${n.staging.action}, sha256 verified` : 'tarball staged';
  }
  if (!n.step) return n.state === 'observing' && n.version ? `running ${n.version}` : '';
  const result = n.stepResult ? ` ${n.stepResult.ok ? '✓' : '✗'} ${formatDuration(n.stepResult.durationMs)}` : '';
  return `${n.step}${result}${n.detail && !n.stepResult ? `: ${n.detail}` : ''}`;
}

export function NodeRow(props: {
  node: NodeView;
  now: number | undefined;
  lastEventAt: number | null;
  layout: Layout;
  color: boolean;
}) {
  const { node: n, now, layout, color } = props;
  const dur = nodeElapsedMs(n, now, props.lastEventAt);
  // Before its own turn a node has one count, not a before/after pair: `10 → 10` would claim a check.
  const conn =
    n.startedAt === null && n.durationMs === null
      ? n.connectionsNow === null
        ? ''
        : `${n.connectionsNow}`
      : connections(n.connectionsBefore, n.connectionsNow);
  const tail = `${dur === null ? '' : ` · ${formatDuration(dur)}`}${conn ? ` · conn ${conn}` : ''}`;
  const showBar = n.state === 'staging' && n.staging !== null && !n.staging.done;
  const stateColor = paint(color, STATE_COLOR[n.state]);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text color={stateColor}>{icon(n, now)}</Text>
        {` ${truncate(n.name, layout.nameWidth).padEnd(layout.nameWidth)} `}
        <Text color={stateColor}>{n.state.padEnd(layout.stateWidth)}</Text>{' '}
        {showBar ? (
          <ProgressBar staging={n.staging} width={layout.barWidth} color={color} />
        ) : (
          <Text color={n.state === 'failed' ? paint(color, 'red') : undefined}>{bodyText(n)}</Text>
        )}
        {showBar ? '' : <Text dimColor>{tail}</Text>}
      </Text>
      {n.gates.length > 0 && n.state !== 'untouched' ? (
        <Gates gates={n.gates} color={color} indent={layout.columns < 80 ? 4 : layout.nameWidth + 3} />
      ) : null}
    </Box>
  );
}
