/**
 * Tail sealing (daemon/pub/store/tail.ts), read back from the log with a raw LevelDB once the
 * store is closed: STATE and CHUNK records covering every cursor once, the unsealed tail sealed
 * at the target size, also when it is reloaded after a reopen.
 */
import assert from 'node:assert/strict';
import { CHUNK_MAX_BLOBS, CHUNK_TARGET_BYTES } from '../../../../daemon/pub/store/chunk.js';
import { blobHash } from '../../../../protocol/pow.js';
import {
  FILTER_KEY, INDEXED_KEY, RECORD_VERSION, allRecords, assertBlobs, assertChunkLayout, freshBlob, hex, indexKey, indexValue, readAll, readLog,
  u64At, useStoreDir, withRaw,
} from '../../../helpers/store-fixtures.js';

describe('daemon/pub/store/tail', function () {
  this.timeout(20_000);

  const at = useStoreDir('pub-layout');
  const { openStore, closeStore } = at;

  it('writes STATE in the chunk layout and chunks that cover every cursor once, sealing the tail at the target size', async () => {
    const s = await openStore();
    const blobs = Array.from({ length: 300 }, () => freshBlob());
    for (const [i, b] of blobs.entries()) assert.deepEqual(await s.put(b), { cursor: BigInt(i + 1), duplicate: false });
    await closeStore();

    const log = await readLog(at.path);
    const { sealed, unsealed } = assertChunkLayout(log, 0n, 300n);
    assert.ok(sealed.length >= 2, `${sealed.length} sealed chunks after 600 KiB of posts`);
    for (const c of sealed) {
      assert.ok(c.blobBytes >= CHUNK_TARGET_BYTES || c.count === CHUNK_MAX_BLOBS, `sealed chunk ${c.first}..${c.last} holds ${c.blobBytes} bytes`);
      assert.ok(c.blobBytes - c.blobLength(c.count - 1) < CHUNK_TARGET_BYTES, 'a chunk is sealed by the blob that fills it');
    }
    assert.ok(unsealed.length > 0, 'the blobs after the last sealed chunk are in unsealed chunks');
    // Every stored blob, its hash and its arrival time are in the records.
    for (const c of log.chunks) {
      for (let i = 0; i < c.count; i++) {
        const blob = blobs[Number(c.cursor(i)) - 1]!;
        assert.equal(hex(c.blob(i)), hex(blob));
        assert.equal(hex(c.hash(i)), hex(blobHash(blob)));
        assert.ok(Math.abs(c.receivedAt(i) - Date.now()) < 60_000, 'received-at is a time in ms');
      }
    }
    // The index: every blob under its hash, and the mark at the last cursor.
    await withRaw(`${at.path}-index`, async (index) => {
      const records = await allRecords(index);
      assert.equal(records.length, 302, 'INDEXED, FILTER and an entry per blob');
      assert.equal(hex((await index.get(INDEXED_KEY))!), hex(indexValue(300n)));
      // FILTER, saved on close: 01 || the last cursor it covers || ... || the saved filter (01 ...)
      const filter = (await index.get(FILTER_KEY))!;
      assert.equal(filter[0], RECORD_VERSION);
      assert.equal(u64At(filter, 1), 300n);
      assert.equal(filter[17], 0x01);
      for (const [i, b] of blobs.entries()) assert.equal(hex((await index.get(indexKey(blobHash(b))))!), hex(indexValue(BigInt(i + 1))));
    });
  });

  it('reads back blobs put before a close and after a reopen, and keeps merging the reloaded tail into sealed chunks', async () => {
    const s = await openStore();
    const blobs = Array.from({ length: 200 }, () => freshBlob());
    for (const b of blobs.slice(0, 100)) await s.put(b);
    await closeStore();
    let log = await readLog(at.path);
    let parts = assertChunkLayout(log, 0n, 100n);
    assert.equal(parts.sealed.length, 0, '200 KiB is below the target: nothing sealed yet');

    const again = await openStore();
    for (const [i, b] of blobs.slice(100).entries()) assert.deepEqual(await again.put(b), { cursor: BigInt(101 + i), duplicate: false });
    assertBlobs(await readAll(again, 7), blobs);
    assertBlobs((await again.since(0n, 1000)).blobs, blobs);
    assert.deepEqual(await again.put(blobs[0]!), { cursor: 1n, duplicate: true });
    await closeStore();

    log = await readLog(at.path);
    parts = assertChunkLayout(log, 0n, 200n);
    // Blobs from before the reopen and after it share the first sealed chunk.
    assert.ok(parts.sealed.length >= 1);
    assert.equal(parts.sealed[0]!.first, 1n);
    assert.ok(parts.sealed[0]!.last > 100n);

    const third = await openStore();
    assertBlobs(await readAll(third), blobs);
  });
});
