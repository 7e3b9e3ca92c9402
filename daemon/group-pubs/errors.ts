/**
 * Typed errors of GroupPubs (the daemon's links to pubs for groups). Callers and tests branch
 * on `code`. The errors of what it wraps keep their own codes and show as a link's `lastError`:
 * DialError (ERR_DIAL_*, ERR_BAD_ADDRESS), the pub client's PubReplyError / PubTransportError
 * (ERR_PUB_*), StoreError (ERR_STORE_*).
 */
import { SnugError, errorGuard } from '../../protocol/errors.js';

export const GroupPubsErrorCode = {
  /** GroupPubs was stopped (the profile locked) before the post was accepted. */
  STOPPED: 'ERR_GROUP_PUBS_STOPPED',
  /** The caller's signal aborted the post. */
  ABORTED: 'ERR_GROUP_PUBS_ABORTED',
  /** A `ws://127.0.0.1:PORT` pub outside development mode (pubDialer()). */
  DEVELOPMENT_ONLY: 'ERR_PUB_DEVELOPMENT_ONLY',
  /** An onion pub with no tor to reach it (the direct transport). */
  NO_TOR: 'ERR_PUB_NO_TOR',
  /** The sink failed to handle a blob (the link is dropped and the blob read again later). */
  SINK_FAILED: 'ERR_PUB_SINK_FAILED',
  /** The pub pushed blobs faster than the sink took them (LIVE_QUEUE_MAX); the link catches up again by fetching. */
  SINK_BEHIND: 'ERR_PUB_SINK_BEHIND',
  /** The pub asks more proof of work than MAX_POW_DIFFICULTY. */
  POW_TOO_HARD: 'ERR_PUB_POW_TOO_HARD',
  /** The proof-of-work worker failed (it is restarted for the next job). */
  POW_FAILED: 'ERR_POW_FAILED',
  /** A link received nothing, not even a ping, for IDLE_TIMEOUT_MS. */
  IDLE: 'ERR_PUB_IDLE',
} as const;

export type GroupPubsErrorCode = (typeof GroupPubsErrorCode)[keyof typeof GroupPubsErrorCode];

export class GroupPubsError extends SnugError<GroupPubsErrorCode> {}

export const isGroupPubsError = errorGuard(GroupPubsError);

/** The stable code of any error (what a link's lastError shows), ERR_UNKNOWN when it has none. */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^ERR_[A-Z0-9_]+$/.test(code) ? code : 'ERR_UNKNOWN';
}
