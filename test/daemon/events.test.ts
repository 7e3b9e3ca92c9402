import assert from 'node:assert/strict';
import { TypedEventTarget } from '../../daemon/events.js';

interface TestEvents {
  count: number;
  close: undefined;
}

describe('daemon/events', () => {
  it('delivers the typed detail of an emitted event to its listeners', () => {
    const target = new TypedEventTarget<TestEvents>();
    const seen: number[] = [];
    target.addEventListener('count', (e) => seen.push(e.detail));
    target.emit('count', 3);
    target.emit('count', 4);
    assert.deepEqual(seen, [3, 4]);
  });

  it('emits an event without a detail', () => {
    const target = new TypedEventTarget<TestEvents>();
    let closed = 0;
    target.addEventListener('close', () => closed++);
    target.emit('close');
    assert.equal(closed, 1);
  });

  it('stops delivering to a removed listener', () => {
    const target = new TypedEventTarget<TestEvents>();
    const seen: number[] = [];
    const listener = (e: CustomEvent<number>) => seen.push(e.detail);
    target.addEventListener('count', listener);
    target.removeEventListener('count', listener);
    target.emit('count', 1);
    assert.deepEqual(seen, []);
  });

  it('resolves once() with the next detail, and rejects it when aborted', async () => {
    const target = new TypedEventTarget<TestEvents>();
    const next = target.once('count');
    target.emit('count', 9);
    assert.equal(await next, 9);
    const controller = new AbortController();
    const never = target.once('count', { signal: controller.signal });
    controller.abort(new Error('stop'));
    await assert.rejects(never, { message: 'stop' });
  });
});
