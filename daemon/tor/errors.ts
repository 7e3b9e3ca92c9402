/**
 * Typed errors of the Tor layer. Callers and tests branch on `code`; `message` is for humans.
 */
import { SnugError } from '../../protocol/errors.js';
import type { TorOption } from './options.js';

export const TorErrorCode = {
  /** No `tor` executable where we looked (names the Debian package to install). */
  NOT_FOUND: 'ERR_TOR_NOT_FOUND',
  /** The spawned tor exited or never opened its control port. */
  START_FAILED: 'ERR_TOR_START_FAILED',
  /** The control port sent something that is not a well-formed control-spec reply. */
  CONTROL_MALFORMED: 'ERR_TOR_CONTROL_MALFORMED',
  /** A control command got no complete reply in time. */
  CONTROL_TIMEOUT: 'ERR_TOR_CONTROL_TIMEOUT',
  /** The control connection is closed (or could not be opened). */
  CONTROL_CLOSED: 'ERR_TOR_CONTROL_CLOSED',
  /** tor answered a command with a non-2xx status. */
  COMMAND_FAILED: 'ERR_TOR_COMMAND_FAILED',
  /** No authentication method we can use, or tor refused the one we used. */
  AUTH_FAILED: 'ERR_TOR_AUTH_FAILED',
  /**
   * The control port offers only authentication that does not prove it is tor (COOKIE, NULL, a
   * password not allowed, SAFECOOKIE without a cookie file the user named): nothing secret is
   * sent to it. The message names what to configure.
   */
  UNSAFE_AUTH: 'ERR_TOR_UNSAFE_AUTH',
  /** A cookie file or control socket not owned by us or the tor user, or writable by others. */
  UNTRUSTED_PATH: 'ERR_TOR_UNTRUSTED_PATH',
  /** A Tor option given as a string that cannot be used (TorOptionError names the option). */
  BAD_OPTION: 'ERR_TOR_BAD_OPTION',
  /** The ServiceID tor returned differs from the address protocol/ derives from the key. */
  ONION_MISMATCH: 'ERR_TOR_ONION_MISMATCH',
  /** The operation needs a running service (start() first, or it was stopped). */
  NOT_RUNNING: 'ERR_TOR_NOT_RUNNING',
  /** The caller's signal aborted the operation. */
  ABORTED: 'ERR_TOR_ABORTED',
  /** Waiting for a state (bootstrap, descriptor upload) timed out or became impossible. */
  TIMEOUT: 'ERR_TOR_TIMEOUT',
  /** A private test network could not be built or started. */
  TESTNET_FAILED: 'ERR_TOR_TESTNET_FAILED',
  /** An isolation key too long for SOCKS5 username/password authentication. */
  BAD_ISOLATION_KEY: 'ERR_TOR_BAD_ISOLATION_KEY',
} as const;

export type TorErrorCode = (typeof TorErrorCode)[keyof typeof TorErrorCode];

export class TorError extends SnugError {
  declare readonly code: TorErrorCode;
  /** For COMMAND_FAILED / AUTH_FAILED: tor's three-digit status, when there was one. */
  readonly status: number | undefined;
  constructor(code: TorErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    this.name = 'TorError';
    this.status = options?.status;
  }
}

/** A Tor option that cannot be used: `option` names it, `requirement` says what it takes. */
export class TorOptionError extends TorError {
  readonly option: TorOption;
  readonly requirement: string;
  constructor(option: TorOption, requirement: string) {
    super(TorErrorCode.BAD_OPTION, `the Tor option '${option}' ${requirement}`);
    this.name = 'TorOptionError';
    this.option = option;
    this.requirement = requirement;
  }
}

export function isTorError(err: unknown, code?: TorErrorCode): err is TorError {
  return err instanceof TorError && (code === undefined || err.code === code);
}
