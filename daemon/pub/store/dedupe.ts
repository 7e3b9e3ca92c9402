/**
 * The dedupe index: which puts are of a blob stored already, and where. Its own LevelDB
 * database (blob hash → cursor, and the INDEXED mark), written after the log and not synced,
 * rebuilt from the log where it lags; a Bloom filter (hash-filter.ts) in front of it; and the
 * recently committed blobs the index may not show a pending lookup yet. The lookup invariant
 * lives in this one file:
 *
 *   A put is a duplicate of cursor c when the index entry its lookup found names c in
 *   floor+1 .. last, or else #recent names c above the floor, or else an earlier put of the
 *   same commit took c. Every committed hash is in the filter from its commit on, so a post the
 *   filter says no to needs no lookup. An entry stays in #recent until every pending lookup was
 *   issued after the index write that holds it (#forgetRecent), so no lookup misses a blob.
 *
 * Lookups for the next commit start while the current one is being synced (lookUp), so
 * neither a commit nor its lookups wait for the index writes before them.
 */
import { BLOB_HASH_BYTES } from '../../../protocol/pow.js';
import { decodeChunk, type ChunkEntry } from './chunk.js';
import { HashFilter, loadHashFilter, saveHashFilter } from './hash-filter.js';
import type { Db, Op } from './level.js';
import {
  CHUNK_END,
  FILTER_KEY,
  INDEXED_KEY,
  PREFIX_CHUNK,
  PREFIX_INDEX,
  chunkKey,
  cursorOfKey,
  decodeFilterRecord,
  decodeIndex,
  decodeIndexed,
  encodeFilterRecord,
  encodeIndex,
  indexKey,
  type State,
} from './records.js';
import type { PutResult } from './types.js';

/** Index entries written per batch while indexing the log again. */
const REINDEX_BATCH = 4096;
/** The hash filter's size: 2^24 bits, 2 MiB (about 1% false "maybe" at 1.6 million hashes). */
const FILTER_LOG2_BITS = 24;
/** The filter is built again from the index once it took this many hashes and is over half full. */
const FILTER_REBUILD_AFTER = 1 << 20;
/** The filter is saved in the index database on close and every this many hashes added. */
const FILTER_SAVE_EVERY = 1 << 17;

/** A dedupe lookup in the index, for several puts at once. */
interface Lookup {
  /** Index writes completed when it was issued: it sees those and maybe later ones. */
  readonly seen: number;
  readonly values: Promise<Array<Uint8Array | undefined>>;
}

/** What the dedupe index needs of a put: its hash, and its index lookup once one is started. */
export interface DedupeItem {
  readonly hash: Uint8Array;
  /** Its index lookup, started while an earlier commit was being synced; and its place in it. */
  lookup?: { readonly of: Lookup; readonly at: number };
}

/** A commit's decisions (DedupeIndex.decide). */
export interface Decided {
  /** For each put, in order: its cursor, new or that of the blob it duplicates. */
  readonly results: PutResult[];
  /** The new blobs: hex hash → the cursor they get. */
  readonly added: ReadonlyMap<string, bigint>;
}

export interface DedupeInit {
  /** The log, read to index it again. */
  readonly log: Db;
  /** The index database. */
  readonly index: Db;
  readonly blobSizes: readonly number[];
  /** The store's state now. */
  readonly state: () => State;
  /** The puts queued behind the commit under way (their lookups may be pending). */
  readonly pending: () => readonly DedupeItem[];
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export class DedupeIndex {
  readonly #log: Db;
  readonly #index: Db;
  readonly #blobSizes: readonly number[];
  readonly #state: () => State;
  readonly #pending: () => readonly DedupeItem[];
  /** An index write failed: index the log again before the next dedupe lookup. */
  #stale = false;
  /**
   * Blobs in the log that a lookup still pending may not see in the index (hex hash → cursor,
   * and the number of the index write that wrote it, 0 until written): dedupe looks here too, so
   * neither a commit nor its lookups wait for the index writes before them.
   */
  readonly #recent = new Map<string, { readonly cursor: bigint; written: number }>();
  /** Index writes, one after another, behind the log writes they follow. */
  #writes: Promise<void> = Promise.resolve();
  /** Index writes completed. */
  #writesDone = 0;
  /** Every hash in the index, and every hash committed since: which posts need a lookup. */
  #filter = new HashFilter(FILTER_LOG2_BITS);
  /** filter.added when it was last built, and when it was last saved. */
  #filterBuiltWith = 0;
  #filterSavedAt = 0;
  /** The puts of the commit under way, until their lookups are decided. */
  #deciding: readonly DedupeItem[] = [];

  private constructor(init: DedupeInit) {
    this.#log = init.log;
    this.#index = init.index;
    this.#blobSizes = init.blobSizes;
    this.#state = init.state;
    this.#pending = init.pending;
  }

  /**
   * The index over `init.log` as the store opens: indexes the blobs it has not caught up with
   * and loads (or builds) the filter. `freshLog`: the log was just created, so any index found
   * is of another log.
   */
  static async open(init: DedupeInit, freshLog: boolean): Promise<DedupeIndex> {
    const dedupe = new DedupeIndex(init);
    await dedupe.#reindex(freshLog);
    await dedupe.#loadFilter();
    return dedupe;
  }

  /**
   * Before a commit decides `items`: after a failed index write, indexes the log again (and
   * drops every lookup started before); once due, builds the filter again from the index.
   */
  async prepare(items: readonly DedupeItem[]): Promise<void> {
    if (this.#stale) {
      await this.#writes;
      await this.#reindex();
      this.#recent.clear();
      for (const item of [...items, ...this.#pending()]) delete item.lookup;
      this.#stale = false;
    }
    if (this.#filter.fill > 0.5 && this.#filter.added - this.#filterBuiltWith >= FILTER_REBUILD_AFTER) {
      // Pruned hashes stay in the filter: start it again from the index, once the index holds
      // every committed hash (a failed index write is repaired first, above, next time).
      await this.#writes;
      if (!this.#stale) await this.#buildFilter();
    }
  }

  /**
   * Decides which of `items` (the puts of one commit, in order) are duplicates, and gives the
   * others cursors after the state's last. No other commit may run until it is committed.
   */
  async decide(items: readonly DedupeItem[]): Promise<Decided> {
    // Posts the filter says were never committed need no lookup: every committed hash was added
    // to it at its commit, and no commit runs until these are decided.
    this.lookUp(items);
    this.#deciding = items;
    let found: Array<Uint8Array | undefined>;
    try {
      found = await Promise.all(items.map(async (i) => (i.lookup ? (await i.lookup.of.values)[i.lookup.at] : undefined)));
    } finally {
      this.#deciding = [];
    }
    // From here to the decisions below nothing is awaited, so #recent cannot forget meanwhile.
    const added = new Map<string, bigint>();
    const results: PutResult[] = [];
    const { floor } = this.#state();
    let { last } = this.#state();
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
            : added.get(key);
      if (existing !== undefined) {
        results.push({ cursor: existing, duplicate: true });
        continue;
      }
      last += 1n;
      added.set(key, last);
      results.push({ cursor: last, duplicate: false });
    }
    return { results, added };
  }

  /** Starts one index lookup for those of `items` without one that the filter may hold. */
  lookUp(items: readonly DedupeItem[]): void {
    const missing = items.filter((item) => item.lookup === undefined && this.#filter.mayHave(item.hash));
    if (missing.length === 0) return;
    const of: Lookup = { seen: this.#writesDone, values: this.#index.getMany(missing.map((item) => indexKey(item.hash))) };
    of.values.catch(() => {}); // surfaces in decide
    missing.forEach((item, at) => {
      item.lookup = { of, at };
    });
  }

  /**
   * Once the log batch holding `fresh` (the new blobs of `decided`) is durable and the state
   * names them: remembers them in #recent and the filter, and queues their index entries, the
   * INDEXED mark at the state's last and, when due, the filter.
   */
  committed(fresh: readonly ChunkEntry[], decided: Decided): void {
    const ops: Op[] = fresh.map((e) => ({ type: 'put', key: indexKey(e.hash), value: encodeIndex(e.cursor) }));
    for (const [key, cursor] of decided.added) this.#recent.set(key, { cursor, written: 0 });
    for (const e of fresh) this.#filter.add(e.hash);
    if (this.#filter.added - this.#filterSavedAt >= FILTER_SAVE_EVERY) {
      ops.push({ type: 'put', key: FILTER_KEY, value: this.#filterRecord() });
    }
    ops.push({ type: 'put', key: INDEXED_KEY, value: encodeIndex(this.#state().last) });
    this.#writeIndex(ops, decided.added);
  }

  /**
   * Queues the removal of the entries of pruned blobs, once the prune's log batch is durable:
   * an entry the index keeps by a crash before it is stale (at or below the floor), and so is
   * one a failed write leaves.
   */
  pruned(hashes: readonly Uint8Array[]): void {
    this.#writeIndex(
      hashes.map((hash) => ({ type: 'del', key: indexKey(hash) })),
      new Map(),
    );
  }

  /** Drops from #recent what every pending lookup can see in the index. */
  forgetRecent(): void {
    let oldest = this.#writesDone;
    for (const items of [this.#deciding, this.#pending()]) {
      for (const item of items) if (item.lookup && item.lookup.of.seen < oldest) oldest = item.lookup.of.seen;
    }
    for (const [key, entry] of this.#recent) if (entry.written !== 0 && entry.written <= oldest) this.#recent.delete(key);
  }

  /**
   * Waits for the queued index writes, then saves the filter if it changed (the next open reads
   * it instead of the whole index; a lost one is built again).
   */
  async flush(): Promise<void> {
    await this.#writes;
    if (this.#filter.added !== this.#filterSavedAt) {
      await this.#index.put(FILTER_KEY, this.#filterRecord(), { sync: true }).catch(() => {});
    }
  }

  /** Closes the index database (after flush). */
  close(): Promise<void> {
    return this.#index.close();
  }

  /**
   * Queues an index write (not synced: after a crash, open() indexes again whatever the index
   * lost) and, once it is written, lets #recent forget `written` when no pending lookup could
   * have missed it. The blobs are durable whatever happens to the index: after a failed write,
   * the next commit indexes the log again first (prepare).
   */
  #writeIndex(ops: Op[], written: ReadonlyMap<string, bigint>): void {
    const index = this.#index;
    this.#writes = this.#writes
      .then(() => index.batch(ops))
      .then(
        () => {
          this.#writesDone += 1;
          for (const [key, cursor] of written) {
            const entry = this.#recent.get(key);
            if (entry?.cursor === cursor) entry.written = this.#writesDone;
          }
          this.forgetRecent();
        },
        () => {
          this.#stale = true;
        },
      );
  }

  /**
   * Indexes the blobs the index has not caught up with (after a crash, or a lost index): those
   * after its INDEXED mark, or after the prune floor if that is higher.
   */
  async #reindex(fresh = false): Promise<void> {
    const index = this.#index;
    let mark = decodeIndexed(await index.get(INDEXED_KEY));
    const { floor, last } = this.#state();
    if (mark === last && !fresh) return;
    if (fresh || mark > last) {
      // An index of another log (this one is new) or of a later state of this log (restored from
      // a backup): its entries would name cursors that now hold other blobs. Start it again.
      await index.clear();
      mark = 0n;
    }
    const from = mark > floor ? mark : floor;
    let ops: Op[] = [];
    for await (const [key, value] of this.#log.iterator({ gte: chunkKey(from + 1n), lt: CHUNK_END })) {
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
   * The hash filter as saved, with the hashes of the blobs committed after it was saved (read
   * from the log); built from the whole index if none was saved or it is not of this log. A
   * saved filter spares reading (and mapping into memory) the whole index at every start.
   */
  async #loadFilter(): Promise<void> {
    const record = decodeFilterRecord(await this.#index.get(FILTER_KEY));
    const { last } = this.#state();
    if (record !== null) {
      const filter = record.covers <= last ? loadHashFilter(record.saved) : null;
      if (filter !== null) {
        for await (const [key, value] of this.#log.iterator({ gte: chunkKey(record.covers + 1n), lt: CHUNK_END })) {
          const chunk = decodeChunk(cursorOfKey(key, PREFIX_CHUNK), value, this.#blobSizes);
          for (let i = 0; i < chunk.count; i++) if (chunk.cursor(i) > record.covers) filter.add(chunk.hash(i));
        }
        this.#filter = filter;
        this.#filterBuiltWith = record.builtWith;
        this.#filterSavedAt = filter.added;
        return;
      }
    }
    await this.#buildFilter();
  }

  /** Builds the hash filter from the index (its entries' keys). */
  async #buildFilter(): Promise<void> {
    const filter = new HashFilter(FILTER_LOG2_BITS);
    for await (const key of this.#index.keys({ gt: Uint8Array.of(PREFIX_INDEX), lt: Uint8Array.of(PREFIX_INDEX + 1) })) {
      if (key.length === 1 + BLOB_HASH_BYTES) filter.add(key.subarray(1));
    }
    this.#filter = filter;
    this.#filterBuiltWith = filter.added;
    this.#filterSavedAt = -FILTER_SAVE_EVERY; // save it with the next index write
  }

  /** The FILTER record: the filter now, covering every blob committed so far. */
  #filterRecord(): Uint8Array {
    const record = encodeFilterRecord({ covers: this.#state().last, builtWith: this.#filterBuiltWith, saved: saveHashFilter(this.#filter) });
    this.#filterSavedAt = this.#filter.added;
    return record;
  }
}
