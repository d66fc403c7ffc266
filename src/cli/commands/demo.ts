import type { CliIO } from '../io.js';
import { RolloutError } from '../../util/errors.js';
export async function demoCommand(_io: CliIO, _o: unknown, _argv?: readonly string[]): Promise<void> {
  throw new RolloutError('internal', 'demo: not implemented yet');
}
