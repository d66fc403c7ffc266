// Privilege: with `become: sudo`, every node command runs as `sudo -n -u <becomeUser> sh -c '<cmd>'`
// (PRODUCT.md "Real installs"). A wrapper around RemoteHost, so engines and observers do not change.
//
// - No password: `sudo -n` never prompts; a sudo that wants one fails at once with
//   `sudo: a password is required` (exit 1), which preflight turns into a blocker naming the node.
// - With a password (EMQX_ROLLOUT_BECOME_PASSWORD or a prompt): `sudo -S -p ''` reads it from the
//   command's stdin — never argv, never the command text, so never the journal or `ps`. The inner
//   command gets /dev/null as its stdin so nothing can read what follows the password.
// - Staging stays with the login user: SFTP writes as that user, so the files it checks and renames
//   must be handled as that user too (execAsLogin), then made readable for the EMQX service user.
import { shq } from '../util/shellQuote.js';
import type { ExecOptions, ExecResult, RemoteHost, StageResult } from './types.js';
import { runBatch, type BatchOptions } from './batch.js';

/** What the remote layer needs to know of a node's privilege (an inventory NodeSpec satisfies it). */
export interface BecomeSpec {
  readonly become?: 'sudo';
  readonly becomeUser?: string;
}

export const BECOME_PASSWORD_ENV = 'EMQX_ROLLOUT_BECOME_PASSWORD';

const SAFE_USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/;

/** `sudo -n -u <user> sh -c '<cmd>'`, or with a password `sudo -S -p '' -u <user> sh -c 'exec </dev/null; <cmd>'`. */
export function becomeCommand(command: string, user: string, withPassword = false): string {
  const u = SAFE_USER.test(user) ? user : shq(user);
  return withPassword
    ? `sudo -S -p '' -u ${u} sh -c ${shq(`exec </dev/null\n${command}`)}`
    : `sudo -n -u ${u} sh -c ${shq(command)}`;
}

/** The cheapest question sudo can answer: may the login user become `user` without a password? */
export function becomeProbe(user: string): string {
  return becomeCommand('true', user);
}

/**
 * After staging through SFTP as the login user: the relup handler reads the tarball and its
 * sidecar inside the VM, as the EMQX service user (facts A4). Make the files world-readable and
 * the staging dir world-traversable; they hold a public release, nothing secret.
 */
export function stageModesCommand(remotePath: string): string {
  const d = remotePath.slice(0, remotePath.lastIndexOf('/')) || '/';
  return `chmod 0644 -- ${shq(remotePath)} && chmod a+rx -- ${shq(d)}`;
}

export class BecomeHost implements RemoteHost {
  readonly node: string;

  constructor(
    private readonly inner: RemoteHost,
    readonly user: string,
    private readonly password?: string,
  ) {
    this.node = inner.node;
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const withPassword = this.password !== undefined;
    return this.inner.exec(becomeCommand(command, this.user, withPassword), {
      ...opts,
      ...(withPassword ? { stdin: `${this.password}\n` } : {}),
    });
  }

  /** The whole batch script under one sudo, so every probe runs as it would alone: as becomeUser. */
  execBatch(commands: readonly string[], opts: BatchOptions = {}): Promise<ExecResult[]> {
    const withPassword = this.password !== undefined;
    return runBatch(this.inner, commands, {
      ...opts,
      wrap: (script) => becomeCommand(opts.wrap ? opts.wrap(script) : script, this.user, withPassword),
      ...(withPassword ? { stdin: `${this.password}\n` } : {}),
    });
  }

  execAsLogin(command: string, opts?: ExecOptions): Promise<ExecResult> {
    return this.inner.execAsLogin ? this.inner.execAsLogin(command, opts) : this.inner.exec(command, opts);
  }

  stage(...args: Parameters<RemoteHost['stage']>): Promise<StageResult> {
    return this.inner.stage(...args);
  }

  /** A forwarded channel is opened by the login user's sshd: nothing to elevate. */
  openTcp(...args: Parameters<RemoteHost['openTcp']>): ReturnType<RemoteHost['openTcp']> {
    return this.inner.openTcp(...args);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The host as the node's commands must see it: wrapped in BecomeHost when `become: sudo`. */
export function withBecome(host: RemoteHost, spec: BecomeSpec, password?: string): RemoteHost {
  if (spec.become !== 'sudo') return host;
  return new BecomeHost(host, spec.becomeUser ?? 'root', password);
}

/** Run as the login user (see RemoteHost.execAsLogin). */
export function execAsLogin(host: RemoteHost, command: string, opts?: ExecOptions): Promise<ExecResult> {
  return host.execAsLogin ? host.execAsLogin(command, opts) : host.exec(command, opts);
}

/** A command as an operator types it on the node: with `sudo -u <becomeUser>` in front when the node needs it. */
export function operatorCommand(spec: BecomeSpec, command: string): string {
  return spec.become === 'sudo' ? `sudo -u ${spec.becomeUser ?? 'root'} ${command}` : command;
}

/**
 * Which `become: sudo` nodes would refuse `sudo -n` for want of a password: asked once per node
 * before anything else, so the CLI prompts only when a password is really needed. Read-only.
 */
export async function nodesWantingPassword(
  hosts: ReadonlyMap<string, RemoteHost>,
  specs: readonly (BecomeSpec & { readonly name: string })[],
): Promise<string[]> {
  const want: string[] = [];
  await Promise.all(
    specs
      .filter((s) => s.become === 'sudo' && hosts.has(s.name))
      .map(async (s) => {
        const r = await hosts
          .get(s.name)!
          .exec(becomeProbe(s.becomeUser ?? 'root'), { timeoutMs: 15_000 })
          .catch(() => null);
        if (r && r.exitCode !== 0 && /^sudo: (a password is required|a terminal is required)/m.test(r.stderr))
          want.push(s.name);
      }),
  );
  return specs.map((s) => s.name).filter((n) => want.includes(n));
}
