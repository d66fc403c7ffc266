// The contract between the remote layer and everything above it.
// Upper layers never see ssh2 objects: they get a RemoteHost per node.
import type { Duplex } from 'node:stream';

export interface ExecOptions {
  /** Deadline for this command; on expiry the remote process group is killed. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Streamed stdout, for long commands whose progress is shown. */
  readonly onStdout?: (chunk: string) => void;
}

/** The full evidence of one remote command. Non-zero exit is data, not an exception. */
export interface ExecResult {
  readonly node: string;
  readonly command: string;
  /** null when the process was killed by a signal or the channel died. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
}

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
  stage(localPath: string, remotePath: string, sha256: string, opts?: {
    readonly signal?: AbortSignal;
    readonly onProgress?: (p: StageProgress) => void;
  }): Promise<StageResult>;
  /**
   * A forwarded TCP channel (ssh `direct-tcpip`) over this node's SSH connection to `host:port` as
   * the node sees it (`127.0.0.1` is the node itself). Rejects with a RolloutError when sshd refuses
   * (AllowTcpForwarding no, nothing listening) or the channel does not open within `timeoutMs`.
   */
  openTcp(host: string, port: number, opts?: { readonly timeoutMs?: number; readonly signal?: AbortSignal }): Promise<Duplex>;
  close(): Promise<void>;
}
