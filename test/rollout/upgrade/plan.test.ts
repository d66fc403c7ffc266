// buildPlan(): exact plan data for a small case, and a fingerprint that identifies the rollout
// (stable across runs and mid-rollout progress, different for different bytes or nodes).
import { describe, expect, it } from 'vitest';
import { buildPlan, fingerprint, gateList, stagedPath } from '../../../src/rollout/upgrade/plan.js';
import { preflight } from '../../../src/rollout/upgrade/preflight.js';
import { PLAN_SCHEMA_VERSION } from '../../../src/rollout/core/types.js';
import { TARBALL, facts, inventory } from '../../e2e/support/facts.js';

const inv = inventory(2, { soakSeconds: 30, timeoutSeconds: 300 });
const [n1, n2] = inv.nodes;
const opts = { force: false, noBackup: false };

describe('buildPlan', () => {
  it('two nodes on 5.10.4: exact plan data', () => {
    const fs = [facts(inv, 1), facts(inv, 2, { stagedSha256: TARBALL.sha256, stagedSidecar: true })];
    const plan = buildPlan(inv, TARBALL, fs, [], opts);
    const tb = '/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz';
    const upgrade = `'/opt/emqx/bin/emqx' ctl relup upgrade '${tb}' (deadline 300s)`;
    const gates = 'version, relup-status, marker, relup-log, cluster, connections';
    expect(plan).toEqual({
      schemaVersion: PLAN_SCHEMA_VERSION,
      cluster: 'prod-eu',
      from: '5.10.4',
      to: '5.10.5',
      tarball: TARBALL,
      fingerprint: fingerprint(inv, '5.10.4', TARBALL),
      findings: [],
      canProceed: true,
      nodes: [
        {
          name: n1.name,
          host: n1.host,
          from: '5.10.4',
          to: '5.10.5',
          action: 'upgrade',
          findings: [],
          steps: [
            {
              kind: 'stage',
              detail: 'upload emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz + .sha256 to /opt/upgrade/',
            },
            {
              kind: 'gate-before',
              detail: 'running the from-version, all nodes in cluster status, relup idle, staged sha256 matches',
            },
            { kind: 'backup', detail: 'tar data/ etc/ log/ → /var/backups/emqx/ (verified)' },
            { kind: 'upgrade', detail: upgrade },
            { kind: 'gate-after', detail: gates },
            { kind: 'soak', detail: 'wait 30s, then check the gates again' },
          ],
        },
        {
          name: n2.name,
          host: n2.host,
          from: '5.10.4',
          to: '5.10.5',
          action: 'upgrade',
          findings: [],
          steps: [
            { kind: 'stage', detail: `${tb} already staged (sha256 matches)` },
            {
              kind: 'gate-before',
              detail: 'running the from-version, all nodes in cluster status, relup idle, staged sha256 matches',
            },
            { kind: 'backup', detail: 'tar data/ etc/ log/ → /var/backups/emqx/ (verified)' },
            { kind: 'upgrade', detail: upgrade },
            { kind: 'gate-after', detail: gates },
            { kind: 'soak', detail: 'wait 30s, then check the gates again' },
          ],
        },
      ],
    });
    // plain data: survives a JSON round trip unchanged (the journal and --json carry it)
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('skip, blocked, --force, --no-backup and soak 0 shape the steps', () => {
    const inv0 = inventory(3, { soakSeconds: 0, commands: ['curl -sf localhost:18083/status'] });
    const fs = [facts(inv0, 1, {}, '5.10.5'), facts(inv0, 2), facts(inv0, 3, { relupWritable: false })];
    const findings = preflight(inv0, TARBALL, fs, { force: true });
    const plan = buildPlan(inv0, TARBALL, fs, findings, { force: true, noBackup: true });
    expect(plan.canProceed).toBe(false);
    expect(plan.nodes.map((n) => n.action)).toEqual(['skip', 'upgrade', 'blocked']);
    expect(plan.nodes[0].reason).toBe('already at 5.10.5');
    expect(plan.nodes[2].reason).toContain('relup is not a writable directory');
    expect(plan.nodes[2].steps).toEqual([]);
    const steps = plan.nodes[1].steps;
    expect(steps.map((s) => s.kind)).toEqual(['stage', 'gate-before', 'backup', 'upgrade', 'gate-after']);
    expect(steps[2].detail).toMatch(/^SKIPPED \(--no-backup\)/);
    expect(steps[3].detail).toContain('--force');
    expect(steps[4].detail).toMatch(/, command:0$/);
    expect(gateList(inv0)).toHaveLength(7);
  });

  it('stagedPath joins stagingDir and the file name', () => {
    expect(stagedPath(n1, TARBALL)).toBe('/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz');
  });
});

describe('fingerprint', () => {
  const base = fingerprint(inv, '5.10.4', TARBALL);
  it('is 16 hex, deterministic, and ignores versions observed mid-rollout', () => {
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint(inventory(2), '5.10.4', TARBALL)).toBe(base);
    // node 1 done: the plan's nodes change, its fingerprint does not
    const mid = buildPlan(inv, TARBALL, [facts(inv, 1, {}, '5.10.5'), facts(inv, 2)], [], opts);
    expect(mid.fingerprint).toBe(base);
  });
  it('changes with the bytes, the target, the from-version, the node set and the cluster', () => {
    const variants = [
      fingerprint(inv, '5.10.4', { ...TARBALL, sha256: 'b'.repeat(64) }),
      fingerprint(inv, '5.10.4', { ...TARBALL, version: '5.10.6' }),
      fingerprint(inv, '5.10.3', TARBALL),
      fingerprint(inventory(3), '5.10.4', TARBALL),
      fingerprint({ ...inv, cluster: 'prod-us' }, '5.10.4', TARBALL),
      fingerprint({ ...inv, nodes: [n1, { ...n2, port: 2222 }] }, '5.10.4', TARBALL),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });
});
