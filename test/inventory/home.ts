// A throwaway operator home for inventory tests: ~/.ssh with a known_hosts and a key pair
// (fake contents — the inventory only checks that local files are readable).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempHome {
  readonly home: string;
  cleanup(): void;
}

export function makeHome(): TempHome {
  const home = mkdtempSync(path.join(os.tmpdir(), 'emqx-rollout-inv-home-'));
  mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(path.join(home, '.ssh', 'known_hosts'), '10.0.0.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake\n');
  writeFileSync(
    path.join(home, '.ssh', 'id_ed25519'),
    '-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n',
    { mode: 0o600 },
  );
  writeFileSync(path.join(home, '.ssh', 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake test\n');
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}
