/**
 * Typed errors of the home directory and its one-daemon lock. Callers and tests branch on
 * `code`; `message` is for humans.
 */
import { SnugError } from '../../protocol/errors.js';

export const HomeErrorCode = {
  /** Another live daemon holds this home's lock (its pid is on the error). */
  DAEMON_RUNNING: 'ERR_DAEMON_RUNNING',
  /** The home exists with group/other permission bits, another owner, or is not a directory. */
  BAD_PERMISSIONS: 'ERR_HOME_PERMISSIONS',
  /** The home cannot be created, read or written (the cause says why). */
  UNUSABLE: 'ERR_HOME_UNUSABLE',
} as const;

export type HomeErrorCode = (typeof HomeErrorCode)[keyof typeof HomeErrorCode];

export class HomeError extends SnugError {
  declare readonly code: HomeErrorCode;
  /** For DAEMON_RUNNING: the pid of the daemon holding the lock. */
  readonly pid: number | undefined;
  constructor(code: HomeErrorCode, message: string, options?: { cause?: unknown; pid?: number }) {
    super(code, message, options);
    this.name = 'HomeError';
    this.pid = options?.pid;
  }
}

export function isHomeError(err: unknown, code?: HomeErrorCode): err is HomeError {
  return err instanceof HomeError && (code === undefined || err.code === code);
}
