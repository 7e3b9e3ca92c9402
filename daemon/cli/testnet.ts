/**
 * `snug testnet` (development only): runs a private Tor network on 127.0.0.1 in the
 * foreground, the same one the tests use, so that `snug pub` and `snug daemon` can be tried
 * with no internet. Prints `testnet ready: --tor-config <file>` once onion services can be
 * published on it; pass that flag to other snug commands to join. Stops on SIGINT/SIGTERM and
 * removes the network's directory (its keys are throwaway).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RegisterCommand } from './command.js';
import { abortOnSignals, type Io } from './io.js';

export interface RawTestnetArgs {
  readonly dir?: string | undefined;
  readonly 'tor-bin'?: string | undefined;
}

export async function testnetCommand(args: RawTestnetArgs, io: Io): Promise<number> {
  const dir = args.dir !== undefined ? resolve(args.dir) : await mkdtemp(join(tmpdir(), 'snug-testnet-'));
  const stop = abortOnSignals();
  try {
    // imported when the command runs, so other commands start without it
    const { removeTestNetworkDir, startTestNetwork } = await import('../tor/testnet.js');
    const network = await startTestNetwork(
      { dir, ...(args['tor-bin'] !== undefined ? { torBin: args['tor-bin'] } : {}) },
      { signal: stop.signal },
    );
    try {
      const file = await network.clientTorrcFile();
      io.stdout(`testnet ready: --tor-config ${file}`);
      await stop.stopped;
    } finally {
      await network.stop();
      await removeTestNetworkDir(network);
    }
    return 0;
  } catch (err) {
    if (stop.signal.aborted) return 0;
    throw err;
  } finally {
    stop.dispose();
  }
}

export const testnetCommandLine: RegisterCommand = (y, ctx) =>
  y.command(
    'testnet',
    'development only: run a private Tor network on 127.0.0.1 for trying snug offline',
    (b) =>
      b
        .option('dir', { type: 'string', requiresArg: true, describe: 'directory for the network (default: a fresh temporary one)' })
        .option('tor-bin', { type: 'string', requiresArg: true, describe: 'the tor executable to spawn (default: tor on PATH)' }),
    async (argv) => {
      ctx.exit(await testnetCommand(argv, ctx.io));
    },
  );
