// The release tarball on the bastion, checked before anything is uploaded: one streaming pass
// computes the sha256 and reads releases/emqx_vars and releases/<vsn>/BUILD_INFO out of the
// gzip'd tar (nothing is extracted to disk), then the digest is compared with the sidecar and the
// file name with the content. Every failure is a BadInputError saying file, expected, found, fix.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import type { TarballInfo } from './types.js';
import { BadInputError } from '../util/errors.js';
import { NAME_SHAPE, expectedName, expectedNamePattern, packageArch, parseBuildInfo, relVsn } from './buildInfo.js';
import { readSidecar, sidecarPathFor } from './sidecar.js';
import { parseEmqxVersion } from '../emqx/version.js';

export interface InspectOptions {
  /** Default `<tarball>.sha256`, where the node looks for it. */
  readonly sidecarPath?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** emqx_vars is ~1.5 KB and BUILD_INFO ~150 B; a cap keeps a hostile member from filling memory. */
const SMALL_FILE_CAP = 64 * 1024;
const OFFICIAL_HINT =
  'use the official emqx-enterprise-<vsn>-<os>-<arch>.tar.gz from emqx.com with its .sha256, unmodified';

interface Scan {
  sha256: string;
  size: number;
  emqxVars: string | undefined;
  buildInfos: Map<string, string>; // vsn dir → text
  nestedVars: string | undefined; // `<dir>/releases/emqx_vars`: the tarball has a top-level folder
  unsafe: string | undefined; // first member with an absolute path or a `..` component
  parseError: Error | undefined;
  uncompressed: number; // U: sum of member sizes
  releasePart: number; // R: members under bin/ lib/ releases/ erts-*/
}

/** The part the relup handler deploys into <RootDir>/relup/<T>/ (handler@78526dd:264-287, facts A4). */
export function isReleasePart(memberPath: string): boolean {
  return /^(bin|lib|releases|erts-[^/]+)(\/|$)/.test(memberPath.replace(/^(\.\/)+/, ''));
}

function unsafePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.split(/[\\/]/).includes('..');
}

/**
 * A symbolic link whose target leaves the extraction directory: absolute, or climbing above the
 * root from the link's own directory (`a/b -> ../../x` escapes, `a/b -> ../c` does not).
 */
export function symlinkEscapes(member: string, target: string): boolean {
  if (target.startsWith('/') || /^[A-Za-z]:[\\/]/.test(target)) return true;
  const dir = path.posix.dirname(member.replace(/^(\.\/)+/, ''));
  const joined = path.posix.normalize(path.posix.join(dir, target));
  return joined === '..' || joined.startsWith('../');
}

async function scan(file: string, total: number, opts: InspectOptions): Promise<Scan> {
  const s: Scan = {
    sha256: '',
    size: 0,
    emqxVars: undefined,
    buildInfos: new Map(),
    nestedVars: undefined,
    unsafe: undefined,
    parseError: undefined,
    uncompressed: 0,
    releasePart: 0,
  };
  const collect = (entry: ReadEntry, done: (text: string) => void) => {
    const chunks: Buffer[] = [];
    let n = 0;
    entry.on('data', (c: Buffer) => {
      n += c.length;
      if (n <= SMALL_FILE_CAP) chunks.push(c);
    });
    entry.on('end', () => done(n <= SMALL_FILE_CAP ? Buffer.concat(chunks).toString('utf8') : ''));
  };
  // strict: a bad header or truncated body is an 'error', not a warning we could miss.
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const raw = entry.path;
      if (unsafePath(raw) || (entry.type === 'Link' && entry.linkpath && unsafePath(entry.linkpath))) s.unsafe ??= raw;
      if (entry.type === 'SymbolicLink' && entry.linkpath && symlinkEscapes(raw, entry.linkpath))
        s.unsafe ??= `${raw} -> ${entry.linkpath}`;
      const p = raw.replace(/^(\.\/)+/, '');
      const bytes = entry.size ?? 0;
      s.uncompressed += bytes;
      if (isReleasePart(p)) s.releasePart += bytes;
      const bi = p.match(/^releases\/([^/]+)\/BUILD_INFO$/);
      if (p === 'releases/emqx_vars' && entry.type === 'File') collect(entry, (t) => (s.emqxVars = t));
      else if (bi && entry.type === 'File') collect(entry, (t) => s.buildInfos.set(bi[1], t));
      else {
        if (/^[^/]+\/releases\/emqx_vars$/.test(p)) s.nestedVars ??= p;
        entry.resume();
      }
    },
  });
  parser.on('error', (e: Error) => (s.parseError ??= e));
  const parserFlushed = new Promise<void>((resolve) => {
    parser.on('end', resolve);
    parser.on('close', resolve);
    parser.on('error', () => resolve());
  });

  const hash = createHash('sha256');
  const rs = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of rs as AsyncIterable<Buffer>) {
      opts.signal?.throwIfAborted();
      hash.update(chunk);
      s.size += chunk.length;
      if (!s.parseError && !parser.write(chunk) && !s.parseError) {
        await new Promise<void>((resolve) => {
          const go = () => {
            parser.off('drain', go);
            parser.off('error', go);
            resolve();
          };
          parser.on('drain', go);
          parser.on('error', go);
        });
      }
      opts.onProgress?.(s.size, total);
    }
  } finally {
    rs.destroy();
  }
  if (!s.parseError) {
    parser.end();
    await parserFlushed;
  }
  s.sha256 = hash.digest('hex');
  return s;
}

export async function inspectRelease(tarballPath: string, opts: InspectOptions = {}): Promise<TarballInfo> {
  const file = path.resolve(tarballPath);
  const fileName = path.basename(file);
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile())
      throw new BadInputError(`release tarball ${file} is not a regular file`, {
        hint: 'pass --tarball the .tar.gz file itself',
      });
    size = st.size;
  } catch (e) {
    if (e instanceof BadInputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadInputError(
      `release tarball ${file} ${code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? String(e)})`}`,
      {
        hint: 'pass --tarball the path of emqx-enterprise-<vsn>-<os>-<arch>.tar.gz on this machine',
        cause: e,
      },
    );
  }
  // Cheap checks first: a wrong name or a missing sidecar should not cost a 256 MB read.
  // The name travels into commands on the node (quoted) and file names there: shell or path syntax
  // in it is not a name any official build has.
  if (!NAME_SHAPE.test(fileName) || !/^[A-Za-z0-9._+-]+$/.test(fileName)) {
    throw new BadInputError(`release tarball ${file} has an unexpected name`, {
      details: [`expected emqx-enterprise-<vsn>[-elixir]-<os>-<arch>.tar.gz (arch amd64|arm64|arm), found ${fileName}`],
      hint: `${OFFICIAL_HINT}; the name tells operators and the plan which build this is`,
    });
  }
  const sidecar = opts.sidecarPath ? path.resolve(opts.sidecarPath) : sidecarPathFor(file);
  const expected = await readSidecar(sidecar, fileName);

  const s = await scan(file, size, opts);

  if (s.sha256 !== expected.digest) {
    throw new BadInputError(`release tarball ${fileName} does not match its sha256 sidecar`, {
      details: [`tarball ${file}: sha256 ${s.sha256}`, `sidecar ${sidecar}: expected ${expected.digest}`],
      hint: 're-download the tarball and its .sha256 together; a partial download or a sidecar of another build causes this, and the node would refuse it (sha256_mismatch)',
    });
  }
  if (s.parseError) {
    throw new BadInputError(`release tarball ${file} is not a readable gzip'd tar`, {
      details: [
        `expected a .tar.gz, found: ${s.parseError.message}`,
        'its sha256 matches the sidecar, so the published file itself is not a tarball',
      ],
      hint: OFFICIAL_HINT,
      cause: s.parseError,
    });
  }
  if (s.unsafe !== undefined) {
    throw new BadInputError(`release tarball ${file} has an unsafe member`, {
      details: [
        `expected relative member paths without ".." and links that stay inside, found ${JSON.stringify(s.unsafe)}`,
      ],
      hint: `${OFFICIAL_HINT}; this archive could write outside the node's extraction directory`,
    });
  }
  if (s.emqxVars === undefined) {
    const details = s.nestedVars
      ? [
          `expected releases/emqx_vars at the top level (the official tarball has no top-level folder), found ${s.nestedVars}`,
        ]
      : ['expected releases/emqx_vars (it names the target version), found no such member'];
    throw new BadInputError(`release tarball ${file} is not an EMQX release in the official layout`, {
      details,
      hint: s.nestedVars
        ? `repack from inside the folder (cd <folder> && tar -zcf ../${fileName} -- *), or better ${OFFICIAL_HINT}`
        : OFFICIAL_HINT,
    });
  }
  const version = relVsn(s.emqxVars);
  if (version === undefined) {
    throw new BadInputError(`release tarball ${file}: releases/emqx_vars has no REL_VSN`, {
      details: ['expected a line REL_VSN="<version>" (the node reads the target version from it), found none'],
      hint: OFFICIAL_HINT,
    });
  }
  if (parseEmqxVersion(version) === null) {
    throw new BadInputError(`release tarball ${file}: releases/emqx_vars has an invalid REL_VSN`, {
      details: [
        `expected an EMQX version such as 5.10.5 (Major.Minor.Patch, optionally -rc.N or -g<sha>), found ${JSON.stringify(version)}`,
      ],
      hint: OFFICIAL_HINT,
    });
  }
  const biText = s.buildInfos.get(version);
  if (biText === undefined) {
    throw new BadInputError(`release tarball ${file} has no releases/${version}/BUILD_INFO`, {
      details: [
        `expected releases/${version}/BUILD_INFO (REL_VSN is ${version}), found ${s.buildInfos.size ? [...s.buildInfos.keys()].map((k) => `releases/${k}/BUILD_INFO`).join(', ') : 'none'}`,
      ],
      hint: OFFICIAL_HINT,
    });
  }
  const bi = parseBuildInfo(biText);
  const missing = ['os', 'arch', 'erlang'].filter((k) => !bi[k]);
  if (missing.length) {
    throw new BadInputError(`release tarball ${file}: releases/${version}/BUILD_INFO lacks ${missing.join(', ')}`, {
      details: [
        `expected os, arch and erlang (the node compares them with its own), found keys ${Object.keys(bi).join(', ') || 'none'}`,
      ],
      hint: OFFICIAL_HINT,
    });
  }
  const pkgArch = packageArch(bi.arch);
  const elixir = bi.elixir === undefined ? undefined : bi.elixir !== 'none';
  if (!pkgArch || !expectedNamePattern(version, bi.os, pkgArch, elixir).test(fileName)) {
    throw new BadInputError(`release tarball name ${fileName} does not match its content`, {
      details: [
        `expected ${pkgArch ? expectedName(version, bi.os, pkgArch, elixir) : `a known arch (x86_64, aarch64, arm), found ${bi.arch}`} (from REL_VSN ${version} and BUILD_INFO os ${bi.os}, arch ${bi.arch})`,
        `found ${fileName}`,
      ],
      hint: "a renamed or repacked file is the wrong build more often than not; download the package for the nodes' OS and arch",
    });
  }
  return {
    path: file,
    fileName,
    sha256: s.sha256,
    size: s.size,
    version,
    os: bi.os,
    arch: bi.arch,
    otp: bi.erlang,
    uncompressedBytes: s.uncompressed,
    releaseBytes: s.releasePart,
    emqxVars: s.emqxVars,
  };
}
