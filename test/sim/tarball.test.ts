// The release tarball has the official layout and sidecar formats (facts §4).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildReleaseTarball } from '../../src/sim/tarball.js';
import { ensureBuilt } from './helpers.js';

let dir: string;
beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sim-tarball-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function members(file: string): Promise<Map<string, { mode: number; body: string }>> {
  const m = new Map<string, { mode: number; body: string }>();
  await tar.t({
    file,
    onReadEntry: (e) => {
      const chunks: Buffer[] = [];
      e.on('data', (c: Buffer) => chunks.push(c));
      e.on('end', () => m.set(e.path, { mode: e.mode ?? 0, body: Buffer.concat(chunks).toString('latin1') }));
    },
  });
  return m;
}

it('official name, no top dir or ./ prefix, emqx_vars/BUILD_INFO/start_erl.data, bare sidecar', async () => {
  const r = await buildReleaseTarball({ version: '5.10.5', outDir: dir });
  expect(r.fileName).toBe('emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz');
  const bytes = await readFile(r.tarballPath);
  expect(bytes.subarray(0, 2).toString('hex')).toBe('1f8b'); // gzip
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(r.sha256);
  expect(await readFile(r.sidecarPath, 'utf8')).toBe(r.sha256); // 64 hex, no newline, no name
  const m = await members(r.tarballPath);
  const names = [...m.keys()];
  expect(names.every((p) => !p.startsWith('./') && !p.startsWith('/'))).toBe(true);
  expect(new Set(names.map((p) => p.split('/')[0]))).toEqual(
    new Set(['bin', 'data', 'erts-15.2.7.2', 'etc', 'lib', 'log', 'plugins', 'releases', 'relup']),
  );
  for (const p of [
    'data/patches/',
    'data/mnesia/',
    'relup/',
    'lib/mnesia-4.23.5.1/ebin/mnesia_hook.beam',
    'releases/5.10.5/emqx.rel',
    'bin/nodetool',
  ]) {
    expect(names).toContain(p);
  }
  expect(m.get('bin/emqx')!.mode & 0o111).toBe(0o111);
  expect(m.get('bin/emqx')!.body).toMatch(/^#!\/bin\/sh\n/);
  expect(m.get('releases/emqx_vars')!.body).toMatch(/^REL_VSN="5\.10\.5"$/m);
  expect(m.get('releases/start_erl.data')!.body).toBe('15.2.7.2 5.10.5\n');
  expect(m.get('releases/5.10.5/BUILD_INFO')!.body).toBe(
    'arch: "x86_64-pc-linux-gnu"\nwordsize: 64\nos: "ubuntu22.04"\nerlang: "27.3.4.2-8"\nelixir: "none"\nrelform: "tgz"\n',
  );
});

it('sha256sum sidecar, other os/arch, and an incompressible pad', async () => {
  const r = await buildReleaseTarball({
    version: '5.10.6',
    outDir: join(dir, 'b'),
    os: 'el9',
    arch: 'arm64',
    sidecar: 'sha256sum',
    padBytes: 3 << 20,
  });
  expect(r.fileName).toBe('emqx-enterprise-5.10.6-el9-arm64.tar.gz');
  expect(await readFile(r.sidecarPath, 'utf8')).toBe(`${r.sha256}  ${r.fileName}\n`);
  expect(r.size).toBeGreaterThan(3 << 20);
  const m = await members(r.tarballPath);
  expect(m.get('lib/emqx_pad-1/priv/pad.bin')!.body.length).toBe(3 << 20);
});
