import { Box, Text } from 'ink';
import { renderReportText } from '../report.js';
import { formatDuration } from '../format.js';
import type { DoneView } from '../state.js';
import { paint } from './theme.js';

export function Summary({ done, color }: { done: DoneView; color: boolean }) {
  const n = (o: string) => done.rows.filter((r) => r.outcome === o).length;
  const parts = [
    `${n('upgraded')} upgraded`,
    n('restarted') ? `${n('restarted')} restarted` : null,
    `${n('skipped')} skipped`,
  ];
  if (n('failed')) parts.push(`${n('failed')} failed`);
  if (n('untouched')) parts.push(`${n('untouched')} untouched`);
  const ok = n('failed') === 0;
  return (
    <Box flexDirection="column">
      <Text bold color={paint(color, ok ? 'green' : 'red')} wrap="truncate-end">
        Done in {formatDuration(done.durationMs)}: {parts.filter(Boolean).join(', ')}
      </Text>
      {renderReportText(done.rows)
        .split('\n')
        .map((l, i) => (
          <Text key={i} wrap="truncate-end" bold={i === 0}>
            {l}
          </Text>
        ))}
    </Box>
  );
}
