// Mounts the Ink view on a TTY and feeds it events. Traps handled here (libraries.md §5):
// exit() is called from inside React once finished so the final frame is committed before unmount,
// and finish() awaits waitUntilExit(); Ctrl-C is left to the CLI (exitOnCtrlC: false).
import { useEffect, useState, useSyncExternalStore } from 'react';
import { render, useApp, useInput, useStdout } from 'ink';
import type { RolloutEvent } from '../../rollout/core/events.js';
import type { Renderer } from '../renderer.js';
import { App } from './App.js';
import { ViewStore, type KeyAnswer } from './store.js';

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
  // Keys only while a question is open: Ink puts stdin in raw mode then, so Ctrl-C arrives here as
  // a key, not as SIGINT, and must stop the run the way Ctrl-C does elsewhere (exit 130).
  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c') store.answer('interrupt');
      else if (input === 'y' || input === 'Y') store.answer('approve');
      else if (input === 'n' || input === 'N') store.answer('reject');
    },
    { isActive: snap.asking },
  );
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
  ask(): Promise<KeyAnswer>;
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
    ask: () => store.ask(),
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
