import { Box, Text } from 'ink';
import { formatClock } from '../format.js';
import type { AwaitingView } from '../state.js';
import { paint } from './theme.js';

/** The --pause-after checkpoint: what is done, what comes next, and how to say go (or stop). */
export function ApprovalPanel({
  awaiting: a,
  now,
  columns,
  color,
}: {
  awaiting: AwaitingView;
  now: number | undefined;
  columns: number;
  color: boolean;
}) {
  const left = a.deadline !== null && now !== undefined ? ` · ${formatClock(Math.max(0, a.deadline - now))} left` : '';
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={paint(color, 'yellow')}
      paddingX={1}
      width={columns > 100 ? 100 : undefined}
    >
      <Text bold color={paint(color, 'yellow')}>
        AWAITING APPROVAL{left}
      </Text>
      <Text>
        {a.upgraded} node{a.upgraded === 1 ? '' : 's'} upgraded · {a.done}/{a.total} at the target · next node{' '}
        {a.nextNode}
      </Text>
      <Text>{a.hint}</Text>
    </Box>
  );
}
