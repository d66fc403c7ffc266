// A release tarball as read locally (release/tarball.ts): what the plan and the engines need of it.

export interface TarballInfo {
  readonly path: string; // local absolute path
  readonly fileName: string;
  readonly sha256: string;
  readonly size: number;
  readonly version: string; // REL_VSN
  readonly os: string;
  readonly arch: string;
  readonly otp: string; // BUILD_INFO erlang, e.g. 27.3.4.2-8
  /**
   * Uncompressed sizes (facts A4): `U`, every member (what the handler extracts under the VM's
   * TMP), and `R`, the `bin`+`lib`+`releases`+`erts-*` part (what it copies into <RootDir>/relup/<T>/).
   * Optional: older callers and fixtures build TarballInfo by hand.
   */
  readonly uncompressedBytes?: number;
  readonly releaseBytes?: number;
  /** The tarball's releases/emqx_vars text: the locations a node restarted into its relup tree boots with (A3). */
  readonly emqxVars?: string;
}
