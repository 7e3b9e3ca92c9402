/**
 * The direct loopback dialer: for tests and development only, never a default. It dials
 * "ws://127.0.0.1:PORT[/path]" (loopback addresses only) with no tor in between.
 */
import { WebSocket } from 'ws';
import { SnugError } from '../../protocol/errors.js';
import type { DialOptions, Dialer } from './types.js';

/** Time allowed to open a loopback WebSocket unless the caller says otherwise (ms). */
export const DIRECT_DIAL_TIMEOUT_MS = 5_000;
/** Largest frame a dialled socket accepts (bytes); callers enforce their own, smaller limits. */
export const DIRECT_MAX_PAYLOAD = 4 * 1024 * 1024;

export class DialError extends SnugError {
  constructor(code: 'ERR_DIAL_FAILED' | 'ERR_DIAL_TIMEOUT' | 'ERR_BAD_ADDRESS' | 'ERR_DIAL_ABORTED', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DialError';
  }
}

const LOOPBACK_URL = /^ws:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):(\d{1,5})(\/[^\s]*)?$/;

/** Opens `ws` and resolves once it is open, rejecting on error, timeout or abort. */
export function openWebSocket(ws: WebSocket, timeoutMs: number, signal?: AbortSignal): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const onAbort = () => finish(new DialError('ERR_DIAL_ABORTED', 'dial aborted'));
    const timer = setTimeout(() => finish(new DialError('ERR_DIAL_TIMEOUT', `dial timed out after ${timeoutMs} ms`)), timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ws.off('open', onOpen);
      ws.off('error', onError);
      if (err) {
        ws.on('error', () => {}); // swallow late errors from a socket we give up on
        ws.terminate();
        reject(err);
      } else {
        resolve(ws);
      }
    };
    const onOpen = () => finish();
    const onError = (err: Error) => finish(new DialError('ERR_DIAL_FAILED', 'dial failed', { cause: err }));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.once('open', onOpen);
    ws.once('error', onError);
  });
}

export class DirectDialer implements Dialer {
  readonly kind = 'direct' as const;

  async dial(address: string, options: DialOptions = {}): Promise<WebSocket> {
    const m = LOOPBACK_URL.exec(address);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new DialError('ERR_BAD_ADDRESS', 'the direct dialer only reaches ws://127.0.0.1:PORT addresses');
    }
    const ws = new WebSocket(address, { maxPayload: DIRECT_MAX_PAYLOAD, perMessageDeflate: false });
    return openWebSocket(ws, options.timeoutMs ?? DIRECT_DIAL_TIMEOUT_MS, options.signal);
  }
}
