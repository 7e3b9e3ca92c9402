/**
 * Options shared by commands, validated into typed values. yargs parses; these functions
 * turn what it parsed into the config the rest of the daemon takes.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** Where a home lives when --home is not given: $SNUG_HOME, $XDG_DATA_HOME/snug, ~/.local/share/snug. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SNUG_HOME']) return resolve(env['SNUG_HOME']);
  if (env['XDG_DATA_HOME']) return join(resolve(env['XDG_DATA_HOME']), 'snug');
  return join(homedir(), '.local', 'share', 'snug');
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(value: string, flag: string): HostPort {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${flag} takes HOST:PORT with a port from 1 to 65535, not '${value}'`);
  }
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port };
}

/** How the daemon, the pub or the demo reaches tor. */
export type TorOptions =
  | { readonly mode: 'spawn'; readonly torBin: string; readonly extraConfigFile?: string }
  | { readonly mode: 'attach'; readonly control: HostPort; readonly socks: HostPort; readonly extraConfigFile?: string };

export interface RawTorArgs {
  readonly 'tor-bin'?: string | undefined;
  readonly 'tor-control'?: string | undefined;
  readonly 'tor-socks'?: string | undefined;
  readonly 'tor-config'?: string | undefined;
}

export function torOptionsFrom(args: RawTorArgs): TorOptions {
  const control = args['tor-control'];
  const socks = args['tor-socks'];
  const extra = args['tor-config'] !== undefined ? { extraConfigFile: resolve(args['tor-config']) } : {};
  if (control !== undefined || socks !== undefined) {
    if (control === undefined || socks === undefined) {
      throw new UsageError('--tor-control and --tor-socks go together');
    }
    if (args['tor-bin'] !== undefined) throw new UsageError('--tor-bin spawns a tor; it cannot go with --tor-control');
    return { mode: 'attach', control: parseHostPort(control, '--tor-control'), socks: parseHostPort(socks, '--tor-socks'), ...extra };
  }
  return { mode: 'spawn', torBin: args['tor-bin'] ?? 'tor', ...extra };
}
