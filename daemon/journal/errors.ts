/**
 * Typed errors of the notification journal. Callers and tests branch on `code`.
 */
import { SnugError, errorGuard } from '../../protocol/errors.js';

export const JournalErrorCode = {
  /** The journal is not started or was stopped (the profile is locked: there is no journal). */
  CLOSED: 'ERR_JOURNAL_CLOSED',
  /** A notification that cannot be journaled: a method or params outside the limits, params not a JSON object. */
  BAD_NOTIFICATION: 'ERR_JOURNAL_BAD_NOTIFICATION',
  /** The journal's records are inconsistent (a head that does not match its entries). */
  CORRUPT: 'ERR_JOURNAL_CORRUPT',
  /** since() with a seq that is not a non-negative safe integer. */
  BAD_SEQ: 'ERR_JOURNAL_BAD_SEQ',
} as const;

export type JournalErrorCode = (typeof JournalErrorCode)[keyof typeof JournalErrorCode];

export class JournalError extends SnugError<JournalErrorCode> {}

export const isJournalError = errorGuard(JournalError);
