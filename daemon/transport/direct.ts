/**
 * The direct loopback dialer: for tests and development only, never a default. It dials
 * "ws://127.0.0.1:PORT[/path]" (loopback addresses only) with no tor in between.
 */
import { WebSocket } from 'ws';
import { DialError, DialErrorCode, type DialOptions, type Dialer } from './types.js';
import { openWebSocket } from './websocket.js';

/** Time allowed to open a loopback WebSocket unless the caller says otherwise (ms). */
export const DIRECT_DIAL_TIMEOUT_MS = 5_000;
/** Largest frame a dialled socket accepts (bytes); callers enforce their own, smaller limits. */
export const DIRECT_MAX_PAYLOAD = 4 * 1024 * 1024;

const LOOPBACK_URL = /^ws:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):(\d{1,5})(\/[^\s]*)?$/;

export class DirectDialer implements Dialer {
  readonly kind = 'direct' as const;

  async dial(address: string, options: DialOptions = {}): Promise<WebSocket> {
    const m = LOOPBACK_URL.exec(address);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new DialError(DialErrorCode.BAD_ADDRESS, 'the direct dialer only reaches ws://127.0.0.1:PORT addresses');
    }
    const ws = new WebSocket(address, { maxPayload: DIRECT_MAX_PAYLOAD, perMessageDeflate: false });
    return openWebSocket(ws, options.timeoutMs ?? DIRECT_DIAL_TIMEOUT_MS, options.signal);
  }
}
