// The cluster lock: one file per node, created atomically with the shell's noclobber (`set -C`
// makes `>` use O_EXCL), acquired on every node in inventory order before any change. Two
// controllers racing both start at the first node, so exactly one wins there and the other stops
// without having touched anything else.
import type { NodeSpec } from '../../inventory/types.js';
import { shq } from '../../util/shellQuote.js';
import type { RemoteHost } from '../../remote/types.js';
import { RolloutError } from '../../util/errors.js';

export interface LockOwner {
  readonly runId: string;
  readonly cluster: string;
  readonly command: string;
  readonly user: string;
  readonly host: string; // the controller's hostname
  readonly pid: number;
  readonly startedAt: string;
}

export function lockPath(spec: NodeSpec): string {
  return `${spec.stagingDir}/.emqx-rollout.lock`;
}

export type LockAttempt =
  { readonly kind: 'acquired' } | { readonly kind: 'held'; readonly owner: LockOwner | null; readonly raw: string };

export function acquireCommand(spec: NodeSpec, owner: LockOwner): string {
  const p = shq(lockPath(spec));
  return `mkdir -p -- ${shq(spec.stagingDir)} && if (set -C; printf '%s\\n' ${shq(JSON.stringify(owner))} > ${p}) 2>/dev/null; then echo acquired; else echo held; cat -- ${p}; fi`;
}

export function parseAttempt(stdout: string): LockAttempt | null {
  const [first, ...rest] = stdout.split('\n');
  if (first === 'acquired') return { kind: 'acquired' };
  if (first !== 'held') return null;
  const raw = rest.join('\n').trim();
  try {
    return { kind: 'held', owner: JSON.parse(raw) as LockOwner, raw };
  } catch {
    return { kind: 'held', owner: null, raw };
  }
}

/** Release only our own lock: a lock taken over by someone else after --break-lock stays theirs. */
export function releaseCommand(spec: NodeSpec, runId: string): string {
  const p = shq(lockPath(spec));
  return `if [ -f ${p} ] && grep -q -- ${shq(`"runId":"${runId}"`)} ${p}; then rm -f -- ${p}; fi`;
}

export function breakCommand(spec: NodeSpec): string {
  return `rm -f -- ${shq(lockPath(spec))}`;
}

export function readCommand(spec: NodeSpec): string {
  const p = shq(lockPath(spec));
  return `if [ -f ${p} ]; then cat -- ${p}; fi`;
}

/**
 * Is a held lock stale? Only when we can prove it: the holder ran on this very controller host and
 * its pid is gone (a SIGKILLed run). A holder on another host is never presumed dead.
 */
export function isStale(owner: LockOwner | null, here: { host: string; pidAlive: (pid: number) => boolean }): boolean {
  return owner !== null && owner.host === here.host && !here.pidAlive(owner.pid);
}

export function describeOwner(o: LockOwner | null, raw: string): string {
  if (!o) return `unreadable lock file: ${raw.slice(0, 200)}`;
  return `${o.user}@${o.host} pid ${o.pid}, \`${o.command}\` run ${o.runId} since ${o.startedAt}`;
}

export interface LockHandle {
  release(): Promise<void>;
}

export async function acquireClusterLock(
  nodes: readonly NodeSpec[],
  hosts: ReadonlyMap<string, RemoteHost>,
  owner: LockOwner,
  opts: {
    readonly breakLock: boolean;
    readonly pidAlive: (pid: number) => boolean;
    readonly onTakeover: (node: string, previous: string) => void;
  },
): Promise<LockHandle> {
  const taken: NodeSpec[] = [];
  const release = async () => {
    for (const spec of taken.reverse())
      await hosts
        .get(spec.name)
        ?.exec(releaseCommand(spec, owner.runId), { timeoutMs: 30_000 })
        .catch(() => undefined);
  };
  try {
    for (const spec of nodes) {
      const host = hosts.get(spec.name);
      if (!host) continue;
      let attempt = await tryOnce(host, spec, owner);
      if (
        attempt.kind === 'held' &&
        (opts.breakLock || isStale(attempt.owner, { host: owner.host, pidAlive: opts.pidAlive }))
      ) {
        opts.onTakeover(spec.name, describeOwner(attempt.owner, attempt.raw));
        await host.exec(breakCommand(spec), { timeoutMs: 30_000 });
        attempt = await tryOnce(host, spec, owner);
      }
      if (attempt.kind === 'held') {
        throw new RolloutError(
          'lock-held',
          `another rollout holds the lock of cluster ${owner.cluster} on ${spec.name}: ${describeOwner(attempt.owner, attempt.raw)}`,
          {
            details: [`lock file: ${lockPath(spec)}`],
            hint: 'wait for it to finish; if you are sure that controller is gone, re-run with --break-lock',
          },
        );
      }
      taken.push(spec);
    }
  } catch (e) {
    // Whatever stopped us part-way (a held lock, a failed command, a dropped connection), the locks
    // already taken must not outlive this run: nobody else could ever tell they are stale.
    await release();
    throw e;
  }
  return { release };
}

async function tryOnce(host: RemoteHost, spec: NodeSpec, owner: LockOwner): Promise<LockAttempt> {
  const r = await host.exec(acquireCommand(spec, owner), { timeoutMs: 30_000 });
  const a = r.exitCode === 0 ? parseAttempt(r.stdout) : null;
  if (!a) {
    throw new RolloutError('preflight-blocked', `could not take the cluster lock on ${spec.name}`, {
      details: [`command: ${r.command}`, `exit ${r.exitCode ?? r.signal}`, ...r.stderr.trim().split('\n').slice(-5)],
      hint: `check that ${spec.stagingDir} can be created and written by ${spec.user}`,
    });
  }
  return a;
}
