/**
 * Typed errors of the pub client, in two classes (callers and tests branch on `code`):
 *
 * - PubReplyError: the pub said no, or said something it must not. An ERROR frame (its numeric
 *   code, protocol/pub-wire.ts ErrorFrameCode, named ERR_PUB_ and its name), a version refusal,
 *   a reply that does not decode (BAD_REPLY) or breaks the protocol's promises (PROTOCOL: a
 *   cursor out of order, a page that rewinds), or a request the pub's announced policy cannot
 *   take, refused before it is sent (POLICY).
 * - PubTransportError: the link failed, whatever the pub meant: it closed, a reply did not come
 *   in time, the caller aborted.
 */
import { SnugError, errorGuard } from '../../protocol/errors.js';
import { errorFrameName, type ErrorFrameCode, type ErrorFrameName } from '../../protocol/pub-wire.js';

export const PubReplyErrorCode = {
  // The pub's ERROR frames (docs/pub-protocol.md, "Error codes"), one for each ErrorFrameCode.
  MALFORMED_FRAME: 'ERR_PUB_MALFORMED_FRAME',
  UNKNOWN_FRAME: 'ERR_PUB_UNKNOWN_FRAME',
  FRAME_TOO_LARGE: 'ERR_PUB_FRAME_TOO_LARGE',
  BAD_BLOB_SIZE: 'ERR_PUB_BAD_BLOB_SIZE',
  BAD_BLOB_VERSION: 'ERR_PUB_BAD_BLOB_VERSION',
  BAD_POW: 'ERR_PUB_BAD_POW',
  /** Carries the pub's `retryAfterMs`. */
  RATE_LIMITED: 'ERR_PUB_RATE_LIMITED',
  /** Also what a close with 1013 (try again later) before the hello means. */
  TOO_MANY_CONNECTIONS: 'ERR_PUB_TOO_MANY_CONNECTIONS',
  BUSY: 'ERR_PUB_BUSY',
  ALREADY_SUBSCRIBED: 'ERR_PUB_ALREADY_SUBSCRIBED',
  BAD_REQUEST: 'ERR_PUB_BAD_REQUEST',
  SHUTTING_DOWN: 'ERR_PUB_SHUTTING_DOWN',
  INTERNAL: 'ERR_PUB_INTERNAL',
  // Found by the client.
  /** The pub speaks another protocol version (it sent REFUSE, or a hello of another version). */
  VERSION_REFUSED: 'ERR_PUB_VERSION_REFUSED',
  /** The pub sent a frame that does not decode, a text frame, or a reply to nothing asked. */
  BAD_REPLY: 'ERR_PUB_BAD_REPLY',
  /**
   * The pub broke a promise of the protocol about cursors: a page's blobs not strictly
   * ascending or not above the `since` asked for, `next` or `head` inconsistent with them, a
   * BLOB not above the last one pushed. The link is dropped: a hostile pub must not stall or
   * rewind a client.
   */
  PROTOCOL: 'ERR_PUB_PROTOCOL',
  /** The request does not fit the pub's policy (or the client's limits), refused before it is sent. */
  POLICY: 'ERR_PUB_POLICY',
} as const satisfies { readonly [K in ErrorFrameName]: `ERR_PUB_${K}` } & Readonly<Record<string, `ERR_PUB_${string}`>>;

export type PubReplyErrorCode = (typeof PubReplyErrorCode)[keyof typeof PubReplyErrorCode];

export class PubReplyError extends SnugError<PubReplyErrorCode> {
  /** For an ERROR frame from the pub: its retry hint in ms (0: none). */
  readonly retryAfterMs: number;
  constructor(code: PubReplyErrorCode, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(code, message, options);
    this.retryAfterMs = options?.retryAfterMs ?? 0;
  }
}

/** True when `err` is a PubReplyError (of `code`, when given). */
export const isPubReplyError = errorGuard(PubReplyError);

/** The PubReplyError for an ERROR frame's numeric code. */
export function replyErrorFromFrame(code: ErrorFrameCode, retryAfterMs: number): PubReplyError {
  const name = PubReplyErrorCode[errorFrameName(code)];
  return new PubReplyError(name, `the pub answered ${name}`, { retryAfterMs });
}

export const PubTransportErrorCode = {
  /** The connection to the pub closed (or was never usable). */
  CLOSED: 'ERR_PUB_CLOSED',
  /** The pub did not answer in time. */
  TIMEOUT: 'ERR_PUB_TIMEOUT',
  /** The caller aborted. */
  ABORTED: 'ERR_PUB_ABORTED',
} as const;

export type PubTransportErrorCode = (typeof PubTransportErrorCode)[keyof typeof PubTransportErrorCode];

export class PubTransportError extends SnugError<PubTransportErrorCode> {}

/** True when `err` is a PubTransportError (of `code`, when given). */
export const isPubTransportError = errorGuard(PubTransportError);

/** Every error a PubClient rejects with or closes on. */
export type PubClientError = PubReplyError | PubTransportError;
