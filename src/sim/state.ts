// A node's persistent state (`<BaseRootDir>/.sim/state.json`): the `emqx_relup_log` table (a
// disc_copies mnesia table survives restarts and plugin reinstalls, facts §1.7) and the hop catalog
// the installed plugin ships. Written atomically (tmp + rename): a crash never leaves half a file.
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { simDir, statePath } from './layout.js';

export interface LogRow {
  /** ms since epoch; the table's ordered_set key. */
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly from: string;
  /** null while unknown: before `releases/emqx_vars` was read, or while running. */
  readonly target: string | null;
  readonly status: 'finished' | 'in-progress';
  /** `~0p` text of the result: `success`, `#{details => …,err_type => …}`, or `<<>>` while running. */
  readonly result: string;
}

export interface CatalogEntry {
  readonly from: string;
  readonly target: string;
}

export interface NodeState {
  readonly logs: readonly LogRow[];
  /** Hops of plugin 1.0.1's priv/relup; plugin 1.0.0 ships none (a fault selects that). */
  readonly catalog: readonly CatalogEntry[];
}

export const DEFAULT_CATALOG: readonly CatalogEntry[] = [{ from: '5.10.4', target: '5.10.5' }];

export function readState(baseRoot: string): NodeState {
  try {
    const s = JSON.parse(readFileSync(statePath(baseRoot), 'utf8')) as Partial<NodeState>;
    return { logs: s.logs ?? [], catalog: s.catalog ?? DEFAULT_CATALOG };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { logs: [], catalog: DEFAULT_CATALOG };
    throw e;
  }
}

export function writeState(baseRoot: string, s: NodeState): void {
  mkdirSync(simDir(baseRoot), { recursive: true });
  const tmp = `${statePath(baseRoot)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2));
  renameSync(tmp, statePath(baseRoot));
}
