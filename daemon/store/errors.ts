/**
 * Typed errors of the encrypted record store. Callers and tests branch on `code`; `message` is
 * for humans and never holds a record's key, id or content.
 */
import { SnugError, errorGuard } from '../../protocol/errors.js';

export const StoreErrorCode = {
  /** The store was closed (the profile was locked) before or during the operation. */
  CLOSED: 'ERR_STORE_CLOSED',
  /** Another process holds the LevelDB database open. */
  BUSY: 'ERR_STORE_BUSY',
  /** LevelDB could not be opened or a read or write failed. */
  IO: 'ERR_STORE_IO',
  /** A stored record does not open under the data key (tampered, truncated, swapped, or another profile's). */
  CORRUPT: 'ERR_STORE_CORRUPT',
  /** A record opened but its content is not a valid value of the record type read. */
  RECORD_INVALID: 'ERR_STORE_RECORD_INVALID',
  /** A namespace, id or value outside the limits of docs/profile.md. */
  BAD_ARGUMENT: 'ERR_STORE_BAD_ARGUMENT',
} as const;

export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export class StoreError extends SnugError<StoreErrorCode> {}

export const isStoreError = errorGuard(StoreError);
