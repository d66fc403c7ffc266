// The `<tarball>.sha256` sidecar, read the way the node reads it: only a leading
// `^[0-9a-fA-F]{64}` counts, lowercased (emqx_relup check_and_unpack step 3). Two formats occur:
// the official one, `sha256sum … | head -c 64` (bare hex, no newline), and full `sha256sum`
// output `<hex>  <name>` (or ` *<name>` in binary mode); when a name is present it must be the
// tarball's own, because a sidecar copied from another build is the usual cause of a mismatch.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '../util/errors.js';

export interface SidecarDigest {
  /** 64 lowercase hex characters. */
  readonly digest: string;
  /** The file name written after the digest, when there is one. */
  readonly fileName: string | undefined;
}

export function sidecarPathFor(tarballPath: string): string {
  return `${tarballPath}.sha256`;
}

/** Pure: `sidecar` and `tarballName` only name things in errors. */
export function parseSidecar(
  text: string,
  where: { readonly sidecar: string; readonly tarballName: string },
): SidecarDigest {
  const m = text.match(/^[0-9a-fA-F]{64}/);
  if (!m) {
    const found = text.length === 0 ? 'an empty file' : JSON.stringify(text.slice(0, 80).split('\n')[0]);
    throw new BadInputError(`invalid sha256 sidecar ${where.sidecar}`, {
      details: [`expected 64 hex characters at the start of the file, found ${found}`],
      hint: `recreate it: sha256sum ${where.tarballName} | head -c 64 > ${where.tarballName}.sha256`,
    });
  }
  const digest = m[0].toLowerCase();
  const rest = (text.slice(64).split('\n')[0] ?? '').replace(/\r$/, '');
  if (rest.trim() === '') return { digest, fileName: undefined };
  const named = rest.match(/^[ \t]+\*?(.+?)\s*$/);
  if (!named) {
    throw new BadInputError(`invalid sha256 sidecar ${where.sidecar}`, {
      details: [`expected the digest alone or "<digest>  <file name>", found ${JSON.stringify(m[0] + rest)}`],
      hint: `recreate it: sha256sum ${where.tarballName} | head -c 64 > ${where.tarballName}.sha256`,
    });
  }
  const fileName = named[1];
  if (path.posix.basename(fileName) !== where.tarballName) {
    throw new BadInputError(`sha256 sidecar ${where.sidecar} names another file`, {
      details: [`expected a digest of ${where.tarballName}, found one of ${fileName}`],
      hint: 'use the .sha256 published with this tarball, or recreate it from the tarball you trust',
    });
  }
  return { digest, fileName };
}

export async function readSidecar(sidecar: string, tarballName: string): Promise<SidecarDigest> {
  let text: string;
  try {
    text = await readFile(sidecar, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadInputError(
      `sha256 sidecar ${sidecar} ${code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? String(e)})`}`,
      {
        details: [
          `expected ${tarballName}.sha256 next to the tarball: the node refuses an upgrade without it (missing_sha256_sidecar)`,
        ],
        hint: `download it with the tarball, or create it from a tarball you trust: sha256sum ${tarballName} | head -c 64 > ${tarballName}.sha256`,
        cause: e,
      },
    );
  }
  return parseSidecar(text, { sidecar, tarballName });
}
