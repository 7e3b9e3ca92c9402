/**
 * `snug pub`: the flags of the pub program mapped onto its PubConfig (daemon/pub/run.ts), then
 * `runPub` until SIGTERM/SIGINT. Every value flag is checked here, before anything starts.
 */
import { BlockList, isIP } from 'node:net';
import type { Argv } from 'yargs';
import { BLOB_SIZES } from '../../protocol/constants.js';
import { DEFAULT_PUB_LIMITS as D, PUB_FRAME_RECEIVE_MAX, type PubLimits } from '../pub/constants.js';
import { PubLimitError } from '../pub/errors.js';
import { resolveLimits } from '../pub/policy.js';
// The pub program is imported when the command runs, so other commands start without it.
import type { PubConfig } from '../pub/run.js';
import { UsageError } from './errors.js';
import type { RegisterCommand } from './command.js';
import { abortOnSignals, type Io } from './io.js';
import { logFrom, withLogFormatOption } from './options.js';
import { torOptionsFrom, withTorOptions, type RawTorArgs } from './tor.js';

/** The pub's flags, added to the `pub` command's builder. Every one takes a value (none given: a usage error). */
export function withPubOptions<T>(y: Argv<T>) {
  return withLogFormatOption(withTorOptions(y))
    .option('listen', { type: 'string', requiresArg: true, describe: 'development only: serve plain WebSocket on HOST:PORT (loopback; port 0 = any) instead of an onion service' })
    .option('pow-difficulty', { type: 'string', requiresArg: true, describe: `leading zero bits of proof of work per post (default ${D.powDifficulty})` })
    .option('max-blob-size', { type: 'string', requiresArg: true, describe: `largest blob accepted, one of ${BLOB_SIZES.join(', ')} (default ${D.maxBlobBytes})` })
    .option('max-frame-size', { type: 'string', requiresArg: true, describe: `largest frame accepted from a client, in bytes (K/M suffixes allowed; default ${D.maxFrameBytes})` })
    .option('posts-per-second', { type: 'string', requiresArg: true, describe: `sustained posts per second per connection (default ${D.postsPerSecond})` })
    .option('post-burst', { type: 'string', requiresArg: true, describe: `posts per connection in a burst (default ${D.postBurst})` })
    .option('requests-per-second', { type: 'string', requiresArg: true, describe: `sustained fetches and subscribes per second per connection (default ${D.requestsPerSecond})` })
    .option('request-burst', { type: 'string', requiresArg: true, describe: `fetches and subscribes per connection in a burst (default ${D.requestBurst})` })
    .option('max-inflight', { type: 'string', requiresArg: true, describe: `requests in flight per connection (default ${D.maxInflight})` })
    .option('max-connections', { type: 'string', requiresArg: true, describe: `connections served at once (default ${D.maxConnections})` })
    .option('quota', { type: 'string', requiresArg: true, describe: `total blob bytes kept, oldest pruned first beyond it (e.g. 4G; default ${D.quotaBytes} bytes)` })
    .option('retention', { type: 'string', requiresArg: true, describe: `prune blobs older than this (e.g. 30d, 12h, 90m, 45s; 0 = never; default ${D.retentionMs / 86_400_000}d)` })
    .option('max-page-blobs', { type: 'string', requiresArg: true, describe: `most blobs per fetched page (default ${D.maxPageBlobs})` })
    .option('max-page-size', { type: 'string', requiresArg: true, describe: `most blob bytes per fetched page (default ${D.maxPageBytes} bytes; a whole page must fit in ${PUB_FRAME_RECEIVE_MAX} bytes)` })
    .option('prune-interval', { type: 'string', requiresArg: true, describe: `how often retention pruning runs (default ${D.pruneIntervalMs / 1000}s)` })
    .option('stats-interval', { type: 'string', requiresArg: true, describe: `how often the stats line is logged (0 = never; default ${D.statsIntervalMs / 1000}s)` });
}

/** The pub's own value flags, as yargs names them (each a string as given, or absent). */
type PubFlag =
  | 'listen' | 'pow-difficulty' | 'max-blob-size' | 'max-frame-size' | 'posts-per-second' | 'post-burst'
  | 'requests-per-second' | 'request-burst' | 'max-inflight' | 'max-connections' | 'quota' | 'retention'
  | 'max-page-blobs' | 'max-page-size' | 'prune-interval' | 'stats-interval' | 'log-format';

export type RawPubArgs = RawTorArgs & { readonly home: string } & { readonly [K in PubFlag]?: string | undefined };

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const TIME_UNITS: Record<string, number> = { ms: 1, '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "4G", "512K", "1048576" → bytes (binary units). */
export function parseSize(value: string, flag: string): number {
  const m = /^(\d+)\s*([bkmgt]?)i?b?$/i.exec(value.trim());
  const n = m ? Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]! : NaN;
  if (!m || !Number.isSafeInteger(n)) throw new UsageError(`${flag} takes a size such as 4G, 512K or 1048576, not '${value}'`, { flag });
  return n;
}

/** "30d", "12h", "90m", "45s", "500ms", "60" (seconds) → milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+)\s*(ms|s|m|h|d)?$/i.exec(value.trim());
  const n = m ? Number(m[1]) * TIME_UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
  if (!m || !Number.isSafeInteger(n)) throw new UsageError(`${flag} takes a duration such as 30d, 12h, 90m, 45s or 500ms, not '${value}'`, { flag });
  return n;
}

const LISTEN = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/;
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * HOST:PORT on loopback: an IPv4 address in 127.0.0.0/8, [::1] or localhost; port 0 picks a free
 * port. Anything else (127.999.0.1 included) is a UsageError, found before anything starts.
 */
export function parseListen(value: string): { host: string; port: number } {
  const m = LISTEN.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  const bracketed = m?.[1];
  const plain = m?.[2];
  const loopback =
    (bracketed !== undefined && isIP(bracketed) === 6 && LOOPBACK.check(bracketed, 'ipv6')) ||
    (plain !== undefined && (plain === 'localhost' || (isIP(plain) === 4 && LOOPBACK.check(plain, 'ipv4'))));
  if (!m || !loopback || port > 65535) {
    throw new UsageError(`--listen takes a loopback HOST:PORT such as 127.0.0.1:7070 or [::1]:7070 (port 0 = any free port), not '${value}'`, { flag: '--listen' });
  }
  return { host: (bracketed ?? plain)!, port };
}

/** A whole number given as decimal digits (yargs' own number parsing turns '' into 0). */
function intFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} takes a whole number, not '${value}'`, { flag });
  return n;
}

/** The flag that sets each limit (a PubLimitError from resolveLimits is reported by its flag). */
export const PUB_LIMIT_FLAGS: Readonly<Record<keyof PubLimits, string>> = {
  powDifficulty: '--pow-difficulty',
  maxBlobBytes: '--max-blob-size',
  maxFrameBytes: '--max-frame-size',
  postsPerSecond: '--posts-per-second',
  postBurst: '--post-burst',
  requestsPerSecond: '--requests-per-second',
  requestBurst: '--request-burst',
  maxInflight: '--max-inflight',
  maxConnections: '--max-connections',
  quotaBytes: '--quota',
  retentionMs: '--retention',
  maxPageBlobs: '--max-page-blobs',
  maxPageBytes: '--max-page-size',
  pruneIntervalMs: '--prune-interval',
  statsIntervalMs: '--stats-interval',
};

/** Turns the parsed flags into a checked config (UsageError on anything out of range). */
export function pubConfigFrom(args: RawPubArgs): PubConfig {
  const limits: Partial<PubLimits> = {
    powDifficulty: intFlag(args['pow-difficulty'], '--pow-difficulty'),
    maxBlobBytes: intFlag(args['max-blob-size'], '--max-blob-size'),
    maxFrameBytes: args['max-frame-size'] !== undefined ? parseSize(args['max-frame-size'], '--max-frame-size') : undefined,
    postsPerSecond: intFlag(args['posts-per-second'], '--posts-per-second'),
    postBurst: intFlag(args['post-burst'], '--post-burst'),
    requestsPerSecond: intFlag(args['requests-per-second'], '--requests-per-second'),
    requestBurst: intFlag(args['request-burst'], '--request-burst'),
    maxInflight: intFlag(args['max-inflight'], '--max-inflight'),
    maxConnections: intFlag(args['max-connections'], '--max-connections'),
    quotaBytes: args.quota !== undefined ? parseSize(args.quota, '--quota') : undefined,
    retentionMs: args.retention !== undefined ? parseDuration(args.retention, '--retention') : undefined,
    maxPageBlobs: intFlag(args['max-page-blobs'], '--max-page-blobs'),
    maxPageBytes: args['max-page-size'] !== undefined ? parseSize(args['max-page-size'], '--max-page-size') : undefined,
    pruneIntervalMs: args['prune-interval'] !== undefined ? parseDuration(args['prune-interval'], '--prune-interval') : undefined,
    statsIntervalMs: args['stats-interval'] !== undefined ? parseDuration(args['stats-interval'], '--stats-interval') : undefined,
  };
  try {
    resolveLimits(limits);
  } catch (err) {
    if (err instanceof PubLimitError) {
      const flag = PUB_LIMIT_FLAGS[err.limit];
      throw new UsageError(`${flag} ${err.requirement}`, { flag });
    }
    throw err;
  }
  const listen = args.listen !== undefined ? parseListen(args.listen) : undefined;
  return { home: args.home, tor: torOptionsFrom(args), limits, ...(listen ? { listen } : {}) };
}

/** The `snug pub` handler: parses flags, runs until SIGTERM/SIGINT. */
export async function pubCommand(args: RawPubArgs, io: Io): Promise<number> {
  const config = pubConfigFrom(args);
  const log = logFrom(args, io);
  const stop = abortOnSignals();
  try {
    // An error goes to the CLI, which prints it on one line naming its code.
    const { runPub } = await import('../pub/run.js');
    return await runPub(config, { announce: io.stdout, log }, { signal: stop.signal });
  } finally {
    stop.dispose();
  }
}

export const pubCommandLine: RegisterCommand = (y, ctx) =>
  y.command('pub', 'run a pub: an untrusted message cache served as an onion service', (b) => withPubOptions(b), async (argv) => {
    ctx.exit(await pubCommand(argv, ctx.io));
  });
