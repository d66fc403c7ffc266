import { Text } from 'ink';
import { bar, etaMs, formatDuration, formatRate, percent } from '../format.js';
import type { StagingView } from '../state.js';
import { paint } from './theme.js';

/** `██████████░░░░░░░░░░  50% 8.0 MB/s ETA 5.0s` — text only, so it truncates like any line. */
export function progressText(s: StagingView, width: number): { bar: string; rest: string } {
  const pct = percent(s.bytesDone, s.bytesTotal);
  const eta = etaMs(s.bytesDone, s.bytesTotal, s.rate);
  return {
    bar: bar(pct, width),
    rest: ` ${String(pct).padStart(3)}% ${formatRate(s.rate)}${eta === null ? '' : ` ETA ${formatDuration(eta)}`}`,
  };
}

export function ProgressBar({ staging, width, color }: { staging: StagingView; width: number; color: boolean }) {
  const p = progressText(staging, width);
  return (
    <Text>
      <Text color={paint(color, 'cyan')}>{p.bar}</Text>
      {p.rest}
    </Text>
  );
}
