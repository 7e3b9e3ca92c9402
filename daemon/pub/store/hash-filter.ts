/**
 * A Bloom filter over blob hashes: says whether the dedupe index may hold a hash, so that a post
 * of a new blob (nearly every post) needs no index lookup. It never says "no" for a hash that
 * was added; it may say "maybe" for one that was not (then the index is asked).
 *
 * Blob hashes are keyed BLAKE2b outputs (protocol/pow.ts blobHash), uniform already: the bit
 * positions are read straight from them, K 32-bit words of the hash, no further hashing. A
 * poster who picks blobs to set chosen bits gains nothing but index lookups (and pays a proof
 * of work per post).
 */
import { BLOB_HASH_BYTES } from '../../../protocol/pow.js';

/** Bit positions per hash (of the eight 32-bit words a 32-byte hash has). */
const K = 7;

export class HashFilter {
  readonly #words: Uint32Array;
  readonly #mask: number;
  #set = 0;
  /** Hashes added since the filter was made. */
  added = 0;

  /** A filter of 2^log2Bits bits (2^24: 2 MiB, about 1% false "maybe" at 1.6 million hashes). */
  constructor(log2Bits: number) {
    if (!Number.isInteger(log2Bits) || log2Bits < 5 || log2Bits > 32) throw new RangeError('a filter has 2^5 to 2^32 bits');
    this.#words = new Uint32Array(2 ** (log2Bits - 5));
    this.#mask = 2 ** log2Bits - 1;
  }

  /** The share of bits set: the false "maybe" rate is about fill^K. */
  get fill(): number {
    return this.#set / (this.#mask + 1);
  }

  add(hash: Uint8Array): void {
    const v = positions(hash);
    for (let i = 0; i < K; i++) {
      const bit = (v.getUint32(4 * i) & this.#mask) >>> 0;
      const word = bit >>> 5;
      const m = 1 << (bit & 31);
      const w = this.#words[word]!;
      if ((w & m) === 0) {
        this.#words[word] = w | m;
        this.#set += 1;
      }
    }
    this.added += 1;
  }

  /** See saveHashFilter. */
  save(): Uint8Array {
    const out = new Uint8Array(SAVED_HEADER_BYTES + this.#words.byteLength);
    const v = new DataView(out.buffer);
    out[0] = HASH_FILTER_VERSION;
    out[1] = Math.log2(this.#mask + 1);
    v.setBigUint64(2, BigInt(this.#set));
    v.setBigUint64(10, BigInt(this.added));
    // the words little-endian, whatever this machine's byte order
    for (let i = 0; i < this.#words.length; i++) v.setUint32(SAVED_HEADER_BYTES + 4 * i, this.#words[i]!, true);
    return out;
  }

  /** See loadHashFilter (which checks the sizes). */
  static restore(log2Bits: number, bits: Uint8Array, set: number, added: number): HashFilter {
    const filter = new HashFilter(log2Bits);
    const v = new DataView(bits.buffer, bits.byteOffset, bits.byteLength);
    for (let i = 0; i < filter.#words.length; i++) filter.#words[i] = v.getUint32(4 * i, true);
    filter.#set = set;
    filter.added = added;
    return filter;
  }

  /** False: the hash was never added. True: it may have been. */
  mayHave(hash: Uint8Array): boolean {
    const v = positions(hash);
    for (let i = 0; i < K; i++) {
      const bit = (v.getUint32(4 * i) & this.#mask) >>> 0;
      if ((this.#words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

function positions(hash: Uint8Array): DataView {
  if (hash.length !== BLOB_HASH_BYTES) throw new RangeError('a blob hash is 32 bytes');
  return new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
}

/** Version byte of a saved filter. */
export const HASH_FILTER_VERSION = 0x01;
const SAVED_HEADER_BYTES = 1 + 1 + 8 + 8;

/** The filter as bytes: version || log2 bits u8 || bits set u64 || hashes added u64 || the bits. */
export function saveHashFilter(filter: HashFilter): Uint8Array {
  return filter.save();
}

/** A filter from saveHashFilter's bytes, or null if they are not one. */
export function loadHashFilter(bytes: Uint8Array): HashFilter | null {
  if (bytes.length < SAVED_HEADER_BYTES || bytes[0] !== HASH_FILTER_VERSION) return null;
  const log2Bits = bytes[1]!;
  if (log2Bits < 5 || log2Bits > 32 || bytes.length !== SAVED_HEADER_BYTES + 2 ** (log2Bits - 3)) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const set = Number(v.getBigUint64(2));
  const added = Number(v.getBigUint64(10));
  if (set > 2 ** log2Bits) return null;
  return HashFilter.restore(log2Bits, bytes.subarray(SAVED_HEADER_BYTES), set, added);
}
