/**
 * Typed errors of the peer links. None of them reaches a peer: a link that fails is closed
 * quietly (debug log); they name why, for the log and for tests.
 */
import { SnugError } from '../../protocol/errors.js';

export const PeerLinkErrorCode = {
  /** The handshake failed: bad bytes, a certificate that is not the address dialled, another version. */
  HANDSHAKE: 'ERR_PEER_HANDSHAKE',
  /** A frame that does not decrypt or decode, or is larger than allowed. */
  BAD_FRAME: 'ERR_PEER_BAD_FRAME',
  /** A frame that is well formed but not what the protocol expects at this point. */
  UNEXPECTED: 'ERR_PEER_UNEXPECTED',
  /** The peer did not answer in time. */
  TIMEOUT: 'ERR_PEER_TIMEOUT',
  /** The connection closed. */
  CLOSED: 'ERR_PEER_CLOSED',
  /** A contact request without a valid proof of work. */
  BAD_POW: 'ERR_PEER_BAD_POW',
  /** Too many contact requests (from this address, or in total). */
  RATE_LIMITED: 'ERR_PEER_RATE_LIMITED',
} as const;

export type PeerLinkErrorCode = (typeof PeerLinkErrorCode)[keyof typeof PeerLinkErrorCode];

export class PeerLinkError extends SnugError {
  declare readonly code: PeerLinkErrorCode;
  constructor(code: PeerLinkErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PeerLinkError';
  }
}

export function isPeerLinkError(err: unknown, code?: PeerLinkErrorCode): err is PeerLinkError {
  return err instanceof PeerLinkError && (code === undefined || err.code === code);
}
