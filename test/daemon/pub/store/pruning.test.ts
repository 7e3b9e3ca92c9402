/**
 * Pruning (daemon/pub/store/pruning.ts): by quota and by retention, one batch at a time between
 * posts, a reader told what it missed, and the chunks gap-free from the prune floor on, also
 * when the prune reaches into a range whose seal is still being written.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHUNK_TARGET_BYTES } from '../../../../daemon/pub/store/chunk.js';
import { BlobStore } from '../../../../daemon/pub/store/index.js';
import {
  assertBlobs, assertChunkLayout, freshBlob, putInGroups, readAll, readLog, useStoreDir,
} from '../../../helpers/store-fixtures.js';
import { makeTempDir, removeDir } from '../../../helpers/temp.js';

describe('daemon/pub/store/pruning', function () {
  this.timeout(20_000);

  const at = useStoreDir('pub-prune');
  const { openStore, closeStore } = at;

  it('prunes the oldest blobs to stay within the quota and says so to a reader behind them', async () => {
    const s = await openStore({ quotaBytes: 3 * 2048 });
    const first = freshBlob();
    for (const b of [first, freshBlob(), freshBlob(), freshBlob(), freshBlob()]) await s.put(b);
    assert.deepEqual(s.stats(), { blobs: 3, bytes: 3 * 2048, start: 3n, head: 5n });
    const page = await s.since(0n, 10);
    assert.equal(page.pruned, true);
    assert.equal(page.start, 3n);
    assert.deepEqual(page.blobs.map((b) => b.cursor), [3n, 4n, 5n]);
    assert.equal((await s.since(2n, 10)).pruned, false, 'a reader that had everything up to the floor missed nothing');
    // A pruned blob is forgotten entirely: posting it again stores it anew.
    assert.deepEqual(await s.put(first), { cursor: 6n, duplicate: false });
  });

  it('tells a reader whose cursor was pruned where the store resumes even when nothing is left', async () => {
    const s = await openStore({ retentionMs: 30 });
    await s.put(freshBlob());
    await s.put(freshBlob());
    await sleep(80);
    assert.deepEqual(await s.prune(), { removed: 2, bytes: 4096 });
    const page = await s.since(0n, 10);
    assert.deepEqual([page.blobs.length, page.pruned, page.start, page.next, page.head], [0, true, 3n, 2n, 2n]);
  });

  it('prunes only the blobs older than the retention time', async () => {
    // The third blob must still be within the retention time when prune() reads the clock: a
    // retention time far above one synced put (or a pause of a loaded machine) keeps it so.
    const retentionMs = 1_000;
    const s = await openStore({ retentionMs });
    await s.put(freshBlob());
    await s.put(freshBlob());
    await sleep(retentionMs + 100);
    await s.put(freshBlob());
    const r = await s.prune();
    assert.equal(r.removed, 2);
    assert.deepEqual((await s.since(0n, 10)).blobs.map((b) => b.cursor), [3n]);
  });

  it('lets posts through while a long retention prune runs, one batch at a time', async () => {
    const s = await openStore({ retentionMs: 100 });
    await Promise.all(Array.from({ length: 2500 }, () => s.put(freshBlob())));
    await sleep(200);
    const pruning = s.prune();
    const put = s.put(freshBlob());
    const first = await Promise.race([put.then(() => 'put'), pruning.then(() => 'prune')]);
    assert.equal(first, 'put', 'the post did not wait for the whole prune');
    assert.equal((await put).cursor, 2501n);
    assert.deepEqual(await pruning, { removed: 2500, bytes: 2500 * 2048 });
    assert.deepEqual((await s.since(0n, 10)).blobs.map((b) => b.cursor), [2501n]);
  });

  it('prunes on reopen when the quota was lowered', async () => {
    const s = await openStore();
    for (let i = 0; i < 4; i++) await s.put(freshBlob());
    await s.close();
    const smaller = await openStore({ quotaBytes: 2048 });
    await smaller.prune();
    assert.deepEqual(smaller.stats(), { blobs: 1, bytes: 2048, start: 4n, head: 4n });
  });

  it('keeps the chunks gap-free from the prune floor on while the quota prunes sealed and unsealed chunks', async () => {
    const s = await openStore({ quotaBytes: 300 * 2048 });
    const blobs = Array.from({ length: 700 }, () => freshBlob());
    await putInGroups(s, blobs, 10);
    const { start, head, blobs: count } = s.stats();
    assert.equal(head, 700n);
    assert.equal(count, 300);
    assertBlobs(await readAll(s), blobs.slice(Number(start) - 1), start);
    await closeStore();
    assertChunkLayout(await readLog(at.path), start - 1n, 700n);
    const again = await openStore({ quotaBytes: 300 * 2048 });
    assertBlobs(await readAll(again), blobs.slice(Number(start) - 1), start);
  });

  it('prunes into a range whose seal is still being written without bringing pruned blobs back', async () => {
    // Each round: puts one at a time until the tail is sealed (the seal is written after the
    // ack, while the next commit may already run), then at once a put that makes the quota
    // prune the oldest blobs, which lie in the chunk being sealed.
    const perChunk = CHUNK_TARGET_BYTES / 2048;
    for (let round = 0; round < 8; round++) {
      const dir = await makeTempDir('pub-seal-prune');
      const s = new BlobStore({ path: join(dir, 'blobs'), quotaBytes: perChunk * 2048 });
      await s.open();
      try {
        const blobs = Array.from({ length: perChunk + 3 }, () => freshBlob());
        for (const b of blobs.slice(0, perChunk)) await s.put(b);
        await Promise.all(blobs.slice(perChunk).map((b) => s.put(b)));
        const { start, head } = s.stats();
        assert.equal(head, BigInt(perChunk + 3));
        assertBlobs(await readAll(s), blobs.slice(Number(start) - 1), start);
        await s.close();
        assertChunkLayout(await readLog(join(dir, 'blobs')), start - 1n, head);
      } finally {
        await s.close();
        await removeDir(dir);
      }
    }
  });
});
