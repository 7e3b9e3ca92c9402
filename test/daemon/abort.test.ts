import assert from 'node:assert/strict';
import { combineSignals, isTimeoutReason, settleWithin } from '../../daemon/abort.js';

const ERRORS = { timeout: () => new Error('timeout'), aborted: () => new Error('aborted') };

describe('daemon/abort', () => {
  it('resolves with what the operation resolves and runs its cleanup once', async () => {
    let cleanups = 0;
    const value = await settleWithin<number>({ timeoutMs: 1000 }, ERRORS, (resolve) => {
      setTimeout(() => resolve(7), 5);
      return () => cleanups++;
    });
    assert.equal(value, 7);
    assert.equal(cleanups, 1);
  });

  it('rejects with the timeout error when the time runs out, and cleans up', async () => {
    let cleanups = 0;
    await assert.rejects(
      settleWithin<number>({ timeoutMs: 10 }, ERRORS, () => () => cleanups++),
      { message: 'timeout' },
    );
    assert.equal(cleanups, 1);
  });

  it('rejects with the aborted error when the caller aborts, and ignores a later settlement', async () => {
    const controller = new AbortController();
    let late: ((v: number) => void) | undefined;
    const p = settleWithin<number>({ signal: controller.signal }, ERRORS, (resolve) => {
      late = resolve;
    });
    controller.abort();
    await assert.rejects(p, { message: 'aborted' });
    late?.(1);
  });

  it('rejects at once, without starting, when the signal is already aborted', async () => {
    let started = false;
    await assert.rejects(
      settleWithin({ signal: AbortSignal.abort() }, ERRORS, () => {
        started = true;
      }),
      { message: 'aborted' },
    );
    assert.equal(started, false);
  });

  it('runs the cleanup of an operation that settles synchronously', async () => {
    let cleanups = 0;
    await settleWithin<number>({}, ERRORS, (resolve) => {
      resolve(1);
      return () => cleanups++;
    });
    assert.equal(cleanups, 1);
  });

  it('rejects with what start throws', async () => {
    await assert.rejects(
      settleWithin({}, ERRORS, () => {
        throw new RangeError('bad');
      }),
      RangeError,
    );
  });

  it('combines a signal and a timeout into one signal whose timeout reason is recognised', async () => {
    assert.equal(combineSignals({}), undefined);
    const own = new AbortController();
    assert.equal(combineSignals({ signal: own.signal }), own.signal);
    const combined = combineSignals({ signal: own.signal, timeoutMs: 5 });
    assert.ok(combined);
    await new Promise((r) => combined.addEventListener('abort', r, { once: true }));
    assert.equal(isTimeoutReason(combined.reason), true);
    const manual = new AbortController();
    manual.abort();
    assert.equal(isTimeoutReason(manual.signal.reason), false);
  });
});
