// A real EMQX Enterprise release tarball, shaped like the official one (facts §4): gzip tar, no
// top-level directory, no `./` prefix; `releases/emqx_vars`, `releases/<vsn>/BUILD_INFO`,
// `lib/mnesia-*/ebin/mnesia_hook.beam`, … Its bin/emqx is the simulator's wrapper script.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import * as tar from 'tar';
import { nodeBinPath, simCliPath } from './simPaths.js';
import { wrapperScript } from './wrapperScript.js';

export interface TarballOptions {
  readonly version: string;
  readonly outDir: string;
  readonly os?: string;
  readonly arch?: string;
  readonly buildArch?: string;
  readonly erlang?: string;
  readonly erts?: string;
  /** Size of an incompressible `lib/emqx_pad-1/priv/pad.bin` (benchmarks: 256 MB tarballs). */
  readonly padBytes?: number;
  /** 'bare' = 64 hex, no newline (official); 'sha256sum' = `<hex>  <name>\n`. */
  readonly sidecar?: 'bare' | 'sha256sum';
  /** A deb-form tree (releases/emqx_vars with these values, BUILD_INFO relform "deb"); default tgz. */
  readonly pkg?: PkgVars;
}

export interface TarballResult {
  readonly tarballPath: string;
  readonly sidecarPath: string;
  readonly sha256: string;
  readonly size: number;
  readonly fileName: string;
}

export const tarballFileName = (vsn: string, os = 'ubuntu22.04', arch = 'amd64'): string =>
  `emqx-enterprise-${vsn}-${os}-${arch}.tar.gz`;

/**
 * The values a deb/rpm (relx `pkg`) build bakes into `releases/emqx_vars` (facts A3): absolute etc and
 * log dirs, `RUNNER_USER="emqx"` and `RUNNER_BIN_DIR="/usr/bin"`. The simulator passes the sandbox's
 * stand-ins for those directories (several nodes share one machine).
 */
export interface PkgVars {
  readonly etcDir: string;
  readonly logDir: string;
  readonly runnerUser: string;
  readonly binDir: string;
}

export function emqxVars(vsn: string, erts: string, pkg?: PkgVars): string {
  const binDir = pkg ? pkg.binDir : '$RUNNER_ROOT_DIR/bin';
  const logDir = pkg ? pkg.logDir : '$BASE_RUNNER_ROOT_DIR/log';
  const etcDir = pkg ? pkg.etcDir : '$BASE_RUNNER_ROOT_DIR/etc';
  return `######################################################################
## NOTE: Do NOT replace this file during release upgrade.
##       Update the vars to the end of this file instead.
######################################################################
## constants from relx template
REL_VSN="${vsn}"
ERTS_VSN="${erts}"
ERL_OPTS=""
RUNNER_BIN_DIR="${binDir}"
RUNNER_LIB_DIR="$RUNNER_ROOT_DIR/lib"
IS_ELIXIR="\${IS_ELIXIR:-no}"
## Allow users to pre-set \`EMQX_LOG_DIR\` because it only affects boot commands like \`start\` and \`console\`,
## but not other commands such as \`ping\` and \`ctl\`.
## RUNNER_LOG_DIR is kept for backward compatibility.
export EMQX_LOG_DIR="\${EMQX_LOG_DIR:-\${RUNNER_LOG_DIR:-${logDir}}}"
EMQX_ETC_DIR="${etcDir}"
RUNNER_USER="${pkg ? pkg.runnerUser : ''}"
SCHEMA_MOD="emqx_enterprise_schema"
IS_ENTERPRISE="yes"
## Do not change EMQX_DEFAULT_ERLANG_COOKIE.
## Configure EMQX_NODE_COOKIE instead
EMQX_DEFAULT_ERLANG_COOKIE='emqxsecretcookie'
REL_NAME="emqx"
export EMQX_DESCRIPTION='EMQX Enterprise'

## updated vars here
`;
}

export function buildInfo(o: { buildArch: string; os: string; erlang: string; relform?: string }): string {
  const relform = o.relform ?? 'tgz';
  return `arch: "${o.buildArch}"\nwordsize: 64\nos: "${o.os}"\nerlang: "${o.erlang}"\nelixir: "none"\nrelform: "${relform}"\n`;
}

// A few real-looking OTP/EMQX apps; the simulator only needs their presence.
const APPS = (vsn: string): Array<[string, string]> => [
  ['kernel-10.2.7.2', 'kernel'],
  ['stdlib-6.2.2.2', 'stdlib'],
  ['mnesia-4.23.5.1', 'mnesia'],
  [`emqx-${vsn}`, 'emqx'],
  [`emqx_management-${vsn}`, 'emqx_management'],
  [`emqx_plugins-${vsn}`, 'emqx_plugins'],
];

function relFile(vsn: string, erts: string): string {
  const apps = APPS(vsn)
    .map(([dir, app]) => `{${app},"${dir.slice(app.length + 1)}"}`)
    .join(',\n   ');
  return `{release,{"emqx","${vsn}"},\n  {erts,"${erts}"},\n  [${apps}]}.\n`;
}

async function put(root: string, rel: string, content: string | Buffer, mode = 0o644): Promise<void> {
  const p = join(root, rel);
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, content);
  await chmod(p, mode);
}

async function writePad(path: string, bytes: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const ws = createWriteStream(path);
  const CHUNK = 4 << 20; // 4 MiB of randomness per write keeps memory flat for 256 MB pads
  for (let left = bytes; left > 0; left -= CHUNK) {
    if (!ws.write(randomBytes(Math.min(CHUNK, left)))) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Writes the release tree of `version` into `root` (also used to install a node directly). */
export async function writeReleaseTree(
  root: string,
  o: Required<Omit<TarballOptions, 'outDir' | 'padBytes' | 'sidecar' | 'pkg'>> & { padBytes: number; pkg?: PkgVars },
): Promise<void> {
  const { version: vsn, erts } = o;
  const sh = (body: string): string => `#!/bin/sh\n${body}\n`;
  await put(root, 'bin/emqx', wrapperScript(nodeBinPath(), simCliPath()), 0o755);
  await put(root, 'bin/emqx_ctl', sh('exec "$(dirname "$0")/emqx" ctl "$@"'), 0o755);
  await put(
    root,
    'bin/nodetool',
    sh('# relx nodetool (simulated release: the node answers through bin/emqx)\nexit 1'),
    0o755,
  );
  await put(root, 'bin/emqx_cluster_rescue', sh('echo "not supported by the simulator" >&2; exit 1'), 0o755);
  await put(root, 'bin/node_dump', sh('echo "not supported by the simulator" >&2; exit 1'), 0o755);
  await put(root, 'bin/emqx_fw', sh('exit 0'), 0o755);
  await put(
    root,
    `erts-${erts}/bin/erl`,
    sh(`echo "Erlang/OTP ${o.erlang.split('.')[0]} [erts-${erts}] (simulated)"`),
    0o755,
  );
  await put(root, `erts-${erts}/bin/beam.smp`, 'simulated beam\n', 0o755);
  for (const [dir, app] of APPS(vsn)) {
    await put(root, `lib/${dir}/ebin/${app}.app`, `{application,${app},[{vsn,"${dir.slice(app.length + 1)}"}]}.\n`);
  }
  await put(root, `lib/emqx-${vsn}/ebin/emqx_release.beam`, `FOR1 emqx_release ${vsn}\n`);
  await put(root, 'lib/mnesia-4.23.5.1/ebin/mnesia_hook.beam', 'FOR1 mnesia_hook (EMQX OTP fork sentinel)\n');
  if (o.padBytes > 0) await writePad(join(root, 'lib/emqx_pad-1/priv/pad.bin'), o.padBytes);
  await put(root, 'releases/emqx_vars', emqxVars(vsn, erts, o.pkg));
  await put(root, 'releases/start_erl.data', `${erts} ${vsn}\n`);
  await put(root, 'releases/RELEASES', `[{release,"emqx","${vsn}","${erts}",[],permanent}].\n`);
  await put(root, 'releases/emqx.rel', relFile(vsn, erts));
  await put(root, `releases/${vsn}/BUILD_INFO`, buildInfo({ ...o, relform: o.pkg ? 'deb' : 'tgz' }));
  await put(root, `releases/${vsn}/emqx.rel`, relFile(vsn, erts));
  for (const boot of ['start.boot', 'start_clean.boot', 'no_dot_erlang.boot'])
    await put(root, `releases/${vsn}/${boot}`, 'simulated boot script\n');
  await put(root, `releases/${vsn}/vm.args`, '-name emqx@127.0.0.1\n');
  await put(
    root,
    'etc/emqx.conf',
    'node {\n  name = "emqx@127.0.0.1"\n  cookie = "emqxsecretcookie"\n  data_dir = "data"\n}\n\ncluster {\n  name = emqxcl\n  discovery_strategy = manual\n}\n\ndashboard {\n  listeners.http {\n    bind = 18083\n  }\n}\n',
  );
  await put(root, 'etc/base.hocon', '## base config (simulated)\n');
  await put(root, 'etc/vm.args', '## vm.args (simulated)\n');
  await put(root, 'etc/acl.conf', '{allow, all}.\n');
  for (const d of ['data/configs', 'data/mnesia', 'data/patches', 'data/scripts', 'log', 'plugins', 'relup']) {
    await mkdir(join(root, d), { recursive: true });
  }
}

export async function buildReleaseTarball(opts: TarballOptions): Promise<TarballResult> {
  const o = {
    version: opts.version,
    os: opts.os ?? 'ubuntu22.04',
    arch: opts.arch ?? 'amd64',
    buildArch: opts.buildArch ?? 'x86_64-pc-linux-gnu',
    erlang: opts.erlang ?? '27.3.4.2-8',
    erts: opts.erts ?? '15.2.7.2',
    padBytes: opts.padBytes ?? 0,
    pkg: opts.pkg,
  };
  const fileName = tarballFileName(o.version, o.os, o.arch);
  await mkdir(opts.outDir, { recursive: true });
  const tarballPath = join(opts.outDir, fileName);
  const sidecarPath = `${tarballPath}.sha256`;
  const stage = await mkdtemp(join(tmpdir(), 'emqx-sim-rel-'));
  try {
    await writeReleaseTree(stage, o);
    const top = (await readdir(stage)).sort();
    // `tar -zcf … -- *` in the official build: members have no top dir and no ./ prefix.
    // gzip level 1 for big pads: random bytes don't compress anyway and level 6 costs ~3× the time.
    await tar.c({ gzip: { level: o.padBytes > 1 << 20 ? 1 : 6 }, cwd: stage, file: tarballPath, portable: true }, top);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  const sha256 = await sha256File(tarballPath);
  await writeFile(sidecarPath, opts.sidecar === 'sha256sum' ? `${sha256}  ${fileName}\n` : sha256);
  const { size } = await stat(tarballPath);
  return { tarballPath, sidecarPath, sha256, size, fileName };
}
