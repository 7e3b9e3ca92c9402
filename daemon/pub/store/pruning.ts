/**
 * Pruning: removes blobs from the front of the log (oldest first) in synced batches, deleting
 * chunks wholly pruned and rewriting a chunk pruned in part, and raises the prune floor. The
 * store decides what to remove (retention, quota) and runs it on its write queue.
 */
import { PRUNE_BATCH_RECORDS } from '../constants.js';
import { decodeChunk, encodeChunk, type ChunkEntry } from './chunk.js';
import type { Db, Op } from './level.js';
import { CHUNK_END, CHUNK_FIRST, PREFIX_CHUNK, STATE_KEY, cursorOfKey, encodeState, type State } from './records.js';
import type { PruneResult } from './types.js';

/** Whether to remove the next blob: its arrival time, and the blob bytes freed so far. */
export type PruneWhile = (receivedAt: number, freed: number) => boolean;

/** What pruning works on: the store's log and state, and what follows a prune. */
export interface PruneHost {
  readonly log: Db;
  readonly blobSizes: readonly number[];
  state(): State;
  /** Sets the store's state: raised before each batch is written, put back if the write fails. */
  setState(state: State): void;
  /** After each batch is durable: the new floor, and the hashes of the blobs it removed. */
  pruned(floor: bigint, hashes: readonly Uint8Array[]): void;
}

/**
 * Removes blobs from the front while `remove(receivedAt, bytesFreedSoFar)` says so, in synced
 * batches of about PRUNE_BATCH_RECORDS blobs, at most `maxBatches` of them: chunks wholly pruned
 * are deleted, a chunk pruned in part is rewritten with the rest. The in-memory prune floor is
 * raised before each batch is written, so a reader that checks it after reading never misses a
 * prune silently. The caller first waits for the seals (a chunk pruned in part is rewritten at
 * its key, which a seal may write). `done`: nothing more to remove.
 */
export async function pruneFront(host: PruneHost, remove: PruneWhile, maxBatches = Number.POSITIVE_INFINITY): Promise<PruneResult & { done: boolean }> {
  const db = host.log;
  let removed = 0;
  let freed = 0;
  let done = false;
  for (let batches = 0; batches < maxBatches && !done; batches++) {
    const ops: Op[] = [];
    const hashes: Uint8Array[] = [];
    let floor = host.state().floor;
    let n = 0;
    let batchFreed = 0;
    // done unless the batch fills up before the blobs to remove run out
    done = true;
    for await (const [key, value] of db.iterator({ gte: CHUNK_FIRST, lt: CHUNK_END })) {
      if (n >= PRUNE_BATCH_RECORDS) {
        done = false;
        break;
      }
      const chunk = decodeChunk(cursorOfKey(key, PREFIX_CHUNK), value, host.blobSizes);
      let i = 0;
      while (i < chunk.count && remove(chunk.receivedAt(i), freed + batchFreed)) {
        hashes.push(chunk.hash(i));
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
    const prev = host.state();
    const next: State = { last: prev.last, floor, blobs: prev.blobs - n, bytes: prev.bytes - batchFreed };
    ops.push({ type: 'put', key: STATE_KEY, value: encodeState(next) });
    host.setState(next);
    try {
      await db.batch(ops, { sync: true });
    } catch (err) {
      host.setState(prev);
      throw err;
    }
    host.pruned(floor, hashes);
    removed += n;
    freed += batchFreed;
  }
  return { removed, bytes: freed, done };
}
