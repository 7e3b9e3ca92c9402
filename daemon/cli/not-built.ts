/**
 * Commands the contract names that this version does not build yet: each says so and exits 1.
 * A command that gets built replaces its line here with its own module.
 */
import { NotBuiltError } from './errors.js';
import type { RegisterCommand } from './command.js';
import { withTorOptions } from './tor.js';

const notBuilt = (name: string) => async (): Promise<void> => {
  throw new NotBuiltError(name);
};

export const demoCommand: RegisterCommand = (y) =>
  y.command('demo', 'a whole working setup on one machine: private Tor network, a pub, a second participant', (b) => withTorOptions(b), notBuilt('demo'));
