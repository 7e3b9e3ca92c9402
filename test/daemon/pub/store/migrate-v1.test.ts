/**
 * The v1 migration (daemon/pub/store/migrate-v1.ts): a store of the per-blob layout, written by
 * hand, opened and converted to chunks, also after a conversion interrupted part way.
 */
import assert from 'node:assert/strict';
import { encodeChunk, type ChunkEntry } from '../../../../daemon/pub/store/chunk.js';
import { blobHash } from '../../../../protocol/pow.js';
import {
  LAYOUT_PER_BLOB, POW_CONTEXT_KEY, RECORD_VERSION, STATE_KEY, assertBlobs, assertChunkLayout, freshBlob, hex, indexKey, indexValue,
  legacyBlobValue, readAll, readLog, stateValue, u64Key, useStoreDir, withRaw,
} from '../../../helpers/store-fixtures.js';

describe('daemon/pub/store/migrate-v1', function () {
  this.timeout(20_000);

  const at = useStoreDir('pub-migrate');
  const { openStore, closeStore } = at;

  /**
   * A store of the per-blob layout, written by hand: STATE 0x01, a PoW context, a BLOB record
   * and an INDEX record (in the same database) per blob at floor+1 .. floor+n. With
   * `convertedChunks`, the blobs at the front are already in sealed CHUNK records of that many
   * blobs each, and their per-blob records are gone: a conversion interrupted part way.
   */
  async function writePerBlobStore(opts: { blobs: readonly Uint8Array[]; floor: bigint; pow: Uint8Array; receivedAt: (i: number) => number; convertedChunks?: readonly number[] }): Promise<void> {
    const { blobs, floor, pow } = opts;
    const last = floor + BigInt(blobs.length);
    const bytes = blobs.reduce((n, b) => n + b.length, 0);
    await withRaw(at.path, async (db) => {
      const ops: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array }> = [
        { type: 'put', key: STATE_KEY, value: stateValue(LAYOUT_PER_BLOB, last, floor, blobs.length, bytes) },
        { type: 'put', key: POW_CONTEXT_KEY, value: Uint8Array.of(RECORD_VERSION, ...pow) },
      ];
      let done = 0;
      for (const n of opts.convertedChunks ?? []) {
        const entries: ChunkEntry[] = [];
        for (let i = done; i < done + n; i++) {
          entries.push({ cursor: floor + 1n + BigInt(i), receivedAt: opts.receivedAt(i), hash: blobHash(blobs[i]!), blob: blobs[i]! });
        }
        ops.push({ type: 'put', key: u64Key(0x03, entries[entries.length - 1]!.cursor), value: encodeChunk(entries, true) });
        done += n;
      }
      for (let i = done; i < blobs.length; i++) {
        const cursor = floor + 1n + BigInt(i);
        ops.push({ type: 'put', key: u64Key(0x01, cursor), value: legacyBlobValue(opts.receivedAt(i), blobs[i]!) });
        ops.push({ type: 'put', key: indexKey(blobHash(blobs[i]!)), value: indexValue(cursor) });
      }
      await db.batch(ops, { sync: true });
    });
  }

  describe('converting a store of the per-blob layout', () => {
    const pow = Uint8Array.from({ length: 32 }, (_, i) => 0xc0 ^ i);
    const receivedAt = (i: number): number => 1_650_000_000_000 + i * 1000;

    for (const floor of [0n, 1000n]) {
      it(`keeps every blob under its cursor, the PoW context and dedupe, and leaves no per-blob record (floor ${floor})`, async () => {
        const blobs = Array.from({ length: 300 }, (_, i) => freshBlob(i % 50 === 7 ? 8192 : 2048));
        const bytes = blobs.reduce((n, b) => n + b.length, 0);
        await writePerBlobStore({ blobs, floor, pow, receivedAt });

        const s = await openStore();
        assert.deepEqual(s.powContext, pow);
        assert.deepEqual(s.stats(), { blobs: 300, bytes, start: floor + 1n, head: floor + 300n });
        assertBlobs((await s.since(floor, 1000)).blobs, blobs, floor + 1n);
        assertBlobs(await readAll(s), blobs, floor + 1n);
        for (const i of [0, 1, 149, 299]) {
          assert.deepEqual(await s.put(blobs[i]!), { cursor: floor + 1n + BigInt(i), duplicate: true }, `blob ${i}`);
        }
        const fresh = freshBlob();
        assert.deepEqual(await s.put(fresh), { cursor: floor + 301n, duplicate: false });
        await closeStore();

        const log = await readLog(at.path);
        assertChunkLayout(log, floor, floor + 301n);
        assert.equal(hex(log.pow), hex(Uint8Array.of(RECORD_VERSION, ...pow)));
        for (const c of log.chunks) {
          for (let i = 0; i < c.count; i++) {
            const at = Number(c.cursor(i) - floor) - 1;
            if (at < 300) assert.equal(c.receivedAt(i), receivedAt(at), `received-at of cursor ${c.cursor(i)}`);
          }
        }

        const reopened = await openStore();
        assertBlobs(await readAll(reopened), [...blobs, fresh], floor + 1n);
      });
    }

    it('goes on from a conversion interrupted part way and reads every blob once, in order', async () => {
      const blobs = Array.from({ length: 300 }, () => freshBlob());
      // The first two chunks were written (with their per-blob records deleted) before the crash.
      await writePerBlobStore({ blobs, floor: 0n, pow, receivedAt, convertedChunks: [128, 60] });
      await withRaw(at.path, async (db) => {
        assert.equal((await db.get(STATE_KEY))![0], LAYOUT_PER_BLOB);
        assert.equal(await db.get(u64Key(0x01, 1n)), undefined);
        assert.notEqual(await db.get(u64Key(0x01, 189n)), undefined);
      });

      const s = await openStore();
      assert.deepEqual(s.powContext, pow);
      assert.deepEqual(s.stats(), { blobs: 300, bytes: 300 * 2048, start: 1n, head: 300n });
      assertBlobs(await readAll(s, 50), blobs);
      for (const i of [0, 127, 128, 187, 188, 299]) {
        assert.deepEqual(await s.put(blobs[i]!), { cursor: BigInt(i + 1), duplicate: true }, `blob ${i}`);
      }
      await closeStore();
      const log = await readLog(at.path);
      assertChunkLayout(log, 0n, 300n);
    });
  });
});
