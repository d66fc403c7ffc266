// `cleanup`: remove the staged tarball + sidecar from every node once every node runs the target
// (step 7). The decision and the removal live in rollout/cleanup/engine.ts.
import { runCleanup } from '../../rollout/cleanup/engine.js';
import type { CliIO } from '../io.js';
import { validateInputs } from '../inputs.js';
import { runEngine } from '../runEngine.js';
import { openSession } from '../session.js';
import { lockFor, pickView } from '../view.js';

export interface CleanupFlags {
  readonly inventory: string;
  readonly tarball?: string;
  readonly yes: boolean;
  readonly json: boolean;
  readonly breakLock?: boolean;
  readonly stateDir?: string;
}

export async function cleanupCommand(io: CliIO, f: CleanupFlags, argv: readonly string[]): Promise<void> {
  const input = await validateInputs(io, {
    inventory: f.inventory,
    tarball: { path: f.tarball, required: true },
    confirm: { yes: f.yes, what: 'remove staged files from the nodes' },
    stateDir: f.stateDir,
  });
  const release = input.release!;
  const view = pickView(io, f);
  const s = await openSession(io, {
    loaded: input,
    inventory: f.inventory,
    command: 'cleanup',
    json: f.json,
    plain: false,
    stateDir: f.stateDir,
    argv,
    renderer: view.renderer,
  });
  await runEngine(io, s, {
    run: async (startedAt) => {
      return runCleanup(s.ctx, {
        tarball: { fileName: release.tarball.fileName, version: release.tarball.version },
        lock: lockFor(s, 'cleanup', f.breakLock ?? false, startedAt),
        confirm: (n) =>
          view.ask(
            `Every node runs ${release.tarball.version}. Remove ${release.tarball.fileName} and its .sha256 from the staging dir of ${n} node${n === 1 ? '' : 's'}?`,
          ),
      });
    },
    versions: () => ({ from: release.tarball.version, to: release.tarball.version }),
  });
}
