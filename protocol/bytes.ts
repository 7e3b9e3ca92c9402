/**
 * The canonical binary codec every snug wire format is written with: a hand-rolled writer and
 * a guarded reader. Integers are big-endian and fixed width; byte strings are either of fixed
 * length or prefixed with their length (u8, u16 or u32) and carry an explicit maximum.
 *
 * The reader never lets a RangeError or TypeError escape: every read is bounds-checked first
 * and fails with a ProtocolError (TRUNCATED when the input ends early, OVERSIZED for a length
 * above its maximum or trailing bytes, INVALID_FIELD for a value outside its range).
 *
 * 64-bit integers come in two kinds. `u64` carries a JavaScript number limited to 2^53 - 1
 * (Number.MAX_SAFE_INTEGER): the decoder rejects a larger value with INVALID_FIELD, so every
 * accepted value re-encodes to the same eight bytes. `u64Big` carries a bigint over the whole
 * range 0..U64_MAX (the pub's cursors and nonces).
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** The largest u64 value snug accepts (2^53 - 1), so it fits a JavaScript number exactly. */
export const U64_SAFE_MAX = Number.MAX_SAFE_INTEGER;

/** The largest u64 (2^64 - 1), as a bigint. */
export const U64_MAX = (1n << 64n) - 1n;

const TWO_POW_32 = 0x1_0000_0000;

function invalid(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_FIELD, message);
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw invalid(`${what} must be an integer in 0..${max}`);
}

/** Appends fields to a growing buffer; `finish()` returns exactly the bytes written. */
export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;
  /** A view of `buf` for bigint writes, made on the first one (and again after `buf` grows). */
  private dataView: DataView | undefined;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  get length(): number {
    return this.pos;
  }

  u8(value: number): this {
    checkUint(value, 0xff, 'u8');
    this.reserve(1);
    this.buf[this.pos++] = value;
    return this;
  }

  u16(value: number): this {
    checkUint(value, 0xffff, 'u16');
    this.reserve(2);
    this.buf[this.pos++] = value >>> 8;
    this.buf[this.pos++] = value & 0xff;
    return this;
  }

  u32(value: number): this {
    checkUint(value, 0xffff_ffff, 'u32');
    this.reserve(4);
    this.buf[this.pos++] = value >>> 24;
    this.buf[this.pos++] = (value >>> 16) & 0xff;
    this.buf[this.pos++] = (value >>> 8) & 0xff;
    this.buf[this.pos++] = value & 0xff;
    return this;
  }

  /** A u64, limited to 0..2^53-1. */
  u64(value: number): this {
    checkUint(value, U64_SAFE_MAX, 'u64');
    const hi = Math.floor(value / TWO_POW_32);
    const lo = value - hi * TWO_POW_32;
    return this.u32(hi).u32(lo);
  }

  /** A u64 as a bigint, 0..U64_MAX. */
  u64Big(value: bigint): this {
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) throw invalid('u64 must be a bigint in 0..2^64-1');
    this.reserve(8);
    if (this.dataView?.buffer !== this.buf.buffer) this.dataView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.dataView.setBigUint64(this.pos, value);
    this.pos += 8;
    return this;
  }

  /** Exactly `length` bytes, no prefix. */
  fixed(bytes: Uint8Array, length: number): this {
    if (bytes.length !== length) throw invalid(`field must be exactly ${length} bytes`);
    this.reserve(length);
    this.buf.set(bytes, this.pos);
    this.pos += length;
    return this;
  }

  /** Raw bytes, no prefix and no length check (for concatenating already-encoded parts). */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** A byte string prefixed with its length as u8; at most `max` (<= 255) bytes. */
  bytes8(bytes: Uint8Array, max: number): this {
    if (bytes.length > Math.min(max, 0xff)) throw invalid(`byte string longer than ${max}`);
    return this.u8(bytes.length).raw(bytes);
  }

  /** A byte string prefixed with its length as u16; at most `max` (<= 65535) bytes. */
  bytes16(bytes: Uint8Array, max: number): this {
    if (bytes.length > Math.min(max, 0xffff)) throw invalid(`byte string longer than ${max}`);
    return this.u16(bytes.length).raw(bytes);
  }

  /** A byte string prefixed with its length as u32; at most `max` bytes. */
  bytes32(bytes: Uint8Array, max: number): this {
    if (bytes.length > Math.min(max, 0xffff_ffff)) throw invalid(`byte string longer than ${max}`);
    return this.u32(bytes.length).raw(bytes);
  }

  /**
   * The bytes written. When they fill the buffer exactly (a writer made with the exact size),
   * the buffer itself, without a copy: a later write never touches it (it grows a new one).
   */
  finish(): Uint8Array {
    return this.pos === this.buf.length ? this.buf : this.buf.slice(0, this.pos);
  }
}

/** Reads fields from a byte string; every read is bounds-checked. */
export class ByteReader {
  private pos = 0;
  /** A view of the input for bigint reads, made on the first one. */
  private dataView: DataView | undefined;

  constructor(private readonly buf: Uint8Array) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.buf.length - this.pos < n) {
      throw new ProtocolError(ProtocolErrorCode.TRUNCATED, `input ends inside ${what}`);
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    const v = b[p]! * 0x100_0000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    this.pos += 4;
    return v;
  }

  /** A u64; values above 2^53-1 are rejected with INVALID_FIELD. */
  u64(what = 'u64'): number {
    this.need(8, what);
    const hi = this.u32(what);
    const lo = this.u32(what);
    if (hi > Math.floor(U64_SAFE_MAX / TWO_POW_32)) throw invalid(`${what} is above 2^53-1`);
    return hi * TWO_POW_32 + lo;
  }

  /** A u64 as a bigint (the whole range 0..U64_MAX). */
  u64Big(what = 'u64'): bigint {
    this.need(8, what);
    this.dataView ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const v = this.dataView.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** Exactly `n` bytes (a copy). */
  fixed(n: number, what = 'field'): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Exactly `n` bytes as a view into the input, without a copy (for large fields read once). */
  view(n: number, what = 'field'): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private prefixed(len: number, max: number, what: string): Uint8Array {
    if (len > max) throw new ProtocolError(ProtocolErrorCode.OVERSIZED, `${what} is longer than ${max} bytes`);
    return this.fixed(len, what);
  }

  bytes8(max: number, what = 'byte string'): Uint8Array {
    return this.prefixed(this.u8(what), max, what);
  }

  bytes16(max: number, what = 'byte string'): Uint8Array {
    return this.prefixed(this.u16(what), max, what);
  }

  bytes32(max: number, what = 'byte string'): Uint8Array {
    return this.prefixed(this.u32(what), max, what);
  }

  /** The rest of the input (a copy). */
  rest(): Uint8Array {
    return this.fixed(this.remaining, 'rest');
  }

  /** Asserts the whole input was consumed; trailing bytes are OVERSIZED. */
  end(what = 'structure'): void {
    if (this.pos !== this.buf.length) {
      throw new ProtocolError(ProtocolErrorCode.OVERSIZED, `${this.buf.length - this.pos} trailing bytes after ${what}`);
    }
  }
}

const utf8Encoder = new TextEncoder();
// fatal: invalid UTF-8 throws; ignoreBOM: a leading U+FEFF is kept as text, so decoding and
// re-encoding give back the same bytes.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Strict UTF-8 decoding: malformed sequences, overlongs and surrogates are INVALID_FIELD. */
export function utf8Decode(bytes: Uint8Array, what = 'text'): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (err) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `${what} is not valid UTF-8`, { cause: err });
  }
}

/** True when `text` is well-formed Unicode (no lone surrogates), so it survives UTF-8 unchanged. */
export function isWellFormedText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** Byte-wise lexicographic comparison: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Non-constant-time equality, for public data (hashes, encodings). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const HEX = '0123456789abcdef';
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX_HI[i] = HEX.charCodeAt(i >>> 4);
  HEX_LO[i] = HEX.charCodeAt(i & 15);
}
const ASCII = new TextDecoder();

/**
 * Lowercase hex. Written as ASCII bytes and decoded once: a string built by concatenation is a
 * rope that every Map lookup then flattens, about 4 times slower where ids are keys (the roster
 * order over 10,000 entries spent half its time here).
 */
export function toHex(bytes: Uint8Array): string {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0, j = 0; i < bytes.length; i++, j += 2) {
    const b = bytes[i]!;
    out[j] = HEX_HI[b]!;
    out[j + 1] = HEX_LO[b]!;
  }
  return ASCII.decode(out);
}

/** Lowercase hex (even length, 0-9a-f only) to bytes; anything else is MALFORMED. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) {
    throw new ProtocolError(ProtocolErrorCode.MALFORMED, 'hex must be lowercase 0-9a-f of even length');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
