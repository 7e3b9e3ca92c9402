/**
 * Typed errors of the pub (server, store and client). Callers branch on `code`.
 */
import { SnugError } from '../../protocol/errors.js';
import type { PubLimits } from './constants.js';
import { PUB_ERROR_NAMES, type PubErrorCode } from '../../protocol/pub-wire.js';

export const PubErrorCodes = {
  /** The pub's home cannot be created or written. */
  HOME_UNWRITABLE: 'ERR_PUB_HOME_UNWRITABLE',
  /** Another pub holds this home's store. */
  HOME_LOCKED: 'ERR_PUB_HOME_LOCKED',
  /** The listen address is in use. */
  PORT_IN_USE: 'ERR_PUB_PORT_IN_USE',
  /** Listening failed for another reason. */
  LISTEN_FAILED: 'ERR_PUB_LISTEN_FAILED',
  /** A limit given to the pub is out of range. */
  BAD_LIMIT: 'ERR_PUB_BAD_LIMIT',
  /** The store is not open (or already closed). */
  STORE_CLOSED: 'ERR_PUB_STORE_CLOSED',
  /**
   * A write to the store failed (a full disk, an I/O error). LevelDB refuses every write after
   * one fails, and whether the failed batch reached the disk is unknown until the store is
   * opened again, so the pub stops: run it under a supervisor that restarts it.
   */
  STORE_FAILED: 'ERR_PUB_STORE_FAILED',
  /** The store holds data of a schema version this build does not read, or corrupt records. */
  STORE_CORRUPT: 'ERR_PUB_STORE_CORRUPT',
  /** A blob handed to the store is not acceptable (size or version). */
  BAD_BLOB: 'ERR_PUB_BAD_BLOB',
  /** The stored onion key file is unreadable or malformed. */
  BAD_KEY_FILE: 'ERR_PUB_BAD_KEY_FILE',
  /** The connection to the pub closed (or was never usable). */
  CLOSED: 'ERR_PUB_CLOSED',
  /** The pub did not answer in time. */
  TIMEOUT: 'ERR_PUB_TIMEOUT',
  /** The caller aborted. */
  ABORTED: 'ERR_PUB_ABORTED',
  /** The pub speaks another protocol version (it sent REFUSE, or a hello of another version). */
  VERSION_REFUSED: 'ERR_PUB_VERSION_REFUSED',
  /** The pub sent something that does not decode or makes no sense. */
  BAD_REPLY: 'ERR_PUB_BAD_REPLY',
  /** The request does not fit the pub's policy before it is even sent. */
  POLICY: 'ERR_PUB_POLICY',
} as const;

export class PubError extends SnugError {
  /** For an error frame from the pub: its retry hint in ms (0: none). */
  readonly retryAfterMs: number;
  constructor(code: string, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(code, message, options);
    this.name = 'PubError';
    this.retryAfterMs = options?.retryAfterMs ?? 0;
  }
}

/** The PubError for an ERROR frame's numeric code. */
export function pubErrorFromFrame(code: PubErrorCode, retryAfterMs: number): PubError {
  const name = PUB_ERROR_NAMES[code];
  return new PubError(name, `the pub answered ${name}`, { retryAfterMs });
}

/** A limit out of range: `limit` names the PubLimits field, `requirement` what it must be. */
export class PubLimitError extends PubError {
  readonly limit: keyof PubLimits;
  readonly requirement: string;
  constructor(limit: keyof PubLimits, requirement: string) {
    super(PubErrorCodes.BAD_LIMIT, `${limit} ${requirement}`);
    this.name = 'PubLimitError';
    this.limit = limit;
    this.requirement = requirement;
  }
}
