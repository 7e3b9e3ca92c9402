/**
 * Set-up and checks shared by the pub store's tests (test/daemon/pub/store/): a store in a temp
 * directory per test, distinct blobs, and the on-disk layout read back with a raw LevelDB. The
 * keys and records are written out here again, independently of daemon/pub/store/records.ts,
 * so a test checks the layout rather than the code's own idea of it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Level } from 'level';
import { CHUNK_TARGET_BYTES, decodeChunk, type Chunk } from '../../daemon/pub/store/chunk.js';
import { BlobStore, type BlobStoreInit, type StoredBlob } from '../../daemon/pub/store/index.js';
import { BLOB_SIZES, BLOB_VERSION } from '../../protocol/constants.js';
import { ready } from '../../protocol/crypto.js';
import { blobHash } from '../../protocol/pow.js';
import { PAGE_OVERHEAD_BYTES, encodePage } from '../../protocol/pub-wire.js';
import { makeTempDir, removeDir } from './temp.js';

export type RawDb = Level<Uint8Array, Uint8Array>;

export const STATE_KEY = Uint8Array.of(0x00, 0x01);
export const POW_CONTEXT_KEY = Uint8Array.of(0x00, 0x02);
export const INDEXED_KEY = Uint8Array.of(0x00, 0x01);
export const FILTER_KEY = Uint8Array.of(0x00, 0x02);
export const LAYOUT_CHUNKS = 0x02;
export const LAYOUT_PER_BLOB = 0x01;
export const RECORD_VERSION = 0x01;

let serial = 0;
/** A distinct valid blob each call. */
export function freshBlob(size = 2048): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = BLOB_VERSION;
  new DataView(b.buffer).setUint32(1, ++serial);
  b.fill(serial & 0xff, 5, 64);
  return b;
}

/** The `code` of what `fn` throws ('no error' if it returns; 'no code (…)' for an error without one). */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `no code (${String(err)})`;
  }
  return 'no error';
}

export async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => (err as { code?: string }).code === code);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function u64Key(prefix: number, value: bigint): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = prefix;
  new DataView(key.buffer).setBigUint64(1, value);
  return key;
}

export function u64At(b: Uint8Array, at: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at);
}

export function indexKey(hash: Uint8Array): Uint8Array {
  const key = new Uint8Array(33);
  key[0] = 0x02;
  key.set(hash, 1);
  return key;
}

/** 0x01 || cursor u64: an INDEX entry or the INDEXED mark. */
export function indexValue(cursor: bigint): Uint8Array {
  const v = new Uint8Array(9);
  v[0] = RECORD_VERSION;
  new DataView(v.buffer).setBigUint64(1, cursor);
  return v;
}

export function stateValue(layout: number, last: bigint, floor: bigint, blobs: number, bytes: number): Uint8Array {
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
export function legacyBlobValue(receivedAt: number, blob: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + 8 + 32 + blob.length);
  out[0] = RECORD_VERSION;
  new DataView(out.buffer).setBigUint64(1, BigInt(receivedAt));
  out.set(blobHash(blob), 9);
  out.set(blob, 41);
  return out;
}

/** Runs `fn` on the LevelDB database at `path`, opened raw (the store must be closed). */
export async function withRaw<T>(path: string, fn: (db: RawDb) => Promise<T>): Promise<T> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function allRecords(db: RawDb): Promise<Array<[Uint8Array, Uint8Array]>> {
  const out: Array<[Uint8Array, Uint8Array]> = [];
  for await (const [k, v] of db.iterator()) out.push([new Uint8Array(k), new Uint8Array(v)]);
  return out;
}

export interface LogLayout {
  readonly state: Uint8Array;
  readonly pow: Uint8Array;
  readonly chunks: Chunk[];
  /** Keys other than STATE, POW CONTEXT and CHUNK records, as hex. */
  readonly others: string[];
}

/** Reads the whole log database, decoding every CHUNK record (which checks it). */
export async function readLog(path: string): Promise<LogLayout> {
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
export function assertChunkLayout(log: LogLayout, floor: bigint, last: bigint): { sealed: Chunk[]; unsealed: Chunk[] } {
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
export async function readAll(store: BlobStore, limit = 64): Promise<StoredBlob[]> {
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

export function assertBlobs(got: readonly StoredBlob[], want: ReadonlyMap<bigint, Uint8Array> | readonly Uint8Array[], firstCursor = 1n): void {
  const expected = Array.isArray(want)
    ? (want as readonly Uint8Array[]).map((blob, i) => ({ cursor: firstCursor + BigInt(i), blob }))
    : [...(want as ReadonlyMap<bigint, Uint8Array>)].map(([cursor, blob]) => ({ cursor, blob }));
  assert.deepEqual(got.map((b) => b.cursor), expected.map((e) => e.cursor), 'cursors');
  got.forEach((b, i) => assert.ok(hex(b.blob) === hex(expected[i]!.blob), `cursor ${b.cursor} holds other bytes`));
}

/** Puts `blobs` in groups of `group` concurrent puts (each group is one commit). */
export async function putInGroups(store: BlobStore, blobs: readonly Uint8Array[], group: number): Promise<bigint[]> {
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
export function pageEntryBytes(blobs: readonly StoredBlob[]): string {
  const page = encodePage({ requestId: 1, more: false, pruned: false, start: 1n, next: 0n, head: 0n, blobs });
  return hex(page.subarray(PAGE_OVERHEAD_BYTES));
}

export function concat(runs: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(runs.reduce((n, r) => n + r.length, 0));
  let pos = 0;
  for (const r of runs) {
    out.set(r, pos);
    pos += r.length;
  }
  return out;
}

/** A store in a fresh temp directory per test (see useStoreDir). */
export interface StoreDir {
  /** This test's temp directory. */
  readonly dir: string;
  /** The log's path in it (`dir`/blobs; the index is beside it, at `path`-index). */
  readonly path: string;
  /** The store openStore opened last, until closeStore. */
  readonly store: BlobStore | undefined;
  /** Opens a store at `path` with these options; it is closed after the test. */
  openStore(init?: Omit<Partial<BlobStoreInit>, 'path'>): Promise<BlobStore>;
  closeStore(): Promise<void>;
}

/**
 * Registers, in the calling describe, hooks that wait for libsodium, make a temp directory
 * before each test (`snug-<prefix>-…`), and close the store and remove the directory after it.
 */
export function useStoreDir(prefix: string): StoreDir {
  let dir: string | undefined;
  let store: BlobStore | undefined;
  const ctx: StoreDir = {
    get dir(): string {
      assert.ok(dir !== undefined, 'no temp directory outside a test');
      return dir;
    },
    get path(): string {
      return join(ctx.dir, 'blobs');
    },
    get store(): BlobStore | undefined {
      return store;
    },
    async openStore(init = {}): Promise<BlobStore> {
      store = new BlobStore({ path: ctx.path, ...init });
      await store.open();
      return store;
    },
    async closeStore(): Promise<void> {
      await store?.close();
      store = undefined;
    },
  };
  before(async () => {
    await ready();
  });
  beforeEach(async () => {
    dir = await makeTempDir(prefix);
  });
  afterEach(async () => {
    await store?.close().catch(() => {});
    store = undefined;
    await removeDir(dir);
    dir = undefined;
  });
  return ctx;
}
