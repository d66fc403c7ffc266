import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectRelease, isReleasePart, symlinkEscapes } from '../../src/release/tarball.js';
import { BadInputError } from '../../src/util/errors.js';
import { releaseMembers, sha256, tarGz, writeRelease } from './fixtures.js';

const NAME = 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'emqx-rollout-tarball-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** A fresh directory per tarball: the sidecar is found by name next to it. */
const dir = () => {
  const d = path.join(tmp, String(n++));
  mkdirSync(d, { recursive: true });
  return d;
};

async function failure(p: Promise<unknown>): Promise<BadInputError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(BadInputError);
  const b = e as BadInputError;
  expect(b.kind).toBe('bad-input');
  expect(b.hint).toBeTruthy();
  return b;
}

describe('inspectRelease: good tarballs', () => {
  it('reads version, os, arch, otp and the streamed sha256', async () => {
    const data = tarGz(releaseMembers());
    const r = writeRelease(dir(), NAME, data);
    const progress: number[] = [];
    const info = await inspectRelease(r.tarball, { onProgress: (b) => progress.push(b) });
    expect(info).toEqual({
      path: r.tarball,
      fileName: NAME,
      sha256: sha256(data),
      size: data.length,
      version: '5.10.5',
      os: 'ubuntu22.04',
      arch: 'x86_64-pc-linux-gnu',
      otp: '27.3.4.2-8',
      uncompressedBytes: expect.any(Number),
      releaseBytes: expect.any(Number),
      emqxVars: expect.stringContaining('REL_VSN="5.10.5"'),
    });
    expect(progress.at(-1)).toBe(data.length);
  });

  it('adds up the uncompressed sizes: U (every member) and R (bin, lib, releases, erts-*)', async () => {
    const members = releaseMembers({
      extra: [
        { path: 'erts-15.2.7.2/bin/beam.smp', body: 'x'.repeat(1000) },
        { path: 'data/configs/cluster.hocon', body: 'y'.repeat(300) },
        { path: 'etc/emqx.conf', body: 'z'.repeat(20) },
      ],
    });
    const bodies = (pred: (p: string) => boolean) =>
      members.filter((m) => m.body !== undefined && pred(m.path)).reduce((n, m) => n + Buffer.byteLength(m.body!), 0);
    const r = writeRelease(dir(), NAME, tarGz(members));
    const info = await inspectRelease(r.tarball);
    expect(info.uncompressedBytes).toBe(bodies(() => true));
    expect(info.releaseBytes).toBe(bodies((p) => !/^(data|etc)\//.test(p)));
    expect(info.releaseBytes).toBe(info.uncompressedBytes! - 320);
  });

  it.each([
    ['bin/emqx', true],
    ['./lib/emqx-5.10.5/ebin/x.beam', true],
    ['releases/emqx_vars', true],
    ['erts-15.2/bin/beam.smp', true],
    ['data/x', false],
    ['etc/emqx.conf', false],
    ['dynlibs/libx.so', false],
    ['binaries/x', false],
    ['erts', false],
  ])('isReleasePart(%s) = %s', (p, want) => expect(isReleasePart(p)).toBe(want));

  it('accepts sha256sum-format sidecars, ./ prefixes, elixir and arm64 builds, untagged -g<sha>', async () => {
    const d = dir();
    const data = tarGz(releaseMembers().map((m) => ({ ...m, path: `./${m.path}` })));
    const r = writeRelease(d, NAME, data, `${sha256(data).toUpperCase()}  ${NAME}\n`);
    expect((await inspectRelease(r.tarball)).version).toBe('5.10.5');

    const ex = tarGz(
      releaseMembers({ vsn: '5.10.6', os: 'debian12', arch: 'aarch64-unknown-linux-gnu', elixir: '1.15.7' }),
    );
    const r2 = writeRelease(d, 'emqx-enterprise-5.10.6-elixir-debian12-arm64.tar.gz', ex);
    expect(await inspectRelease(r2.tarball)).toMatchObject({
      version: '5.10.6',
      os: 'debian12',
      arch: 'aarch64-unknown-linux-gnu',
    });

    const g = tarGz(releaseMembers({ vsn: '5.10.6' }));
    const r3 = writeRelease(d, 'emqx-enterprise-5.10.6-g1a2b3c4d-ubuntu22.04-amd64.tar.gz', g);
    expect((await inspectRelease(r3.tarball)).version).toBe('5.10.6');
  });

  it('reads a custom sidecar path', async () => {
    const d = dir();
    const data = tarGz(releaseMembers());
    const r = writeRelease(d, NAME, data, null);
    writeFileSync(path.join(d, 'SHA256SUMS'), `${sha256(data)}  ${NAME}\n`);
    expect((await inspectRelease(r.tarball, { sidecarPath: path.join(d, 'SHA256SUMS') })).sha256).toBe(sha256(data));
  });
});

describe('inspectRelease: refusals', () => {
  it('missing tarball', async () => {
    const p = path.join(tmp, NAME);
    const e = await failure(inspectRelease(p));
    expect(e.message).toBe(`release tarball ${p} not found`);
  });

  it('wrong name shape, before reading the content', async () => {
    const r = writeRelease(dir(), 'emqx-5.10.5.tgz', tarGz(releaseMembers()));
    const e = await failure(inspectRelease(r.tarball));
    expect(e.details).toEqual([
      'expected emqx-enterprise-<vsn>[-elixir]-<os>-<arch>.tar.gz (arch amd64|arm64|arm), found emqx-5.10.5.tgz',
    ]);
  });

  it('missing sidecar', async () => {
    const r = writeRelease(dir(), NAME, tarGz(releaseMembers()), null);
    const e = await failure(inspectRelease(r.tarball));
    expect(e.message).toBe(`sha256 sidecar ${r.tarball}.sha256 not found`);
  });

  it('sha256 mismatch names both files and both digests', async () => {
    const data = tarGz(releaseMembers());
    const wrong = 'dead'.padEnd(64, '0');
    const r = writeRelease(dir(), NAME, data, wrong);
    const e = await failure(inspectRelease(r.tarball));
    expect(e.message).toBe(`release tarball ${NAME} does not match its sha256 sidecar`);
    expect(e.details).toEqual([
      `tarball ${r.tarball}: sha256 ${sha256(data)}`,
      `sidecar ${r.sidecar}: expected ${wrong}`,
    ]);
  });

  it('name that does not match REL_VSN / BUILD_INFO', async () => {
    const d = dir();
    const r = writeRelease(d, 'emqx-enterprise-5.10.4-ubuntu22.04-amd64.tar.gz', tarGz(releaseMembers()));
    const e = await failure(inspectRelease(r.tarball));
    expect(e.message).toBe(
      'release tarball name emqx-enterprise-5.10.4-ubuntu22.04-amd64.tar.gz does not match its content',
    );
    expect(e.details).toEqual([
      `expected ${NAME} (from REL_VSN 5.10.5 and BUILD_INFO os ubuntu22.04, arch x86_64-pc-linux-gnu)`,
      'found emqx-enterprise-5.10.4-ubuntu22.04-amd64.tar.gz',
    ]);
    const r2 = writeRelease(d, 'emqx-enterprise-5.10.5-ubuntu22.04-arm64.tar.gz', tarGz(releaseMembers()));
    expect((await failure(inspectRelease(r2.tarball))).details[0]).toBe(
      `expected ${NAME} (from REL_VSN 5.10.5 and BUILD_INFO os ubuntu22.04, arch x86_64-pc-linux-gnu)`,
    );
    const r3 = writeRelease(d, 'emqx-enterprise-5.10.5-elixir-ubuntu22.04-amd64.tar.gz', tarGz(releaseMembers()));
    await failure(inspectRelease(r3.tarball));
  });

  it('absolute member path', async () => {
    const r = writeRelease(dir(), NAME, tarGz(releaseMembers({ extra: [{ path: '/etc/cron.d/x', body: 'x' }] })));
    const e = await failure(inspectRelease(r.tarball));
    expect(e.message).toBe(`release tarball ${r.tarball} has an unsafe member`);
    expect(e.details).toEqual([
      'expected relative member paths without ".." and links that stay inside, found "/etc/cron.d/x"',
    ]);
  });

  it('".." member path, and a hard link escaping', async () => {
    const d = dir();
    const r = writeRelease(d, NAME, tarGz(releaseMembers({ extra: [{ path: 'lib/../../evil', body: 'x' }] })));
    expect((await failure(inspectRelease(r.tarball))).details).toEqual([
      'expected relative member paths without ".." and links that stay inside, found "lib/../../evil"',
    ]);
    const r2 = writeRelease(
      d,
      NAME,
      tarGz(releaseMembers({ extra: [{ path: 'bin/x', type: 'Link', linkpath: '../../etc/shadow' }] })),
    );
    expect((await failure(inspectRelease(r2.tarball))).details).toEqual([
      'expected relative member paths without ".." and links that stay inside, found "bin/x"',
    ]);
  });

  it('symbolic links pointing out of the tree (absolute, or climbing above the root); links inside pass', async () => {
    const d = dir();
    const abs = writeRelease(
      d,
      NAME,
      tarGz(releaseMembers({ extra: [{ path: 'bin/sh', type: 'SymbolicLink', linkpath: '/bin/sh' }] })),
    );
    expect((await failure(inspectRelease(abs.tarball))).details).toEqual([
      'expected relative member paths without ".." and links that stay inside, found "bin/sh -> /bin/sh"',
    ]);
    const up = writeRelease(
      d,
      NAME,
      tarGz(releaseMembers({ extra: [{ path: 'lib/a/x', type: 'SymbolicLink', linkpath: '../../../etc/passwd' }] })),
    );
    expect((await failure(inspectRelease(up.tarball))).details).toEqual([
      'expected relative member paths without ".." and links that stay inside, found "lib/a/x -> ../../../etc/passwd"',
    ]);
    // `lib/a/x -> ../../bin/emqx` resolves to bin/emqx: inside, as real releases have
    const ok = writeRelease(
      d,
      NAME,
      tarGz(releaseMembers({ extra: [{ path: 'lib/a/x', type: 'SymbolicLink', linkpath: '../../bin/emqx' }] })),
    );
    expect((await inspectRelease(ok.tarball)).version).toBe('5.10.5');
  });

  it('symlinkEscapes, by the numbers', () => {
    expect(symlinkEscapes('a/b', '../c')).toBe(false); // a/../c = c
    expect(symlinkEscapes('a/b', '../../c')).toBe(true);
    expect(symlinkEscapes('./a/b', '../../c')).toBe(true);
    expect(symlinkEscapes('b', '..')).toBe(true);
    expect(symlinkEscapes('a/b', 'c/../../..')).toBe(true);
    expect(symlinkEscapes('a/b', '/etc')).toBe(true);
    expect(symlinkEscapes('a/b', 'c')).toBe(false);
  });

  it('a REL_VSN that is not a version, and shell syntax in the file name, are refused before anything else', async () => {
    const d = dir();
    const r = writeRelease(d, NAME, tarGz(releaseMembers({ varsLine: 'REL_VSN="5.10.5$(touch /tmp/x)"' })));
    const e = await failure(inspectRelease(r.tarball));
    expect(e.message).toBe(`release tarball ${r.tarball}: releases/emqx_vars has an invalid REL_VSN`);
    expect(e.details[0]).toContain('found "5.10.5$(touch /tmp/x)"');
    const bad = writeRelease(d, 'emqx-enterprise-5.10.5;id-ubuntu22.04-amd64.tar.gz', tarGz(releaseMembers()));
    expect((await failure(inspectRelease(bad.tarball))).message).toBe(
      `release tarball ${bad.tarball} has an unexpected name`,
    );
  });

  it('a top-level folder', async () => {
    const r = writeRelease(dir(), NAME, tarGz(releaseMembers({ prefix: 'emqx/' })));
    const e = await failure(inspectRelease(r.tarball));
    expect(e.message).toBe(`release tarball ${r.tarball} is not an EMQX release in the official layout`);
    expect(e.details).toEqual([
      'expected releases/emqx_vars at the top level (the official tarball has no top-level folder), found emqx/releases/emqx_vars',
    ]);
    expect(e.hint).toContain('tar -zcf');
  });

  it('not a release at all, no REL_VSN, no BUILD_INFO for the version', async () => {
    const d = dir();
    const r = writeRelease(d, NAME, tarGz([{ path: 'README', body: 'hi' }]));
    expect((await failure(inspectRelease(r.tarball))).details).toEqual([
      'expected releases/emqx_vars (it names the target version), found no such member',
    ]);
    const r2 = writeRelease(d, NAME, tarGz(releaseMembers({ varsLine: 'REL_VSN=5.10.5' })));
    expect((await failure(inspectRelease(r2.tarball))).details).toEqual([
      'expected a line REL_VSN="<version>" (the node reads the target version from it), found none',
    ]);
    const members = releaseMembers({ vsn: '5.10.5' }).filter((m) => !m.path.endsWith('BUILD_INFO'));
    members.push({ path: 'releases/5.10.4/BUILD_INFO', body: 'os: "x"\n' });
    const r3 = writeRelease(d, NAME, tarGz(members));
    expect((await failure(inspectRelease(r3.tarball))).details).toEqual([
      'expected releases/5.10.5/BUILD_INFO (REL_VSN is 5.10.5), found releases/5.10.4/BUILD_INFO',
    ]);
  });

  it('truncated or non-gzip files whose sidecar matches', async () => {
    const d = dir();
    const data = tarGz(releaseMembers({ extra: [{ path: 'lib/big.bin', body: Buffer.alloc(200_000, 7) }] }));
    const r = writeRelease(d, NAME, data);
    truncateSync(r.tarball, Math.floor(data.length / 2));
    const cut = readFileSync(r.tarball);
    writeFileSync(r.sidecar, sha256(cut));
    const e = await failure(inspectRelease(r.tarball));
    expect(e.message).toBe(`release tarball ${r.tarball} is not a readable gzip'd tar`);
    expect(e.details[1]).toBe('its sha256 matches the sidecar, so the published file itself is not a tarball');

    const junk = Buffer.from('this is not a tarball at all, just text\n'.repeat(100));
    const r2 = writeRelease(d, NAME, junk);
    expect((await failure(inspectRelease(r2.tarball))).message).toBe(
      `release tarball ${r2.tarball} is not a readable gzip'd tar`,
    );
  });

  it('honours an abort signal', async () => {
    const r = writeRelease(dir(), NAME, tarGz(releaseMembers()));
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(inspectRelease(r.tarball, { signal: ac.signal })).rejects.toThrow('stop');
  });
});
