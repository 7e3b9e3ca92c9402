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
import { removeTestNetworkDir, startTestNetwork } from '../tor/testnet.js';

export interface TestnetCommandIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

export interface RawTestnetArgs {
  readonly dir?: string | undefined;
  readonly 'tor-bin'?: string | undefined;
}

function untilSignal(): { promise: Promise<void>; dispose: () => void } {
  let dispose = () => {};
  const promise = new Promise<void>((resolveStop) => {
    const onSignal = () => resolveStop();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    dispose = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  });
  return { promise, dispose };
}

export async function testnetCommand(args: RawTestnetArgs, io: TestnetCommandIo): Promise<number> {
  const dir = args.dir !== undefined ? resolve(args.dir) : await mkdtemp(join(tmpdir(), 'snug-testnet-'));
  const stop = untilSignal();
  const controller = new AbortController();
  void stop.promise.then(() => controller.abort());
  try {
    const network = await startTestNetwork(
      { dir, ...(args['tor-bin'] !== undefined ? { torBin: args['tor-bin'] } : {}) },
      { signal: controller.signal },
    );
    try {
      const file = await network.clientTorrcFile();
      io.stdout(`testnet ready: --tor-config ${file}`);
      await stop.promise;
    } finally {
      await network.stop();
      await removeTestNetworkDir(network);
    }
    return 0;
  } catch (err) {
    if (controller.signal.aborted) return 0;
    throw err;
  } finally {
    stop.dispose();
  }
}
