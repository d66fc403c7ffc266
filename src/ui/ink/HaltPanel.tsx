import { Box, Text } from 'ink';
import type { HaltView, PausedView } from '../state.js';
import { paint } from './theme.js';

/** Stretch to the terminal (undefined) up to 100 columns; wider terminals get a 100-column panel. */
const panelWidth = (columns: number): number | undefined => (columns > 100 ? 100 : undefined);

/** Red, bordered, never truncated: the recovery steps are what the operator types next. */
export function HaltPanel({ halt, columns, color }: { halt: HaltView; columns: number; color: boolean }) {
  const where = [halt.node, halt.check ? `check ${halt.check}` : null].filter(Boolean).join(' · ');
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={paint(color, 'red')}
      paddingX={1}
      width={panelWidth(columns)}
    >
      <Text bold color={paint(color, 'red')}>
        HALTED{where ? ` at ${where}` : ''}
      </Text>
      <Text>{halt.message}</Text>
      {halt.evidence.length > 0 ? <Text dimColor>evidence:</Text> : null}
      {halt.evidence.map((l, i) => (
        <Box key={`e${i}`} marginLeft={2}>
          <Text>{l}</Text>
        </Box>
      ))}
      {halt.recovery.length > 0 ? <Text bold>recovery:</Text> : null}
      {halt.recovery.map((l, i) => (
        // Hanging indent: a wrapped step stays under its number.
        <Box key={`r${i}`} marginLeft={2}>
          <Box width={String(halt.recovery.length).length + 2} flexShrink={0}>
            <Text>{i + 1}.</Text>
          </Box>
          <Text>{l}</Text>
        </Box>
      ))}
      <Text dimColor>No further node was touched.</Text>
    </Box>
  );
}

export function PausedPanel({ paused, columns, color }: { paused: PausedView; columns: number; color: boolean }) {
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={paint(color, 'yellow')}
      paddingX={1}
      width={panelWidth(columns)}
    >
      <Text bold color={paint(color, 'yellow')}>
        PAUSED: {paused.reason}
      </Text>
      {paused.nextNode ? <Text>next node: {paused.nextNode}</Text> : null}
      <Text>to resume: {paused.resumeHint}</Text>
    </Box>
  );
}
