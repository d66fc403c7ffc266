// The live view: a pure function of ViewState (+ the clock for the spinner and elapsed time, and the
// terminal width). Settled lines go to <Static> above; the live region shows only what still moves.
import { Box, Static } from 'ink';
import { liveNodes, type ViewState } from '../state.js';
import { ApprovalPanel } from './ApprovalPanel.js';
import { HaltPanel, PausedPanel } from './HaltPanel.js';
import { Header } from './Header.js';
import { NodeRow } from './NodeRow.js';
import { SettledLine } from './Settled.js';
import { Summary } from './Summary.js';
import { layoutFor } from './theme.js';
import { Traffic } from './Traffic.js';

export interface AppProps {
  readonly state: ViewState;
  /** Live clock (ms epoch); undefined → the view uses the last event's time. */
  readonly now?: number;
  readonly columns: number;
  readonly color: boolean;
}

export function App({ state, now, columns, color }: AppProps) {
  const layout = layoutFor(
    columns,
    state.nodes.map((n) => n.name),
  );
  const live = state.phase === 'running' ? now : undefined;
  return (
    <>
      <Static items={[...state.settled]}>{(item) => <SettledLine key={item.id} item={item} color={color} />}</Static>
      {/* No explicit width: Ink re-lays out at the new terminal width on resize before React re-renders. */}
      <Box flexDirection="column">
        <Header state={state} now={live} color={color} columns={columns} />
        {liveNodes(state).map((n) => (
          <NodeRow key={n.name} node={n} now={live} lastEventAt={state.lastEventAt} layout={layout} color={color} />
        ))}
        {state.awaiting ? <ApprovalPanel awaiting={state.awaiting} now={live} columns={columns} color={color} /> : null}
        {state.paused ? <PausedPanel paused={state.paused} columns={columns} color={color} /> : null}
        {state.halt ? <HaltPanel halt={state.halt} columns={columns} color={color} /> : null}
        {state.done ? <Summary done={state.done} color={color} /> : null}
        {state.traffic ? <Traffic traffic={state.traffic} color={color} /> : null}
      </Box>
    </>
  );
}
