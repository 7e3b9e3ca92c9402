/**
 * The `snug pub` program: composes the pub's server with its own tor (or one it attaches to)
 * and runs until told to stop. By default it serves as an onion service (its onion key in
 * HOME/pub/onion-key, so the address survives restarts) and announces `pub address:
 * <address>.onion` once the descriptor is uploaded. With `listen` (loopback only, development
 * and benchmarks) it serves plain WebSocket there and announces `pub listening: ws://HOST:PORT`.
 * The CLI (daemon/cli/pub.ts) maps flags onto PubConfig.
 *
 * It logs through the Log it is given, without content, hashes or addresses of clients.
 */
import { join } from 'node:path';
import { ready, wipe } from '../../protocol/crypto.js';
import type { Log } from '../log.js';
import type { TorOptions } from '../tor/options.js';
import { TorService, type OnionService, type TorStall } from '../tor/service.js';
import { ONION_VIRTUAL_PORT, PUB_DIR, type PubLimits } from './constants.js';
import { PubError } from './errors.js';
import { loadOrCreateOnionSeed } from './onion-key.js';
import { PubServer } from './server.js';

export interface PubConfig {
  readonly home: string;
  /** Serve plain WebSocket here instead of an onion service (port 0: any free port). */
  readonly listen?: { readonly host: string; readonly port: number };
  readonly tor: TorOptions;
  readonly limits: Partial<PubLimits>;
  /** How long tor may make no bootstrap progress before the pub warns (ms); tests shorten it. */
  readonly torStallMs?: number;
}

export interface PubOutput {
  /** The pub's announcements (its address line), for people and scripts: stdout. */
  readonly announce: (line: string) => void;
  readonly log: Log;
}

/** The warning for a tor that makes no bootstrap progress: what tor says, and how to try offline. */
export function torUnreachableMessage(stall: TorStall): string {
  const seconds = Math.round(stall.forMs / 1000);
  const said = stall.warning !== undefined ? `; tor's last warning: ${stall.warning}` : '';
  return (
    `tor cannot reach the Tor network: stuck at ${stall.bootstrap}%${stall.summary ? ` (${stall.summary})` : ''} for ${seconds} s${said}. ` +
    'Check this machine\'s internet connection; to try snug offline, run `snug testnet` and pass the --tor-config flag it prints'
  );
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Runs the pub until `signal` aborts (the CLI aborts it on SIGTERM/SIGINT), then stops it
 * gracefully. Resolves with the exit status; throws typed errors for a home it cannot write,
 * a port in use, tor failing, or a store write failing while it runs (STORE_FAILED).
 */
export async function runPub(config: PubConfig, out: PubOutput, options: { signal: AbortSignal }): Promise<number> {
  await ready();
  const { log } = out;
  const server = new PubServer({
    home: config.home,
    listen: config.listen ?? { host: '127.0.0.1', port: 0 },
    limits: config.limits,
    log,
  });
  let tor: TorService | undefined;
  let onion: OnionService | undefined;
  try {
    const address = await server.start();
    if (config.listen) {
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      out.announce(`pub listening: ws://${host}:${address.port}`);
    } else {
      const seed = await loadOrCreateOnionSeed(config.home);
      try {
        tor = new TorService({
          dataDir: join(config.home, PUB_DIR, 'tor'),
          options: config.tor,
          ...(config.torStallMs !== undefined ? { stallTimeoutMs: config.torStallMs } : {}),
        });
        // Bootstrap progress, so an operator can tell a slow network from a stuck one.
        let lastBootstrap = -1;
        tor.addEventListener('progress', (event) => {
          const { bootstrap } = event.detail;
          if (bootstrap === lastBootstrap) return;
          lastBootstrap = bootstrap;
          log('tor-bootstrap', { percent: bootstrap });
        });
        // And a stuck one says so, once per stall, with tor's own reason.
        tor.addEventListener('stalled', (event) => {
          const stall = event.detail;
          log('tor-unreachable', {
            level: 'warn',
            message: torUnreachableMessage(stall),
            percent: stall.bootstrap,
            seconds: Math.round(stall.forMs / 1000),
            ...(stall.warning !== undefined ? { torWarning: stall.warning } : {}),
          });
        });
        await tor.start({ signal: options.signal });
        log('tor-started', {});
        await tor.waitBootstrapped({ signal: options.signal });
        log('tor-bootstrapped', {});
        // The TorService keeps its own copy of the seed (to republish after a tor restart).
        onion = await tor.publishOnion({ identitySeed: seed, localPort: address.port, virtualPort: ONION_VIRTUAL_PORT }, { signal: options.signal });
      } finally {
        wipe(seed); // also when tor fails to start or publishing throws
      }
      await onion.uploaded({ signal: options.signal });
      log('onion-published', {});
      out.announce(`pub address: ${onion.address}`);
    }
    // Until SIGTERM/SIGINT, or until the store fails and the pub stops itself (STORE_FAILED:
    // exit 1, so a supervisor restarts it and the store is opened, and checked, again).
    const failure = await Promise.race([aborted(options.signal).then(() => null), server.failed]);
    if (failure) throw failure;
    log('stopping', {});
    return 0;
  } catch (err) {
    if (options.signal.aborted && !(err instanceof PubError)) {
      log('stopping', {});
      return 0;
    }
    throw err;
  } finally {
    await server.stop().catch(() => {});
    await onion?.remove().catch(() => {});
    await tor?.stop().catch(() => {});
  }
}

