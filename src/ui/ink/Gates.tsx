import { Box, Text } from 'ink';
import type { GatePhase, GateView } from '../state.js';
import { paint } from './theme.js';

const PHASES: readonly GatePhase[] = ['before', 'after', 'soak'];

/**
 * `before ✓4/4 · after ✓version ✓relup-status ✗marker`: the newest phase check by check, earlier
 * phases as a count (a 16-gate list does not fit a row), except that a failed gate is always named.
 * Wraps under its indent rather than truncating: a cut-off ✗ would hide the reason for a halt.
 */
export function Gates({ gates, color, indent }: { gates: readonly GateView[]; color: boolean; indent: number }) {
  const latest = gates[gates.length - 1]?.phase;
  const groups = PHASES.map((p) => ({ phase: p, gates: gates.filter((g) => g.phase === p) })).filter(
    (g) => g.gates.length > 0,
  );
  const mark = (ok: boolean) => <Text color={paint(color, ok ? 'green' : 'red')}>{ok ? '✓' : '✗'}</Text>;
  return (
    <Box marginLeft={indent}>
      <Text wrap="wrap">
        {groups.map((grp, gi) => {
          const passed = grp.gates.filter((g) => g.ok).length;
          const shown = grp.phase === latest ? grp.gates : grp.gates.filter((g) => !g.ok);
          return (
            <Text key={grp.phase}>
              {gi > 0 ? ' · ' : ''}
              <Text dimColor>{grp.phase}</Text>
              {grp.phase !== latest && passed === grp.gates.length ? (
                <Text>
                  {' '}
                  {mark(true)}
                  {`${passed}/${grp.gates.length}`}
                </Text>
              ) : null}
              {shown.map((g) => (
                <Text key={g.id}>
                  {' '}
                  {mark(g.ok)}
                  {g.id}
                </Text>
              ))}
            </Text>
          );
        })}
      </Text>
    </Box>
  );
}
