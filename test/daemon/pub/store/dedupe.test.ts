/**
 * The dedupe index (daemon/pub/store/dedupe.ts). Under concurrency: a commit's index lookups
 * run while the commit before it is synced, and index writes trail the log, so a blob put again
 * while its first copy is still on the way to the index must still be found. On disk: the index
 * rebuilt from the log, and stale entries (pruned, past the last cursor, of a deleted log).
 */
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import type { BlobStore, PutResult } from '../../../../daemon/pub/store/index.js';
import { BLOB_VERSION } from '../../../../protocol/constants.js';
import { blobHash } from '../../../../protocol/pow.js';
import { Prng } from '../../../helpers/pub-fixtures.js';
import {
  INDEXED_KEY, allRecords, assertBlobs, freshBlob, hex, indexKey, indexValue, putInGroups, useStoreDir, withRaw, type RawDb,
} from '../../../helpers/store-fixtures.js';
import { removeDir } from '../../../helpers/temp.js';

function blobOf(n: number): Uint8Array {
  const b = new Uint8Array(2048);
  b[0] = BLOB_VERSION;
  new DataView(b.buffer).setUint32(1, n);
  return b;
}

describe('daemon/pub/store/dedupe', function () {
  this.timeout(20_000);

  const at = useStoreDir('pub-dedupe');
  const { openStore, closeStore } = at;

  describe('under concurrency', () => {
    it('gives a blob put again and again while earlier copies are being committed one cursor, and every other blob its own', async () => {
      let store = await openStore();
      const prng = new Prng(0xd3d0);
      const unique = 600;
      const puts: Array<{ n: number; result: Promise<PutResult> }> = [];
      // Each blob is put three times, the repeats scattered over later turns of the event loop,
      // so that they land in the commit of the first copy, the one after it, or later ones.
      const schedule: number[][] = [];
      for (let n = 0; n < unique; n++) {
        for (let copy = 0; copy < 3; copy++) {
          const turn = Math.floor(n / 8) + (copy === 0 ? 0 : (prng.next32() % 12));
          (schedule[turn] ??= []).push(n);
        }
      }
      for (const turn of schedule) {
        for (const n of turn ?? []) puts.push({ n, result: store.put(blobOf(n)) });
        await tick();
      }
      const results = await Promise.all(puts.map(async (p) => ({ n: p.n, ...(await p.result) })));
      const cursorOf = new Map<number, bigint>();
      let fresh = 0;
      for (const r of results) {
        if (!r.duplicate) fresh += 1;
        const seen = cursorOf.get(r.n);
        if (seen === undefined) cursorOf.set(r.n, r.cursor);
        else assert.equal(r.cursor, seen, `blob ${r.n} answered two cursors`);
      }
      assert.equal(fresh, unique, 'each blob stored exactly once');
      assert.deepEqual([...new Set(cursorOf.values())].sort((a, b) => (a < b ? -1 : 1)), Array.from({ length: unique }, (_, i) => BigInt(i + 1)));
      const page = await store.since(0n, 10_000);
      assert.equal(page.blobs.length, unique);
      for (const b of page.blobs) {
        const n = new DataView(b.blob.buffer, b.blob.byteOffset, b.blob.byteLength).getUint32(1);
        assert.equal(cursorOf.get(n), b.cursor);
      }
      // And after a reopen, from the index alone.
      await closeStore();
      store = await openStore();
      for (const n of [0, 1, unique - 1]) assert.deepEqual(await store.put(blobOf(n)), { cursor: cursorOf.get(n), duplicate: true });
    });

    it('finds blobs committed after the saved hash filter, and builds the filter again from the index when the saved one is unreadable', async () => {
      const filterKey = Uint8Array.of(0x00, 0x02);
      const reopen = async (): Promise<BlobStore> => {
        await closeStore();
        return openStore();
      };
      const withIndex = async (fn: (index: RawDb) => Promise<void>): Promise<void> => {
        await closeStore();
        await withRaw(`${at.path}-index`, fn);
      };
      let s = await reopen();
      for (let n = 0; n < 10; n++) await s.put(blobOf(n));
      let early: Uint8Array | undefined;
      await withIndex(async (index) => {
        early = new Uint8Array((await index.get(filterKey))!); // saved on close: covers cursors 1..10
      });
      s = await reopen();
      for (let n = 10; n < 20; n++) await s.put(blobOf(n));
      // as after a crash: the saved filter is the one from before blobs 11..20
      await withIndex(async (index) => {
        await index.put(filterKey, early!);
      });
      s = await reopen();
      for (let n = 0; n < 20; n++) assert.deepEqual(await s.put(blobOf(n)), { cursor: BigInt(n + 1), duplicate: true }, `blob ${n}`);
      await withIndex(async (index) => {
        await index.put(filterKey, Uint8Array.of(0x01, 0xff, 0xff));
      });
      s = await reopen();
      for (let n = 0; n < 20; n++) assert.deepEqual(await s.put(blobOf(n)), { cursor: BigInt(n + 1), duplicate: true }, `blob ${n}`);
      assert.deepEqual(await s.put(blobOf(20)), { cursor: 21n, duplicate: false });
    });
  });

  describe('the dedupe index', () => {
    it('is rebuilt from the log when its directory is deleted while the store is closed', async () => {
      const s = await openStore();
      const blobs = Array.from({ length: 300 }, () => freshBlob());
      await putInGroups(s, blobs, 20);
      await closeStore();
      await removeDir(`${at.path}-index`);

      const again = await openStore();
      for (const i of [0, 1, 127, 128, 250, 299]) {
        assert.deepEqual(await again.put(blobs[i]!), { cursor: BigInt(i + 1), duplicate: true }, `blob ${i}`);
      }
      assert.deepEqual(await again.put(freshBlob()), { cursor: 301n, duplicate: false });
      await closeStore();
      await withRaw(`${at.path}-index`, async (index) => {
        assert.equal(hex((await index.get(INDEXED_KEY))!), hex(indexValue(301n)));
        assert.equal((await allRecords(index)).length, 303, 'INDEXED, FILTER and an entry per blob');
      });
    });

    for (const mark of [0n, 50n, 128n, 200n]) {
      it(`indexes again the blobs after an INDEXED mark left behind at ${mark}`, async () => {
        const s = await openStore();
        const blobs = Array.from({ length: 300 }, () => freshBlob());
        await putInGroups(s, blobs, 25);
        await closeStore();
        // As after a crash that lost the unsynced index writes after the mark.
        await withRaw(`${at.path}-index`, async (index) => {
          const lost = blobs.slice(Number(mark)).map((b) => ({ type: 'del' as const, key: indexKey(blobHash(b)) }));
          await index.batch([...lost, { type: 'put', key: INDEXED_KEY, value: indexValue(mark) }], { sync: true });
        });

        const again = await openStore();
        for (const i of [0, 49, 50, 127, 128, 199, 200, 299]) {
          assert.deepEqual(await again.put(blobs[i]!), { cursor: BigInt(i + 1), duplicate: true }, `blob ${i}`);
        }
        assert.deepEqual(await again.put(freshBlob()), { cursor: 301n, duplicate: false });
      });
    }

    it('does not count an entry pointing at a pruned cursor as a duplicate', async () => {
      const s = await openStore({ quotaBytes: 3 * 2048 });
      const [a, b, c, d] = [freshBlob(), freshBlob(), freshBlob(), freshBlob()];
      for (const blob of [a, b, c, d]) await s.put(blob);
      assert.deepEqual(s.stats(), { blobs: 3, bytes: 3 * 2048, start: 2n, head: 4n });
      await closeStore();
      // As after a crash between the prune's log batch and its index batch: the entry survives.
      await withRaw(`${at.path}-index`, async (index) => {
        assert.equal(await index.get(indexKey(blobHash(a))), undefined, 'the prune removed the entry');
        await index.put(indexKey(blobHash(a)), indexValue(1n), { sync: true });
      });

      const again = await openStore({ quotaBytes: 3 * 2048 });
      assert.deepEqual(await again.put(a), { cursor: 5n, duplicate: false });
      assertBlobs((await again.since(2n, 10)).blobs, new Map([[3n, c], [4n, d], [5n, a]]));
      assert.deepEqual(await again.put(a), { cursor: 5n, duplicate: true });
    });

    it('does not answer duplicate from an index left behind by a log that was deleted', async () => {
      const s = await openStore();
      const old = Array.from({ length: 5 }, () => freshBlob());
      for (const b of old) await s.put(b);
      await closeStore();
      // The log is wiped (say, to reset the pub) but its index directory beside it is not.
      await removeDir(at.path);

      const again = await openStore();
      assert.deepEqual(again.stats(), { blobs: 0, bytes: 0, start: 1n, head: 0n });
      for (let i = 0; i < 5; i++) assert.deepEqual(await again.put(freshBlob()), { cursor: BigInt(i + 1), duplicate: false });
      // Cursor 1 now holds another blob: the old one is not stored, so it must be stored anew.
      assert.deepEqual(await again.put(old[0]!), { cursor: 6n, duplicate: false });
    });

    it('does not count an entry pointing past the last cursor as a duplicate', async () => {
      const s = await openStore();
      await s.put(freshBlob());
      await closeStore();
      const e = freshBlob();
      await withRaw(`${at.path}-index`, async (index) => {
        await index.put(indexKey(blobHash(e)), indexValue(7n), { sync: true });
      });
      const again = await openStore();
      assert.deepEqual(await again.put(e), { cursor: 2n, duplicate: false });
    });
  });
});
