import assert from 'node:assert/strict';
import { CausalOrder } from '../../../daemon/groups/order.js';

/** Ids are short strings here; the service uses entry ids in hex. */
function ids(o: CausalOrder, limit = 100): string[] {
  return o.page({ limit });
}

describe('CausalOrder', () => {
  it('puts an entry after what it references, even when its claimed time is earlier', () => {
    const o = new CausalOrder();
    o.add('a', 1000, 1000, []);
    o.add('b', 10, 2000, ['a']); // claims a time before what it cites: raised to a's
    o.add('c', 500, 2000, []);
    assert.deepEqual(ids(o), ['c', 'a', 'b']);
    assert.equal(o.key('b')!.ts, 1000);
  });

  it('lowers a claimed time after the arrival here to the arrival', () => {
    const o = new CausalOrder();
    o.add('future', 9_000_000, 100, []);
    o.add('now', 200, 200, []);
    assert.deepEqual(ids(o), ['future', 'now']);
    assert.equal(o.key('future')!.ts, 100);
  });

  it('moves entries that arrived before what they reference once it arrives, and only up', () => {
    const o = new CausalOrder();
    o.add('x', 100, 100, []);
    o.add('child', 50, 300, ['parent']);
    o.add('grandchild', 60, 300, ['child']);
    assert.deepEqual(ids(o), ['child', 'grandchild', 'x']);
    o.add('parent', 200, 200, []);
    assert.deepEqual(ids(o), ['x', 'parent', 'child', 'grandchild']);
  });

  it('gives the same order loading all at once as adding one by one in any order', () => {
    const items = [
      { id: 'g', claimed: 1, arrival: 1, deps: [] },
      { id: 'a1', claimed: 5, arrival: 9, deps: ['g'] },
      { id: 'b1', claimed: 5, arrival: 9, deps: ['g'] },
      { id: 'a2', claimed: 3, arrival: 9, deps: ['a1', 'b1'] },
      { id: 'b2', claimed: 50, arrival: 20, deps: ['b1'] },
      { id: 'lost', claimed: 7, arrival: 9, deps: ['never-arrives'] },
    ];
    const bulk = new CausalOrder();
    bulk.addAll(items);
    for (const order of [items, [...items].reverse(), [items[3], items[5], items[0], items[4], items[2], items[1]]]) {
      const one = new CausalOrder();
      for (const it of order) one.add(it!.id, it!.claimed, it!.arrival, it!.deps);
      assert.deepEqual(ids(one), ids(bulk));
      assert.deepEqual(one.tips().sort(), bulk.tips().sort());
    }
    assert.deepEqual(bulk.tips().sort(), ['a2', 'b2', 'lost']);
  });

  it('pages: the newest before an id, the first after one, nothing for an unknown id', () => {
    const o = new CausalOrder();
    for (let i = 0; i < 10; i++) o.add(`m${i}`, i, i, i === 0 ? [] : [`m${i - 1}`]);
    assert.deepEqual(o.page({ limit: 3 }), ['m7', 'm8', 'm9']);
    assert.deepEqual(o.page({ limit: 3, before: 'm5' }), ['m2', 'm3', 'm4']);
    assert.deepEqual(o.page({ limit: 3, after: 'm5' }), ['m6', 'm7', 'm8']);
    assert.deepEqual(o.page({ limit: 3, after: 'm2', before: 'm4' }), ['m3']);
    assert.deepEqual(o.page({ limit: 3, before: 'nope' }), []);
  });

  it('removes an entry nothing references, and refuses one that is referenced', () => {
    const o = new CausalOrder();
    o.add('a', 1, 1, []);
    o.add('b', 2, 2, ['a']);
    assert.equal(o.remove('a'), false);
    assert.equal(o.remove('b'), true);
    assert.deepEqual(o.tips(), ['a']);
    assert.equal(o.remove('a'), true);
    assert.equal(o.size, 0);
  });
});
