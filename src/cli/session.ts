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
import { PASSPHRASE_ENV, keyNeedsPassphrase, loadPrivateKey } from '../remote/keys.js';
import type { ExecOptions, RemoteHost } from '../remote/types.js';
import { realSleep, type RunContext } from '../rollout/core/context.js';
import type { Command, EventInput, RolloutEvent } from '../rollout/core/events.js';
import { openJournal, redact, registerSecret, type Journal } from '../rollout/state/journal.js';
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
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
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

async function passphraseFor(io: CliIO, inv: Inventory): Promise<string | undefined> {
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

/**
 * The sudo password for `become: sudo` nodes, when one is needed: EMQX_ROLLOUT_BECOME_PASSWORD, else a
 * prompt on a terminal if some node's `sudo -n` wants one. Never from the inventory; registered as a
 * secret so no output, log or journal line can carry it. Undefined → `sudo -n` (preflight then names
 * the nodes that want a password: become-password-required).
 */
async function becomePasswordFor(io: CliIO, nodes: readonly Inventory['nodes'][number][], hosts: ReadonlyMap<string, RemoteHost>): Promise<string | undefined> {
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
function recordingHost(h: RemoteHost, record: (r: object) => void, runId: string): RemoteHost {
  return {
    node: h.node,
    exec: async (command: string, opts?: ExecOptions) => {
      const r = await h.exec(command, opts);
      record({ kind: 'exec', runId, node: h.node, command, exitCode: r.exitCode, signal: r.signal, durationMs: Math.round(r.durationMs), timedOut: r.timedOut });
      return r;
    },
    stage: async (localPath, remotePath, sha256, opts) => {
      const r = await h.stage(localPath, remotePath, sha256, opts);
      record({ kind: 'stage', runId, node: h.node, localPath, remotePath, sha256, action: r.action, bytesSent: r.bytesSent, durationMs: Math.round(r.durationMs) });
      return r;
    },
    close: () => h.close(),
  };
}

export async function openSession(io: CliIO, opts: SessionOptions): Promise<Session> {
  const inv = await loadInventory(resolve(io.cwd, opts.inventory), { home: io.home, cwd: io.cwd });
  const passphrase = await passphraseFor(io, inv);
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
      hint: opts.stateDir ? 'pass a writable directory with --state-dir' : 'make the inventory\'s directory writable, or pass a writable directory with --state-dir',
      cause: e,
    });
  }
  // Returns the append: callers that must write ahead (upgrade.begin) await it; others need not.
  const record = (r: object): Promise<void> => journal.append({ ts: io.now().toISOString(), ...r }).catch(() => undefined);
  record({ kind: 'run.start', runId, command: opts.command, who: `${userInfo().username}@${hostname()}`, pid: process.pid, cwd: io.cwd, argv: opts.argv, version: VERSION, inventory: inv.file, cluster: inv.cluster });

  const renderer =
    opts.renderer ??
    chooseRenderer({ json: opts.json, plain: opts.plain, isTTY: io.stdoutTTY, env: io.env, stdout: io.stdout, stderr: io.stderr, stdin: io.stdin, now: () => io.now().getTime() });
  const emit = (e: EventInput) => {
    // Redacted before any output, not only in the journal: gate commands often carry credentials.
    const ev = redact({ ts: io.now().toISOString(), ...e }) as RolloutEvent;
    renderer.onEvent(ev);
    if (ev.type !== 'stage.progress' || ev.done) record({ kind: 'event', runId, ...ev });
  };

  const offInterrupt = io.onInterrupt((notice) => emit({ type: 'log', level: 'warn', message: notice }));

  const nodes = opts.only ? inv.nodes.filter((n) => opts.only!.includes(n.name)) : inv.nodes;
  const { hosts, failures } = await openHostsSettled(nodes, { passphrase, ...(io.env.SSH_AUTH_SOCK ? { agentSocket: io.env.SSH_AUTH_SOCK } : {}), signal: io.signal });
  const becomePassword = await becomePasswordFor(io, nodes, hosts);
  // become: sudo wraps outside the journal's view, so the journal shows the sudo command (never the password: stdin).
  const recorded = new Map([...hosts].map(([k, h]) => [k, withBecome(recordingHost(h, record, runId), nodes.find((n) => n.name === k)!, becomePassword)]));
  const unreachable = new Map(
    [...failures].map(([node, e]) => {
      record({ kind: 'connect.failed', runId, node, message: e.message });
      return [node, { message: e.message, details: [...e.details, ...(e.hint ? [e.hint] : [])], code: unreachableCode(e) }];
    }),
  );
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
    record,
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
      record({ kind: 'report', runId, path: mdPath });
    },
    close: async () => {
      offInterrupt();
      await Promise.all([...hosts.values()].map((h) => h.close().catch(() => undefined)));
      await renderer.finish();
      await journal.close();
    },
  };
}
