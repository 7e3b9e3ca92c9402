/**
 * How the daemon, the pub or the demo reaches tor, as typed values, and their parsing from the
 * strings a user gives. The CLI maps its flags onto `TorOptionsInput` and reports a
 * `TorOptionError` by the flag that carries `option`.
 */
import { isAbsolute, resolve } from 'node:path';
import { TorOptionError } from './errors.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** A control port: TCP (HOST:PORT), or a Unix socket, which proves it is tor by its owner. */
export type ControlAddress = HostPort | { readonly socketPath: string };

export function isControlSocket(address: ControlAddress): address is { readonly socketPath: string } {
  return 'socketPath' in address;
}

/** A control address for messages: HOST:PORT or unix:PATH. */
export function describeControl(address: ControlAddress): string {
  return isControlSocket(address) ? `unix:${address.socketPath}` : `${address.host}:${address.port}`;
}

export type TorOptions =
  | { readonly mode: 'spawn'; readonly torBin: string; readonly extraConfigFile?: string }
  | {
      readonly mode: 'attach';
      readonly control: ControlAddress;
      readonly socks: HostPort;
      /**
       * The cookie file of that tor, named by the user (never the path the control port reports):
       * SAFECOOKIE with it proves the listener is tor. Checked: owned by us or the tor user, not
       * writable by group or others.
       */
      readonly cookieFile?: string;
      /** Allow HASHEDPASSWORD ($SNUG_TOR_PASSWORD): weaker, it does not prove the listener is tor. */
      readonly allowPassword?: boolean;
      readonly extraConfigFile?: string;
    };

/** The options as given (strings, unchecked); each field names an option of TorOptionError. */
export interface TorOptionsInput {
  readonly bin?: string | undefined;
  readonly control?: string | undefined;
  readonly socks?: string | undefined;
  readonly config?: string | undefined;
  readonly cookie?: string | undefined;
  readonly allowPassword?: boolean | undefined;
}

export type TorOption = keyof TorOptionsInput;

export function parseHostPort(value: string, option: TorOption): HostPort {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TorOptionError(option, `takes HOST:PORT with a port from 1 to 65535, not '${value}'`);
  }
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port };
}

/** HOST:PORT, `unix:PATH` or an absolute path (a control socket). */
export function parseControlAddress(value: string): ControlAddress {
  const path = value.startsWith('unix:') ? value.slice('unix:'.length) : isAbsolute(value) ? value : null;
  if (path === null) return parseHostPort(value, 'control');
  if (!isAbsolute(path)) throw new TorOptionError('control', `takes unix:PATH with an absolute path, not '${value}'`);
  return { socketPath: resolve(path) };
}

export function parseTorOptions(input: TorOptionsInput): TorOptions {
  const extra = input.config !== undefined ? { extraConfigFile: resolve(input.config) } : {};
  if (input.control !== undefined || input.socks !== undefined) {
    if (input.control === undefined) throw new TorOptionError('socks', 'needs a control address too');
    if (input.socks === undefined) throw new TorOptionError('control', 'needs a SOCKS address too');
    if (input.bin !== undefined) throw new TorOptionError('bin', 'spawns a tor; it cannot go with a control address');
    return {
      mode: 'attach',
      control: parseControlAddress(input.control),
      socks: parseHostPort(input.socks, 'socks'),
      ...(input.cookie !== undefined ? { cookieFile: resolve(input.cookie) } : {}),
      ...(input.allowPassword === true ? { allowPassword: true } : {}),
      ...extra,
    };
  }
  if (input.cookie !== undefined) throw new TorOptionError('cookie', 'names the cookie of a running tor; it needs a control address');
  if (input.allowPassword === true) throw new TorOptionError('allowPassword', 'applies to a running tor; it needs a control address');
  return { mode: 'spawn', torBin: input.bin ?? 'tor', ...extra };
}
