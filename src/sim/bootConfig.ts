// What bin/emqx works out before it boots the VM (bin/emqx@416bc5c:491-616, 1121-1127; facts A3):
// the data dir (`EMQX_NODE__DATA_DIR`, else `node.data_dir` of `$EMQX_ETC_DIR/emqx.conf`; a relative
// value is prefixed with BASE_RUNNER_ROOT_DIR) and the beam's command line, whose last argument pair
// `-emqx_data_dir <abs dir>` is how bin/emqx itself — and anyone reading `ps -efww` or
// /proc/<pid>/cmdline — finds the running node's data dir. Pure functions, import-light: every
// `bin/emqx` call loads this file.
import { join } from 'node:path';

/** `die "emqx.conf is not found in $EMQX_ETC_DIR" 1` → logerr (stderr; no colour with TERM=dumb/unset). */
export const etcNotFound = (etcDir: string): string => `ERROR: emqx.conf is not found in ${etcDir}\n`;

/** `node.data_dir` of an emqx.conf (HOCON `node { data_dir = "…" }` or `node.data_dir = …`), or null. */
export function confDataDir(conf: string): string | null {
  const flat = /^\s*node\.data_dir\s*[=:]\s*"?([^"\n]*?)"?\s*$/m.exec(conf);
  if (flat) return flat[1];
  const block = /(^|\n)\s*node\s*\{([^}]*)\}/.exec(conf);
  const inner = block ? /^\s*data_dir\s*[=:]\s*"?([^"\n]*?)"?\s*$/m.exec(block[2]) : null;
  return inner ? inner[1] : null;
}

/** DATA_DIR of bin/emqx: env override, else emqx.conf, else "data"; no trailing `/`; relative → base root. */
export function bootDataDir(env: NodeJS.ProcessEnv, conf: string, baseRoot: string): string {
  let d = env.EMQX_NODE__DATA_DIR || confDataDir(conf) || 'data';
  d = d.replace(/\/+$/, '') || '/';
  return d.startsWith('/') ? d : join(baseRoot, d);
}

const two = (n: number): string => String(n).padStart(2, '0');

/** The daemon's argv after `__daemon`, shaped like the beam's (`-root <base>` … `-emqx_data_dir <dir>`). */
export function daemonArgs(o: {
  baseRoot: string;
  runnerRoot: string;
  name: string;
  dataDir: string;
  vsn: string;
  now: Date;
}): { argv: string[]; configFile: string; argsFile: string } {
  const d = o.now;
  const ts =
    `${d.getFullYear()}.${two(d.getMonth() + 1)}.${two(d.getDate())}.${two(d.getHours())}.` +
    `${two(d.getMinutes())}.${two(d.getSeconds())}`;
  const configFile = join(o.dataDir, 'configs', `app.${ts}.config`);
  const argsFile = join(o.dataDir, 'configs', `vm.${ts}.args`);
  const argv = [
    '-root',
    o.baseRoot,
    '-progname',
    'erl',
    '-boot',
    join(o.runnerRoot, 'releases', o.vsn, 'start'),
    '-mode',
    'embedded',
    '-boot_var',
    'ERTS_LIB_DIR',
    join(o.runnerRoot, 'lib'),
    '-mnesia',
    'dir',
    `"${join(o.dataDir, 'mnesia', o.name)}"`,
    '-config',
    configFile,
    '-args_file',
    argsFile,
    '-name',
    o.name,
    '--',
    '-ekka_proto_dist',
    'inet_tcp',
    '-emqx_data_dir',
    o.dataDir,
  ];
  return { argv, configFile, argsFile };
}
