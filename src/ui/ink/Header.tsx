import { Box, Text } from 'ink';
import { formatClock, versionHop } from '../format.js';
import { countDone, elapsedMs, type ViewState } from '../state.js';
import { paint } from './theme.js';

export function Header({
  state,
  now,
  color,
  columns,
}: {
  state: ViewState;
  now: number | undefined;
  color: boolean;
  columns: number;
}) {
  const h = state.header;
  if (!h) return <Text dimColor>waiting for the rollout to start…</Text>;
  // No common from-version (mixed nodes, or restart): just the target.
  const hop = h.to ? ` · ${h.from ? versionHop(h.from, h.to) : `→ ${h.to}`}` : '';
  const sub = [`run ${h.runId}`, h.window ? `window ${h.window}` : null, h.resumed ? 'resumed' : null]
    .filter(Boolean)
    .join(' · ');
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color={paint(color, 'cyan')}>
          {/* below 70 columns the tool name goes: the clock at the end matters more */}
          {columns < 70 ? h.command : `emqx-rollout ${h.command}`}
        </Text>
        {` · ${h.cluster}${hop} · ${countDone(state)}/${state.nodes.length} done · ${formatClock(elapsedMs(state, now))}`}
      </Text>
      <Text dimColor wrap="truncate-end">
        {sub}
      </Text>
    </Box>
  );
}
