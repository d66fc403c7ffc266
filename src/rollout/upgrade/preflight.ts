// Preflight: pure judgement of observed facts. Every blocker is found here, before anything on any
// node changes. A finding has a stable code (scripts key on it), a message naming the node, and a fix.
import { otpMajor } from '../../release/buildInfo.js';
import { classifyHop } from '../../emqx/version.js';
import { detectTransient } from '../../emqx/parse/transient.js';
import type { Inventory } from '../../inventory/types.js';
import { pluginOf, type NodeFacts } from '../core/facts.js';
import type { Finding, TarballInfo } from '../core/types.js';
import { privilegeFinding, relupTreeLayoutWarning, workspaceFindings } from './realInstall.js';

export interface PreflightOptions {
  /** `relup upgrade --force`: proceed although data/patches/ holds *.beam hot-patches. */
  readonly force: boolean;
  /** `--no-backup`: backupDir is not needed. */
  readonly noBackup?: boolean;
}

/**
 * Disk needed on the node, in bytes. The handler reads the tarball, keeps an extracted copy in
 * $TMPDIR/emqx_relup_<hash16> and deploys another copy to relup/<vsn>/ (facts §6.11: "budget about
 * 3x"). A 300 MB tarball not yet staged therefore needs 300 MB (upload) + 900 MB = 1.2 GB free.
 */
export function requiredFreeBytes(tarballSize: number, alreadyStaged: boolean): number {
  return (alreadyStaged ? 0 : tarballSize) + 3 * tarballSize;
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MB`;

function blocker(code: string, node: string | undefined, message: string, fix: string): Finding {
  return { code, severity: 'blocker', ...(node ? { node } : {}), message, fix };
}
function warning(code: string, node: string | undefined, message: string, fix?: string): Finding {
  return { code, severity: 'warning', ...(node ? { node } : {}), message, ...(fix ? { fix } : {}) };
}
function info(code: string, node: string | undefined, message: string): Finding {
  return { code, severity: 'info', ...(node ? { node } : {}), message };
}

/** The version every not-yet-upgraded node runs, if they agree (the most common one otherwise). */
export function commonFrom(facts: readonly NodeFacts[], target: string): string | null {
  const counts = new Map<string, number>();
  for (const f of facts) if (f.version && f.version !== target) counts.set(f.version, (counts.get(f.version) ?? 0) + 1);
  let best: string | null = null;
  let n = 0;
  for (const [v, c] of counts) if (c > n) [best, n] = [v, c];
  return best;
}

export function preflight(
  inv: Inventory,
  tarball: TarballInfo,
  facts: readonly NodeFacts[],
  opts: PreflightOptions,
): Finding[] {
  const out: Finding[] = [];
  const target = tarball.version;
  const from = commonFrom(facts, target);
  const names = new Set(inv.nodes.map((n) => n.name));

  for (const f of facts) {
    const spec = inv.nodes.find((n) => n.name === f.node)!;
    if (!f.reachable) {
      const u = f.unreachable!;
      // The evidence (offered key + fingerprint, the known_hosts line to add) is what the operator
      // acts on; the last detail is the remote layer's hint, used as the fix.
      const evidence = u.details
        .slice(0, -1)
        .map((d) => d.trim())
        .filter(Boolean);
      out.push(
        blocker(
          u.code,
          f.node,
          `${f.node} (${f.host}:${spec.port}) is not reachable over SSH: ${u.message}${evidence.length ? `; ${evidence.map((d, i) => (i > 0 && evidence[i - 1].endsWith(':') ? ` ${d}` : `${i > 0 ? '; ' : ''}${d}`)).join('')}` : ''}`,
          u.details.at(-1) ?? 'check the host, port, user, key and known_hosts in the inventory',
        ),
      );
      continue;
    }
    if (f.privilege) {
      // sudo or check_user refused: every other answer from this node is that refusal again.
      out.push(privilegeFinding(spec, f.privilege));
      continue;
    }
    if (f.ctl?.kind === 'down') {
      out.push(
        blocker(
          'node-not-running',
          f.node,
          `${f.node}: EMQX is not running (${f.ctl.message})`,
          `start it (${spec.rootDir}/bin/emqx start) and re-run`,
        ),
      );
      continue;
    }
    const raw = f.ctl?.kind === 'unrecognised' ? f.ctl.raw.replace(/\n?\[exit [^\]]*\]$/, '') : '';
    if (f.ctl?.kind !== 'running' && detectTransient(raw, 1)) {
      // `Command table is initializing.` / no commands yet (facts A5): a node still booting.
      out.push(
        blocker(
          'node-booting',
          f.node,
          `${f.node}: EMQX is still booting (\`emqx ctl status\` says ${JSON.stringify(raw.trim().slice(0, 80))})`,
          'wait until `emqx ctl status` reports the node started, then re-run',
        ),
      );
      continue;
    }
    if (f.ctl?.kind !== 'running') {
      out.push(
        blocker(
          'status-unrecognised',
          f.node,
          `${f.node}: \`emqx ctl status\` printed something unrecognised: ${JSON.stringify(f.ctl?.kind === 'unrecognised' ? f.ctl.raw.slice(0, 200) : '')}`,
          `check ${spec.rootDir}/bin/emqx on the node`,
        ),
      );
      continue;
    }
    if (f.ctl.node !== f.node) {
      out.push(
        blocker(
          'node-name-mismatch',
          f.node,
          `${f.host} reports node name ${f.ctl.node}, but the inventory calls it ${f.node}`,
          'fix the node name (or host) in the inventory so each entry points at the node it names',
        ),
      );
    }
    if (f.ctl.status !== 'started') {
      out.push(
        blocker(
          'node-not-started',
          f.node,
          `${f.node} is ${f.ctl.status}, not started`,
          'wait until the node reports `is started`, then re-run',
        ),
      );
    }
    const v = f.version!;
    const atTarget = v === target;
    if (atTarget) {
      out.push(info('already-at-target', f.node, `${f.node} already runs ${target}: it will be skipped`));
    } else {
      if (from && v !== from) {
        out.push(
          blocker(
            'version-mismatch',
            f.node,
            `${f.node} runs ${v} but the other nodes run ${from}; a rollout needs one common from-version`,
            `bring ${f.node} to ${from} (or to ${target}) first`,
          ),
        );
      }
      const hop = classifyHop(v, target);
      if (hop.kind !== 'patch-hop') {
        out.push(
          blocker(
            'hop-not-patch',
            f.node,
            `${f.node}: ${v} → ${target} is not a patch hop: ${hop.reason}`,
            'hot upgrade covers patch hops only (5.10.4 → 5.10.5); use a regular rolling upgrade for anything else',
          ),
        );
      }
      for (const w of hop.warnings) out.push(warning('version-prerelease', f.node, `${f.node}: ${w}`));
    }

    const plugin = pluginOf(f);
    if (f.plugins === null && f.supportedPathsKind !== 'paths') {
      out.push(
        blocker(
          'plugin-unknown',
          f.node,
          `${f.node}: could not read \`emqx ctl plugins list\``,
          'check the node and re-run',
        ),
      );
    } else if (!plugin && f.supportedPathsKind !== 'paths') {
      out.push(
        blocker(
          'plugin-missing',
          f.node,
          `${f.node}: the emqx_relup plugin is not installed`,
          'install the emqx_relup plugin matching this EMQX version (Dashboard → Plugins) and make sure it is running',
        ),
      );
    } else if (plugin && plugin.runningStatus !== 'running') {
      out.push(
        blocker(
          'plugin-not-running',
          f.node,
          `${f.node}: plugin emqx_relup-${plugin.relVsn} is ${plugin.runningStatus}, not running`,
          `start it: ${spec.rootDir}/bin/emqx ctl plugins start emqx_relup-${plugin.relVsn}`,
        ),
      );
    } else if (f.supportedPathsKind === 'not-registered') {
      out.push(
        blocker(
          'plugin-not-running',
          f.node,
          `${f.node}: \`emqx ctl relup\` is not registered (plugin not running)`,
          'start the emqx_relup plugin on this node',
        ),
      );
    }

    if (!atTarget && f.supportedPaths) {
      const ok = f.supportedPaths.some((p) => p.from === v && p.to === target);
      if (!ok) {
        const listed = f.supportedPaths.length
          ? f.supportedPaths.map((p) => `${p.from} -> ${p.to}`).join(', ')
          : 'none';
        out.push(
          blocker(
            'hop-unsupported',
            f.node,
            `${f.node}: the relup plugin${plugin ? ` ${plugin.relVsn}` : ''} does not list ${v} -> ${target} (supported: ${listed})`,
            'install the emqx_relup plugin version that ships this hop (e.g. 1.0.1 for 5.10.4 -> 5.10.5)',
          ),
        );
      }
    }

    if (!atTarget) {
      if (f.buildInfo) {
        if (f.buildInfo.os !== tarball.os)
          out.push(
            blocker(
              'tarball-os-mismatch',
              f.node,
              `${f.node} runs an ${f.buildInfo.os} build but the tarball is for ${tarball.os}`,
              `use the emqx-enterprise-${target}-${f.buildInfo.os}-<arch>.tar.gz package`,
            ),
          );
        if (f.buildInfo.arch !== tarball.arch)
          out.push(
            blocker(
              'tarball-arch-mismatch',
              f.node,
              `${f.node} is ${f.buildInfo.arch} but the tarball is built for ${tarball.arch}`,
              'use the tarball built for this architecture',
            ),
          );
        if (otpMajor(f.buildInfo.otp) !== otpMajor(tarball.otp))
          out.push(
            blocker(
              'tarball-otp-mismatch',
              f.node,
              `${f.node} runs OTP ${f.buildInfo.otp} but the tarball is built on OTP ${tarball.otp} (majors differ)`,
              'use the official EMQX tarball for this OTP major',
            ),
          );
      } else {
        out.push(
          warning(
            'build-info-unknown',
            f.node,
            `${f.node}: could not read releases/${v}/BUILD_INFO; OS/arch/OTP compatibility not checked`,
            'the node will refuse an incompatible tarball itself (os_arch_mismatch)',
          ),
        );
      }
      const pdir = f.layout ? `${f.layout.dataDir.path}/patches` : 'data/patches';
      if (f.patches && f.patches.length > 0) {
        if (opts.force)
          out.push(
            warning(
              'stale-patches',
              f.node,
              `${f.node}: ${pdir} holds ${f.patches.join(', ')}; --force keeps them applied on top of ${target}`,
            ),
          );
        else
          out.push(
            blocker(
              'stale-patches',
              f.node,
              `${f.node}: ${pdir} holds ${f.patches.join(', ')}; they would shadow ${target}'s modules`,
              'delete them if the target already contains those fixes, or pass --force to keep them',
            ),
          );
      }
      if (f.relupWritable === false) {
        out.push(
          blocker(
            'relup-not-writable',
            f.node,
            `${f.node}: ${spec.rootDir}/relup is not a writable directory`,
            `make it writable for the EMQX user: chown emqx:emqx ${spec.rootDir}/relup`,
          ),
        );
      }
      const staged = f.stagedSha256 === tarball.sha256;
      const need = requiredFreeBytes(tarball.size, staged);
      if (f.backupWritable === false && !opts.noBackup) {
        out.push(
          blocker(
            'backup-not-writable',
            f.node,
            `${f.node}: ${spec.backupDir} cannot be created or written by ${spec.user}, so the pre-upgrade backup would fail`,
            `create it writable for ${spec.user} (mkdir -p ${spec.backupDir} && chown ${spec.user} ${spec.backupDir}), set backupDir to a writable directory, or pass --no-backup`,
          ),
        );
      }
      if (f.stagingWritable === false) {
        out.push(
          blocker(
            'staging-not-writable',
            f.node,
            `${f.node}: ${spec.stagingDir} cannot be created or written by ${spec.user}`,
            `create it writable for ${spec.user} (mkdir -p ${spec.stagingDir} && chown ${spec.user} ${spec.stagingDir}), or set stagingDir to a writable directory`,
          ),
        );
      }
      const real = workspaceFindings(spec, f, tarball, staged);
      out.push(...real);
      const layoutWarning = relupTreeLayoutWarning(spec, f, tarball);
      if (layoutWarning) out.push(layoutWarning);
      // Without the workspace probe (no sizes, an old node), the rule of thumb: 3x the tarball.
      const measured =
        f.workspace !== undefined && tarball.uncompressedBytes !== undefined && tarball.releaseBytes !== undefined;
      if (!measured && f.stagingFreeBytes !== null && f.stagingFreeBytes < need) {
        out.push(
          blocker(
            'disk-insufficient',
            f.node,
            `${f.node}: ${mb(f.stagingFreeBytes)} free at ${spec.stagingDir}, need ${mb(need)} (tarball ${mb(tarball.size)} + 3x for the extracted and deployed copies)`,
            'free disk space on the node, or point stagingDir at a larger filesystem',
          ),
        );
      }
      if (f.marker !== null) {
        out.push(
          blocker(
            'marker-present',
            f.node,
            `${f.node}: ${spec.rootDir}/relup/current already names ${f.marker} while the node runs ${v}`,
            `a hop is pending restart; restart the node or remove the marker (see \`emqx-rollout recover-boot --node ${f.node}\`)`,
          ),
        );
      }
    }
    // Facts we could not read are blockers, not passes: "can proceed" must mean "checked".
    const rs = f.relupStatus?.kind;
    if (rs !== 'idle' && rs !== 'in-progress' && rs !== 'hot-upgraded' && rs !== 'not-registered') {
      out.push(
        blocker(
          'relup-status-unknown',
          f.node,
          `${f.node}: could not read \`emqx ctl relup status\` (${rs ?? 'no answer'})`,
          'check the node and the emqx_relup plugin, then re-run',
        ),
      );
    }
    if (f.cluster?.kind !== 'cluster') {
      out.push(
        blocker(
          'cluster-status-unknown',
          f.node,
          `${f.node}: could not read \`emqx ctl cluster status --json\` (${f.cluster?.kind ?? 'no answer'})`,
          'check the node, then re-run',
        ),
      );
    }
    if (
      !atTarget &&
      f.supportedPaths === null &&
      f.supportedPathsKind !== 'not-registered' &&
      pluginOf(f)?.runningStatus === 'running'
    ) {
      out.push(
        blocker(
          'supported-paths-unknown',
          f.node,
          `${f.node}: could not read \`emqx ctl relup list-supported-paths\` (${f.supportedPathsKind ?? 'no answer'})`,
          'check the emqx_relup plugin on the node, then re-run',
        ),
      );
    }
    if (f.markerUnreadable) {
      out.push(
        blocker(
          'marker-unknown',
          f.node,
          `${f.node}: cannot tell whether ${spec.rootDir}/relup/current exists (unreadable)`,
          `make ${spec.rootDir}/relup readable for ${spec.user}, then re-run`,
        ),
      );
    }
    if (f.relupStatus?.kind === 'in-progress') {
      out.push(
        blocker(
          'upgrade-in-progress',
          f.node,
          `${f.node}: \`relup status\` says in-progress`,
          'wait for it to finish; if the VM restarted under it the row is stale: check `relup logs`, then `relup logs-clear`',
        ),
      );
    }
    if (f.cluster?.kind === 'cluster') {
      for (const r of f.cluster.running) {
        if (!names.has(r))
          out.push(
            warning(
              'node-not-in-inventory',
              r,
              `${r} is running in the cluster but is not in the inventory; it will not be upgraded`,
              'add it to the inventory, or accept a mixed-version cluster',
            ),
          );
      }
    }
  }
  // Cluster membership: every inventory node running, judged from every reachable node's view.
  for (const spec of inv.nodes) {
    const seenBy = facts
      .filter((f) => f.cluster?.kind === 'cluster' && !f.cluster.running.includes(spec.name))
      .map((f) => f.node);
    if (seenBy.length > 0) {
      out.push(
        blocker(
          'cluster-node-not-running',
          spec.name,
          `${spec.name} is not running in \`cluster status\` as seen from ${seenBy.join(', ')}`,
          'bring the node back into the cluster before rolling',
        ),
      );
    }
  }
  return dedupe(out);
}

function dedupe(fs: Finding[]): Finding[] {
  const seen = new Set<string>();
  return fs.filter((f) => {
    const k = `${f.code}|${f.node ?? ''}|${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
