// Local (bastion-side) paths in the inventory: identityFile and knownHosts.
// Choice, documented in inventories/example.yaml: `~` and `~/…` expand to env.home; a relative path
// is relative to the directory of the inventory file (not the shell's cwd), so an inventory
// checked into a repository next to its keys works from anywhere.
import path from 'node:path';

export type LocalPath = { ok: true; path: string } | { ok: false; message: string };

export function resolveLocalPath(p: string, home: string, inventoryDir: string): LocalPath {
  if (p === '') return { ok: false, message: 'expected a file path, found ""' };
  if (p.includes('\0')) return { ok: false, message: 'expected a file path, found a NUL byte' };
  if (p === '~') return { ok: true, path: path.resolve(home) };
  if (p.startsWith('~/')) return { ok: true, path: path.resolve(home, p.slice(2)) };
  if (p.startsWith('~'))
    return { ok: false, message: `expected ~/… or a plain path, found "${p}" (~user is not expanded)` };
  return { ok: true, path: path.resolve(inventoryDir, p) };
}
