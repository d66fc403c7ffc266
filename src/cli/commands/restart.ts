import type { CliIO } from '../io.js';
import { RolloutError } from '../../util/errors.js';
export async function restartCommand(_io: CliIO, _o: unknown, _argv?: readonly string[]): Promise<void> {
  throw new RolloutError('internal', 'restart: not implemented yet');
}
