/**
 * Dedupe under concurrency (daemon/pub/store.ts): a commit's index lookups run while the commit
 * before it is synced, and index writes trail the log, so a blob put again while its first copy
 * is still on the way to the index must still be found.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { Level } from 'level';
import { BlobStore, type PutResult } from '../../../daemon/pub/store/index.js';
import { BLOB_VERSION } from '../../../protocol/constants.js';
import { ready } from '../../../protocol/crypto.js';
import { Prng } from '../../helpers/pub-fixtures.js';

function blobOf(n: number): Uint8Array {
  const b = new Uint8Array(2048);
  b[0] = BLOB_VERSION;
  new DataView(b.buffer).setUint32(1, n);
  return b;
}

describe('daemon/pub/store dedupe under concurrency', () => {
  let dir: string;
  let store: BlobStore | undefined;

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snug-pub-dedupe-'));
  });

  afterEach(async () => {
    await store?.close().catch(() => {});
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('gives a blob put again and again while earlier copies are being committed one cursor, and every other blob its own', async () => {
    store = new BlobStore({ path: join(dir, 'blobs') });
    await store.open();
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
    await store.close();
    store = new BlobStore({ path: join(dir, 'blobs') });
    await store.open();
    for (const n of [0, 1, unique - 1]) assert.deepEqual(await store.put(blobOf(n)), { cursor: cursorOf.get(n), duplicate: true });
  });

  it('finds blobs committed after the saved hash filter, and builds the filter again from the index when the saved one is unreadable', async () => {
    const path = join(dir, 'blobs');
    const filterKey = Uint8Array.of(0x00, 0x02);
    const reopen = async (): Promise<BlobStore> => {
      await store?.close();
      store = new BlobStore({ path });
      await store.open();
      return store;
    };
    const withIndex = async (fn: (index: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> => {
      await store?.close();
      store = undefined;
      const index = new Level<Uint8Array, Uint8Array>(`${path}-index`, { keyEncoding: 'view', valueEncoding: 'view' });
      await index.open();
      try {
        await fn(index);
      } finally {
        await index.close();
      }
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
