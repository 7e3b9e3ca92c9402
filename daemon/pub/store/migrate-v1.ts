/**
 * The v1 migration: converts a log of the per-blob layout (STATE version 0x01, one BLOB record
 * per blob: 0x01 || cursor u64 → 0x01 || received-at ms u64 || blob hash || blob) to chunks, in
 * place, in synced batches that survive a crash part way. open() runs it.
 */
import { BLOB_HASH_BYTES } from '../../../protocol/pow.js';
import { CHUNK_MAX_BLOBS, CHUNK_TARGET_BYTES, encodeChunk, type ChunkEntry } from './chunk.js';
import type { Db, Op } from './level.js';
import { PREFIX_LEGACY_BLOB, STATE_KEY, STORE_RECORD_VERSION, chunkKey, corrupt, cursorOfKey, encodeState, indexKey, view, type State } from './records.js';

const LEGACY_BLOB_HEADER_BYTES = 1 + 8 + BLOB_HASH_BYTES;

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

/**
 * Converts a store of the per-blob layout (STATE 0x01) to chunks: one iterator reads the blob
 * records in cursor order, and every CHUNK_TARGET_BYTES of them become a sealed chunk, written
 * in a synced batch that also deletes the records it replaces. A crash part way leaves each
 * blob in exactly one layout; the next open goes on from there. STATE changes last. The
 * per-blob index records go with their blobs; the dedupe index is then built from the chunks
 * in its own database (dedupe.ts).
 */
export async function convertPerBlob(db: Db, state: State): Promise<void> {
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
    // The index moves to its own database, rebuilt from the chunks.
    dels.push({ type: 'del', key }, { type: 'del', key: indexKey(rec.hash) });
    bytes += rec.blob.length;
    if (bytes >= CHUNK_TARGET_BYTES || entries.length >= CHUNK_MAX_BLOBS) await flush();
  }
  await flush();
  await db.put(STATE_KEY, encodeState(state), { sync: true });
}
