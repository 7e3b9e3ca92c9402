/**
 * The reader: pages of blobs in cursor order from one LevelDB iterator over the CHUNK records,
 * as blobs (next) or as runs of PAGE-frame entries (nextEntries), with read-ahead for a
 * streamed catch-up. BlobStore.reader and BlobStore.since make them.
 */
import { BLOB_SIZE_MAX } from '../../../protocol/constants.js';
import { PubError, PubErrorCode } from '../errors.js';
import { CHUNK_TARGET_BYTES, decodeChunk, type Chunk } from './chunk.js';
import type { Db } from './level.js';
import { CHUNK_END, PREFIX_CHUNK, U64_MAX, chunkKey, cursorOfKey, type State } from './records.js';
import type { EntriesPage, PageBounds, SincePage, StoredBlob } from './types.js';

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
  readonly #db: Db;
  readonly #state: () => State;
  readonly #blobSizes: readonly number[];
  #cursor: bigint;
  #it: ReturnType<Db['iterator']> | undefined;
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

  constructor(db: Db, cursor: bigint, state: () => State, blobSizes: readonly number[], options: ReaderOptions = {}) {
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
    if (!Number.isInteger(limit) || limit < 1) throw new PubError(PubErrorCode.POLICY, 'a page limit is a positive integer');
    if (this.#closed) throw new PubError(PubErrorCode.STORE_CLOSED, 'the reader is closed');
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

