/**
 * The store's API (daemon/pub/store/store.ts): cursors in arrival order, duplicates answered
 * with the first cursor, pages by count and bytes, state kept across a reopen, bad blobs
 * refused, queued puts finished before close.
 */
import assert from 'node:assert/strict';
import { BLOB_VERSION } from '../../../../protocol/constants.js';
import { PubErrorCode } from '../../../../daemon/pub/errors.js';
import { freshBlob, rejectsWith, useStoreDir } from '../../../helpers/store-fixtures.js';

describe('daemon/pub/store', () => {
  const at = useStoreDir('pub-store');
  const { openStore } = at;

  it('gives blobs increasing cursors from 1 in arrival order and returns them in that order', async () => {
    const s = await openStore();
    const blobs = [freshBlob(), freshBlob(8192), freshBlob(), freshBlob(32768)];
    const cursors: bigint[] = [];
    for (const b of blobs) cursors.push((await s.put(b)).cursor);
    assert.deepEqual(cursors, [1n, 2n, 3n, 4n]);
    const page = await s.since(0n, 10);
    assert.deepEqual(page.blobs.map((b) => b.cursor), [1n, 2n, 3n, 4n]);
    page.blobs.forEach((b, i) => assert.deepEqual(b.blob, blobs[i]));
    assert.equal(page.more, false);
    assert.equal(page.next, 4n);
    assert.equal(page.head, 4n);
    assert.deepEqual((await s.since(2n, 10)).blobs.map((b) => b.cursor), [3n, 4n]);
  });

  it('stores identical blobs once and answers the first cursor, also within one batch', async () => {
    const s = await openStore();
    const a = freshBlob();
    const first = await s.put(a);
    const again = await s.put(a.slice());
    assert.deepEqual(again, { cursor: first.cursor, duplicate: true });
    const b = freshBlob();
    const together = await Promise.all([s.put(b), s.put(b.slice()), s.put(b.slice())]);
    assert.deepEqual(together.map((r) => r.cursor), [2n, 2n, 2n]);
    assert.deepEqual(together.map((r) => r.duplicate), [false, true, true]);
    assert.equal(s.stats().blobs, 2);
    assert.equal(s.stats().bytes, 4096);
  });

  it('assigns distinct, gap-free cursors to many concurrent puts', async () => {
    const s = await openStore();
    const results = await Promise.all(Array.from({ length: 300 }, () => s.put(freshBlob())));
    const cursors = results.map((r) => r.cursor).sort((x, y) => (x < y ? -1 : 1));
    assert.deepEqual(cursors, Array.from({ length: 300 }, (_, i) => BigInt(i + 1)));
  });

  it('pages by count and by bytes, saying whether more follow and where to continue', async () => {
    const s = await openStore();
    for (let i = 0; i < 5; i++) await s.put(freshBlob());
    const p1 = await s.since(0n, 2);
    assert.deepEqual(p1.blobs.map((b) => b.cursor), [1n, 2n]);
    assert.equal(p1.more, true);
    assert.equal(p1.next, 2n);
    const p2 = await s.since(p1.next, 10, { maxBytes: 3 * 2048 });
    assert.deepEqual(p2.blobs.map((b) => b.cursor), [3n, 4n, 5n]);
    assert.equal(p2.more, false);
    const p3 = await s.since(0n, 10, { maxBytes: 100 });
    assert.equal(p3.blobs.length, 1, 'a page holds at least one blob');
    assert.equal(p3.more, true);
    const empty = await s.since(5n, 10);
    assert.deepEqual([empty.blobs.length, empty.next, empty.more, empty.pruned], [0, 5n, false, false]);
  });

  it('keeps blobs, cursors and the PoW context across close and reopen', async () => {
    const s = await openStore();
    const context = s.powContext;
    const a = freshBlob();
    await s.put(a);
    await s.put(freshBlob());
    await s.close();
    const again = await openStore();
    assert.deepEqual(again.powContext, context);
    assert.deepEqual(again.stats(), { blobs: 2, bytes: 4096, start: 1n, head: 2n });
    assert.deepEqual(await again.put(a), { cursor: 1n, duplicate: true });
    assert.deepEqual(await again.put(freshBlob()), { cursor: 3n, duplicate: false });
  });

  it('rejects a blob of a wrong size or version without storing it', async () => {
    const s = await openStore();
    await rejectsWith(s.put(new Uint8Array(2047).fill(BLOB_VERSION)), PubErrorCode.BAD_BLOB);
    const wrong = freshBlob();
    wrong[0] = BLOB_VERSION + 1;
    await rejectsWith(s.put(wrong), PubErrorCode.BAD_BLOB);
    assert.equal(s.stats().blobs, 0);
  });

  it('finishes queued puts before closing and refuses puts afterwards', async () => {
    const s = await openStore();
    const puts = Array.from({ length: 20 }, () => s.put(freshBlob()));
    await s.close();
    assert.equal((await Promise.all(puts)).length, 20);
    await rejectsWith(s.put(freshBlob()), PubErrorCode.STORE_CLOSED);
    const again = await openStore();
    assert.equal(again.stats().blobs, 20);
  });
});
