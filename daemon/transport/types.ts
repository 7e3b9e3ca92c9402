/**
 * The one seam tests may swap: how a WebSocket to a pub or peer is dialled. Production dials
 * through tor's SOCKS5 port (daemon/transport/tor.ts); tests may also dial directly over
 * loopback (daemon/transport/direct.ts). Everything above this interface is the same code.
 */
import type { WebSocket } from 'ws';
import { SnugError } from '../../protocol/errors.js';

export const DialErrorCode = {
  /** The connection could not be opened (refused, unreachable, the upgrade failed). */
  FAILED: 'ERR_DIAL_FAILED',
  /** It was not open within the dial's time. */
  TIMEOUT: 'ERR_DIAL_TIMEOUT',
  /** An address this dialer does not reach. */
  BAD_ADDRESS: 'ERR_BAD_ADDRESS',
  /** The caller's signal aborted the dial. */
  ABORTED: 'ERR_DIAL_ABORTED',
} as const;

export type DialErrorCode = (typeof DialErrorCode)[keyof typeof DialErrorCode];

/** Why a dial failed, from either dialer. */
export class DialError extends SnugError<DialErrorCode> {}

export interface DialOptions {
  readonly signal?: AbortSignal;
  /**
   * Streams dialled with different isolation keys never share a tor circuit. Callers pass a
   * fresh random key per destination (and per connection where unlinkability matters).
   */
  readonly isolationKey?: string;
  /** Overall time allowed to open the connection, in milliseconds. */
  readonly timeoutMs?: number;
}

export interface Dialer {
  readonly kind: 'direct' | 'tor';
  /**
   * Opens a WebSocket to `address`, which is a v3 onion address ("<56 chars>.onion", served on
   * virtual port 80) for the tor dialer, or "ws://127.0.0.1:PORT" for the direct dialer.
   * Resolves once the WebSocket is open.
   *
   * Frames that arrive in the same read as the server's handshake reply are emitted before the
   * caller can attach a 'message' listener, and are lost. So every snug protocol has the dialling
   * side speak first (the pub protocol's HELLO_REQUEST, for one), and nothing relies on an
   * unsolicited first frame from the listening side.
   */
  dial(address: string, options?: DialOptions): Promise<WebSocket>;
}
