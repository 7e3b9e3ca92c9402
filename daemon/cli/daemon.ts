/**
 * `snug daemon`: runs the daemon for one home in the foreground until SIGINT/SIGTERM or the
 * `daemon/shutdown` method, then stops every service in reverse order and exits 0.
 *
 * Development mode (`--dev`, never a default) unlocks two switches for tests and local
 * development, both reported in daemon/status under `development`: `--transport direct` (no
 * tor: the peer listener on loopback only) and `--dev-kdf fast` (a low Argon2id cost for
 * throwaway homes). Either without `--dev` is a usage error.
 */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
// The daemon itself is imported when the command runs, so other commands start without it.
import type { DaemonConfig } from '../daemon.js';
import type { RegisterCommand } from './command.js';
import { UsageError } from './errors.js';
import { abortOnSignals, type Io } from './io.js';
import { logFrom, withLogFormatOption } from './options.js';
import { torOptionsFrom, withTorOptions, type RawTorArgs } from './tor.js';

/** If stopping hangs past this, the process exits anyway, with status 1 (the contract: exit within 10 s). */
export const DAEMON_EXIT_DEADLINE_MS = 9_000;

export function withDaemonOptions<T>(y: Argv<T>) {
  return withLogFormatOption(withTorOptions(y))
    .option('dev', { type: 'boolean', describe: 'development mode: allows --transport direct and --dev-kdf fast (never for real use)' })
    .option('transport', { type: 'string', requiresArg: true, describe: "'tor' (default), or with --dev 'direct': no tor, peers on ws://127.0.0.1" })
    .option('dev-peer-dir', { type: 'string', requiresArg: true, describe: 'with --dev --transport direct: a directory shared by local daemons that maps onion addresses to their loopback listeners' })
    .option('dev-kdf', { type: 'string', requiresArg: true, describe: "with --dev, 'fast': a low passphrase KDF cost for throwaway homes (default: 'default')" })
    .option('dev-post-jitter', { type: 'string', requiresArg: true, describe: "with --dev, 'off': group posts go without the random wait before their first try (benchmarks; default: 'on')" });
}

export interface RawDaemonArgs extends RawTorArgs {
  readonly home: string;
  readonly dev?: boolean | undefined;
  readonly transport?: string | undefined;
  readonly 'dev-kdf'?: string | undefined;
  readonly 'dev-peer-dir'?: string | undefined;
  readonly 'dev-post-jitter'?: string | undefined;
  readonly 'log-format'?: string | undefined;
}

/** Turns the parsed flags into a checked config (UsageError for a development switch without --dev). */
export function daemonConfigFrom(args: RawDaemonArgs): DaemonConfig {
  const dev = args.dev === true;
  const transport = args.transport ?? 'tor';
  if (transport !== 'tor' && transport !== 'direct') {
    throw new UsageError(`--transport takes 'tor' or 'direct', not '${transport}'`, { flag: '--transport' });
  }
  if (transport === 'direct' && !dev) throw new UsageError('--transport direct is for development only: add --dev', { flag: '--transport' });
  const kdf = args['dev-kdf'] ?? 'default';
  if (kdf !== 'default' && kdf !== 'fast') throw new UsageError(`--dev-kdf takes 'fast' or 'default', not '${kdf}'`, { flag: '--dev-kdf' });
  if (kdf === 'fast' && !dev) throw new UsageError('--dev-kdf fast is for development only: add --dev', { flag: '--dev-kdf' });
  const tor = torOptionsFrom(args);
  const torFlags = (['tor-bin', 'tor-control', 'tor-socks', 'tor-config', 'tor-cookie'] as const).filter((f) => args[f] !== undefined);
  if (transport === 'direct' && torFlags.length > 0) {
    throw new UsageError(`--transport direct runs no tor: it does not go with --${torFlags[0]}`, { flag: '--transport' });
  }
  const peerDir = args['dev-peer-dir'];
  if (peerDir !== undefined && (!dev || transport !== 'direct')) {
    throw new UsageError('--dev-peer-dir is for development on the direct transport only: add --dev --transport direct', { flag: '--dev-peer-dir' });
  }
  const jitter = args['dev-post-jitter'] ?? 'on';
  if (jitter !== 'on' && jitter !== 'off') throw new UsageError(`--dev-post-jitter takes 'on' or 'off', not '${jitter}'`, { flag: '--dev-post-jitter' });
  if (jitter === 'off' && !dev) throw new UsageError('--dev-post-jitter off is for development only: add --dev', { flag: '--dev-post-jitter' });
  return {
    home: resolve(args.home),
    transport,
    tor,
    dev: { enabled: dev, kdf, ...(peerDir !== undefined ? { peerDir: resolve(peerDir) } : {}), ...(jitter === 'off' ? { postJitter: 'off' as const } : {}) },
  };
}

/** Runs the daemon until SIGTERM/SIGINT or daemon/shutdown; resolves with the exit status. */
export async function daemonCommand(args: RawDaemonArgs, io: Io): Promise<number> {
  const config = daemonConfigFrom(args);
  const log = logFrom(args, io);
  const signals = abortOnSignals();
  const { Daemon } = await import('../daemon.js');
  const daemon = new Daemon(config, { log });
  let running = false;
  try {
    // An error at start (ERR_DAEMON_RUNNING, a bad home) goes to the CLI: one line, exit 1.
    await daemon.start();
    running = true;
    await Promise.race([daemon.shutdownRequested, signals.stopped]);
    log('stopping', { reason: signals.signal.aborted ? 'signal' : 'daemon/shutdown' });
    return 0;
  } finally {
    const started = Date.now();
    const deadline = setTimeout(() => {
      log('stop-timeout', { level: 'warn', ms: Date.now() - started });
      process.exit(1);
    }, DAEMON_EXIT_DEADLINE_MS);
    deadline.unref();
    await daemon.stop();
    clearTimeout(deadline);
    signals.dispose();
    // A daemon refused at start (another one runs, a bad home) never ran: it logs no 'stopped'.
    if (running) log('stopped', { ms: Date.now() - started });
  }
}

export const daemonCommandLine: RegisterCommand = (y, ctx) =>
  y.command('daemon', 'run the daemon in the foreground until SIGINT/SIGTERM', (b) => withDaemonOptions(b), async (argv) => {
    ctx.exit(await daemonCommand(argv, ctx.io));
  });
