/**
 * The pub store's chunked layout on disk (daemon/pub/store.ts), read back with a raw LevelDB
 * once the store is closed: STATE, CHUNK records covering every cursor once, sealing of the
 * unsealed tail (also across a reopen), conversion of the per-blob layout (also one interrupted
 * part way), the dedupe index rebuilt from the log, stale index entries, and readers that keep
 * their place while the tail they are reading is sealed under them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { CHUNK_MAX_BLOBS, CHUNK_TARGET_BYTES, decodeChunk, encodeChunk, type Chunk, type ChunkEntry } from '../../../daemon/pub/store/chunk.js';
import { BlobStore, type StoredBlob } from '../../../daemon/pub/store/index.js';
import { BLOB_SIZES, BLOB_VERSION } from '../../../protocol/constants.js';
import { ready } from '../../../protocol/crypto.js';
import { blobHash } from '../../../protocol/pow.js';
import { PAGE_OVERHEAD_BYTES, encodePage, encodePageEntries, type PageHead } from '../../../protocol/pub-wire.js';

type RawDb = Level<Uint8Array, Uint8Array>;

const STATE_KEY = Uint8Array.of(0x00, 0x01);
const POW_CONTEXT_KEY = Uint8Array.of(0x00, 0x02);
const INDEXED_KEY = Uint8Array.of(0x00, 0x01);
const FILTER_KEY = Uint8Array.of(0x00, 0x02);
const LAYOUT_CHUNKS = 0x02;
const LAYOUT_PER_BLOB = 0x01;
const RECORD_VERSION = 0x01;

let serial = 0;
/** A distinct valid blob each call. */
function freshBlob(size = 2048): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = BLOB_VERSION;
  new DataView(b.buffer).setUint32(1, ++serial);
  b.fill(serial & 0xff, 5, 64);
  return b;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function u64Key(prefix: number, value: bigint): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = prefix;
  new DataView(key.buffer).setBigUint64(1, value);
  return key;
}

function u64At(b: Uint8Array, at: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at);
}

function indexKey(hash: Uint8Array): Uint8Array {
  const key = new Uint8Array(33);
  key[0] = 0x02;
  key.set(hash, 1);
  return key;
}

/** 0x01 || cursor u64: an INDEX entry or the INDEXED mark. */
function indexValue(cursor: bigint): Uint8Array {
  const v = new Uint8Array(9);
  v[0] = RECORD_VERSION;
  new DataView(v.buffer).setBigUint64(1, cursor);
  return v;
}

function stateValue(layout: number, last: bigint, floor: bigint, blobs: number, bytes: number): Uint8Array {
  const out = new Uint8Array(33);
  const v = new DataView(out.buffer);
  out[0] = layout;
  v.setBigUint64(1, last);
  v.setBigUint64(9, floor);
  v.setBigUint64(17, BigInt(blobs));
  v.setBigUint64(25, BigInt(bytes));
  return out;
}

/** A BLOB record of the per-blob layout: 0x01 || received-at ms u64 || blob hash || blob. */
function legacyBlobValue(receivedAt: number, blob: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + 8 + 32 + blob.length);
  out[0] = RECORD_VERSION;
  new DataView(out.buffer).setBigUint64(1, BigInt(receivedAt));
  out.set(blobHash(blob), 9);
  out.set(blob, 41);
  return out;
}

async function withRaw<T>(path: string, fn: (db: RawDb) => Promise<T>): Promise<T> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function allRecords(db: RawDb): Promise<Array<[Uint8Array, Uint8Array]>> {
  const out: Array<[Uint8Array, Uint8Array]> = [];
  for await (const [k, v] of db.iterator()) out.push([new Uint8Array(k), new Uint8Array(v)]);
  return out;
}

interface LogLayout {
  readonly state: Uint8Array;
  readonly pow: Uint8Array;
  readonly chunks: Chunk[];
  /** Keys other than STATE, POW CONTEXT and CHUNK records, as hex. */
  readonly others: string[];
}

/** Reads the whole log database, decoding every CHUNK record (which checks it). */
async function readLog(path: string): Promise<LogLayout> {
  return withRaw(path, async (db) => {
    let state: Uint8Array | undefined;
    let pow: Uint8Array | undefined;
    const chunks: Chunk[] = [];
    const others: string[] = [];
    for (const [key, value] of await allRecords(db)) {
      if (hex(key) === hex(STATE_KEY)) state = value;
      else if (hex(key) === hex(POW_CONTEXT_KEY)) pow = value;
      else if (key[0] === 0x03 && key.length === 9) chunks.push(decodeChunk(u64At(key, 1), value, BLOB_SIZES));
      else others.push(hex(key));
    }
    assert.ok(state !== undefined, 'the log has no STATE');
    assert.ok(pow !== undefined, 'the log has no POW CONTEXT');
    return { state, pow, chunks, others };
  });
}

/**
 * Checks the log's layout: STATE in the chunk layout, every record versioned, chunks covering
 * floor+1 .. last once each in key order, sealed ones first, and an unsealed tail below the target.
 */
function assertChunkLayout(log: LogLayout, floor: bigint, last: bigint): { sealed: Chunk[]; unsealed: Chunk[] } {
  assert.equal(log.state.length, 33);
  assert.equal(log.state[0], LAYOUT_CHUNKS, 'STATE names the chunk layout');
  assert.equal(u64At(log.state, 1), last, 'STATE last');
  assert.equal(u64At(log.state, 9), floor, 'STATE floor');
  assert.equal(log.pow.length, 33);
  assert.equal(log.pow[0], RECORD_VERSION, 'the POW CONTEXT record starts with its version');
  assert.deepEqual(log.others, [], 'the log holds nothing but STATE, POW CONTEXT and chunks');
  let next = floor + 1n;
  let blobs = 0;
  let bytes = 0;
  for (const chunk of log.chunks) {
    assert.equal(chunk.record[0], 0x01, 'a CHUNK record starts with its version');
    assert.equal(chunk.first, next, `the chunk ending at ${chunk.last} starts right after the one before`);
    next = chunk.last + 1n;
    blobs += chunk.count;
    bytes += chunk.blobBytes;
  }
  assert.equal(next, last + 1n, 'the chunks end at the last cursor');
  assert.equal(u64At(log.state, 17), BigInt(blobs), 'STATE blobs');
  assert.equal(u64At(log.state, 25), BigInt(bytes), 'STATE bytes');
  const firstUnsealed = log.chunks.findIndex((c) => !c.sealed);
  const sealed = firstUnsealed < 0 ? log.chunks : log.chunks.slice(0, firstUnsealed);
  const unsealed = firstUnsealed < 0 ? [] : log.chunks.slice(firstUnsealed);
  assert.ok(unsealed.every((c) => !c.sealed), 'no sealed chunk follows an unsealed one');
  const tailBytes = unsealed.reduce((n, c) => n + c.blobBytes, 0);
  assert.ok(tailBytes < CHUNK_TARGET_BYTES, `the unsealed tail holds ${tailBytes} bytes`);
  return { sealed, unsealed };
}

/** Every blob from cursor 0 on, in pages of `limit`, through one reader. */
async function readAll(store: BlobStore, limit = 64): Promise<StoredBlob[]> {
  const reader = store.reader(0n);
  const out: StoredBlob[] = [];
  try {
    for (;;) {
      const page = await reader.next(limit);
      out.push(...page.blobs);
      if (!page.more) return out;
    }
  } finally {
    await reader.close();
  }
}

function assertBlobs(got: readonly StoredBlob[], want: ReadonlyMap<bigint, Uint8Array> | readonly Uint8Array[], firstCursor = 1n): void {
  const expected = Array.isArray(want)
    ? (want as readonly Uint8Array[]).map((blob, i) => ({ cursor: firstCursor + BigInt(i), blob }))
    : [...(want as ReadonlyMap<bigint, Uint8Array>)].map(([cursor, blob]) => ({ cursor, blob }));
  assert.deepEqual(got.map((b) => b.cursor), expected.map((e) => e.cursor), 'cursors');
  got.forEach((b, i) => assert.ok(hex(b.blob) === hex(expected[i]!.blob), `cursor ${b.cursor} holds other bytes`));
}

/** Puts `blobs` in groups of `group` concurrent puts (each group is one commit). */
async function putInGroups(store: BlobStore, blobs: readonly Uint8Array[], group: number): Promise<bigint[]> {
  const cursors: bigint[] = [];
  for (let i = 0; i < blobs.length; i += group) {
    const results = await Promise.all(blobs.slice(i, i + group).map((b) => store.put(b)));
    for (const r of results) {
      assert.equal(r.duplicate, false);
      cursors.push(r.cursor);
    }
  }
  return cursors;
}

/** The entries of a PAGE of these blobs, as encodePage writes them after its header. */
function pageEntryBytes(blobs: readonly StoredBlob[]): string {
  const page = encodePage({ requestId: 1, more: false, pruned: false, start: 1n, next: 0n, head: 0n, blobs });
  return hex(page.subarray(PAGE_OVERHEAD_BYTES));
}

function concat(runs: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(runs.reduce((n, r) => n + r.length, 0));
  let pos = 0;
  for (const r of runs) {
    out.set(r, pos);
    pos += r.length;
  }
  return out;
}

describe('daemon/pub/store on-disk layout', function () {
  this.timeout(20_000);

  let dir: string;
  let path: string;
  let store: BlobStore | undefined;

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snug-pub-layout-'));
    path = join(dir, 'blobs');
  });

  afterEach(async () => {
    await store?.close().catch(() => {});
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function openStore(init: { quotaBytes?: number } = {}): Promise<BlobStore> {
    store = new BlobStore({ path, ...init });
    await store.open();
    return store;
  }

  async function closeStore(): Promise<void> {
    await store?.close();
    store = undefined;
  }

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
    await withRaw(path, async (db) => {
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

  it('writes STATE in the chunk layout and chunks that cover every cursor once, sealing the tail at the target size', async () => {
    const s = await openStore();
    const blobs = Array.from({ length: 300 }, () => freshBlob());
    for (const [i, b] of blobs.entries()) assert.deepEqual(await s.put(b), { cursor: BigInt(i + 1), duplicate: false });
    await closeStore();

    const log = await readLog(path);
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
    await withRaw(`${path}-index`, async (index) => {
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
    let log = await readLog(path);
    let parts = assertChunkLayout(log, 0n, 100n);
    assert.equal(parts.sealed.length, 0, '200 KiB is below the target: nothing sealed yet');

    const again = await openStore();
    for (const [i, b] of blobs.slice(100).entries()) assert.deepEqual(await again.put(b), { cursor: BigInt(101 + i), duplicate: false });
    assertBlobs(await readAll(again, 7), blobs);
    assertBlobs((await again.since(0n, 1000)).blobs, blobs);
    assert.deepEqual(await again.put(blobs[0]!), { cursor: 1n, duplicate: true });
    await closeStore();

    log = await readLog(path);
    parts = assertChunkLayout(log, 0n, 200n);
    // Blobs from before the reopen and after it share the first sealed chunk.
    assert.ok(parts.sealed.length >= 1);
    assert.equal(parts.sealed[0]!.first, 1n);
    assert.ok(parts.sealed[0]!.last > 100n);

    const third = await openStore();
    assertBlobs(await readAll(third), blobs);
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
    assertChunkLayout(await readLog(path), start - 1n, 700n);
    const again = await openStore({ quotaBytes: 300 * 2048 });
    assertBlobs(await readAll(again), blobs.slice(Number(start) - 1), start);
  });

  it('prunes into a range whose seal is still being written without bringing pruned blobs back', async () => {
    // Each round: puts one at a time until the tail is sealed (the seal is written after the
    // ack, while the next commit may already run), then at once a put that makes the quota
    // prune the oldest blobs, which lie in the chunk being sealed.
    const perChunk = CHUNK_TARGET_BYTES / 2048;
    for (let round = 0; round < 8; round++) {
      const dir = await mkdtemp(join(tmpdir(), 'snug-pub-seal-prune-'));
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
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

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

        const log = await readLog(path);
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
      await withRaw(path, async (db) => {
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
      const log = await readLog(path);
      assertChunkLayout(log, 0n, 300n);
    });
  });

  describe('the dedupe index', () => {
    it('is rebuilt from the log when its directory is deleted while the store is closed', async () => {
      const s = await openStore();
      const blobs = Array.from({ length: 300 }, () => freshBlob());
      await putInGroups(s, blobs, 20);
      await closeStore();
      await rm(`${path}-index`, { recursive: true, force: true });

      const again = await openStore();
      for (const i of [0, 1, 127, 128, 250, 299]) {
        assert.deepEqual(await again.put(blobs[i]!), { cursor: BigInt(i + 1), duplicate: true }, `blob ${i}`);
      }
      assert.deepEqual(await again.put(freshBlob()), { cursor: 301n, duplicate: false });
      await closeStore();
      await withRaw(`${path}-index`, async (index) => {
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
        await withRaw(`${path}-index`, async (index) => {
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
      await withRaw(`${path}-index`, async (index) => {
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
      await rm(path, { recursive: true, force: true });

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
      await withRaw(`${path}-index`, async (index) => {
        await index.put(indexKey(blobHash(e)), indexValue(7n), { sync: true });
      });
      const again = await openStore();
      assert.deepEqual(await again.put(e), { cursor: 2n, duplicate: false });
    });
  });

  describe('a reader while the tail it reads is sealed', () => {
    const head: PageHead = { requestId: 9, more: false, pruned: false, start: 1n, next: 0n, head: 0n };

    it('continues with exactly the following cursors, each once, by blobs and by entry runs', async () => {
      const s = await openStore();
      const blobs = Array.from({ length: 300 }, () => freshBlob());
      // Unsealed chunks of 10 blobs each: a page of 25 ends inside one.
      await putInGroups(s, blobs.slice(0, 100), 10);
      const byBlobs = s.reader(0n);
      const byRuns = s.reader(0n);
      const atEnd = s.reader(0n);
      try {
        const first = await byBlobs.next(25);
        assertBlobs(first.blobs, blobs.slice(0, 25));
        assert.equal(first.next, 25n);
        const firstRuns = await byRuns.nextEntries(25);
        assert.equal(firstRuns.count, 25);
        const firstBlobs = blobs.slice(0, 25).map((blob, i) => ({ cursor: BigInt(i + 1), blob }));
        assert.equal(hex(concat(firstRuns.runs)), pageEntryBytes(firstBlobs));
        assert.equal(hex(encodePageEntries(head, 25, firstRuns.runs)), hex(encodePage({ ...head, blobs: firstBlobs })));
        const whole = await atEnd.next(1000);
        assertBlobs(whole.blobs, blobs.slice(0, 100));
        assert.equal(whole.more, false);

        // These seal 1..128 into one chunk and delete the unsealed chunks the readers were in.
        await putInGroups(s, blobs.slice(100), 10);

        const rest = await byBlobs.next(1000);
        assertBlobs(rest.blobs, blobs.slice(25), 26n);
        assert.equal(rest.more, false);
        const restRuns = await byRuns.nextEntries(1000);
        assert.equal(restRuns.count, 275);
        const allBlobs = blobs.map((blob, i) => ({ cursor: BigInt(i + 1), blob }));
        assert.equal(hex(concat([...firstRuns.runs, ...restRuns.runs])), pageEntryBytes(allBlobs));
        assert.equal(hex(encodePageEntries(head, 275, restRuns.runs)), hex(encodePage({ ...head, blobs: allBlobs.slice(25) })));
        assertBlobs((await atEnd.next(1000)).blobs, blobs.slice(100), 101n);
      } finally {
        await Promise.all([byBlobs.close(), byRuns.close(), atEnd.close()]);
      }
      await closeStore();
      const { sealed } = assertChunkLayout(await readLog(path), 0n, 300n);
      assert.equal(sealed[0]!.first, 1n);
      assert.equal(sealed[0]!.last, 128n, 'the readers read across a seal of 1..128');
    });

    it('hands out every cursor once when puts seal the tail between each of its small pages', async () => {
      const s = await openStore();
      const blobs = Array.from({ length: 400 }, () => freshBlob());
      await putInGroups(s, blobs.slice(0, 30), 6);
      const reader = s.reader(0n);
      const seen: StoredBlob[] = [];
      const runs: Uint8Array[] = [];
      const runsReader = s.reader(0n);
      try {
        let put = 30;
        for (;;) {
          const page = await reader.next(7);
          seen.push(...page.blobs);
          runs.push(...(await runsReader.nextEntries(7)).runs);
          if (put < blobs.length) {
            await putInGroups(s, blobs.slice(put, put + 9), 3);
            put += 9;
          } else if (!page.more) break;
        }
      } finally {
        await Promise.all([reader.close(), runsReader.close()]);
      }
      assertBlobs(seen, blobs);
      assert.equal(hex(concat(runs)), pageEntryBytes(blobs.map((blob, i) => ({ cursor: BigInt(i + 1), blob }))));
    });
  });
});
