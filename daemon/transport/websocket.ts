/**
 * Opening a dialled WebSocket, shared by both dialers: resolves once it is open, rejects with a
 * DialError on error, timeout or abort (and then terminates the socket).
 */
import type { WebSocket } from 'ws';
import { settleWithin } from '../abort.js';
import { DialError, DialErrorCode } from './types.js';

export function openWebSocket(ws: WebSocket, timeoutMs: number, signal?: AbortSignal): Promise<WebSocket> {
  return settleWithin<WebSocket>(
    { timeoutMs, ...(signal ? { signal } : {}) },
    {
      timeout: () => new DialError(DialErrorCode.TIMEOUT, `dial timed out after ${timeoutMs} ms`),
      aborted: () => new DialError(DialErrorCode.ABORTED, 'dial aborted'),
    },
    (resolve, reject) => {
      const onOpen = () => resolve(ws);
      const onError = (err: Error) => reject(new DialError(DialErrorCode.FAILED, 'dial failed', { cause: err }));
      ws.once('open', onOpen);
      ws.once('error', onError);
      return () => {
        ws.off('open', onOpen);
        ws.off('error', onError);
      };
    },
  ).catch((err: unknown) => {
    ws.on('error', () => {}); // swallow late errors from a socket we give up on
    ws.terminate();
    throw err;
  });
}
