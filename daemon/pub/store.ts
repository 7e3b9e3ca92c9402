/**
 * The pub's blob store: opaque blobs in LevelDB, in arrival order, each under a monotonically
 * increasing cursor (bigint, u64; the first blob gets 1, 0 means "before everything").
 *
 * Two LevelDB databases (keys binary, big-endian, so iteration is in cursor order; every value
 * versioned). The log, at `path`, is the truth:
 *
 *   0x00 0x01              → STATE: 0x02 || last cursor u64 || prune floor u64 || blobs u64 || bytes u64
 *   0x00 0x02              → POW CONTEXT: 0x01 || 32 random bytes (this pub's PoW context)
 *   0x03 || last cursor u64→ CHUNK: consecutive blobs, see chunk.ts
 *
 * The dedupe index, at `path`-index, can be rebuilt from the log:
 *
 *   0x00 0x01              → INDEXED: 0x01 || cursor u64 (every blob up to it is indexed)
 *   0x02 || blob hash (32) → INDEX: 0x01 || cursor u64
 *
 *   0x00 0x02              → FILTER: 0x01 || last cursor it covers u64 || hashes when built u64 || saved HashFilter
 *
 * They are apart so that the log's keys only ever grow: LevelDB then moves its table files down
 * the levels instead of rewriting them (with random hash keys beside them, a 200 MB fill made
 * LevelDB rewrite over 1 GB). A commit writes the log first (synced, then acknowledged), then
 * the index (not synced): after a crash the index may lag, and open() indexes the blobs after
 * INDEXED again. An index entry outside floor+1 .. last (a prune the index had not caught up
 * with) counts as absent. A new log, or one older than its index, starts the index again.
 *
 * Dedupe: a Bloom filter in memory (hash-filter.ts, 2 MiB) holds every committed hash; only
 * posts it may hold are looked up in the index, those of the next commit while the current one
 * is synced. Blobs in the log that a pending lookup may not find in the index yet are kept in
 * #recent until it can. The filter is saved in the index (on close, and every FILTER_SAVE_EVERY
 * hashes) and loaded at open with the hashes the log holds after it.
 *
 * Blobs are kept in chunks of ~256 KiB rather than a record each: a catch-up read then costs
 * one LevelDB record per chunk, and a raw per-blob layout could not be read faster than ~0.7 of
 * a bare socket. Each group commit writes its new blobs as one unsealed chunk; once the unsealed
 * chunks at the end of the log hold CHUNK_TARGET_BYTES, the commit that fills them also writes,
 * after its acknowledgements, a batch (not synced) that replaces them with one sealed chunk.
 * Blobs are written about twice.
 *
 * STATE version 0x01 is the layout before chunks (0x01 || cursor u64 → one blob each); open()
 * converts such a store in place, in synced batches that survive a crash part way.
 *
 * The prune floor is the highest cursor ever pruned: blobs live at floor+1 .. last, with no gaps.
 * Every put is acknowledged only once its synced batch has been written; concurrent puts share
 * one synced batch (group commit). Writes (puts and prunes) run one after another on one queue.
 */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Level } from 'level';
import { BLOB_SIZE_MAX, BLOB_SIZES } from '../../protocol/constants.js';
import { randomBytes, ready } from '../../protocol/crypto.js';
import { BLOB_HASH_BYTES, POW_CONTEXT_BYTES, blobHash } from '../../protocol/pow.js';
import { checkBlob } from '../../protocol/pub-wire.js';
import {
  INDEX_CACHE_BYTES,
  INDEX_WRITE_BUFFER_BYTES,
  LEVEL_CACHE_BYTES,
  LEVEL_MAX_FILE_BYTES,
  LEVEL_MAX_OPEN_FILES,
  LEVEL_WRITE_BUFFER_BYTES,
  MAX_BATCH_POSTS,
  PRUNE_BATCH_RECORDS,
  QUOTA_BYTES,
  RETENTION_MS,
} from './constants.js';
import { CHUNK_MAX_BLOBS, CHUNK_TARGET_BYTES, Chunk, decodeChunk, encodeChunk, type ChunkEntry } from './chunk.js';
import { PubError, PubErrorCodes } from './errors.js';
import { HashFilter, loadHashFilter, saveHashFilter } from './hash-filter.js';

/** Version byte of the POW CONTEXT and INDEX records. */
export const STORE_RECORD_VERSION = 0x01;
/** Version byte of the STATE record: the store's layout (0x02: blobs in chunks). */
export const STORE_LAYOUT_VERSION = 0x02;
/** The layout before chunks (one record per blob), converted on open. */
const LAYOUT_PER_BLOB = 0x01;

const PREFIX_META = 0x00;
const PREFIX_LEGACY_BLOB = 0x01;
const PREFIX_INDEX = 0x02;
const PREFIX_CHUNK = 0x03;
const STATE_KEY = Uint8Array.of(PREFIX_META, 0x01);
/** In the index database: the cursor up to which every blob is indexed. */
const INDEXED_KEY = Uint8Array.of(PREFIX_META, 0x01);
/** Index entries written per batch while indexing the log again. */
const REINDEX_BATCH = 4096;
/** The hash filter's size: 2^24 bits, 2 MiB (about 1% false "maybe" at 1.6 million hashes). */
const FILTER_LOG2_BITS = 24;
/** The filter is built again from the index once it took this many hashes and is over half full. */
const FILTER_REBUILD_AFTER = 1 << 20;
/** The filter is saved in the index database on close and every this many hashes added. */
const FILTER_SAVE_EVERY = 1 << 17;
/** In the index database: FILTER: 0x01 || last cursor it covers u64 || hashes when built u64 || the saved filter. */
const FILTER_KEY = Uint8Array.of(PREFIX_META, 0x02);
const FILTER_RECORD_HEADER_BYTES = 1 + 8 + 8;
const POW_CONTEXT_KEY = Uint8Array.of(PREFIX_META, 0x02);
const CHUNK_FIRST = Uint8Array.of(PREFIX_CHUNK);
const CHUNK_END = Uint8Array.of(PREFIX_CHUNK + 1);
const STATE_BYTES = 1 + 4 * 8;
const LEGACY_BLOB_HEADER_BYTES = 1 + 8 + BLOB_HASH_BYTES;
const INDEX_RECORD_BYTES = 1 + 8;
const U64_MAX = (1n << 64n) - 1n;

export interface BlobStoreInit {
  /** Directory of the LevelDB database (created if missing). */
  readonly path: string;
  /** Total blob bytes kept; older blobs are pruned to make room. */
  readonly quotaBytes?: number;
  /** Blobs older than this (ms) are removed by prune(); 0 keeps them until the quota needs room. */
  readonly retentionMs?: number;
  /** LevelDB block cache in bytes. */
  readonly cacheSize?: number;
  /** Blob lengths accepted (default BLOB_SIZES). */
  readonly blobSizes?: readonly number[];
  /** Directory of the index database (default: `path` + "-index", beside it). */
  readonly indexPath?: string;
}

export interface PutResult {
  readonly cursor: bigint;
  /** The blob was already stored; `cursor` is where. */
  readonly duplicate: boolean;
}

export interface StoredBlob {
  readonly cursor: bigint;
  readonly blob: Uint8Array;
}

export interface SincePage {
  /** Blobs with cursor > the requested one, in cursor order. */
  readonly blobs: StoredBlob[];
  /** The cursor to ask for next. */
  readonly next: bigint;
  /** More blobs follow `next`. */
  readonly more: boolean;
  /** Blobs after the requested cursor were pruned: the caller may have missed some. */
  readonly pruned: boolean;
  /** First cursor the store can still hold (prune floor + 1). */
  readonly start: bigint;
  /** Last cursor assigned (0 when none). */
  readonly head: bigint;
}

/** A page's bounds and flags, without its blobs (see SincePage). */
export type PageBounds = Omit<SincePage, 'blobs'> & {
  /** Blobs in the page. */
  readonly count: number;
  /** Their bytes. */
  readonly bytes: number;
};

/** A page as runs of PAGE-frame entries (BlobReader.nextEntries). */
export interface EntriesPage extends PageBounds {
  readonly runs: Uint8Array[];
}

export interface BlobStoreStats {
  readonly blobs: number;
  readonly bytes: number;
  readonly start: bigint;
  readonly head: bigint;
}

export interface PruneResult {
  readonly removed: number;
  readonly bytes: number;
}

interface State {
  readonly last: bigint;
  readonly floor: bigint;
  readonly blobs: number;
  readonly bytes: number;
}

type Op = { type: 'del'; key: Uint8Array } | { type: 'put'; key: Uint8Array; value: Uint8Array };

/** The unsealed chunks at the end of the log: their keys and, in order, their blobs. */
interface Tail {
  readonly keys: Uint8Array[];
  readonly entries: ChunkEntry[];
  readonly bytes: number;
}

const EMPTY_TAIL: Tail = { keys: [], entries: [], bytes: 0 };

/** A dedupe lookup in the index, for several puts at once. */
interface Lookup {
  /** Index writes completed when it was issued: it sees those and maybe later ones. */
  readonly seen: number;
  readonly values: Promise<Array<Uint8Array | undefined>>;
}

interface PendingPut {
  readonly blob: Uint8Array;
  readonly hash: Uint8Array;
  /** Its index lookup, started while an earlier commit was being synced; and its place in it. */
  lookup?: { readonly of: Lookup; readonly at: number };
  readonly resolve: (r: PutResult) => void;
  readonly reject: (e: unknown) => void;
}

function u64Key(prefix: number, value: bigint): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = prefix;
  new DataView(key.buffer).setBigUint64(1, value);
  return key;
}

function chunkKey(last: bigint): Uint8Array {
  return u64Key(PREFIX_CHUNK, last);
}

function indexKey(hash: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + BLOB_HASH_BYTES);
  key[0] = PREFIX_INDEX;
  key.set(hash, 1);
  return key;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function corrupt(what: string): PubError {
  return new PubError(PubErrorCodes.STORE_CORRUPT, `the pub store holds a bad ${what} record`);
}

function encodeState(s: State): Uint8Array {
  const out = new Uint8Array(STATE_BYTES);
  const v = view(out);
  out[0] = STORE_LAYOUT_VERSION;
  v.setBigUint64(1, s.last);
  v.setBigUint64(9, s.floor);
  v.setBigUint64(17, BigInt(s.blobs));
  v.setBigUint64(25, BigInt(s.bytes));
  return out;
}

/** STATE and the layout it was written for. */
function decodeState(b: Uint8Array): State & { layout: number } {
  const layout = b[0];
  if (b.length !== STATE_BYTES || (layout !== STORE_LAYOUT_VERSION && layout !== LAYOUT_PER_BLOB)) throw corrupt('state');
  const v = view(b);
  const s = { layout, last: v.getBigUint64(1), floor: v.getBigUint64(9), blobs: Number(v.getBigUint64(17)), bytes: Number(v.getBigUint64(25)) };
  if (s.floor > s.last) throw corrupt('state');
  return s;
}

interface LegacyBlobRecord {
  readonly receivedAt: number;
  readonly hash: Uint8Array;
  readonly blob: Uint8Array;
}

/** A BLOB record of the per-blob layout (0x01 || received-at ms u64 || blob hash || blob). */
function decodeLegacyBlobRecord(b: Uint8Array): LegacyBlobRecord {
  if (b.length < LEGACY_BLOB_HEADER_BYTES || b[0] !== STORE_RECORD_VERSION) throw corrupt('blob');
  return {
    receivedAt: Number(view(b).getBigUint64(1)),
    hash: b.subarray(9, LEGACY_BLOB_HEADER_BYTES),
    blob: b.subarray(LEGACY_BLOB_HEADER_BYTES),
  };
}

function encodeIndex(cursor: bigint): Uint8Array {
  const out = new Uint8Array(INDEX_RECORD_BYTES);
  out[0] = STORE_RECORD_VERSION;
  view(out).setBigUint64(1, cursor);
  return out;
}

function decodeIndex(b: Uint8Array): bigint {
  if (b.length !== INDEX_RECORD_BYTES || b[0] !== STORE_RECORD_VERSION) throw corrupt('index');
  return view(b).getBigUint64(1);
}

function cursorOfKey(key: Uint8Array, prefix: number): bigint {
  if (key.length !== 9 || key[0] !== prefix) throw corrupt('key');
  return view(key).getBigUint64(1);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function checkCursor(cursor: bigint): void {
  if (typeof cursor !== 'bigint' || cursor < 0n || cursor > U64_MAX) {
    throw new PubError(PubErrorCodes.POLICY, 'a cursor is a u64 bigint');
  }
}

/** Maps a LevelDB open failure to a typed error. */
function openError(err: unknown, path: string): PubError {
  const e = err as { code?: string; cause?: { code?: string } };
  const codes = [e.code, e.cause?.code];
  if (codes.includes('LEVEL_LOCKED')) {
    return new PubError(PubErrorCodes.HOME_LOCKED, `another pub is using the store at ${path}`, { cause: err });
  }
  return new PubError(PubErrorCodes.HOME_UNWRITABLE, `cannot open the pub store at ${path}`, { cause: err });
}

/** Opens (creating) one of the store's LevelDB databases, mapping failures to typed errors. */
async function openLevel(
  path: string,
  options: { cacheSize: number; writeBufferSize: number; maxOpenFiles: number; maxFileSize: number },
): Promise<Level<Uint8Array, Uint8Array>> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PubError(PubErrorCodes.HOME_UNWRITABLE, `cannot create the pub store at ${path}`, { cause: err });
  }
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', compression: false, ...options });
  try {
    await db.open();
  } catch (err) {
    throw openError(err, path);
  }
  return db;
}

/** The index's INDEXED mark (0 for a new or lost index). */
function decodeIndexed(b: Uint8Array | undefined): bigint {
  return b === undefined ? 0n : decodeIndex(b);
}

/** The tail once every blob up to `floor` is pruned (a chunk keyed at or below it is gone). */
function pruneTail(tail: Tail, floor: bigint): Tail {
  const first = tail.entries[0];
  if (first === undefined || first.cursor > floor) return tail;
  const entries = tail.entries.filter((e) => e.cursor > floor);
  const keys = tail.keys.filter((k) => cursorOfKey(k, PREFIX_CHUNK) > floor);
  let bytes = 0;
  for (const e of entries) bytes += e.blob.length;
  return { keys, entries, bytes };
}

/** Read-ahead of a reader's iterator (LevelDB's default, 16 KiB, is a small fraction of a chunk). */
const READ_AHEAD_BYTES = 1024 * 1024;
/** Chunk records a streaming reader takes from its iterator at a time. */
const RECORDS_PER_READ = 4;

export interface ReaderOptions {
  /**
   * The reader will be asked for page after page (a streamed fetch, a subscription catching up):
   * it reads RECORDS_PER_READ chunks at a time and starts each read as the one before ends.
   * Otherwise it reads only the chunks the page asked for can need.
   */
  readonly streaming?: boolean;
}

/**
 * Reads pages of blobs in cursor order from one iterator (see BlobStore.reader). The iterator
 * reads a snapshot; once the snapshot is read to its end, blobs stored since are read from a new
 * iterator, so a reader sees every blob stored before it reaches the head.
 */
export class BlobReader {
  readonly #db: Level<Uint8Array, Uint8Array>;
  readonly #state: () => State;
  readonly #blobSizes: readonly number[];
  #cursor: bigint;
  #it: ReturnType<Level<Uint8Array, Uint8Array>['iterator']> | undefined;
  #openedAt = 0n;
  #checkPrune = false;
  #records: Array<[Uint8Array, Uint8Array]> = [];
  #recordIndex = 0;
  /** The iterator's next read, started as soon as the previous one ended (read-ahead). */
  #prefetch: Promise<Array<[Uint8Array, Uint8Array]>> | undefined;
  #chunk: Chunk | undefined;
  /** The next blob of #chunk to hand out. */
  #blobIndex = 0;
  #exhausted = false;
  #closed = false;

  readonly #streaming: boolean;
  /** Chunk records the next read takes (set from what the page being read can still need). */
  #want = 1;

  constructor(db: Level<Uint8Array, Uint8Array>, cursor: bigint, state: () => State, blobSizes: readonly number[], options: ReaderOptions = {}) {
    this.#db = db;
    this.#cursor = cursor;
    this.#state = state;
    this.#blobSizes = blobSizes;
    this.#streaming = options.streaming === true;
  }

  #openIterator(): void {
    // The chunk holding cursor+1 is the first whose key (its last cursor) is >= cursor+1.
    const gte = this.#cursor >= U64_MAX ? CHUNK_END : chunkKey(this.#cursor + 1n);
    this.#it = this.#db.iterator({ gte, lt: CHUNK_END, highWaterMarkBytes: READ_AHEAD_BYTES });
    this.#openedAt = this.#cursor;
    this.#checkPrune = true;
    this.#exhausted = false;
  }

  /**
   * Takes the iterator's next records, and starts reading the ones after them, so that LevelDB
   * reads (off the event loop) overlap with sending what was read.
   */
  async #read(): Promise<void> {
    const it = this.#it!;
    const read = this.#prefetch ?? (it.nextv(this.#streaming ? RECORDS_PER_READ : this.#want) as Promise<Array<[Uint8Array, Uint8Array]>>);
    this.#prefetch = undefined;
    this.#records = await read;
    this.#recordIndex = 0;
    if (this.#records.length === 0) this.#exhausted = true;
    else if (this.#streaming && !this.#closed) {
      const next = it.nextv(RECORDS_PER_READ) as Promise<Array<[Uint8Array, Uint8Array]>>;
      next.catch(() => {}); // surfaces when awaited in #read
      this.#prefetch = next;
    }
  }

  /** The next chunk record, or undefined at the end of the store. */
  async #nextRecord(): Promise<[Uint8Array, Uint8Array] | undefined> {
    if (this.#recordIndex >= this.#records.length && this.#it !== undefined && !this.#exhausted) await this.#read();
    if (this.#recordIndex >= this.#records.length) {
      // First read, or the snapshot is read to its end: blobs stored since need a fresh iterator.
      if (this.#it !== undefined) {
        if (this.#state().last <= this.#cursor) return undefined;
        await this.#prefetch?.catch(() => {});
        this.#prefetch = undefined;
        await this.#it.close();
      }
      this.#openIterator();
      await this.#read();
    }
    const record = this.#records[this.#recordIndex];
    if (record !== undefined) this.#recordIndex += 1;
    return record;
  }

  /** The chunk holding the next blob after the cursor, or undefined at the end of the store. */
  async #current(): Promise<Chunk | undefined> {
    for (;;) {
      const chunk = this.#chunk;
      if (chunk !== undefined && this.#blobIndex < chunk.count) return chunk;
      this.#chunk = undefined;
      const record = await this.#nextRecord();
      if (record === undefined) return undefined;
      const next = decodeChunk(cursorOfKey(record[0], PREFIX_CHUNK), record[1], this.#blobSizes);
      if (next.last <= this.#cursor) continue;
      this.#chunk = next;
      // The first chunk an iterator finds may start before the cursor.
      this.#blobIndex = next.first > this.#cursor ? 0 : Number(this.#cursor - next.first) + 1;
    }
  }

  /** Blobs after the last one read, at most `limit` and `maxBytes` (at least one when any exists). */
  async next(limit: number, maxBytes: number = Number.MAX_SAFE_INTEGER): Promise<SincePage> {
    const blobs: StoredBlob[] = [];
    const page = await this.#take(limit, maxBytes, (chunk, from, to) => {
      // Views into the chunk record, no copies.
      for (let i = from; i < to; i++) blobs.push({ cursor: chunk.cursor(i), blob: chunk.blob(i) });
    });
    return { ...page, blobs };
  }

  /**
   * Like next(), but the blobs come as runs of PAGE entries (cursor u64 || length u32 || blob,
   * views into the chunk records) for encodePageEntries: a page without an object per blob.
   */
  async nextEntries(limit: number, maxBytes: number = Number.MAX_SAFE_INTEGER): Promise<EntriesPage> {
    const runs: Uint8Array[] = [];
    const page = await this.#take(limit, maxBytes, (chunk, from, to) => {
      runs.push(chunk.entries(from, to));
    });
    return { ...page, runs };
  }

  /** Advances over the next blobs (see next()), handing each run of them within a chunk to `take`. */
  async #take(limit: number, maxBytes: number, take: (chunk: Chunk, from: number, to: number) => void): Promise<PageBounds> {
    if (!Number.isInteger(limit) || limit < 1) throw new PubError(PubErrorCodes.POLICY, 'a page limit is a positive integer');
    if (this.#closed) throw new PubError(PubErrorCodes.STORE_CLOSED, 'the reader is closed');
    let count = 0;
    let bytes = 0;
    let more = false;
    let pruned = false;
    while (!more) {
      // If the next chunk must be read: what the rest of this page can need (that many chunks,
      // and one more for a page that starts inside a chunk).
      const need = Math.min(maxBytes - bytes, (limit - count) * BLOB_SIZE_MAX);
      this.#want = Math.max(1, Math.min(RECORDS_PER_READ, Math.ceil(need / CHUNK_TARGET_BYTES) + 1));
      const chunk = await this.#current();
      if (this.#checkPrune) {
        // Read the state after the iterator's first read: a prune raises the floor before it deletes anything.
        this.#checkPrune = false;
        if (this.#openedAt < this.#state().floor) pruned = true;
      }
      if (chunk === undefined) break;
      const from = this.#blobIndex;
      let i = from;
      for (; i < chunk.count; i++) {
        const length = chunk.blobLength(i);
        if (count >= limit || (count > 0 && bytes + length > maxBytes)) {
          more = true;
          break;
        }
        count += 1;
        bytes += length;
      }
      if (i > from) {
        take(chunk, from, i);
        this.#blobIndex = i;
        this.#cursor = chunk.cursor(i - 1);
      }
    }
    const { floor, last } = this.#state();
    if (count === 0 && pruned && floor > this.#cursor) this.#cursor = floor;
    if (!more && last > this.#cursor) more = true;
    return { count, bytes, next: this.#cursor, more, pruned, start: floor + 1n, head: last };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#records = [];
    this.#chunk = undefined;
    const it = this.#it;
    if (it === undefined) return;
    await this.#prefetch?.catch(() => {});
    this.#prefetch = undefined;
    // classic-level keeps an iterator's last read-ahead (up to READ_AHEAD_BYTES of copies, in
    // native memory V8 does not see) until the iterator is garbage collected, long after close.
    // A read past the end of the range first drops it: without this, a pub serving many
    // fetches grew its RSS by hundreds of MiB (bench/pub-memory).
    try {
      it.seek(CHUNK_END);
      await it.nextv(1);
    } catch {
      // closing anyway
    }
    await it.close();
  }
}

/** Dispatched after each batch that stored at least one new blob; carries the new blobs. */
export class AppendEvent extends Event {
  constructor(readonly blobs: readonly StoredBlob[]) {
    super('append');
  }
}

export type BlobStoreEvents = { append: AppendEvent };

/**
 * Dispatches `append` (an AppendEvent) after each batch that stored at least one new blob.
 */
export class BlobStore extends EventTarget {
  readonly path: string;
  readonly indexPath: string;
  readonly #quotaBytes: number;
  readonly #retentionMs: number;
  readonly #cacheSize: number;
  readonly #blobSizes: readonly number[];
  #db: Level<Uint8Array, Uint8Array> | undefined;
  #index: Level<Uint8Array, Uint8Array> | undefined;
  /** An index write failed: index the log again before the next dedupe lookup. */
  #indexStale = false;
  /** A seal batch failed: the tail is read from the log again before the next commit. */
  #tailStale = false;
  /** The seals queued (see #commit), written in order; never rejects. */
  #sealing: Promise<void> = Promise.resolve();
  /**
   * Blobs in the log that a lookup still pending may not see in the index (hex hash → cursor,
   * and the number of the index write that wrote it, 0 until written): dedupe looks here too, so
   * neither a commit nor its lookups wait for the index writes before them.
   */
  readonly #recent = new Map<string, { readonly cursor: bigint; written: number }>();
  /** Index writes, one after another, behind the log writes they follow. */
  #indexWrites: Promise<void> = Promise.resolve();
  /** Index writes completed. */
  #writesDone = 0;
  /** Every hash in the index, and every hash committed since: which posts need a lookup. */
  #filter = new HashFilter(FILTER_LOG2_BITS);
  /** filter.added when it was last built, and when it was last saved. */
  #filterBuiltWith = 0;
  #filterSavedAt = 0;
  /** The puts of the commit under way, until their lookups are decided. */
  #deciding: readonly PendingPut[] = [];
  #state: State = { last: 0n, floor: 0n, blobs: 0, bytes: 0 };
  #tail: Tail = EMPTY_TAIL;
  #powContext: Uint8Array = new Uint8Array(POW_CONTEXT_BYTES);
  #pending: PendingPut[] = [];
  #flushQueued = false;
  #chain: Promise<unknown> = Promise.resolve();
  #closing = false;

  constructor(init: BlobStoreInit) {
    super();
    this.path = init.path;
    this.indexPath = init.indexPath ?? join(dirname(init.path), `${basename(init.path)}-index`);
    this.#quotaBytes = init.quotaBytes ?? QUOTA_BYTES;
    this.#retentionMs = init.retentionMs ?? RETENTION_MS;
    this.#cacheSize = init.cacheSize ?? LEVEL_CACHE_BYTES;
    this.#blobSizes = init.blobSizes ?? BLOB_SIZES;
    if (!Number.isSafeInteger(this.#quotaBytes) || this.#quotaBytes < 1) {
      throw new PubError(PubErrorCodes.BAD_LIMIT, 'the quota is a positive number of bytes');
    }
    if (!Number.isSafeInteger(this.#retentionMs) || this.#retentionMs < 0) {
      throw new PubError(PubErrorCodes.BAD_LIMIT, 'the retention is a non-negative number of milliseconds');
    }
  }

  get isOpen(): boolean {
    return this.#db !== undefined && !this.#closing;
  }

  /** This pub's PoW context, created at random when the store is first opened. */
  get powContext(): Uint8Array {
    return new Uint8Array(this.#powContext);
  }

  /** Opens (creating if needed) the databases. Does not prune; call prune() after. */
  async open(): Promise<void> {
    if (this.#db) return;
    await ready();
    const db = await openLevel(this.path, {
      cacheSize: this.#cacheSize,
      writeBufferSize: LEVEL_WRITE_BUFFER_BYTES,
      maxOpenFiles: LEVEL_MAX_OPEN_FILES,
      maxFileSize: LEVEL_MAX_FILE_BYTES,
    });
    let index: Level<Uint8Array, Uint8Array> | undefined;
    try {
      index = await openLevel(this.indexPath, {
        cacheSize: INDEX_CACHE_BYTES,
        writeBufferSize: INDEX_WRITE_BUFFER_BYTES,
        maxOpenFiles: LEVEL_MAX_OPEN_FILES,
        maxFileSize: LEVEL_MAX_FILE_BYTES,
      });
      const [state, pow] = await db.getMany([STATE_KEY, POW_CONTEXT_KEY]);
      const freshLog = state === undefined;
      if (state === undefined) {
        const ctx = randomBytes(POW_CONTEXT_BYTES);
        const powRecord = new Uint8Array(1 + POW_CONTEXT_BYTES);
        powRecord[0] = STORE_RECORD_VERSION;
        powRecord.set(ctx, 1);
        this.#state = { last: 0n, floor: 0n, blobs: 0, bytes: 0 };
        await db.batch(
          [
            { type: 'put', key: STATE_KEY, value: encodeState(this.#state) },
            { type: 'put', key: POW_CONTEXT_KEY, value: powRecord },
          ],
          { sync: true },
        );
        this.#powContext = ctx;
      } else {
        const { layout, ...decoded } = decodeState(state);
        if (pow === undefined || pow.length !== 1 + POW_CONTEXT_BYTES || pow[0] !== STORE_RECORD_VERSION) throw corrupt('PoW context');
        this.#powContext = new Uint8Array(pow.subarray(1)); // a plain copy (LevelDB hands out Buffers)
        if (layout === LAYOUT_PER_BLOB) await this.#convertPerBlob(db, decoded);
        this.#state = decoded;
      }
      this.#tail = await this.#loadTail(db);
      await this.#reindex(db, index, freshLog);
      await this.#loadFilter(db, index);
    } catch (err) {
      await index?.close().catch(() => {});
      await db.close().catch(() => {});
      if (err instanceof PubError) throw err;
      throw new PubError(PubErrorCodes.HOME_UNWRITABLE, `cannot initialise the pub store at ${this.path}`, { cause: err });
    }
    this.#db = db;
    this.#index = index;
    this.#closing = false;
  }

  /**
   * The hash filter as saved, with the hashes of the blobs committed after it was saved (read
   * from the log); built from the whole index if none was saved or it is not of this log. A
   * saved filter spares reading (and mapping into memory) the whole index at every start.
   */
  async #loadFilter(db: Level<Uint8Array, Uint8Array>, index: Level<Uint8Array, Uint8Array>): Promise<void> {
    const record = await index.get(FILTER_KEY);
    const { last } = this.#state;
    if (record !== undefined && record.length > FILTER_RECORD_HEADER_BYTES && record[0] === STORE_RECORD_VERSION) {
      const v = view(record);
      const covers = v.getBigUint64(1);
      const filter = covers <= last ? loadHashFilter(record.subarray(FILTER_RECORD_HEADER_BYTES)) : null;
      if (filter !== null) {
        for await (const [key, value] of db.iterator({ gte: chunkKey(covers + 1n), lt: CHUNK_END })) {
          const chunk = decodeChunk(cursorOfKey(key, PREFIX_CHUNK), value, this.#blobSizes);
          for (let i = 0; i < chunk.count; i++) if (chunk.cursor(i) > covers) filter.add(chunk.hash(i));
        }
        this.#filter = filter;
        this.#filterBuiltWith = Number(v.getBigUint64(9));
        this.#filterSavedAt = filter.added;
        return;
      }
    }
    await this.#buildFilter(index);
  }

  /** Builds the hash filter from the index (its entries' keys). */
  async #buildFilter(index: Level<Uint8Array, Uint8Array>): Promise<void> {
    const filter = new HashFilter(FILTER_LOG2_BITS);
    for await (const key of index.keys({ gt: Uint8Array.of(PREFIX_INDEX), lt: Uint8Array.of(PREFIX_INDEX + 1) })) {
      if (key.length === 1 + BLOB_HASH_BYTES) filter.add(key.subarray(1));
    }
    this.#filter = filter;
    this.#filterBuiltWith = filter.added;
    this.#filterSavedAt = -FILTER_SAVE_EVERY; // save it with the next index write
  }

  /** The FILTER record: the filter now, covering every blob committed so far. */
  #filterRecord(): Uint8Array {
    const saved = saveHashFilter(this.#filter);
    const out = new Uint8Array(FILTER_RECORD_HEADER_BYTES + saved.length);
    const v = view(out);
    out[0] = STORE_RECORD_VERSION;
    v.setBigUint64(1, this.#state.last);
    v.setBigUint64(9, BigInt(this.#filterBuiltWith));
    out.set(saved, FILTER_RECORD_HEADER_BYTES);
    this.#filterSavedAt = this.#filter.added;
    return out;
  }

  /**
   * Indexes the blobs the index has not caught up with (after a crash, or a lost index): those
   * after its INDEXED mark, or after the prune floor if that is higher.
   */
  async #reindex(db: Level<Uint8Array, Uint8Array>, index: Level<Uint8Array, Uint8Array>, fresh = false): Promise<void> {
    let mark = decodeIndexed(await index.get(INDEXED_KEY));
    const { floor, last } = this.#state;
    if (mark === last && !fresh) return;
    if (fresh || mark > last) {
      // An index of another log (this one is new) or of a later state of this log (restored from
      // a backup): its entries would name cursors that now hold other blobs. Start it again.
      await index.clear();
      mark = 0n;
    }
    const from = mark > floor ? mark : floor;
    let ops: Op[] = [];
    for await (const [key, value] of db.iterator({ gte: chunkKey(from + 1n), lt: CHUNK_END })) {
      const chunk = decodeChunk(cursorOfKey(key, PREFIX_CHUNK), value, this.#blobSizes);
      for (let i = 0; i < chunk.count; i++) {
        const cursor = chunk.cursor(i);
        if (cursor > from) ops.push({ type: 'put', key: indexKey(chunk.hash(i)), value: encodeIndex(cursor) });
      }
      if (ops.length >= REINDEX_BATCH) {
        ops.push({ type: 'put', key: INDEXED_KEY, value: encodeIndex(chunk.last) });
        await index.batch(ops);
        ops = [];
      }
    }
    ops.push({ type: 'put', key: INDEXED_KEY, value: encodeIndex(last) });
    await index.batch(ops, { sync: true });
  }

  /**
   * Converts a store of the per-blob layout (STATE 0x01) to chunks: one iterator reads the blob
   * records in cursor order, and every CHUNK_TARGET_BYTES of them become a sealed chunk, written
   * in a synced batch that also deletes the records it replaces. A crash part way leaves each
   * blob in exactly one layout; the next open goes on from there. STATE changes last. The
   * per-blob index records go with their blobs; #reindex then builds the index database.
   */
  async #convertPerBlob(db: Level<Uint8Array, Uint8Array>, state: State): Promise<void> {
    let entries: ChunkEntry[] = [];
    let dels: Op[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      const last = entries[entries.length - 1];
      if (last === undefined) return;
      await db.batch([{ type: 'put', key: chunkKey(last.cursor), value: encodeChunk(entries, true) }, ...dels], { sync: true });
      entries = [];
      dels = [];
      bytes = 0;
    };
    for await (const [key, value] of db.iterator({ gte: Uint8Array.of(PREFIX_LEGACY_BLOB), lt: Uint8Array.of(PREFIX_LEGACY_BLOB + 1) })) {
      const cursor = cursorOfKey(key, PREFIX_LEGACY_BLOB);
      const prev = entries[entries.length - 1];
      if ((prev !== undefined && cursor !== prev.cursor + 1n) || cursor <= state.floor || cursor > state.last) throw corrupt('blob');
      const rec = decodeLegacyBlobRecord(value);
      entries.push({ cursor, receivedAt: rec.receivedAt, hash: rec.hash, blob: rec.blob });
      // The index moves to its own database, rebuilt from the chunks by #reindex.
      dels.push({ type: 'del', key }, { type: 'del', key: indexKey(rec.hash) });
      bytes += rec.blob.length;
      if (bytes >= CHUNK_TARGET_BYTES || entries.length >= CHUNK_MAX_BLOBS) await flush();
    }
    await flush();
    await db.put(STATE_KEY, encodeState(state), { sync: true });
  }

  /** The unsealed chunks at the end of the log (at most CHUNK_TARGET_BYTES of blobs), oldest first. */
  async #loadTail(db: Level<Uint8Array, Uint8Array>): Promise<Tail> {
    const chunks: Chunk[] = [];
    const keys: Uint8Array[] = [];
    for await (const [key, value] of db.iterator({ gte: CHUNK_FIRST, lt: CHUNK_END, reverse: true })) {
      const chunk = decodeChunk(cursorOfKey(key, PREFIX_CHUNK), value, this.#blobSizes);
      if (chunk.sealed) break;
      chunks.unshift(chunk);
      keys.unshift(key);
      if (chunks.length > CHUNK_MAX_BLOBS) throw corrupt('chunk');
    }
    const entries: ChunkEntry[] = [];
    let bytes = 0;
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.count; i++) entries.push(chunk.entry(i));
      bytes += chunk.blobBytes;
    }
    return { keys, entries, bytes };
  }

  #open(): Level<Uint8Array, Uint8Array> {
    if (!this.#db || this.#closing) throw new PubError(PubErrorCodes.STORE_CLOSED, 'the pub store is not open');
    return this.#db;
  }

  /** Runs `fn` after every write queued before it. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(fn);
    this.#chain = p.catch(() => {});
    return p;
  }

  stats(): BlobStoreStats {
    return { blobs: this.#state.blobs, bytes: this.#state.bytes, start: this.#state.floor + 1n, head: this.#state.last };
  }

  /**
   * Stores `blob` unless an identical blob is stored already, and resolves once it is durable.
   * Rejects with BAD_BLOB for a length outside the accepted sizes or a wrong version byte.
   * `options.hash` is blobHash(blob) when the caller has computed it already (the server does,
   * for the proof of work).
   */
  put(blob: Uint8Array, options: { hash?: Uint8Array } = {}): Promise<PutResult> {
    try {
      this.#open();
    } catch (err) {
      return Promise.reject(err);
    }
    if (checkBlob(blob, this.#blobSizes) !== null) {
      return Promise.reject(new PubError(PubErrorCodes.BAD_BLOB, 'a blob must have an accepted size and start with BLOB_VERSION'));
    }
    if (blob.length > this.#quotaBytes) {
      return Promise.reject(new PubError(PubErrorCodes.BAD_BLOB, 'the blob is larger than the whole quota'));
    }
    const hash = options.hash?.length === BLOB_HASH_BYTES ? options.hash : blobHash(blob);
    return new Promise<PutResult>((resolve, reject) => {
      this.#pending.push({ blob: new Uint8Array(blob), hash, resolve, reject });
      this.#queueFlush();
    });
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    void this.#serial(async () => {
      while (this.#pending.length > 0) {
        const items = this.#pending.splice(0, MAX_BATCH_POSTS);
        try {
          await this.#commit(items);
        } catch (err) {
          for (const item of items) item.reject(err);
        }
      }
      this.#flushQueued = false;
    });
  }

  async #commit(items: PendingPut[]): Promise<void> {
    const db = this.#db;
    if (!db) throw new PubError(PubErrorCodes.STORE_CLOSED, 'the pub store is not open');
    let incoming = 0;
    for (const item of items) incoming += item.blob.length;
    // Make room first (its own synced batch); duplicates may make this free a little too much.
    if (this.#state.bytes + incoming > this.#quotaBytes) {
      const target = this.#state.bytes + incoming - this.#quotaBytes;
      await this.#pruneFront((_at, freed) => freed < target);
    }
    const index = this.#index!;
    if (this.#tailStale) {
      await this.#sealing;
      this.#tail = await this.#loadTail(db);
      this.#tailStale = false;
    }
    if (this.#indexStale) {
      await this.#indexWrites;
      await this.#reindex(db, index);
      this.#recent.clear();
      for (const item of [...items, ...this.#pending]) delete item.lookup;
      this.#indexStale = false;
    }
    if (this.#filter.fill > 0.5 && this.#filter.added - this.#filterBuiltWith >= FILTER_REBUILD_AFTER) {
      // Pruned hashes stay in the filter: start it again from the index, once the index holds
      // every committed hash (a failed index write is repaired first, above, next time).
      await this.#indexWrites;
      if (!this.#indexStale) await this.#buildFilter(index);
    }
    // Posts the filter says were never committed need no lookup: every committed hash was added
    // to it at its commit, and no commit runs until these are decided.
    this.#lookup(items);
    this.#deciding = items;
    let found: Array<Uint8Array | undefined>;
    try {
      found = await Promise.all(items.map(async (i) => (i.lookup ? (await i.lookup.of.values)[i.lookup.at] : undefined)));
    } finally {
      this.#deciding = [];
    }
    // From here to the decisions below nothing is awaited, so #recent cannot forget meanwhile.
    const inBatch = new Map<string, bigint>();
    const results: PutResult[] = [];
    const added: StoredBlob[] = [];
    const fresh: ChunkEntry[] = [];
    const ops: Op[] = [];
    const indexOps: Op[] = [];
    let { last, blobs, bytes } = this.#state;
    const { floor } = this.#state;
    const now = Date.now();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const stored = found[i];
      const key = hex(item.hash);
      const indexed = stored !== undefined ? decodeIndex(stored) : undefined;
      // An entry outside the log (pruned, before the index caught up) is stale.
      const recent = this.#recent.get(key)?.cursor;
      const existing =
        indexed !== undefined && indexed > floor && indexed <= last
          ? indexed
          : recent !== undefined && recent > floor
            ? recent
            : inBatch.get(key);
      if (existing !== undefined) {
        results.push({ cursor: existing, duplicate: true });
        continue;
      }
      last += 1n;
      fresh.push({ cursor: last, receivedAt: now, hash: item.hash, blob: item.blob });
      indexOps.push({ type: 'put', key: indexKey(item.hash), value: encodeIndex(last) });
      inBatch.set(key, last);
      added.push({ cursor: last, blob: item.blob });
      blobs += 1;
      bytes += item.blob.length;
      results.push({ cursor: last, duplicate: false });
    }
    const appended = fresh.length > 0;
    let seal: Op[] = [];
    if (appended) {
      const chunks = this.#appendChunks(fresh, ops);
      const tail = chunks.tail;
      seal = chunks.seal;
      const next: State = { last, floor: this.#state.floor, blobs, bytes };
      ops.push({ type: 'put', key: STATE_KEY, value: encodeState(next) });
      // The next commit's lookups run while this one is synced.
      this.#lookup(this.#pending.slice(0, MAX_BATCH_POSTS));
      await db.batch(ops, { sync: true });
      this.#state = next;
      this.#tail = tail;
      for (const [key, cursor] of inBatch) this.#recent.set(key, { cursor, written: 0 });
      for (const e of fresh) this.#filter.add(e.hash);
      if (this.#filter.added - this.#filterSavedAt >= FILTER_SAVE_EVERY) {
        indexOps.push({ type: 'put', key: FILTER_KEY, value: this.#filterRecord() });
      }
      indexOps.push({ type: 'put', key: INDEXED_KEY, value: encodeIndex(last) });
      this.#writeIndex(indexOps, inBatch);
    }
    this.#forgetRecent();
    items.forEach((item, i) => item.resolve(results[i]!));
    if (appended) this.dispatchEvent(new AppendEvent(added));
    if (seal.length > 0) {
      // Not synced: it only rewrites durable blobs, atomically, and the next synced batch
      // carries it to disk. If it is lost, the unsealed chunks are still there. Not awaited
      // here, so the next commit need not wait for it: it writes only keys above the sealed
      // range, and whatever rewrites keys in it (pruning, reloading the tail, close) waits
      // for #sealing. Seals are written one after another.
      this.#sealing = this.#sealing.then(() =>
        db.batch(seal).catch(() => {
          this.#tailStale = true;
        }),
      );
    }
  }

  /** Starts one index lookup for those of `items` without one that the filter may hold. */
  #lookup(items: readonly PendingPut[]): void {
    const missing = items.filter((item) => item.lookup === undefined && this.#filter.mayHave(item.hash));
    if (missing.length === 0) return;
    const of: Lookup = { seen: this.#writesDone, values: this.#index!.getMany(missing.map((item) => indexKey(item.hash))) };
    of.values.catch(() => {}); // surfaces in #commit
    missing.forEach((item, at) => {
      item.lookup = { of, at };
    });
  }

  /** Drops from #recent what every pending lookup can see in the index. */
  #forgetRecent(): void {
    let oldest = this.#writesDone;
    for (const items of [this.#deciding, this.#pending]) {
      for (const item of items) if (item.lookup && item.lookup.of.seen < oldest) oldest = item.lookup.of.seen;
    }
    for (const [key, entry] of this.#recent) if (entry.written !== 0 && entry.written <= oldest) this.#recent.delete(key);
  }

  /**
   * Queues an index write (not synced: after a crash, open() indexes again whatever the index
   * lost) and, once it is written, lets #recent forget `written` when no pending lookup could
   * have missed it. The blobs are durable whatever
   * happens to the index: after a failed write, the next commit indexes the log again first.
   */
  #writeIndex(ops: Op[], written: ReadonlyMap<string, bigint>): void {
    const index = this.#index!;
    this.#indexWrites = this.#indexWrites
      .then(() => index.batch(ops))
      .then(
        () => {
          this.#writesDone += 1;
          for (const [key, cursor] of written) {
            const entry = this.#recent.get(key);
            if (entry?.cursor === cursor) entry.written = this.#writesDone;
          }
          this.#forgetRecent();
        },
        () => {
          this.#indexStale = true;
        },
      );
  }

  /**
   * Adds to `ops` the chunk records of `fresh` (the blobs after the tail): they are written as
   * one unsealed chunk, except that a run of CHUNK_TARGET_BYTES (or CHUNK_MAX_BLOBS) made of new
   * blobs only is written sealed at once. Where the tail and new blobs fill a chunk, `seal` holds
   * the batch that rewrites them as one sealed chunk and deletes their unsealed chunks, written
   * after the commit is acknowledged. `tail` is the tail once both are written.
   */
  #appendChunks(fresh: readonly ChunkEntry[], ops: Op[]): { tail: Tail; seal: Op[] } {
    let keys = [...this.#tail.keys];
    let entries = [...this.#tail.entries];
    let bytes = this.#tail.bytes;
    // entries[0 .. written) are on disk already, in the unsealed chunks `keys`
    let written = entries.length;
    const seal: Op[] = [];
    for (const e of fresh) {
      entries.push(e);
      bytes += e.blob.length;
      if (bytes < CHUNK_TARGET_BYTES && entries.length < CHUNK_MAX_BLOBS) continue;
      const key = chunkKey(e.cursor);
      if (keys.length === 0) {
        ops.push({ type: 'put', key, value: encodeChunk(entries, true) });
      } else {
        // The new blobs are durable with this commit; the sealed chunk replaces them after.
        ops.push({ type: 'put', key, value: encodeChunk(entries.slice(written), false) });
        seal.push({ type: 'put', key, value: encodeChunk(entries, true) });
        for (const k of keys) seal.push({ type: 'del', key: k });
      }
      keys = [];
      entries = [];
      bytes = 0;
      written = 0;
    }
    const part = entries.slice(written);
    const lastNew = part[part.length - 1];
    if (lastNew !== undefined) {
      const key = chunkKey(lastNew.cursor);
      ops.push({ type: 'put', key, value: encodeChunk(part, false) });
      keys.push(key);
    }
    return { tail: { keys, entries, bytes }, seal };
  }

  /**
   * Removes blobs from the front (oldest first) while `remove(receivedAt, bytesFreedSoFar)` says
   * so, in synced batches of about PRUNE_BATCH_RECORDS blobs: chunks wholly pruned are deleted, a
   * chunk pruned in part is rewritten with the rest. The in-memory prune floor is raised before
   * each batch is written, so a reader that checks it after reading never misses a prune silently.
   */
  async #pruneFront(remove: (receivedAt: number, freed: number) => boolean, maxBatches = Number.POSITIVE_INFINITY): Promise<PruneResult & { done: boolean }> {
    const db = this.#db;
    if (!db) throw new PubError(PubErrorCodes.STORE_CLOSED, 'the pub store is not open');
    await this.#sealing; // a chunk pruned in part is rewritten at its key, which a seal may write
    let removed = 0;
    let freed = 0;
    let done = false;
    for (let batches = 0; batches < maxBatches && !done; batches++) {
      const ops: Op[] = [];
      const indexOps: Op[] = [];
      let floor = this.#state.floor;
      let n = 0;
      let batchFreed = 0;
      // done unless the batch fills up before the blobs to remove run out
      done = true;
      for await (const [key, value] of db.iterator({ gte: CHUNK_FIRST, lt: CHUNK_END })) {
        if (n >= PRUNE_BATCH_RECORDS) {
          done = false;
          break;
        }
        const chunk = decodeChunk(cursorOfKey(key, PREFIX_CHUNK), value, this.#blobSizes);
        let i = 0;
        while (i < chunk.count && remove(chunk.receivedAt(i), freed + batchFreed)) {
          indexOps.push({ type: 'del', key: indexKey(chunk.hash(i)) });
          batchFreed += chunk.blobLength(i);
          i += 1;
        }
        if (i > 0) floor = chunk.cursor(i - 1);
        n += i;
        if (i === chunk.count) {
          ops.push({ type: 'del', key: new Uint8Array(key) });
          continue;
        }
        if (i > 0) {
          const rest: ChunkEntry[] = [];
          for (let j = i; j < chunk.count; j++) rest.push(chunk.entry(j));
          ops.push({ type: 'put', key: new Uint8Array(key), value: encodeChunk(rest, chunk.sealed) });
        }
        break;
      }
      if (n === 0) {
        done = true;
        break;
      }
      const prev = this.#state;
      const next: State = { last: prev.last, floor, blobs: prev.blobs - n, bytes: prev.bytes - batchFreed };
      ops.push({ type: 'put', key: STATE_KEY, value: encodeState(next) });
      this.#state = next;
      try {
        await db.batch(ops, { sync: true });
      } catch (err) {
        this.#state = prev;
        throw err;
      }
      this.#tail = pruneTail(this.#tail, floor);
      // After the log: an entry the index keeps by a crash here is stale (at or below the floor),
      // and so is one a failed write leaves.
      this.#writeIndex(indexOps, new Map());
      removed += n;
      freed += batchFreed;
    }
    return { removed, bytes: freed, done };
  }

  /**
   * Removes blobs older than the retention time, and the oldest blobs while the store is above
   * its quota. Runs after every write queued before it.
   */
  prune(): Promise<PruneResult> {
    try {
      this.#open();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#pruneInSteps();
  }

  /** Prunes one synced batch per turn of the write queue, so posts interleave with a long prune. */
  async #pruneInSteps(): Promise<PruneResult> {
    let removed = 0;
    let bytes = 0;
    const cutoff = Date.now() - this.#retentionMs;
    for (let done = this.#retentionMs === 0; !done && !this.#closing; ) {
      const r = await this.#serial(() => this.#pruneFront((receivedAt) => receivedAt <= cutoff, 1));
      removed += r.removed;
      bytes += r.bytes;
      done = r.done;
    }
    for (let done = false; !done && !this.#closing && this.#state.bytes > this.#quotaBytes; ) {
      const r = await this.#serial(() => {
        const target = this.#state.bytes - this.#quotaBytes;
        return this.#pruneFront((_at, freed) => freed < target, 1);
      });
      removed += r.removed;
      bytes += r.bytes;
      done = r.done;
    }
    return { removed, bytes };
  }

  /**
   * Up to `limit` blobs with cursor > `cursor`, in order, stopping early once `maxBytes` of
   * blobs are gathered (at least one blob is returned when any exists).
   */
  async since(cursor: bigint, limit: number, options: { maxBytes?: number } = {}): Promise<SincePage> {
    const reader = this.reader(cursor);
    try {
      return await reader.next(limit, options.maxBytes);
    } finally {
      await reader.close();
    }
  }

  /**
   * A reader of the blobs after `cursor`, page by page, on one LevelDB iterator (with a large
   * read-ahead): what a long catch-up uses instead of a `since` per page. Close it when done.
   */
  reader(cursor: bigint, options: ReaderOptions = {}): BlobReader {
    checkCursor(cursor);
    return new BlobReader(this.#open(), cursor, () => this.#state, this.#blobSizes, options);
  }
  /** Finishes every queued write, then closes the database. Later puts fail with STORE_CLOSED. */
  async close(): Promise<void> {
    const db = this.#db;
    if (!db || this.#closing) return;
    this.#closing = true;
    while (this.#pending.length > 0 || this.#flushQueued) await this.#chain;
    await this.#chain;
    await this.#sealing;
    await this.#indexWrites;
    if (this.#index && this.#filter.added !== this.#filterSavedAt) {
      // The next open reads it instead of the whole index (a lost one is built again).
      await this.#index.put(FILTER_KEY, this.#filterRecord(), { sync: true }).catch(() => {});
    }
    this.#db = undefined;
    const index = this.#index;
    this.#index = undefined;
    await Promise.all([db.close(), index?.close()]);
  }
}
