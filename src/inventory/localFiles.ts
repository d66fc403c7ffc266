// The inventory's local files, checked before anything connects: a missing key or known_hosts
// would otherwise surface as N identical connection failures, one per node.
import { open, stat } from 'node:fs/promises';
import type { Problem } from './errors.js';
import type { LocalFileRef } from './validate.js';

function usedBy(ref: LocalFileRef): string {
  return ref.nodes.length > 1 ? ` (used by ${ref.nodes.length} nodes)` : '';
}

function shown(ref: LocalFileRef): string {
  return ref.written === ref.file ? `"${ref.file}"` : `"${ref.written}" (${ref.file})`;
}

async function readable(file: string): Promise<string | undefined> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return 'is not a regular file';
    // Open and read a byte: access(R_OK) says yes to root even where the read would fail (NFS, FUSE).
    const fh = await open(file, 'r');
    try {
      await fh.read(Buffer.alloc(1), 0, 1, 0);
    } finally {
      await fh.close();
    }
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'does not exist';
    if (code === 'EACCES' || code === 'EPERM') return 'is not readable (permission denied)';
    return `cannot be read (${code ?? String(e)})`;
  }
}

export async function checkLocalFiles(refs: readonly LocalFileRef[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const ref of refs) {
    const why = await readable(ref.file);
    if (ref.kind === 'identityFile') {
      if (why)
        problems.push({
          pos: ref.pos,
          path: ref.path,
          message: `expected a readable private key file, found ${shown(ref)} which ${why}${usedBy(ref)}`,
        });
      else if (ref.file.endsWith('.pub'))
        problems.push({
          pos: ref.pos,
          path: ref.path,
          message: `expected the private key, found the public key ${shown(ref)}; drop the ".pub"`,
        });
    } else if (why) {
      problems.push({
        pos: ref.pos,
        path: ref.path,
        message: `expected a known_hosts file holding the nodes' host keys${ref.defaulted ? ' (the default)' : ''}, found ${shown(ref)} which ${why}${usedBy(ref)}; host keys are always verified — add them with ssh-keyscan after checking the fingerprints, or ${ref.setHint}`,
      });
    }
  }
  return problems;
}
