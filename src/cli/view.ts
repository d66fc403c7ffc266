// The one renderer picker for commands that may ask before acting (upgrade, restart, cleanup,
// logs --clear, recover-boot): plain lines while the prompt is on screen, then the live Ink view
// once the operator said yes (Ink cannot share the screen with a prompt); and the cluster-lock
// owner of this process.
import { hostname, userInfo } from 'node:os';
import { mountInkLazily } from '../ui/lazyInk.js';
import { createPlainRenderer } from '../ui/plain.js';
import { chooseRenderer, noColor, rendererKind, type Renderer } from '../ui/renderer.js';
import type { LockOptions } from '../rollout/core/run.js';
import type { CliIO } from './io.js';
import { confirm } from './prompt.js';
import type { Session } from './session.js';
import { SwitchRenderer } from './switchRenderer.js';
import { pidAlive } from './pid.js';

export interface View {
  readonly renderer: Renderer;
  /** Ask on the terminal; on yes, switch to the live view (Ink cannot share the screen with a prompt). */
  ask(question: string): Promise<boolean>;
}

export function pickView(
  io: CliIO,
  f: { readonly json: boolean; readonly plain?: boolean; readonly yes: boolean; readonly renderer?: Renderer },
): View {
  const chooseOpts = {
    json: f.json,
    plain: f.plain ?? false,
    isTTY: io.stdoutTTY,
    env: io.env,
    stdout: io.stdout,
    stderr: io.stderr,
    stdin: io.stdin,
    now: () => io.now().getTime(),
  };
  const interactive = !f.yes && rendererKind(chooseOpts) === 'ink';
  const switcher = interactive ? new SwitchRenderer(createPlainRenderer(io.stdout, { color: !noColor(io.env) })) : null;
  return {
    renderer: switcher ?? f.renderer ?? chooseRenderer(chooseOpts),
    ask: async (question) => {
      if (f.yes) return true;
      const ok = await confirm(io, question);
      if (ok && switcher)
        await switcher.switchTo(
          mountInkLazily({
            stdout: io.stdout,
            stderr: io.stderr,
            stdin: io.stdin,
            now: () => io.now().getTime(),
            color: !noColor(io.env),
          }),
        );
      return ok;
    },
  };
}

export function lockFor(s: Session, command: string, breakLock: boolean, startedAt: string): LockOptions {
  return {
    owner: {
      runId: s.runId,
      cluster: s.inv.cluster,
      command,
      user: userInfo().username,
      host: hostname(),
      pid: process.pid,
      startedAt,
    },
    breakLock,
    pidAlive,
  };
}
