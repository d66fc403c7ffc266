// Every command builder that runs on a node, fed paths that carry shell syntax, run through a real
// /bin/sh: none may create the canary file a successful injection would create. Directory paths
// with spaces, quotes, `;`, `$(…)` and backticks are legal on a node, so they must be quoted, not
// refused (node names and hosts are refused by the inventory: test/inventory/corpus/hostile-*.yaml).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import * as cmd from '../../src/emqx/commands.js';
import type { NodeSpec } from '../../src/inventory/types.js';
import { followerCommand } from '../../src/remote/stage.js';
import { stageCommand } from '../../src/remote/stageScript.js';
import { removeCommand, stagedFiles } from '../../src/rollout/cleanup/engine.js';
import { dfNearest, stagingWritable, buildInfoAll } from '../../src/rollout/observe/node.js';
import { installProbe, removeMarkerCommand } from '../../src/rollout/recover-boot/engine.js';
import { evacuateStart, evacuateStatus, evacuateStop } from '../../src/rollout/restart/evacuation.js';
import { acquireCommand, breakCommand, readCommand, releaseCommand } from '../../src/rollout/state/lock.js';
import { backupCommand, backupName } from '../../src/rollout/upgrade/actions.js';
import { renderTemplate } from '../../src/rollout/upgrade/gates.js';

const base = mkdtempSync(join(tmpdir(), 'inject-'));
const canary = join(base, 'CANARY');
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Directory names a successful injection would turn into `touch CANARY`. */
export const PAYLOADS = [
  `with space`,
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `x; touch ${canary}; y`,
  `x' ; touch ${canary} ; echo '`,
  `x" ; touch ${canary} ; echo "`,
  `x && touch ${canary} #`,
  `x | touch ${canary}`,
  `$HOME{a,b}*?[x]`,
  `-rf --no-preserve-root`,
];

const sh = (command: string, cwd: string) =>
  promisify(execFile)('/bin/sh', ['-c', command], {
    cwd,
    timeout: 10_000,
    env: { PATH: process.env.PATH, HOME: cwd },
  }).then(
    () => 0,
    (e: { code?: number }) => e.code ?? 1,
  );

function spec(dir: string): NodeSpec {
  return {
    name: 'emqx@127.0.0.1',
    host: '127.0.0.1',
    port: 22,
    user: 'emqx',
    identityFile: undefined,
    knownHosts: '/dev/null',
    jump: [],
    rootDir: join(dir, 'root'),
    stagingDir: join(dir, 'staging'),
    backupDir: join(dir, 'backup'),
  };
}

function builders(s: NodeSpec): Array<[string, string]> {
  const tb = `${s.stagingDir}/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz`;
  const owner = { runId: 'r1', cluster: 'c', command: 'upgrade', user: 'u', host: 'h', pid: 1, startedAt: 't' };
  return [
    ['ctlStatus', cmd.ctlStatus(s.rootDir)],
    ['clusterStatus', cmd.clusterStatus(s.rootDir)],
    ['brokerStats', cmd.brokerStats(s.rootDir)],
    ['pluginsList', cmd.pluginsList(s.rootDir)],
    ['relupStatus', cmd.relupStatus(s.rootDir)],
    ['relupLogs', cmd.relupLogs(s.rootDir)],
    ['relupSupportedPaths', cmd.relupSupportedPaths(s.rootDir)],
    ['relupUpgrade', cmd.relupUpgrade(s.rootDir, tb, { force: true })],
    ['markerRead', cmd.markerRead(s.rootDir)],
    ['patchesList', cmd.patchesList(s.rootDir)],
    ['relupWritable', cmd.relupWritable(s.rootDir)],
    ['dfAvail', cmd.dfAvail(s.stagingDir)],
    ['sha256', cmd.sha256(tb)],
    ['stagingWritable', stagingWritable(s.stagingDir)],
    ['dfNearest', dfNearest(s.stagingDir)],
    ['buildInfoAll', buildInfoAll(s.rootDir)],
    ['backupCommand', backupCommand(s, backupName(s, '5.10.4', new Date(0)))],
    // nothing to back up: the error message names the path (and must not run it)
    ['backupCommand, empty root', backupCommand({ ...s, rootDir: `${s.rootDir}-empty` }, 'b.tar.gz')],
    ['lock acquire', acquireCommand(s, owner)],
    ['lock read', readCommand(s)],
    ['lock release', releaseCommand(s, 'r1')],
    ['lock break', breakCommand(s)],
    ['follower', followerCommand(`${tb}.part`, 10, 1)],
    // stdin at EOF: observes (mkdir -p of the hostile staging dir), then ends
    ['stage script', `${stageCommand(s.stagingDir, tb, `${tb}.part`, 10, 'ab'.repeat(32))} </dev/null`],
    ['cleanup remove', removeCommand(stagedFiles(s, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz'))],
    ['recover-boot probe', installProbe(s.rootDir)],
    ['recover-boot remove', removeMarkerCommand(s, '5.10.5', true)],
    ['evacuate start', evacuateStart(s.rootDir)],
    ['evacuate status', evacuateStatus(s.rootDir)],
    ['evacuate stop', evacuateStop(s.rootDir)],
    ['gate template', renderTemplate('test -d {rootDir} || echo {node} {host}', s)],
    ['restart template', renderTemplate('{rootDir}/bin/emqx stop && {rootDir}/bin/emqx start', s)],
  ];
}

describe('command builders quote every path: a hostile directory name never runs', () => {
  PAYLOADS.forEach((payload, i) => {
    it(`payload ${JSON.stringify(payload)}`, async () => {
      rmSync(canary, { force: true }); // each case proves itself
      const cwd = join(base, `case-${i}`);
      const dir = join(cwd, payload);
      mkdirSync(join(dir, 'root', 'data'), { recursive: true });
      mkdirSync(join(dir, 'root', 'relup'), { recursive: true });
      for (const [name, c] of builders(spec(dir))) {
        await sh(c, cwd);
        expect(existsSync(canary), `${name} ran the payload: ${c}`).toBe(false);
      }
      // The payload never escaped its own directory either (e.g. `mkdir -p` of a split word).
      expect(readdirSync(cwd)).toEqual([payload.split('/')[0]]);
      // …and the quoted commands really worked on the hostile paths: the backup and lock exist.
      expect(readdirSync(join(dir, 'backup')).some((f) => f.startsWith('emqx-backup-'))).toBe(true);
    });
  });
});
