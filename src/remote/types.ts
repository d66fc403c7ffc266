// The contract between the remote layer and everything above it.
// Upper layers never see ssh2 objects: they get a RemoteHost per node.
import type { Duplex } from 'node:stream';

export interface ExecOptions {
  /** Deadline for this command; on expiry the remote process group is killed. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Streamed stdout, for long commands whose progress is shown. */
  readonly onStdout?: (chunk: string) => void;
  /**
   * Bytes written to the command's stdin, then EOF (default: stdin is /dev/null). For secrets that
   * must not appear in argv (`sudo -S`); the command text itself never contains them.
   */
  readonly stdin?: string;
}

import type { ExecResult } from '../util/execResult.js';

export type { ExecResult } from '../util/execResult.js';

export interface StageProgress {
  readonly file: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes per second averaged over the transfer so far. */
  readonly rate: number;
}

export interface StageResult {
  readonly remotePath: string;
  /** 'present': the remote file already had the right sha256; 'uploaded'; 'resumed'. */
  readonly action: 'present' | 'uploaded' | 'resumed';
  readonly bytesSent: number;
  readonly durationMs: number;
}

export interface RemoteHost {
  readonly node: string;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Upload `localPath` to `remotePath` atomically and verified: skip when the remote sha256
   * already matches `sha256`, else upload to a temporary name (resuming a partial one), verify
   * the remote sha256, rename into place.
   */
  stage(
    localPath: string,
    remotePath: string,
    sha256: string,
    opts?: {
      readonly signal?: AbortSignal;
      readonly onProgress?: (p: StageProgress) => void;
    },
  ): Promise<StageResult>;
  /**
   * A forwarded TCP channel (ssh `direct-tcpip`) over this node's SSH connection to `host:port` as
   * the node sees it (`127.0.0.1` is the node itself). Rejects with a RolloutError when sshd refuses
   * (AllowTcpForwarding no, nothing listening) or the channel does not open within `timeoutMs`.
   */
  openTcp(
    host: string,
    port: number,
    opts?: { readonly timeoutMs?: number; readonly signal?: AbortSignal },
  ): Promise<Duplex>;
  close(): Promise<void>;
  /**
   * Run as the SSH login user even when the node's commands go through `become` (remote/become.ts):
   * for what the login user itself must be able to do (SFTP staging writes as that user). Absent
   * → exec() already runs as the login user.
   */
  execAsLogin?(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Several read-only probes in one exec, concurrently on the node, results in order (remote/batch.ts).
   * Absent → batch.ts runs the batch over exec(). Wrappers implement it to keep their own semantics
   * (become wraps the whole script; the journal records every probe).
   */
  execBatch?(
    commands: readonly string[],
    opts?: ExecOptions & { readonly wrap?: (script: string) => string },
  ): Promise<ExecResult[]>;
}

/** One hop of a ProxyJump chain. */
export interface JumpTarget {
  readonly user: string | undefined; // undefined → same user as the node connection
  readonly host: string;
  readonly port: number;
  /** This hop's own key (ssh_config IdentityFile of a jump alias); undefined → the node's keys. */
  readonly identityFile?: string;
  /** This hop's own known_hosts (ssh_config); undefined → the node's. */
  readonly knownHosts?: string;
  /** ssh_config ProxyCommand of the first hop: its stdin/stdout is the transport. */
  readonly proxyCommand?: string;
}

/**
 * What the remote layer needs to reach a node: its own type, so remote/ does not depend on the
 * inventory's shape (an inventory NodeSpec satisfies it structurally).
 */
export interface SshTarget {
  /** The node's name, for messages and evidence. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly identityFile?: string | undefined;
  readonly knownHosts: string;
  readonly jump: readonly JumpTarget[];
  /** Keys to try after identityFile, in order (ssh_config IdentityFile lines). */
  readonly moreIdentityFiles?: readonly string[];
  /** ssh_config IdentitiesOnly: no ssh-agent once a key file is given. */
  readonly identitiesOnly?: boolean;
  /** ssh_config ProxyCommand (tokens expanded) when no jump applies: the transport to the node. */
  readonly proxyCommand?: string;
}
