/**
 * The store's keys and records, other than CHUNK (chunk.ts) and the per-blob layout
 * (migrate-v1.ts): key prefixes, STATE, POW CONTEXT, INDEX and INDEXED, FILTER. Pure codecs;
 * a record that does not decode is STORE_CORRUPT. The layout is in README.md.
 */
import { U64_MAX } from '../../../protocol/bytes.js';
import { BLOB_HASH_BYTES, POW_CONTEXT_BYTES } from '../../../protocol/pow.js';
import { PubError, PubErrorCode } from '../errors.js';

/** Version byte of the POW CONTEXT, INDEX, INDEXED and FILTER records. */
export const STORE_RECORD_VERSION = 0x01;
/** Version byte of the STATE record: the store's layout (0x02: blobs in chunks). */
export const STORE_LAYOUT_VERSION = 0x02;
/** The layout before chunks (one record per blob), converted on open (migrate-v1.ts). */
export const LAYOUT_PER_BLOB = 0x01;

/** The largest cursor (a u64): protocol/bytes.ts's one U64_MAX. */
export { U64_MAX };

export const PREFIX_META = 0x00;
/** A BLOB record of the per-blob layout (migrate-v1.ts). */
export const PREFIX_LEGACY_BLOB = 0x01;
export const PREFIX_INDEX = 0x02;
export const PREFIX_CHUNK = 0x03;

/** In the log: STATE. */
export const STATE_KEY = Uint8Array.of(PREFIX_META, 0x01);
/** In the log: this pub's PoW context. */
export const POW_CONTEXT_KEY = Uint8Array.of(PREFIX_META, 0x02);
/** In the index database: the cursor up to which every blob is indexed. */
export const INDEXED_KEY = Uint8Array.of(PREFIX_META, 0x01);
/** In the index database: FILTER: 0x01 || last cursor it covers u64 || hashes when built u64 || the saved filter. */
export const FILTER_KEY = Uint8Array.of(PREFIX_META, 0x02);
/** The range of CHUNK keys: CHUNK_FIRST <= key < CHUNK_END. */
export const CHUNK_FIRST = Uint8Array.of(PREFIX_CHUNK);
export const CHUNK_END = Uint8Array.of(PREFIX_CHUNK + 1);

const STATE_BYTES = 1 + 4 * 8;
const INDEX_RECORD_BYTES = 1 + 8;
const POW_CONTEXT_RECORD_BYTES = 1 + POW_CONTEXT_BYTES;
const FILTER_RECORD_HEADER_BYTES = 1 + 8 + 8;

/** The STATE record: blobs live at floor+1 .. last, with no gaps. */
export interface State {
  readonly last: bigint;
  readonly floor: bigint;
  readonly blobs: number;
  readonly bytes: number;
}

export const EMPTY_STATE: State = { last: 0n, floor: 0n, blobs: 0, bytes: 0 };

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** The error for a record of the given kind that does not decode. */
export function corrupt(what: string): PubError {
  return new PubError(PubErrorCode.STORE_CORRUPT, `the pub store holds a bad ${what} record`);
}

/** prefix || value u64 (big-endian, so keys sort in cursor order). */
export function u64Key(prefix: number, value: bigint): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = prefix;
  new DataView(key.buffer).setBigUint64(1, value);
  return key;
}

/** The key of the CHUNK record whose last cursor is `last`. */
export function chunkKey(last: bigint): Uint8Array {
  return u64Key(PREFIX_CHUNK, last);
}

/** The cursor a u64 key of `prefix` names; STORE_CORRUPT for any other key. */
export function cursorOfKey(key: Uint8Array, prefix: number): bigint {
  if (key.length !== 9 || key[0] !== prefix) throw corrupt('key');
  return view(key).getBigUint64(1);
}

/** The key of a blob hash's INDEX entry. */
export function indexKey(hash: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + BLOB_HASH_BYTES);
  key[0] = PREFIX_INDEX;
  key.set(hash, 1);
  return key;
}

export function encodeState(s: State): Uint8Array {
  const out = new Uint8Array(STATE_BYTES);
  const v = view(out);
  out[0] = STORE_LAYOUT_VERSION;
  v.setBigUint64(1, s.last);
  v.setBigUint64(9, s.floor);
  v.setBigUint64(17, BigInt(s.blobs));
  v.setBigUint64(25, BigInt(s.bytes));
  return out;
}

/** STATE and the layout it was written for (STORE_LAYOUT_VERSION or LAYOUT_PER_BLOB). */
export function decodeState(b: Uint8Array): State & { layout: number } {
  const layout = b[0];
  if (b.length !== STATE_BYTES || (layout !== STORE_LAYOUT_VERSION && layout !== LAYOUT_PER_BLOB)) throw corrupt('state');
  const v = view(b);
  const s = { layout, last: v.getBigUint64(1), floor: v.getBigUint64(9), blobs: Number(v.getBigUint64(17)), bytes: Number(v.getBigUint64(25)) };
  if (s.floor > s.last) throw corrupt('state');
  return s;
}

/** POW CONTEXT: 0x01 || the context (32 bytes). */
export function encodePowContext(context: Uint8Array): Uint8Array {
  const out = new Uint8Array(POW_CONTEXT_RECORD_BYTES);
  out[0] = STORE_RECORD_VERSION;
  out.set(context, 1);
  return out;
}

/** The PoW context, as a plain copy (LevelDB hands out Buffers). */
export function decodePowContext(b: Uint8Array | undefined): Uint8Array {
  if (b === undefined || b.length !== POW_CONTEXT_RECORD_BYTES || b[0] !== STORE_RECORD_VERSION) throw corrupt('PoW context');
  return new Uint8Array(b.subarray(1));
}

/** An INDEX entry or the INDEXED mark: 0x01 || cursor u64. */
export function encodeIndex(cursor: bigint): Uint8Array {
  const out = new Uint8Array(INDEX_RECORD_BYTES);
  out[0] = STORE_RECORD_VERSION;
  view(out).setBigUint64(1, cursor);
  return out;
}

export function decodeIndex(b: Uint8Array): bigint {
  if (b.length !== INDEX_RECORD_BYTES || b[0] !== STORE_RECORD_VERSION) throw corrupt('index');
  return view(b).getBigUint64(1);
}

/** The index's INDEXED mark (0 for a new or lost index). */
export function decodeIndexed(b: Uint8Array | undefined): bigint {
  return b === undefined ? 0n : decodeIndex(b);
}

/** A FILTER record's fields: the last cursor it covers, filter.added when it was built, the saved filter. */
export interface FilterRecord {
  readonly covers: bigint;
  readonly builtWith: number;
  readonly saved: Uint8Array;
}

export function encodeFilterRecord(r: FilterRecord): Uint8Array {
  const out = new Uint8Array(FILTER_RECORD_HEADER_BYTES + r.saved.length);
  const v = view(out);
  out[0] = STORE_RECORD_VERSION;
  v.setBigUint64(1, r.covers);
  v.setBigUint64(9, BigInt(r.builtWith));
  out.set(r.saved, FILTER_RECORD_HEADER_BYTES);
  return out;
}

/**
 * A FILTER record's fields, or null when there is none or it is not one (the filter is then
 * built again from the index: it is a cache, never STORE_CORRUPT). `saved` is a view.
 */
export function decodeFilterRecord(b: Uint8Array | undefined): FilterRecord | null {
  if (b === undefined || b.length <= FILTER_RECORD_HEADER_BYTES || b[0] !== STORE_RECORD_VERSION) return null;
  const v = view(b);
  return { covers: v.getBigUint64(1), builtWith: Number(v.getBigUint64(9)), saved: b.subarray(FILTER_RECORD_HEADER_BYTES) };
}
