import { formatSandboxInfo, sandboxDown, sandboxUp } from '../../sim/sandbox.js';
import type { CliIO } from '../io.js';

export async function sandboxUpCommand(io: CliIO, o: { dir: string; nodes: number; from: string; to: string }): Promise<void> {
  const info = await sandboxUp({ dir: o.dir, nodes: o.nodes, from: o.from, to: o.to });
  io.stdout.write(formatSandboxInfo(info));
}

export async function sandboxDownCommand(io: CliIO, o: { dir: string }): Promise<void> {
  await sandboxDown(o.dir);
  io.stdout.write(`sandbox in ${o.dir} stopped\n`);
}
