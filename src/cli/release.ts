// The local release: tarball inspected (sha256, REL_VSN, BUILD_INFO, name) and its sidecar digest.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { inspectRelease } from '../release/tarball.js';
import type { TarballInfo } from '../rollout/core/types.js';
import { BadInputError } from '../util/errors.js';

export interface LocalRelease {
  readonly tarball: TarballInfo;
  readonly sidecar: { readonly path: string; readonly sha256: string };
}

export async function loadRelease(path: string | undefined, cwd: string, signal?: AbortSignal): Promise<LocalRelease> {
  if (!path)
    throw new BadInputError('--tarball is required', {
      hint: 'pass the target release, e.g. --tarball ./emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz (its .sha256 sidecar must sit next to it)',
    });
  const abs = resolve(cwd, path);
  const tarball = await inspectRelease(abs, signal ? { signal } : {});
  const sidecarPath = `${abs}.sha256`;
  const bytes = await readFile(sidecarPath);
  return { tarball, sidecar: { path: sidecarPath, sha256: createHash('sha256').update(bytes).digest('hex') } };
}
