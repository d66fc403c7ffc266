// Tiny real release tarballs for tests, written block by block with tar's Header so that a test
// can also produce what `tar -c` refuses to (absolute paths, `..`, a top-level folder).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export interface Member {
  readonly path: string;
  readonly body?: string | Buffer;
  readonly type?: 'File' | 'Directory' | 'Link' | 'SymbolicLink';
  readonly linkpath?: string;
}

export function tarGz(members: readonly Member[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const body = m.body === undefined ? Buffer.alloc(0) : Buffer.from(m.body);
    const type = m.type ?? 'File';
    const h = new Header({
      path: m.path,
      mode: type === 'Directory' ? 0o755 : 0o644,
      size: type === 'File' ? body.length : 0,
      mtime: new Date(1_750_000_000_000),
      type,
      linkpath: m.linkpath,
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && body.length) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024)); // two zero blocks end the archive
  return gzipSync(Buffer.concat(blocks));
}

export interface ReleaseOpts {
  readonly vsn?: string;
  readonly os?: string;
  readonly arch?: string; // BUILD_INFO triple
  readonly erlang?: string;
  readonly elixir?: string;
  /** A top-level folder, as a wrongly repacked tarball has. */
  readonly prefix?: string;
  /** Write REL_VSN as this line instead (e.g. '' for none). */
  readonly varsLine?: string;
  readonly buildInfo?: string; // whole BUILD_INFO text
  readonly extra?: readonly Member[];
}

export function releaseMembers(o: ReleaseOpts = {}): Member[] {
  const vsn = o.vsn ?? '5.10.5';
  const p = o.prefix ?? '';
  const vars = [
    '######################################################################',
    '## NOTE: Do NOT replace this file during release upgrade.',
    '## constants from relx template',
    o.varsLine ?? `REL_VSN="${vsn}"`,
    'ERTS_VSN="15.2.7.2"',
    'RUNNER_BIN_DIR="$RUNNER_ROOT_DIR/bin"',
    'IS_ENTERPRISE="yes"',
    '',
  ].join('\n');
  const buildInfo =
    o.buildInfo ??
    `arch: "${o.arch ?? 'x86_64-pc-linux-gnu'}"\nwordsize: 64\nos: "${o.os ?? 'ubuntu22.04'}"\nerlang: "${o.erlang ?? '27.3.4.2-8'}"\nelixir: "${o.elixir ?? 'none'}"\nrelform: "tgz"\n`;
  return [
    { path: `${p}bin/`, type: 'Directory' },
    { path: `${p}bin/emqx`, body: '#!/bin/sh\necho fake\n' },
    { path: `${p}releases/${vsn}/BUILD_INFO`, body: buildInfo },
    { path: `${p}lib/emqx-${vsn}/ebin/emqx.app`, body: '{application,emqx,[]}.\n' },
    { path: `${p}releases/emqx_vars`, body: vars },
    { path: `${p}releases/start_erl.data`, body: `15.2.7.2 ${vsn}\n` },
    ...(o.extra ?? []),
  ];
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Writes `<dir>/<name>` and, unless sidecar is null, `<name>.sha256` (official format by default). */
export function writeRelease(
  dir: string,
  name: string,
  data: Buffer,
  sidecar: string | null = sha256(data),
): { tarball: string; sidecar: string; sha256: string } {
  const tarball = path.join(dir, name);
  writeFileSync(tarball, data);
  if (sidecar !== null) writeFileSync(`${tarball}.sha256`, sidecar);
  return { tarball, sidecar: `${tarball}.sha256`, sha256: sha256(data) };
}
