/**
 * One way to bound an asynchronous operation by the caller's AbortSignal and a timeout
 * (STYLE.md, js-libp2p: every async call takes `options: { signal? }` last). Services combine
 * the two with `AbortSignal.any` / `AbortSignal.timeout` here instead of each keeping its own
 * timer-and-listener copy.
 */

export interface AbortOptions {
  /** The caller's signal: aborting it rejects the operation with the `aborted` error. */
  readonly signal?: AbortSignal;
  /** Milliseconds before the operation is rejected with the `timeout` error; none if omitted. */
  readonly timeoutMs?: number;
}

/** The errors an operation rejects with when its time runs out or its caller aborts it. */
export interface AbortErrors {
  readonly timeout: () => Error;
  readonly aborted: () => Error;
}

/** The caller's signal and the timeout as one signal (undefined when there is neither). */
export function combineSignals(options: AbortOptions): AbortSignal | undefined {
  const signals: AbortSignal[] = [];
  if (options.signal) signals.push(options.signal);
  if (options.timeoutMs !== undefined) signals.push(AbortSignal.timeout(options.timeoutMs));
  if (signals.length === 0) return undefined;
  return signals.length === 1 ? signals[0] : AbortSignal.any(signals);
}

/** True when an abort reason came from `AbortSignal.timeout` rather than a caller. */
export function isTimeoutReason(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === 'TimeoutError';
}

/**
 * Runs `start`, which settles the operation through the `resolve` and `reject` it is given and
 * may return a cleanup. The promise rejects early with `errors.timeout()` or `errors.aborted()`
 * when `options` says so. The cleanup runs exactly once, however the operation ends; callbacks
 * after the first settlement are ignored.
 */
export function settleWithin<T>(
  options: AbortOptions,
  errors: AbortErrors,
  start: (resolve: (value: T) => void, reject: (err: Error) => void) => (() => void) | void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let cleanup: (() => void) | void;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      try {
        cleanup?.();
      } finally {
        settle();
      }
    };
    const onAbort = () => finish(() => reject(errors.aborted()));
    if (options.signal?.aborted) {
      reject(errors.aborted());
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // A plain timer, not AbortSignal.timeout: it is cleared as soon as the operation ends.
    if (options.timeoutMs !== undefined) timer = setTimeout(() => finish(() => reject(errors.timeout())), options.timeoutMs);
    try {
      cleanup = start(
        (value) => finish(() => resolve(value)),
        (err) => finish(() => reject(err)),
      );
      // settled synchronously inside start: its cleanup was not known yet, so run it now
      if (done) cleanup?.();
    } catch (err) {
      finish(() => reject(err as Error));
    }
  });
}
