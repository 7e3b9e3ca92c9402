import assert from 'node:assert/strict';
import { HASH_FILTER_VERSION, HashFilter, loadHashFilter, saveHashFilter } from '../../../../daemon/pub/store/hash-filter.js';
import { ready } from '../../../../protocol/crypto.js';
import { blobHash } from '../../../../protocol/pow.js';

function hashOf(n: number): Uint8Array {
  const blob = new Uint8Array(64);
  new DataView(blob.buffer).setUint32(0, n);
  return blobHash(blob);
}

describe('daemon/pub/store/hash-filter', () => {
  before(async () => {
    await ready();
  });

  it('says maybe for every hash it was given, and no for most others', () => {
    const filter = new HashFilter(20); // 1 Mbit, sized for ~100,000 hashes at ~1%
    const n = 100_000;
    for (let i = 0; i < n; i++) filter.add(hashOf(i));
    for (let i = 0; i < n; i++) assert.ok(filter.mayHave(hashOf(i)), `hash ${i} was added`);
    let maybe = 0;
    for (let i = n; i < 2 * n; i++) if (filter.mayHave(hashOf(i))) maybe += 1;
    // 7 bits per hash at ~0.49 fill: about 0.7% expected; 3% would mean the positions are not independent
    assert.ok(maybe / n < 0.03, `false maybe rate ${maybe / n}`);
    assert.ok(filter.fill > 0.3 && filter.fill < 0.6);
    assert.equal(filter.added, n);
  });

  it('says no for everything while empty', () => {
    const filter = new HashFilter(10);
    for (let i = 0; i < 1000; i++) assert.equal(filter.mayHave(hashOf(i)), false);
    assert.equal(filter.fill, 0);
  });

  it('refuses a hash that is not 32 bytes and a size out of range', () => {
    const filter = new HashFilter(10);
    assert.throws(() => filter.add(new Uint8Array(31)), RangeError);
    assert.throws(() => filter.mayHave(new Uint8Array(33)), RangeError);
    assert.throws(() => new HashFilter(4), RangeError);
    assert.throws(() => new HashFilter(33), RangeError);
  });

  it('saves to bytes and loads back the same answers, and refuses bytes that are not a saved filter', () => {
    const filter = new HashFilter(12);
    for (let i = 0; i < 200; i++) filter.add(hashOf(i));
    const saved = saveHashFilter(filter);
    assert.equal(saved[0], HASH_FILTER_VERSION);
    assert.equal(saved.length, 1 + 1 + 8 + 8 + 2 ** 12 / 8);
    const loaded = loadHashFilter(saved)!;
    assert.equal(loaded.added, 200);
    assert.equal(loaded.fill, filter.fill);
    for (let i = 0; i < 400; i++) assert.equal(loaded.mayHave(hashOf(i)), filter.mayHave(hashOf(i)));
    assert.equal(loadHashFilter(saved.subarray(0, saved.length - 1)), null);
    assert.equal(loadHashFilter(Uint8Array.of(0x02, ...saved.subarray(1))), null);
    assert.equal(loadHashFilter(new Uint8Array(0)), null);
  });
});
