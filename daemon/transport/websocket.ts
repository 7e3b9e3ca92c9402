/**
 * Opening a dialled WebSocket, shared by both dialers: resolves once it is open, rejects with a
 * DialError on error, timeout or abort (and then terminates the socket).
 */
import type { WebSocket } from 'ws';
import { onceEvent } from '../once-event.js';
import { DialError, DialErrorCode } from './types.js';

export function openWebSocket(ws: WebSocket, timeoutMs: number, signal?: AbortSignal): Promise<WebSocket> {
  return onceEvent<WebSocket>(
    ws,
    { event: 'open', value: () => ws, failed: (err) => new DialError(DialErrorCode.FAILED, 'dial failed', { cause: err }) },
    { timeoutMs, ...(signal ? { signal } : {}) },
    {
      timeout: () => new DialError(DialErrorCode.TIMEOUT, `dial timed out after ${timeoutMs} ms`),
      aborted: () => new DialError(DialErrorCode.ABORTED, 'dial aborted'),
    },
  ).catch((err: unknown) => {
    ws.on('error', () => {}); // swallow late errors from a socket we give up on
    ws.terminate();
    throw err;
  });
}
