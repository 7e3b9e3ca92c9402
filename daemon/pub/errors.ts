/**
 * Typed errors of the pub program (server, store, limits, onion key). Callers and tests branch
 * on `code`; `message` is for humans. What a pub answers a client on the wire is an ERROR
 * frame's numeric code (protocol/pub-wire.ts ErrorFrameCode), not one of these; the pub
 * client's errors are daemon/pub-links/errors.ts's.
 */
import { SnugError, errorGuard } from '../../protocol/errors.js';
import type { PubLimits } from './constants.js';

export const PubErrorCode = {
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
  /** The store is not open (or already closed), or the pub is not started. */
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
  /** An argument to the store out of range (a cursor that is not a u64, a page limit below 1). */
  POLICY: 'ERR_PUB_POLICY',
} as const;

export type PubErrorCode = (typeof PubErrorCode)[keyof typeof PubErrorCode];

export class PubError extends SnugError<PubErrorCode> {}

/** True when `err` is a PubError (of `code`, when given). */
export const isPubError = errorGuard(PubError);

/** A limit out of range: `limit` names the PubLimits field, `requirement` what it must be. */
export class PubLimitError extends PubError {
  readonly limit: keyof PubLimits;
  readonly requirement: string;
  constructor(limit: keyof PubLimits, requirement: string) {
    super(PubErrorCode.BAD_LIMIT, `${limit} ${requirement}`);
    this.limit = limit;
    this.requirement = requirement;
  }
}
