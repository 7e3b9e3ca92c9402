/**
 * The pub's blob store (BlobStore): opening and closing its two databases, the put queue and
 * its group commit, the write queue that puts and prunes share, readers, and stats. How blobs
 * are laid out and why is in README.md; each part of the work has its own module beside this.
 */
import { basename, dirname, join } from 'node:path';
import { BLOB_SIZES } from '../../../protocol/constants.js';
import { randomBytes, ready } from '../../../protocol/crypto.js';
import { BLOB_HASH_BYTES, POW_CONTEXT_BYTES, blobHash } from '../../../protocol/pow.js';
import { checkBlob } from '../../../protocol/pub-wire.js';
import {
  INDEX_CACHE_BYTES,
  INDEX_WRITE_BUFFER_BYTES,
  LEVEL_CACHE_BYTES,
  LEVEL_MAX_FILE_BYTES,
  LEVEL_MAX_OPEN_FILES,
  LEVEL_WRITE_BUFFER_BYTES,
  MAX_BATCH_POSTS,
  QUOTA_BYTES,
  RETENTION_MS,
} from '../constants.js';
import { TypedEventTarget } from '../../events.js';
import { PubError, PubErrorCode } from '../errors.js';
import type { ChunkEntry } from './chunk.js';
import { DedupeIndex, type DedupeItem } from './dedupe.js';
import { openLevel, type Db, type Op } from './level.js';
import { convertPerBlob } from './migrate-v1.js';
import { pruneFront, type PruneHost, type PruneWhile } from './pruning.js';
import { BlobReader, type ReaderOptions } from './reader.js';
import {
  EMPTY_STATE,
  LAYOUT_PER_BLOB,
  POW_CONTEXT_KEY,
  STATE_KEY,
  U64_MAX,
  decodePowContext,
  decodeState,
  encodePowContext,
  encodeState,
  type State,
} from './records.js';
import { EMPTY_TAIL, SealQueue, appendChunks, loadTail, pruneTail, type Tail } from './tail.js';
import type { BlobStoreInit, BlobStoreStats, PruneResult, PutResult, SincePage, StoredBlob } from './types.js';

interface PendingPut extends DedupeItem {
  readonly blob: Uint8Array;
  readonly resolve: (r: PutResult) => void;
  readonly reject: (e: unknown) => void;
}

function checkCursor(cursor: bigint): void {
  if (typeof cursor !== 'bigint' || cursor < 0n || cursor > U64_MAX) {
    throw new PubError(PubErrorCode.POLICY, 'a cursor is a u64 bigint');
  }
}

export interface BlobStoreEvents {
  /** After each batch that stored at least one new blob: the new blobs, in cursor order. */
  append: readonly StoredBlob[];
}

/**
 * Emits `append` (BlobStoreEvents) after each batch that stored at least one new blob.
 */
export class BlobStore extends TypedEventTarget<BlobStoreEvents> {
  readonly path: string;
  readonly indexPath: string;
  readonly #quotaBytes: number;
  readonly #retentionMs: number;
  readonly #cacheSize: number;
  readonly #blobSizes: readonly number[];
  #db: Db | undefined;
  #dedupe: DedupeIndex | undefined;
  /** The seals queued (see #commit), written in order. */
  readonly #seals = new SealQueue();
  #state: State = EMPTY_STATE;
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
      throw new PubError(PubErrorCode.BAD_LIMIT, 'the quota is a positive number of bytes');
    }
    if (!Number.isSafeInteger(this.#retentionMs) || this.#retentionMs < 0) {
      throw new PubError(PubErrorCode.BAD_LIMIT, 'the retention is a non-negative number of milliseconds');
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
    let index: Db | undefined;
    let dedupe: DedupeIndex;
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
        this.#state = EMPTY_STATE;
        await db.batch(
          [
            { type: 'put', key: STATE_KEY, value: encodeState(this.#state) },
            { type: 'put', key: POW_CONTEXT_KEY, value: encodePowContext(ctx) },
          ],
          { sync: true },
        );
        this.#powContext = ctx;
      } else {
        const { layout, ...decoded } = decodeState(state);
        this.#powContext = decodePowContext(pow);
        if (layout === LAYOUT_PER_BLOB) await convertPerBlob(db, decoded);
        this.#state = decoded;
      }
      this.#tail = await loadTail(db, this.#blobSizes);
      dedupe = await DedupeIndex.open(
        { log: db, index, blobSizes: this.#blobSizes, state: () => this.#state, pending: () => this.#pending },
        freshLog,
      );
    } catch (err) {
      await index?.close().catch(() => {});
      await db.close().catch(() => {});
      if (err instanceof PubError) throw err;
      throw new PubError(PubErrorCode.HOME_UNWRITABLE, `cannot initialise the pub store at ${this.path}`, { cause: err });
    }
    this.#db = db;
    this.#dedupe = dedupe;
    this.#closing = false;
  }

  #open(): Db {
    if (!this.#db || this.#closing) throw new PubError(PubErrorCode.STORE_CLOSED, 'the pub store is not open');
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
      return Promise.reject(new PubError(PubErrorCode.BAD_BLOB, 'a blob must have an accepted size and start with BLOB_VERSION'));
    }
    if (blob.length > this.#quotaBytes) {
      return Promise.reject(new PubError(PubErrorCode.BAD_BLOB, 'the blob is larger than the whole quota'));
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

  /**
   * One group commit: makes room under the quota, has the dedupe index decide which puts are
   * new, writes the new blobs (and STATE) in one synced batch, then acknowledges every put and
   * queues the index writes and, where the tail filled up, its seal.
   */
  async #commit(items: PendingPut[]): Promise<void> {
    const db = this.#db;
    if (!db) throw new PubError(PubErrorCode.STORE_CLOSED, 'the pub store is not open');
    let incoming = 0;
    for (const item of items) incoming += item.blob.length;
    // Make room first (its own synced batch); duplicates may make this free a little too much.
    if (this.#state.bytes + incoming > this.#quotaBytes) {
      const target = this.#state.bytes + incoming - this.#quotaBytes;
      await this.#pruneFront((_at, freed) => freed < target);
    }
    const dedupe = this.#dedupe!;
    if (this.#seals.failed) {
      await this.#seals.settled();
      this.#tail = await loadTail(db, this.#blobSizes);
      this.#seals.failed = false;
    }
    await dedupe.prepare(items);
    const decided = await dedupe.decide(items);
    const added: StoredBlob[] = [];
    const fresh: ChunkEntry[] = [];
    const ops: Op[] = [];
    let { last, blobs, bytes } = this.#state;
    const now = Date.now();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const result = decided.results[i]!;
      if (result.duplicate) continue;
      last = result.cursor;
      fresh.push({ cursor: last, receivedAt: now, hash: item.hash, blob: item.blob });
      added.push({ cursor: last, blob: item.blob });
      blobs += 1;
      bytes += item.blob.length;
    }
    const appended = fresh.length > 0;
    let seal: Op[] = [];
    if (appended) {
      const chunks = appendChunks(this.#tail, fresh, ops);
      const tail = chunks.tail;
      seal = chunks.seal;
      const next: State = { last, floor: this.#state.floor, blobs, bytes };
      ops.push({ type: 'put', key: STATE_KEY, value: encodeState(next) });
      // The next commit's lookups run while this one is synced.
      dedupe.lookUp(this.#pending.slice(0, MAX_BATCH_POSTS));
      await db.batch(ops, { sync: true });
      this.#state = next;
      this.#tail = tail;
      dedupe.committed(fresh, decided);
    }
    dedupe.forgetRecent();
    items.forEach((item, i) => item.resolve(decided.results[i]!));
    if (appended) this.emit('append', added);
    // Not awaited here, so the next commit need not wait for it (see SealQueue).
    if (seal.length > 0) this.#seals.write(db, seal);
  }

  /** pruneFront (pruning.ts) on the open log, once the seals queued before are written. */
  async #pruneFront(remove: PruneWhile, maxBatches = Number.POSITIVE_INFINITY): Promise<PruneResult & { done: boolean }> {
    const db = this.#db;
    if (!db) throw new PubError(PubErrorCode.STORE_CLOSED, 'the pub store is not open');
    await this.#seals.settled(); // a chunk pruned in part is rewritten at its key, which a seal may write
    const host: PruneHost = {
      log: db,
      blobSizes: this.#blobSizes,
      state: () => this.#state,
      setState: (state) => {
        this.#state = state;
      },
      pruned: (floor, hashes) => {
        this.#tail = pruneTail(this.#tail, floor);
        this.#dedupe!.pruned(hashes);
      },
    };
    return pruneFront(host, remove, maxBatches);
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
    await this.#seals.settled();
    await this.#dedupe?.flush();
    this.#db = undefined;
    const dedupe = this.#dedupe;
    this.#dedupe = undefined;
    await Promise.all([db.close(), dedupe?.close()]);
  }
}
