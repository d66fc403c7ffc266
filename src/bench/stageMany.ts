// `node dist/bench/stageMany.js SPEC.json`: stage one file to every node of SPEC at once, from a
// process of its own so that the staging bench (staging.ts) can take its peak RSS with GNU time and
// its wall time from outside. Prints one JSON line: per node the action and milliseconds.
// SPEC: { localPath, sha256, transport?, nodes: [{ spec: SshTarget, remotePath }] }.
import { readFileSync } from 'node:fs';
import { SshRemoteHost } from '../remote/host.js';
import type { SshTarget } from '../remote/types.js';

export interface StageManySpec {
  readonly localPath: string;
  readonly sha256: string;
  readonly transport?: 'exec' | 'sftp';
  readonly nodes: ReadonlyArray<{ readonly spec: SshTarget; readonly remotePath: string }>;
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as StageManySpec;
  const t0 = performance.now();
  const results = await Promise.all(
    job.nodes.map(async (n) => {
      const h = new SshRemoteHost(n.spec);
      try {
        const r = await h.stage(
          job.localPath,
          n.remotePath,
          job.sha256,
          job.transport ? { transport: job.transport } : {},
        );
        return { node: n.spec.name, action: r.action, ms: Math.round(performance.now() - t0) };
      } catch (e) {
        return { node: n.spec.name, error: e instanceof Error ? e.message : String(e) };
      } finally {
        await h.close();
      }
    }),
  );
  process.stdout.write(`${JSON.stringify({ wallMs: Math.round(performance.now() - t0), results })}\n`);
  if (results.some((r) => 'error' in r)) process.exitCode = 1;
}
