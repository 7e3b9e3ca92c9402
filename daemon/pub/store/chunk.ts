/**
 * The pub store's CHUNK record: consecutive blobs kept together in one LevelDB value, so that a
 * catch-up read costs one LevelDB record per ~256 KiB instead of one per blob (see README.md and
 * docs/pub-protocol.md, "Store").
 *
 *   version u8 (0x01) || flags u8 (bit 0: sealed) || count u16 (>= 1)
 *   || count × (received-at ms u64 || blob hash (32))          the metadata, for pruning
 *   || count × (cursor u64 || blob length u32 || blob)        the entries
 *
 * The entries are laid out exactly as a PAGE frame's entries (docs/pub-protocol.md), so a run of
 * them can be copied into a page as one slice. Cursors are consecutive; the record's key names
 * the last one. A chunk is sealed once it holds CHUNK_TARGET_BYTES of blobs or CHUNK_MAX_BLOBS
 * blobs; the store merges the unsealed chunks at the end of the log into one sealed chunk.
 */
import { BLOB_HASH_BYTES } from '../../../protocol/pow.js';
import { PAGE_ENTRY_OVERHEAD_BYTES } from '../../../protocol/pub-wire.js';
import { U64_MAX, corrupt, view } from './records.js';

/** Version byte of a CHUNK record. */
export const CHUNK_RECORD_VERSION = 0x01;
/** Flag: the chunk is full and will not be merged again. */
export const CHUNK_FLAG_SEALED = 0x01;
/** Blob bytes at which a chunk is sealed: 256 KiB. */
export const CHUNK_TARGET_BYTES = 256 * 1024;
/** Blobs at which a chunk is sealed. */
export const CHUNK_MAX_BLOBS = 1024;

const HEADER_BYTES = 1 + 1 + 2;
const META_BYTES = 8 + BLOB_HASH_BYTES;
/** Bytes before each blob in the entries: cursor u64 || length u32 (as in a PAGE frame). */
export const CHUNK_ENTRY_HEADER_BYTES = PAGE_ENTRY_OVERHEAD_BYTES;

/** One blob as the store keeps it. */
export interface ChunkEntry {
  readonly cursor: bigint;
  /** Arrival time, ms since the epoch. */
  readonly receivedAt: number;
  readonly hash: Uint8Array;
  readonly blob: Uint8Array;
}

/** The record of `entries` (consecutive cursors, at least one, at most 65,535). */
export function encodeChunk(entries: readonly ChunkEntry[], sealed: boolean): Uint8Array {
  const count = entries.length;
  if (count < 1 || count > 0xffff) throw new RangeError('a chunk holds 1..65535 blobs');
  let size = HEADER_BYTES + count * (META_BYTES + CHUNK_ENTRY_HEADER_BYTES);
  for (const e of entries) size += e.blob.length;
  const out = new Uint8Array(size);
  const v = view(out);
  out[0] = CHUNK_RECORD_VERSION;
  out[1] = sealed ? CHUNK_FLAG_SEALED : 0;
  v.setUint16(2, count);
  let meta = HEADER_BYTES;
  let pos = HEADER_BYTES + count * META_BYTES;
  const first = entries[0]!.cursor;
  for (let i = 0; i < count; i++) {
    const e = entries[i]!;
    if (e.cursor !== first + BigInt(i)) throw new RangeError('chunk cursors must be consecutive');
    if (e.hash.length !== BLOB_HASH_BYTES) throw new RangeError('a blob hash is 32 bytes');
    v.setBigUint64(meta, BigInt(e.receivedAt));
    out.set(e.hash, meta + 8);
    meta += META_BYTES;
    v.setBigUint64(pos, e.cursor);
    v.setUint32(pos + 8, e.blob.length);
    out.set(e.blob, pos + CHUNK_ENTRY_HEADER_BYTES);
    pos += CHUNK_ENTRY_HEADER_BYTES + e.blob.length;
  }
  return out;
}

/**
 * A decoded CHUNK record: every field was checked by decodeChunk; blobs and hashes are views
 * into the record (no copies).
 */
export class Chunk {
  /** Offset of each entry in `record`, and the record's length last (count + 1 values). */
  readonly #offsets: Uint32Array;
  readonly #view: DataView;

  constructor(
    readonly record: Uint8Array,
    readonly first: bigint,
    readonly count: number,
    readonly sealed: boolean,
    offsets: Uint32Array,
  ) {
    this.#offsets = offsets;
    this.#view = view(record);
  }

  get last(): bigint {
    return this.first + BigInt(this.count - 1);
  }

  /** Blob bytes in the chunk. */
  get blobBytes(): number {
    return this.#offsets[this.count]! - this.#offsets[0]! - this.count * CHUNK_ENTRY_HEADER_BYTES;
  }

  cursor(i: number): bigint {
    return this.first + BigInt(i);
  }

  receivedAt(i: number): number {
    return Number(this.#view.getBigUint64(HEADER_BYTES + i * META_BYTES));
  }

  hash(i: number): Uint8Array {
    const at = HEADER_BYTES + i * META_BYTES + 8;
    return this.record.subarray(at, at + BLOB_HASH_BYTES);
  }

  blob(i: number): Uint8Array {
    return this.record.subarray(this.#offsets[i]! + CHUNK_ENTRY_HEADER_BYTES, this.#offsets[i + 1]!);
  }

  blobLength(i: number): number {
    return this.#offsets[i + 1]! - this.#offsets[i]! - CHUNK_ENTRY_HEADER_BYTES;
  }

  /** Entries i .. j-1 exactly as a PAGE frame carries them (a view). */
  entries(i: number, j: number): Uint8Array {
    return this.record.subarray(this.#offsets[i]!, this.#offsets[j]!);
  }

  entry(i: number): ChunkEntry {
    return { cursor: this.cursor(i), receivedAt: this.receivedAt(i), hash: this.hash(i), blob: this.blob(i) };
  }
}

/**
 * Decodes and checks the CHUNK record stored under `last`: version, count, every entry's cursor
 * (consecutive, ending at `last`) and length (one of `blobSizes`), and no trailing bytes.
 * Anything else is STORE_CORRUPT.
 */
export function decodeChunk(last: bigint, record: Uint8Array, blobSizes: readonly number[]): Chunk {
  if (record.length < HEADER_BYTES || record[0] !== CHUNK_RECORD_VERSION) throw corrupt('chunk');
  const flags = record[1]!;
  if ((flags & ~CHUNK_FLAG_SEALED) !== 0) throw corrupt('chunk');
  const v = view(record);
  const count = v.getUint16(2);
  if (count < 1 || last < BigInt(count) || last > U64_MAX) throw corrupt('chunk');
  const first = last - BigInt(count - 1);
  const offsets = new Uint32Array(count + 1);
  let pos = HEADER_BYTES + count * META_BYTES;
  for (let i = 0; i < count; i++) {
    if (pos + CHUNK_ENTRY_HEADER_BYTES > record.length) throw corrupt('chunk');
    if (v.getBigUint64(pos) !== first + BigInt(i)) throw corrupt('chunk');
    const len = v.getUint32(pos + 8);
    if (!blobSizes.includes(len)) throw corrupt('chunk');
    offsets[i] = pos;
    pos += CHUNK_ENTRY_HEADER_BYTES + len;
  }
  if (pos !== record.length) throw corrupt('chunk');
  offsets[count] = pos;
  // A plain view (LevelDB hands out Buffers), so blobs read back compare equal to those stored.
  const plain = new Uint8Array(record.buffer, record.byteOffset, record.byteLength);
  return new Chunk(plain, first, count, (flags & CHUNK_FLAG_SEALED) !== 0, offsets);
}
