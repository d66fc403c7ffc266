// `emqx ctl plugins list` (facts §3): a pretty JSON array (keys descending), `[]` when empty.
// Hidden plugins are filtered out by EMQX; emqx_relup 1.0.x is not hidden.

import type { PluginInfo, PluginsList } from '../types.js';
import { detectDown, normalize, unrecognised } from './common.js';

export function parsePluginsList(stdout: string, stderr = '', exitCode: number | null = 0): PluginsList {
  const down = detectDown(stdout, stderr, exitCode);
  if (down) return down;
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  let v: unknown;
  try {
    v = JSON.parse(normalize(stdout).trim());
  } catch {
    return unrecognised(stdout);
  }
  if (!Array.isArray(v)) return unrecognised(stdout);
  const plugins: PluginInfo[] = [];
  for (const p of v) {
    if (typeof p !== 'object' || p === null) return unrecognised(stdout);
    const o = p as Record<string, unknown>;
    const { name, rel_vsn, running_status, config_status } = o;
    if (
      typeof name !== 'string' ||
      typeof rel_vsn !== 'string' ||
      typeof running_status !== 'string' ||
      typeof config_status !== 'string'
    ) {
      return unrecognised(stdout);
    }
    plugins.push({
      name,
      relVsn: rel_vsn,
      runningStatus: running_status,
      configStatus: config_status,
    });
  }
  return { kind: 'plugins', plugins };
}
