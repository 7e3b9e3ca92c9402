/**
 * Waiting for one event of a Node emitter (a socket's 'connect', a WebSocket's 'open') or its
 * 'error', bounded by the caller's signal and a timeout through settleWithin.
 */
import type { EventEmitter } from 'node:events';
import { settleWithin, type AbortErrors, type AbortOptions } from './abort.js';

export interface OnceEventInit<T> {
  readonly event: string;
  /** What the promise resolves with when `event` comes. */
  readonly value: () => T;
  /** The error the promise rejects with when 'error' comes first. */
  readonly failed: (err: Error) => Error;
}

export function onceEvent<T>(emitter: Pick<EventEmitter, 'once' | 'off'>, init: OnceEventInit<T>, options: AbortOptions, errors: AbortErrors): Promise<T> {
  return settleWithin<T>(options, errors, (resolve, reject) => {
    const onEvent = () => resolve(init.value());
    const onError = (err: Error) => reject(init.failed(err));
    emitter.once(init.event, onEvent);
    emitter.once('error', onError);
    return () => {
      emitter.off(init.event, onEvent);
      emitter.off('error', onError);
    };
  });
}
