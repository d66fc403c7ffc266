// One command run's plumbing: inventory → passphrase → renderer → SSH connections → journal →
// RunContext. Every command that talks to nodes goes through openSession().
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/types.js';
import { openHostsSettled } from '../remote/host.js';
import { BECOME_PASSWORD_ENV, nodesWantingPassword, withBecome } from '../remote/become.js';
import { runBatch } from '../remote/batch.js';
import { PASSPHRASE_ENV, keyNeedsPassphrase, loadPrivateKey } from '../remote/keys.js';
import type { ExecOptions, RemoteHost } from '../remote/types.js';
import { realSleep, type RunContext } from '../rollout/core/context.js';
import type { Command, EventInput, RolloutEvent } from '../rollout/core/events.js';
import {
  JournalUnwritableError,
  openJournal,
  redact,
  redactString,
  registerSecret,
  type Journal,
} from '../rollout/state/journal.js';
import type { DurableRecord, NoteRecord } from '../rollout/state/records.js';
import { createNotifier, type Notifier, type NotifyRecord } from '../notify/dispatcher.js';
import { TERMINAL_EVENTS } from '../notify/eventNames.js';
import { urlSecrets } from '../notify/label.js';
import { chooseRenderer, type Renderer } from '../ui/renderer.js';
import { BadInputError, RolloutError } from '../util/errors.js';
import type { CliIO } from './io.js';
import { promptSecret } from './prompt.js';
import { VERSION } from './version.js';

export interface SessionOptions {
  readonly inventory: string;
  readonly command: Command;
  readonly json: boolean;
  readonly plain: boolean;
  readonly stateDir: string | undefined;
  readonly argv: readonly string[];
  /** Connect to these nodes only (default: all). */
  readonly only?: readonly string[];
  /** A renderer chosen by the caller (e.g. a switchable one for upgrade). */
  readonly renderer?: Renderer;
  /** Inventory and passphrase already validated by cli/inputs.ts (validateInputs). */
  readonly loaded?: { readonly inv: Inventory; readonly passphrase: string | undefined };
  /**
   * Return before the SSH handshakes finish: the run's first event is shown at once, and ctx.connected
   * resolves when ctx.hosts and ctx.unreachable are filled in. Only for commands whose every remote
   * action goes through observeAll or takeLock first (plan, upgrade, status), which await it. Ignored
   * when a sudo password may have to be asked on the terminal (that prompt needs the connections).
   */
  readonly connectInBackground?: boolean;
}

export interface Session {
  readonly inv: Inventory;
  readonly runId: string;
  readonly stateDir: string;
  readonly journal: Journal;
  readonly renderer: Renderer;
  readonly ctx: RunContext;
  readonly passphrase: string | undefined;
  /**
   * Say where the final report went. It is written after the run's terminal event, so with --json
   * it goes to stderr: the NDJSON stream on stdout must end with rollout.done/halted/paused.
   */
  announceReport(mdPath: string): void;
  close(): Promise<void>;
}

export function newRunId(now: Date): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export function stateDirFor(inv: Inventory, override: string | undefined, cwd: string): string {
  return override ? resolve(cwd, override) : join(dirname(inv.file), '.emqx-rollout', inv.cluster);
}

/** Finding code for a connection failure, from the remote layer's message (stable wording there). */
export function unreachableCode(e: RolloutError): string {
  const m = e.message;
  if (/HOST KEY MISMATCH/.test(m)) return 'host-key-mismatch';
  if (/host key of .* is not in/.test(m)) return 'host-key-unknown';
  if (/@revoked/.test(m)) return 'host-key-revoked';
  if (/known_hosts file/.test(m)) return 'known-hosts-unreadable';
  if (/authentication failed|no way to authenticate|identityFile|passphrase/i.test(m)) return 'ssh-auth-failed';
  return 'node-unreachable';
}

export async function passphraseFor(io: CliIO, inv: Inventory): Promise<string | undefined> {
  const fromEnv = io.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined) {
    registerSecret(fromEnv);
    return fromEnv;
  }
  const files = [...new Set(inv.nodes.map((n) => n.identityFile).filter((f): f is string => !!f))];
  const encrypted = files.filter((f) => {
    try {
      return keyNeedsPassphrase(readFileSync(f));
    } catch {
      return false; // unreadable keys are reported by the inventory loader and the remote layer
    }
  });
  if (encrypted.length === 0 || !io.stdinTTY) return undefined; // the remote layer explains what is missing
  const p = await promptSecret(io, `passphrase for ${encrypted.join(', ')}: `);
  registerSecret(p);
  return p;
}

/** gates.mqtt.passwordEnv: the variable must be set (exit 2 up front, not a gate failure mid-rollout). */
function mqttPasswordFor(io: CliIO, inv: Inventory): string | undefined {
  const name = inv.gates.mqtt?.passwordEnv;
  if (name === undefined) return undefined;
  const v = io.env[name];
  if (v === undefined || v === '') {
    throw new BadInputError(`gates.mqtt.passwordEnv names ${name}, which is not set in the environment`, {
      details: [`inventory ${inv.file}`],
      hint: `export ${name} (e.g. from your secret store or CI secrets) before running upgrade; the password never goes in the inventory`,
    });
  }
  registerSecret(v);
  return v;
}

/**
 * The sudo password for `become: sudo` nodes, when one is needed: EMQX_ROLLOUT_BECOME_PASSWORD, else a
 * prompt on a terminal if some node's `sudo -n` wants one. Never from the inventory; registered as a
 * secret so no output, log or journal line can carry it. Undefined → `sudo -n` (preflight then names
 * the nodes that want a password: become-password-required).
 */
async function becomePasswordFor(
  io: CliIO,
  nodes: readonly Inventory['nodes'][number][],
  hosts: ReadonlyMap<string, RemoteHost>,
): Promise<string | undefined> {
  if (!nodes.some((n) => n.become === 'sudo')) return undefined;
  const fromEnv = io.env[BECOME_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    registerSecret(fromEnv);
    return fromEnv;
  }
  if (!io.stdinTTY) return undefined;
  const want = await nodesWantingPassword(hosts, nodes);
  if (want.length === 0) return undefined;
  const p = await promptSecret(io, `sudo password on ${want.join(', ')}: `);
  registerSecret(p);
  return p;
}

/** Journals every remote command (command, exit code, duration) — the evidence of a run. */
function recordingHost(h: RemoteHost, record: (r: NoteRecord) => void, runId: string): RemoteHost {
  let batches = 0;
  return {
    node: h.node,
    exec: async (command: string, opts?: ExecOptions) => {
      const r = await h.exec(command, opts);
      record({
        kind: 'exec',
        runId,
        node: h.node,
        command,
        exitCode: r.exitCode,
        signal: r.signal,
        durationMs: Math.round(r.durationMs),
        timedOut: r.timedOut,
      });
      return r;
    },
    // One journal line per probe of a batch (remote/batch.ts), as if each had run alone, tagged
    // with the batch: `batch` numbers the SSH exec they shared.
    execBatch: async (commands, opts) => {
      const rs = await runBatch(h, commands, opts);
      const batch = ++batches;
      for (const r of rs)
        record({
          kind: 'exec',
          runId,
          node: h.node,
          command: r.command,
          exitCode: r.exitCode,
          signal: r.signal,
          durationMs: Math.round(r.durationMs),
          timedOut: r.timedOut,
          batch,
        });
      return rs;
    },
    stage: async (localPath, remotePath, sha256, opts) => {
      const r = await h.stage(localPath, remotePath, sha256, opts);
      record({
        kind: 'stage',
        runId,
        node: h.node,
        localPath,
        remotePath,
        sha256,
        action: r.action,
        bytesSent: r.bytesSent,
        durationMs: Math.round(r.durationMs),
      });
      return r;
    },
    openTcp: async (host, port, opts) => {
      const ch = await h.openTcp(host, port, opts);
      record({ kind: 'tunnel', runId, node: h.node, to: `${host}:${port}` });
      return ch;
    },
    close: () => h.close(),
  };
}

/** Commands that change nodes tell `notify:` receivers; read-only ones (plan, status, logs) never do. */
const NOTIFYING: ReadonlySet<Command> = new Set(['upgrade', 'restart', 'cleanup', 'recover-boot']);

function openNotifier(
  io: CliIO,
  inv: Inventory,
  opts: SessionOptions,
  runId: string,
  record: (r: NotifyRecord) => void,
  warn: (m: string) => void,
): Notifier | null {
  const targets = inv.notify ?? [];
  if (targets.length === 0 || !NOTIFYING.has(opts.command)) return null;
  // A webhook URL is a credential: make sure no output or journal line can ever carry it.
  for (const t of targets) if (t.kind === 'webhook') for (const secret of urlSecrets(t.url)) registerSecret(secret);
  return createNotifier({
    targets,
    runId,
    userAgent: `emqx-rollout/${VERSION}`,
    env: io.env,
    now: () => io.now().getTime(),
    warn,
    record,
  });
}

export async function openSession(io: CliIO, opts: SessionOptions): Promise<Session> {
  const inv =
    opts.loaded?.inv ??
    (await loadInventory(resolve(io.cwd, opts.inventory), {
      home: io.home,
      cwd: io.cwd,
      sshConfigFile: io.sshConfigFile,
    }));
  const passphrase = opts.loaded ? opts.loaded.passphrase : await passphraseFor(io, inv);
  const mqttPassword = opts.command === 'upgrade' ? mqttPasswordFor(io, inv) : undefined;
  // A key that cannot be used (encrypted without a passphrase, wrong passphrase, PKCS#8) is a
  // configuration error shared by every node using it: refuse once, up front (exit 2), rather than
  // report each node unreachable.
  for (const file of new Set(inv.nodes.map((n) => n.identityFile).filter((f): f is string => !!f))) {
    loadPrivateKey(file, passphrase, `inventory ${inv.file}`);
  }
  const runId = newRunId(io.now());
  const stateDir = stateDirFor(inv, opts.stateDir, io.cwd);
  let journal: Journal;
  try {
    journal = await openJournal(join(stateDir, 'journal.ndjson'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new BadInputError(`cannot write the journal in ${stateDir} (${code})`, {
      details: [`the journal and reports of cluster ${inv.cluster} go to ${stateDir}`],
      hint: opts.stateDir
        ? 'pass a writable directory with --state-dir'
        : "make the inventory's directory writable, or pass a writable directory with --state-dir",
      cause: e,
    });
  }
  // Two ways in (state/records.ts): commit() is write-ahead — it rejects when the line is not on disk,
  // and the engine halts on that; note() is evidence — a failure is counted, never fatal.
  let notesLost = 0;
  let firstNoteError: unknown = null;
  const stamp = <T extends object>(r: T) => ({ ts: io.now().toISOString(), ...r });
  const note = (r: NoteRecord): void => {
    journal.append(stamp(r)).catch((e: unknown) => {
      notesLost++;
      firstNoteError ??= e;
    });
  };
  const commit = async (r: DurableRecord): Promise<void> => {
    try {
      await journal.append(stamp(r));
    } catch (e) {
      throw new JournalUnwritableError(journal.file, r.kind, e);
    }
  };
  note({
    kind: 'run.start',
    runId,
    command: opts.command,
    who: `${userInfo().username}@${hostname()}`,
    pid: process.pid,
    cwd: io.cwd,
    argv: opts.argv,
    version: VERSION,
    inventory: inv.file,
    cluster: inv.cluster,
  });

  const renderer =
    opts.renderer ??
    chooseRenderer({
      json: opts.json,
      plain: opts.plain,
      isTTY: io.stdoutTTY,
      env: io.env,
      stdout: io.stdout,
      stderr: io.stderr,
      stdin: io.stdin,
      now: () => io.now().getTime(),
    });
  let terminalSeen = false;
  const show = (e: EventInput): RolloutEvent => {
    // Redacted before any output, not only in the journal: gate commands often carry credentials.
    const ev = redact({ ts: io.now().toISOString(), ...e }) as RolloutEvent;
    renderer.onEvent(ev);
    if (ev.type !== 'stage.progress' || ev.done) note({ kind: 'event', runId, ...ev });
    if (TERMINAL_EVENTS.has(ev.type)) terminalSeen = true;
    return ev;
  };
  const notifier = openNotifier(io, inv, opts, runId, note, (message) => {
    // --json: the NDJSON stream ends with its terminal event, so a late warning goes to stderr.
    if (terminalSeen && opts.json) {
      io.stderr.write(`emqx-rollout: warning: ${redactString(message)}\n`);
      note({ kind: 'event', runId, ts: io.now().toISOString(), type: 'log', level: 'warn', message });
    } else show({ type: 'log', level: 'warn', message }); // shown, never dispatched: no feedback loop
  });
  const emit = (e: EventInput) => {
    const ev = show(e);
    // Like the journal, receivers get a file's final stage.progress, not one per 32 KiB chunk.
    if (ev.type !== 'stage.progress' || ev.done) notifier?.dispatch(ev);
  };

  const offInterrupt = io.onInterrupt((notice) => emit({ type: 'log', level: 'warn', message: notice }));

  const nodes = opts.only ? inv.nodes.filter((n) => opts.only!.includes(n.name)) : inv.nodes;
  // Filled in by connect(); until then empty (ctx.connected says when they are complete).
  const hosts = new Map<string, RemoteHost>();
  const recorded = new Map<string, RemoteHost>();
  const unreachable = new Map<string, { message: string; details: string[]; code: string }>();
  const connect = async (): Promise<void> => {
    const opened = await openHostsSettled(nodes, {
      passphrase,
      ...(io.env.SSH_AUTH_SOCK ? { agentSocket: io.env.SSH_AUTH_SOCK } : {}),
      signal: io.signal,
    });
    if (io.signal.aborted) {
      // Handshakes cut short by Ctrl-C/SIGTERM are an interruption (exit 130), not unreachable nodes.
      await Promise.all([...opened.hosts.values()].map((h) => h.close().catch(() => undefined)));
      throw new RolloutError('interrupted', `interrupted while connecting to the nodes`, { cause: io.signal.reason });
    }
    for (const [k, h] of opened.hosts) hosts.set(k, h);
    const becomePassword = await becomePasswordFor(io, nodes, opened.hosts);
    // become: sudo wraps outside the journal's view, so the journal shows the sudo command (never the password: stdin).
    for (const [k, h] of opened.hosts)
      recorded.set(
        k,
        withBecome(
          recordingHost(h, note, runId),
          nodes.find((n) => n.name === k)!,
          becomePassword,
        ),
      );
    for (const [node, e] of opened.failures) {
      note({ kind: 'connect.failed', runId, node, message: e.message });
      unreachable.set(node, {
        message: e.message,
        details: [...e.details, ...(e.hint ? [e.hint] : [])],
        code: unreachableCode(e),
      });
    }
  };
  const mayPrompt = io.stdinTTY && nodes.some((n) => n.become === 'sudo') && !io.env[BECOME_PASSWORD_ENV]?.length;
  let connected: Promise<void> | undefined;
  if (opts.connectInBackground && !mayPrompt) {
    connected = connect();
    connected.catch(() => undefined); // awaited by observeAll/takeLock and by close(); never unhandled
  } else await connect();
  const ctx: RunContext = {
    inv,
    runId,
    hosts: recorded,
    unreachable,
    emit,
    now: io.now,
    sleep: realSleep,
    signal: io.signal,
    stopRequested: io.stopRequested,
    commit,
    note,
    ...(connected ? { connected } : {}),
    ...(mqttPassword !== undefined ? { mqttPassword } : {}),
  };
  return {
    inv,
    runId,
    stateDir,
    journal,
    renderer,
    ctx,
    passphrase,
    announceReport: (mdPath: string) => {
      const text = `report: ${mdPath} (journal: ${journal.file})`;
      if (opts.json) io.stderr.write(`${text}\n`);
      else emit({ type: 'log', level: 'info', message: text });
      note({ kind: 'report', runId, path: mdPath });
    },
    close: async () => {
      offInterrupt();
      // A run that ended early (bad --resume, an interruption) may still be connecting: wait, then close all.
      await connected?.catch(() => undefined);
      // Every connection ends in parallel with the rest of the shutdown: its peer's goodbye is one
      // round trip we need not wait on before the renderer and the journal.
      const hostsClosed = Promise.all([...hosts.values()].map((h) => h.close().catch(() => undefined)));
      // After the run's last word, before the renderer and journal close: see DRAIN_MS.
      if (notifier) await notifier.drain();
      await renderer.finish();
      await Promise.all([hostsClosed, journal.close()]);
      if (notesLost > 0) {
        const code = (firstNoteError as NodeJS.ErrnoException | null)?.code ?? 'error';
        io.stderr.write(
          `warning: ${notesLost} evidence record${notesLost === 1 ? ' was' : 's were'} not written to ${journal.file} (${code})\n`,
        );
      }
    },
  };
}
