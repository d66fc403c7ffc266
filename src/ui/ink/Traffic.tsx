import { Text } from 'ink';
import { trafficLine } from '../format.js';
import type { TrafficView } from '../state.js';
import { paint } from './theme.js';

/** Proof that the hot upgrade kept sessions: red as soon as one client dropped or a message was lost. */
export function Traffic({ traffic, color }: { traffic: TrafficView; color: boolean }) {
  const bad = traffic.disconnects > 0 || traffic.lost > 0;
  return (
    <Text wrap="truncate-end" color={paint(color, bad ? 'red' : 'green')}>
      {trafficLine(traffic)}
    </Text>
  );
}
