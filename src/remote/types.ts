// The contract between the remote layer and everything above it.
// Upper layers never see ssh2 objects: they get a RemoteHost per node.

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
  close(): Promise<void>;
  /**
   * Run as the SSH login user even when the node's commands go through `become` (remote/become.ts):
   * for what the login user itself must be able to do (SFTP staging writes as that user). Absent
   * → exec() already runs as the login user.
   */
  execAsLogin?(command: string, opts?: ExecOptions): Promise<ExecResult>;
}
