// Staging throughput: our stage() (connect + observe + pipelined SFTP upload + remote sha256 verify
// + rename) versus OpenSSH `scp` of the same 256 MiB file to the same real sshd on 127.0.0.x.
// Each side runs 3×, medians compared. Rows:
//   - end to end: what the operator waits for (ours also verifies the sha256 on the node; scp doesn't)
//   - transfer phase: bytes/s while uploading only (the like-for-like number vs scp), target ≥ 0.8
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, writeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SshRemoteHost } from '../remote/host.js';
import { knownHostsLine, makeClientKey, startSshd } from './sshd.js';
import { median, type Bench, type BenchRow } from './types.js';

const execFileP = promisify(execFile);
const MiB = 1024 * 1024;

export interface StagingBenchOptions {
  readonly sizeBytes?: number;
  readonly runs?: number;
}

export function stagingBench(opts: StagingBenchOptions = {}): Bench {
  const size = opts.sizeBytes ?? 256 * MiB;
  const runs = opts.runs ?? 3;
  return {
    id: 'staging',
    title: `stage ${size / MiB} MiB vs scp`,
    async run(ctx) {
      const dir = mkdtempSync(join(tmpdir(), 'emqx-rollout-bench-'));
      const sshd = { stop: async () => {} };
      try {
        ctx.log(`writing ${size / MiB} MiB of random bytes`);
        const local = join(dir, 'emqx-enterprise-bench.tar.gz');
        const hash = createHash('sha256');
        const fd = openSync(local, 'w');
        for (let done = 0; done < size; done += 16 * MiB) {
          const b = randomBytes(Math.min(16 * MiB, size - done));
          hash.update(b);
          writeSync(fd, b);
        }
        closeSync(fd);
        const sha = hash.digest('hex');

        const key = await makeClientKey(dir, { name: 'bench_key' });
        const server = await startSshd({ authorizedKeys: `${key.publicKey}\n`, skipDotfiles: true });
        sshd.stop = () => server.stop();
        const kh = join(dir, 'known_hosts');
        writeFileSync(kh, `${knownHostsLine(server.host, server.port, server.hostPublicKey)}\n`);
        const user = userInfo().username;
        const remoteDir = join(dir, 'remote');
        const spec = {
          name: 'bench@node',
          host: server.host,
          port: server.port,
          user,
          identityFile: key.privatePath,
          knownHosts: kh,
          jump: [],
          rootDir: '/opt/emqx',
          stagingDir: remoteDir,
          backupDir: join(dir, 'backup'),
        };

        const ours: number[] = [];
        const oursTransfer: number[] = [];
        const scp: number[] = [];
        for (let i = 0; i < runs; i++) {
          gc();
          rmSync(remoteDir, { recursive: true, force: true });
          const t0 = performance.now();
          const h = new SshRemoteHost(spec);
          let rate = 0;
          const r = await h.stage(local, join(remoteDir, 'ours.tar.gz'), sha, { onProgress: (p) => (rate = p.rate) });
          await h.close();
          const s = (performance.now() - t0) / 1000;
          if (r.action !== 'uploaded') throw new Error(`bench: expected a fresh upload, got ${r.action}`);
          ours.push(size / s);
          oursTransfer.push(rate);
          ctx.log(`run ${i + 1}: stage ${(s * 1000).toFixed(0)} ms (${mbps(size / s)}), transfer phase ${mbps(rate)}`);

          gc();
          rmSync(remoteDir, { recursive: true, force: true });
          await execFileP('mkdir', ['-p', remoteDir]);
          const t1 = performance.now();
          await execFileP('scp', [
            '-q',
            '-B',
            '-i',
            key.privatePath,
            '-P',
            String(server.port),
            '-o',
            `UserKnownHostsFile=${kh}`,
            '-o',
            'StrictHostKeyChecking=yes',
            '-o',
            'GlobalKnownHostsFile=/dev/null',
            local,
            `${user}@${server.host}:${join(remoteDir, 'scp.tar.gz')}`,
          ]);
          const s2 = (performance.now() - t1) / 1000;
          scp.push(size / s2);
          ctx.log(`run ${i + 1}: scp   ${(s2 * 1000).toFixed(0)} ms (${mbps(size / s2)})`);
        }
        const mOurs = median(ours);
        const mTransfer = median(oursTransfer);
        const mScp = median(scp);
        const rows: BenchRow[] = [
          {
            bench: 'staging',
            metric: `scp ${size / MiB} MiB → sshd (median of ${runs})`,
            value: round(mScp / MiB),
            unit: 'MiB/s',
          },
          {
            bench: 'staging',
            metric: `stage() end to end incl. connect + sha256 verify on node`,
            value: round(mOurs / MiB),
            unit: 'MiB/s',
          },
          { bench: 'staging', metric: 'stage() transfer phase', value: round(mTransfer / MiB), unit: 'MiB/s' },
          {
            bench: 'staging',
            metric: 'ratio transfer phase / scp',
            value: round(mTransfer / mScp),
            unit: '×',
            target: '≥ 0.8',
            pass: mTransfer / mScp >= 0.8,
          },
          {
            bench: 'staging',
            metric: 'ratio end to end / scp',
            value: round(mOurs / mScp),
            unit: '×',
            target: '≥ 0.8',
            pass: mOurs / mScp >= 0.8,
            note: 'ours also hashes the file on the node (scp does not verify)',
          },
        ];
        return rows;
      } finally {
        await sshd.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function gc(): void {
  // run.ts is started with --expose-gc so a 256 MiB run does not pay for the previous one's garbage.
  (globalThis as { gc?: () => void }).gc?.();
}

function mbps(bytesPerSec: number): string {
  return `${(bytesPerSec / MiB).toFixed(0)} MiB/s`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
