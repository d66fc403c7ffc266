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
}
