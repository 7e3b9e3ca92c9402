/**
 * Tail sealing: the unsealed chunks at the end of the log, how a commit's new blobs are added
 * to them (appendChunks), and the queue of seal batches that rewrite a full tail as one sealed
 * chunk after the commit that filled it is acknowledged (SealQueue).
 */
import { CHUNK_MAX_BLOBS, CHUNK_TARGET_BYTES, decodeChunk, encodeChunk, type Chunk, type ChunkEntry } from './chunk.js';
import type { Db, Op } from './level.js';
import { CHUNK_END, CHUNK_FIRST, PREFIX_CHUNK, chunkKey, corrupt, cursorOfKey } from './records.js';

/** The unsealed chunks at the end of the log: their keys and, in order, their blobs. */
export interface Tail {
  readonly keys: Uint8Array[];
  readonly entries: ChunkEntry[];
  readonly bytes: number;
}

export const EMPTY_TAIL: Tail = { keys: [], entries: [], bytes: 0 };

/** The unsealed chunks at the end of the log (at most CHUNK_TARGET_BYTES of blobs), oldest first. */
export async function loadTail(db: Db, blobSizes: readonly number[]): Promise<Tail> {
  const chunks: Chunk[] = [];
  const keys: Uint8Array[] = [];
  for await (const [key, value] of db.iterator({ gte: CHUNK_FIRST, lt: CHUNK_END, reverse: true })) {
    const chunk = decodeChunk(cursorOfKey(key, PREFIX_CHUNK), value, blobSizes);
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

/** The tail once every blob up to `floor` is pruned (a chunk keyed at or below it is gone). */
export function pruneTail(tail: Tail, floor: bigint): Tail {
  const first = tail.entries[0];
  if (first === undefined || first.cursor > floor) return tail;
  const entries = tail.entries.filter((e) => e.cursor > floor);
  const keys = tail.keys.filter((k) => cursorOfKey(k, PREFIX_CHUNK) > floor);
  let bytes = 0;
  for (const e of entries) bytes += e.blob.length;
  return { keys, entries, bytes };
}

/**
 * Adds to `ops` the chunk records of `fresh` (the blobs after `tail`): they are written as one
 * unsealed chunk, except that a run of CHUNK_TARGET_BYTES (or CHUNK_MAX_BLOBS) made of new
 * blobs only is written sealed at once. Where the tail and new blobs fill a chunk, `seal` holds
 * the batch that rewrites them as one sealed chunk and deletes their unsealed chunks, written
 * after the commit is acknowledged. The returned `tail` is the tail once both are written.
 */
export function appendChunks(tail: Tail, fresh: readonly ChunkEntry[], ops: Op[]): { tail: Tail; seal: Op[] } {
  let keys = [...tail.keys];
  let entries = [...tail.entries];
  let bytes = tail.bytes;
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
 * The seal batches, written one after another. A seal is not synced: it only rewrites durable
 * blobs, atomically, and the next synced batch carries it to disk; if it is lost, the unsealed
 * chunks are still there. A commit does not wait for it: it writes only keys above the sealed
 * range. Whatever rewrites keys in it (pruning, reloading the tail, close) waits for settled().
 */
export class SealQueue {
  #sealing: Promise<void> = Promise.resolve();
  /** A seal batch failed: the tail must be read from the log again before the next commit. */
  failed = false;

  /** Queues `seal` (from appendChunks) behind the seals before it. */
  write(db: Db, seal: Op[]): void {
    this.#sealing = this.#sealing.then(() =>
      db.batch(seal).catch(() => {
        this.failed = true;
      }),
    );
  }

  /** Resolves once every seal queued so far is written (or failed); never rejects. */
  settled(): Promise<void> {
    return this.#sealing;
  }
}
