// Mounts the Ink view on a TTY and feeds it events. Traps handled here (libraries.md §5):
// exit() is called from inside React once finished so the final frame is committed before unmount,
// and finish() awaits waitUntilExit(); Ctrl-C is left to the CLI (exitOnCtrlC: false).
import { useEffect, useState, useSyncExternalStore } from 'react';
import { render, useApp, useStdout } from 'ink';
import type { RolloutEvent } from '../../rollout/core/events.js';
import type { Renderer } from '../renderer.js';
import { App } from './App.js';
import { ViewStore } from './store.js';

/** 100 ms: the spinner (80 ms frames) and the elapsed clock look alive without burning a core. */
export const TICK_MS = 100;
/** If React never gets to run the exit effect (a crashed tree), do not hang the CLI on exit. */
export const EXIT_GRACE_MS = 2_000;

function useColumns(): number {
  const { stdout } = useStdout();
  const [cols, setCols] = useState(() => stdout.columns || 80);
  useEffect(() => {
    const onResize = () => setCols(stdout.columns || 80);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return cols;
}

export function LiveApp({ store, color }: { store: ViewStore; color: boolean }) {
  const snap = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const columns = useColumns();
  const { exit } = useApp();
  useEffect(() => {
    if (snap.finished) exit();
  }, [snap.finished, exit]);
  return <App state={snap.state} now={snap.now} columns={columns} color={color} />;
}

export interface MountOptions {
  readonly stdout: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly stderr?: NodeJS.WriteStream;
  readonly now: () => number;
  readonly color?: boolean;
  /** Ink debug mode: every frame written whole (tests read the last one). */
  readonly debug?: boolean;
}

export interface InkRenderer extends Renderer {
  readonly store: ViewStore;
}

export function mountInk(opts: MountOptions): InkRenderer {
  const store = new ViewStore(opts.now);
  const instance = render(<LiveApp store={store} color={opts.color ?? true} />, {
    stdout: opts.stdout,
    stdin: opts.stdin,
    ...(opts.stderr ? { stderr: opts.stderr } : {}),
    exitOnCtrlC: false,
    patchConsole: true,
    debug: opts.debug === true,
  });
  const timer = setInterval(() => store.tick(), TICK_MS);
  timer.unref();
  let finishing: Promise<void> | null = null;
  return {
    store,
    onEvent(e: RolloutEvent) {
      store.dispatch(e);
    },
    finish() {
      finishing ??= (async () => {
        clearInterval(timer);
        const exited = instance.waitUntilExit();
        store.finish();
        const grace = setTimeout(() => instance.unmount(), EXIT_GRACE_MS);
        grace.unref();
        try {
          await exited;
        } finally {
          clearTimeout(grace);
        }
      })();
      return finishing;
    },
  };
}
