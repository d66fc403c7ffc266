// Absolute paths baked into a simulated release's bin/emqx: the node binary and the built
// simulator CLI (dist/sim/emqxCli.js). When this module runs from src/ (vitest), the built file
// is looked up in dist/ beside it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BadInputError } from '../util/errors.js';

export function simCliPath(): string {
  const here = fileURLToPath(new URL('./emqxCli.js', import.meta.url));
  if (existsSync(here)) return here;
  const dist = here.replace(/([\\/])src([\\/])sim([\\/])emqxCli\.js$/, '$1dist$2sim$3emqxCli.js');
  if (existsSync(dist)) return dist;
  throw new BadInputError(`the node simulator is not built: ${dist} does not exist`, {
    hint: 'run `npx tsc -p tsconfig.build.json` (or `npm run build`) first',
  });
}

export const nodeBinPath = (): string => process.execPath;
