/**
 * The Tor flags of `daemon`, `pub` and `demo`, mapped onto the Tor layer's TorOptions (its own
 * parsing, daemon/tor/options.ts); an option it refuses is a usage error naming the flag.
 */
import type { Argv } from 'yargs';
import { TorOptionError } from '../tor/errors.js';
import { parseTorOptions, type TorOption, type TorOptions } from '../tor/options.js';
import { UsageError } from './errors.js';

/** The flag that carries each Tor option. */
export const TOR_OPTION_FLAGS: Readonly<Record<TorOption, string>> = {
  bin: '--tor-bin',
  control: '--tor-control',
  socks: '--tor-socks',
  config: '--tor-config',
  cookie: '--tor-cookie',
  allowPassword: '--tor-allow-password',
};

/** The Tor flags as yargs names them: strings as given, and one switch. */
export type RawTorArgs = { readonly [K in 'tor-bin' | 'tor-control' | 'tor-socks' | 'tor-config' | 'tor-cookie']?: string | undefined } & {
  readonly 'tor-allow-password'?: boolean | undefined;
};

/** Tor options accepted by `daemon`, `pub` and `demo`. */
export function withTorOptions<T>(y: Argv<T>) {
  return y
    .option('tor-bin', { type: 'string', requiresArg: true, describe: 'the tor executable to spawn (default: tor on PATH)' })
    .option('tor-control', {
      type: 'string',
      requiresArg: true,
      describe: 'a running tor\'s control port: HOST:PORT (with --tor-cookie) or unix:PATH, a control socket owned by you or the tor user (with --tor-socks)',
    })
    .option('tor-socks', { type: 'string', requiresArg: true, describe: 'HOST:PORT of a running tor\'s SOCKS port (with --tor-control)' })
    .option('tor-cookie', {
      type: 'string',
      requiresArg: true,
      describe: 'that tor\'s cookie file (its CookieAuthFile): SAFECOOKIE with it proves the control port is tor before the onion key is sent',
    })
    .option('tor-allow-password', {
      type: 'boolean',
      describe: 'also accept password authentication ($SNUG_TOR_PASSWORD); weaker: it does not prove the control port is tor',
    })
    .option('tor-config', { type: 'string', requiresArg: true, describe: 'a file of extra torrc lines (e.g. to join a private network)' });
}

export function torOptionsFrom(args: RawTorArgs): TorOptions {
  try {
    return parseTorOptions({
      bin: args['tor-bin'],
      control: args['tor-control'],
      socks: args['tor-socks'],
      config: args['tor-config'],
      cookie: args['tor-cookie'],
      allowPassword: args['tor-allow-password'],
    });
  } catch (err) {
    if (err instanceof TorOptionError) {
      const flag = TOR_OPTION_FLAGS[err.option];
      throw new UsageError(`${flag} ${err.requirement}`, { flag });
    }
    throw err;
  }
}
