/**
 * The pub protocol's frames: every binary WebSocket message between a client and a pub, with
 * an `encodeX`/`decodeFrame` pair. Hand-rolled and big-endian; docs/pub-protocol.md gives every
 * frame byte by byte.
 *
 * Every frame starts with two bytes: the protocol version (PUB_WIRE_VERSION) and the frame
 * type. Requests and their replies carry a client-chosen u32 request id. Cursors are u64 on the
 * wire and bigint in code.
 *
 * Frames are written and read with protocol/bytes.ts (ByteWriter, ByteReader).
 *
 * Decoders are total: any input either decodes to exactly one frame that re-encodes to the
 * same bytes, or fails with a ProtocolError:
 *   TRUNCATED            the input ends before the frame does
 *   OVERSIZED            trailing bytes, a length above its maximum, or a frame above maxBytes
 *   UNSUPPORTED_VERSION  the first byte is not PUB_WIRE_VERSION
 *   INVALID_FIELD        an unknown frame type, reserved flag bits set, a value out of range
 *   NON_CANONICAL        blob sizes out of order in a hello
 */
import { ByteReader, ByteWriter, concatBytes } from './bytes.js';
import { BLOB_SIZE_MAX, BLOB_SIZES, BLOB_VERSION } from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { POW_CONTEXT_BYTES, POW_DIFFICULTY_MAX } from './pow.js';

/** The one protocol version this implementation speaks. */
export const PUB_WIRE_VERSION = 0x01;

/** Frame types. Client → pub: 0x10-0x1f; pub → client: 0x01, 0x02, 0x20-0x2f, 0x7f. */
export const PubFrameType = {
  HELLO: 0x01,
  REFUSE: 0x02,
  POST: 0x10,
  FETCH: 0x11,
  SUBSCRIBE: 0x12,
  HELLO_REQUEST: 0x13,
  POST_ACK: 0x20,
  PAGE: 0x21,
  SUBSCRIBED: 0x22,
  BLOB: 0x23,
  ERROR: 0x7f,
} as const;
export type PubFrameType = (typeof PubFrameType)[keyof typeof PubFrameType];

/**
 * The numeric codes an ERROR frame carries (u16). Stable; docs/pub-protocol.md lists them.
 * Request-level errors leave the connection open; connection-level ones (request id 0) are
 * followed by a close. (A client names each one by a string code, ERR_PUB_ and its name here:
 * the string codes are daemon/pub-links/errors.ts's; these numbers are the wire's.)
 */
export const ErrorFrameCode = {
  /** A frame that does not decode (connection-level, then close). */
  MALFORMED_FRAME: 1,
  /** A frame type the pub does not know (connection-level, then close). */
  UNKNOWN_FRAME: 2,
  /** A frame above the pub's maxFrameBytes (connection-level, then close). */
  FRAME_TOO_LARGE: 3,
  /** A blob whose length is not one of the pub's blob sizes. */
  BAD_BLOB_SIZE: 4,
  /** A blob whose first byte is not BLOB_VERSION. */
  BAD_BLOB_VERSION: 5,
  /** The proof of work does not meet the pub's difficulty. */
  BAD_POW: 6,
  /** Too many posts on this connection; retry after `retryAfterMs`. */
  RATE_LIMITED: 7,
  /** The pub serves its maximum number of connections (connection-level, then close). */
  TOO_MANY_CONNECTIONS: 8,
  /** Too many requests in flight on this connection. */
  BUSY: 9,
  /** This connection already has a live subscription. */
  ALREADY_SUBSCRIBED: 10,
  /** A request field is out of range (e.g. a fetch limit of 0). */
  BAD_REQUEST: 11,
  /** The pub is shutting down; the request was not carried out. */
  SHUTTING_DOWN: 12,
  /** The pub failed to carry out the request (its store failed). */
  INTERNAL: 13,
} as const;
export type ErrorFrameCode = (typeof ErrorFrameCode)[keyof typeof ErrorFrameCode];
/** The name of an ERROR frame code (`BUSY` for 9). */
export type ErrorFrameName = keyof typeof ErrorFrameCode;
const ERROR_FRAME_CODE_MAX = 13;
const ERROR_FRAME_NAMES: ReadonlyMap<number, ErrorFrameName> = new Map(
  (Object.keys(ErrorFrameCode) as ErrorFrameName[]).map((name) => [ErrorFrameCode[name], name]),
);

/** The name of an ERROR frame code (`BUSY` for 9). */
export function errorFrameName(code: ErrorFrameCode): ErrorFrameName {
  const name = ERROR_FRAME_NAMES.get(code);
  if (name === undefined) fail(ProtocolErrorCode.INVALID_FIELD, `unknown pub error code ${String(code)}`);
  return name;
}

/** WebSocket close codes a pub closes a connection with. */
export const PubCloseCode = {
  /** The pub is stopping, or failed to carry out a subscription. */
  GOING_AWAY: 1001,
  /** A frame that does not decode, of another version, or a connection-level error. */
  PROTOCOL_ERROR: 1002,
  /** A text frame. */
  UNSUPPORTED_DATA: 1003,
  /** Too many HELLO_REQUESTs. */
  POLICY_VIOLATION: 1008,
  /** The pub serves maxConnections already (TOO_MANY_CONNECTIONS). */
  TRY_AGAIN_LATER: 1013,
} as const;
export type PubCloseCode = (typeof PubCloseCode)[keyof typeof PubCloseCode];

/** What a pub announces in its hello. Sizes in bytes, times in milliseconds. */
export interface PubPolicy {
  /** The protocol version (the hello's version byte). */
  readonly version: number;
  /** 32 random bytes of this pub that every proof of work is bound to. */
  readonly powContext: Uint8Array;
  /** Leading zero bits a post's proof of work must have (0..64). */
  readonly powDifficulty: number;
  /** Blob lengths accepted, ascending (a subset of BLOB_SIZES). */
  readonly blobSizes: readonly number[];
  /** Largest frame the pub accepts from a client. */
  readonly maxFrameBytes: number;
  /** Most blobs in one page (a FETCH limit above it is lowered to it). */
  readonly maxPageBlobs: number;
  /** Most blob bytes in one page (a page holds at least one blob whatever its size). */
  readonly maxPageBytes: number;
  /** Posts per second one connection may sustain (token bucket rate). */
  readonly postsPerSecond: number;
  /** Posts one connection may make in a burst (token bucket size). */
  readonly postBurst: number;
  /** Requests one connection may have in flight. */
  readonly maxInflight: number;
  /** Total blob bytes kept; beyond it the oldest blobs are pruned. */
  readonly quotaBytes: number;
  /** Blobs older than this are pruned (0: kept until the quota prunes them). */
  readonly retentionMs: number;
  /** Connections served at once. */
  readonly maxConnections: number;
}

export interface HelloFrame { readonly type: typeof PubFrameType.HELLO; readonly policy: PubPolicy }
export interface RefuseFrame { readonly type: typeof PubFrameType.REFUSE; readonly minVersion: number; readonly maxVersion: number }
export interface PostFrame { readonly type: typeof PubFrameType.POST; readonly requestId: number; readonly nonce: bigint; readonly blob: Uint8Array }
export interface FetchFrame { readonly type: typeof PubFrameType.FETCH; readonly requestId: number; readonly since: bigint; readonly limit: number }
/**
 * HELLO_REQUEST: asks for the pub's HELLO again. The pub sends its HELLO unsolicited when a
 * connection opens, but a client whose dialer hands it the socket only after it opened may have
 * missed it; such a client sends this and takes the first HELLO that arrives (ignoring later ones).
 */
export interface HelloRequestFrame { readonly type: typeof PubFrameType.HELLO_REQUEST }
export interface SubscribeFrame { readonly type: typeof PubFrameType.SUBSCRIBE; readonly requestId: number; readonly since: bigint }
export interface PostAckFrame { readonly type: typeof PubFrameType.POST_ACK; readonly requestId: number; readonly cursor: bigint; readonly duplicate: boolean }
export interface PageEntry { readonly cursor: bigint; readonly blob: Uint8Array }
export interface PageFrame {
  readonly type: typeof PubFrameType.PAGE;
  readonly requestId: number;
  /** More blobs follow `next`. */
  readonly more: boolean;
  /** Blobs after the requested cursor were pruned before this fetch: some may have been missed. */
  readonly pruned: boolean;
  /** The first cursor the store can still hold (every cursor below it was pruned). */
  readonly start: bigint;
  /** The cursor to fetch since next (the last blob's cursor, or where the store resumes). */
  readonly next: bigint;
  /** The last cursor the pub has assigned (0: none yet). */
  readonly head: bigint;
  /**
   * Another PAGE answering the same FETCH follows (a FETCH whose limit is above maxPageBlobs is
   * answered by several pages back to back; every one but the last has this flag).
   */
  readonly continues?: boolean;
  readonly blobs: readonly PageEntry[];
}
export interface SubscribedFrame {
  readonly type: typeof PubFrameType.SUBSCRIBED;
  readonly requestId: number;
  readonly pruned: boolean;
  readonly start: bigint;
  readonly head: bigint;
}
export interface BlobFrame { readonly type: typeof PubFrameType.BLOB; readonly requestId: number; readonly cursor: bigint; readonly blob: Uint8Array }
export interface ErrorFrame { readonly type: typeof PubFrameType.ERROR; readonly requestId: number; readonly code: ErrorFrameCode; readonly retryAfterMs: number }

export type ClientFrame = PostFrame | FetchFrame | SubscribeFrame | HelloRequestFrame;
export type ServerFrame = HelloFrame | RefuseFrame | PostAckFrame | PageFrame | SubscribedFrame | BlobFrame | ErrorFrame;
export type PubFrame = ClientFrame | ServerFrame;

// Sizes of fixed parts (bytes).
const HEADER_BYTES = 2;
const REQUEST_ID_BYTES = 4;
const U64_BYTES = 8;
/** POST: header, request id, nonce, blob length (u32). */
export const POST_OVERHEAD_BYTES = HEADER_BYTES + REQUEST_ID_BYTES + U64_BYTES + 4;
/** PAGE: header, request id, flags, start, next, head, count (u16). */
export const PAGE_OVERHEAD_BYTES = HEADER_BYTES + REQUEST_ID_BYTES + 1 + 3 * U64_BYTES + 2;
/** Bytes each blob adds to a page beside its own: cursor and length (u32). */
export const PAGE_ENTRY_OVERHEAD_BYTES = U64_BYTES + 4;
/** The most blob sizes a hello may list. */
export const HELLO_SIZES_MAX = 16;
/** The most blobs one page may carry (u16 count). */
export const PAGE_BLOBS_MAX = 0xffff;
/** Largest PAGE frame a client accepts (bytes). */
export const PAGE_FRAME_MAX_BYTES = 16 * 1024 * 1024;
/** Largest request id; 0 is reserved for connection-level errors. */
export const REQUEST_ID_MAX = 0xffff_ffff;


const FLAG_DUPLICATE = 0x01;
const FLAG_MORE = 0x01;
const FLAG_PRUNED = 0x02;
const FLAG_CONTINUES = 0x04;

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

/** The reads the frame decoders make: ByteReader's, or PartsReader's over a fragmented message. */
interface FieldReader {
  readonly remaining: number;
  u8(what?: string): number;
  u16(what?: string): number;
  u32(what?: string): number;
  u64(what?: string): number;
  u64Big(what?: string): bigint;
  fixed(n: number, what?: string): Uint8Array;
  view(n: number, what?: string): Uint8Array;
  end(what?: string): void;
}

/**
 * ByteReader's reads over a message received as several fragments (what `ws` hands a listener
 * with binaryType "fragments"), without joining them: a view where a field lies within one
 * fragment, a copy only of a field that straddles two. It reads exactly what ByteReader reads
 * over the joined bytes, and fails with the same codes.
 */
class PartsReader implements FieldReader {
  readonly #parts: Uint8Array[];
  readonly #views: Array<DataView | undefined>;
  #i = 0;
  #pos = 0;
  #remaining = 0;

  constructor(parts: readonly Uint8Array[]) {
    this.#parts = parts.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
    this.#views = this.#parts.map(() => undefined);
    for (const p of this.#parts) this.#remaining += p.length;
  }

  get remaining(): number {
    return this.#remaining;
  }

  #need(n: number, what: string): void {
    if (this.#remaining < n) throw new ProtocolError(ProtocolErrorCode.TRUNCATED, `input ends inside ${what}`);
  }

  /** The fragment holding the next byte, with `n` bytes of it left from #pos, or undefined when fewer. */
  #contiguous(n: number): Uint8Array | undefined {
    while (this.#i < this.#parts.length && this.#pos === this.#parts[this.#i]!.length) {
      this.#i += 1;
      this.#pos = 0;
    }
    const p = this.#parts[this.#i];
    return p !== undefined && this.#pos + n <= p.length ? p : undefined;
  }

  /** The next `n` bytes (checked by #need): a view when they lie in one fragment, else a copy. */
  #take(n: number): Uint8Array {
    const p = this.#contiguous(n);
    if (p !== undefined) {
      const out = p.subarray(this.#pos, this.#pos + n);
      this.#pos += n;
      this.#remaining -= n;
      return out;
    }
    const out = new Uint8Array(n);
    for (let o = 0; o < n; ) {
      this.#contiguous(1);
      const part = this.#parts[this.#i]!;
      const k = Math.min(n - o, part.length - this.#pos);
      out.set(part.subarray(this.#pos, this.#pos + k), o);
      o += k;
      this.#pos += k;
    }
    this.#remaining -= n;
    return out;
  }

  u8(what = 'u8'): number {
    this.#need(1, what);
    return this.#take(1)[0]!;
  }

  u16(what = 'u16'): number {
    this.#need(2, what);
    const b = this.#take(2);
    return (b[0]! << 8) | b[1]!;
  }

  u32(what = 'u32'): number {
    this.#need(4, what);
    const p = this.#contiguous(4);
    const b = p ?? this.#take(4);
    const at = p !== undefined ? this.#pos : 0;
    const v = b[at]! * 0x100_0000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
    if (p !== undefined) {
      this.#pos += 4;
      this.#remaining -= 4;
    }
    return v;
  }

  u64(what = 'u64'): number {
    this.#need(8, what);
    const hi = this.u32(what);
    const lo = this.u32(what);
    if (hi > Math.floor(Number.MAX_SAFE_INTEGER / 0x1_0000_0000)) fail(ProtocolErrorCode.INVALID_FIELD, `${what} is above 2^53-1`);
    return hi * 0x1_0000_0000 + lo;
  }

  u64Big(what = 'u64'): bigint {
    this.#need(8, what);
    const p = this.#contiguous(8);
    if (p === undefined) {
      const b = this.#take(8);
      return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
    }
    let v = this.#views[this.#i];
    if (v === undefined) {
      v = new DataView(p.buffer, p.byteOffset, p.byteLength);
      this.#views[this.#i] = v;
    }
    const value = v.getBigUint64(this.#pos);
    this.#pos += 8;
    this.#remaining -= 8;
    return value;
  }

  fixed(n: number, what = 'field'): Uint8Array {
    this.#need(n, what);
    return this.#take(n).slice();
  }

  view(n: number, what = 'field'): Uint8Array {
    this.#need(n, what);
    return this.#take(n);
  }

  end(what = 'structure'): void {
    if (this.#remaining !== 0) fail(ProtocolErrorCode.OVERSIZED, `${this.#remaining} trailing bytes after ${what}`);
  }
}

/**
 * A blob: u32 length (at most BLOB_SIZE_MAX) then that many bytes, as a view into the frame
 * (no copy: a page of hundreds of blobs would otherwise cost an allocation per blob).
 */
function readBlob(r: FieldReader): Uint8Array {
  const len = r.u32('blob length');
  if (len > BLOB_SIZE_MAX) fail(ProtocolErrorCode.OVERSIZED, `a blob is at most ${BLOB_SIZE_MAX} bytes`);
  return r.view(len, 'blob');
}

function checkInt(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(ProtocolErrorCode.INVALID_FIELD, `${what} must be an integer in ${min}..${max}`);
  }
}
function checkRequestId(id: number): void {
  checkInt(id, 0, REQUEST_ID_MAX, 'request id');
}
function checkBlobLength(blob: Uint8Array): void {
  if (blob.length > BLOB_SIZE_MAX) fail(ProtocolErrorCode.OVERSIZED, `a blob is at most ${BLOB_SIZE_MAX} bytes`);
}

function header(w: ByteWriter, type: PubFrameType): ByteWriter {
  return w.u8(PUB_WIRE_VERSION).u8(type);
}

// ---- pub → client ----------------------------------------------------------------------

function checkPolicy(p: PubPolicy): void {
  checkInt(p.version, 0, 0xff, 'version');
  if (p.powContext.length !== POW_CONTEXT_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, `a PoW context is ${POW_CONTEXT_BYTES} bytes`);
  checkInt(p.powDifficulty, 0, POW_DIFFICULTY_MAX, 'PoW difficulty');
  checkInt(p.blobSizes.length, 1, HELLO_SIZES_MAX, 'number of blob sizes');
  let prev = 0;
  for (const size of p.blobSizes) {
    checkInt(size, 1, BLOB_SIZE_MAX, 'blob size');
    if (size <= prev) fail(ProtocolErrorCode.NON_CANONICAL, 'blob sizes must be strictly ascending');
    prev = size;
  }
  checkInt(p.maxFrameBytes, 1, 0xffff_ffff, 'max frame bytes');
  checkInt(p.maxPageBlobs, 1, PAGE_BLOBS_MAX, 'max page blobs');
  checkInt(p.maxPageBytes, 1, 0xffff_ffff, 'max page bytes');
  checkInt(p.postsPerSecond, 1, 0xffff_ffff, 'posts per second');
  checkInt(p.postBurst, 1, 0xffff_ffff, 'post burst');
  checkInt(p.maxInflight, 1, 0xffff, 'max in flight');
  checkInt(p.quotaBytes, 1, Number.MAX_SAFE_INTEGER, 'quota bytes');
  checkInt(p.retentionMs, 0, Number.MAX_SAFE_INTEGER, 'retention');
  checkInt(p.maxConnections, 1, 0xffff_ffff, 'max connections');
}

/** HELLO: the pub's first frame on every connection. */
export function encodeHello(policy: PubPolicy): Uint8Array {
  checkPolicy(policy);
  if (policy.version !== PUB_WIRE_VERSION) fail(ProtocolErrorCode.INVALID_FIELD, 'a hello carries this implementation\'s version');
  const size = HEADER_BYTES + POW_CONTEXT_BYTES + 1 + 1 + 4 * policy.blobSizes.length + 4 + 2 + 4 + 4 + 4 + 2 + 8 + 8 + 4;
  const w = header(new ByteWriter(size), PubFrameType.HELLO)
    .fixed(policy.powContext, POW_CONTEXT_BYTES)
    .u8(policy.powDifficulty)
    .u8(policy.blobSizes.length);
  for (const s of policy.blobSizes) w.u32(s);
  return w
    .u32(policy.maxFrameBytes)
    .u16(policy.maxPageBlobs)
    .u32(policy.maxPageBytes)
    .u32(policy.postsPerSecond)
    .u32(policy.postBurst)
    .u16(policy.maxInflight)
    .u64(policy.quotaBytes)
    .u64(policy.retentionMs)
    .u32(policy.maxConnections)
    .finish();
}

/**
 * REFUSE: sent instead of a reply when a client frame carries another version, then the pub
 * closes. Its layout is frozen across versions so any client can read it: the pub's version
 * byte, 0x02, and the lowest and highest versions the pub speaks.
 */
export function encodeRefuse(minVersion: number = PUB_WIRE_VERSION, maxVersion: number = PUB_WIRE_VERSION): Uint8Array {
  checkInt(minVersion, 0, 0xff, 'min version');
  checkInt(maxVersion, minVersion, 0xff, 'max version');
  return header(new ByteWriter(4), PubFrameType.REFUSE).u8(minVersion).u8(maxVersion).finish();
}

export function encodePostAck(requestId: number, cursor: bigint, duplicate: boolean): Uint8Array {
  checkRequestId(requestId);
  return header(new ByteWriter(HEADER_BYTES + 4 + 1 + 8), PubFrameType.POST_ACK)
    .u32(requestId)
    .u8(duplicate ? FLAG_DUPLICATE : 0)
    .u64Big(cursor)
    .finish();
}

/** Bytes a PAGE frame of these blobs takes. */
export function pageFrameBytes(blobs: readonly { readonly blob: Uint8Array }[]): number {
  let size = PAGE_OVERHEAD_BYTES;
  for (const b of blobs) size += PAGE_ENTRY_OVERHEAD_BYTES + b.blob.length;
  return size;
}

export function encodePage(page: Omit<PageFrame, 'type'>): Uint8Array {
  checkRequestId(page.requestId);
  checkInt(page.blobs.length, 0, PAGE_BLOBS_MAX, 'number of blobs in a page');
  for (const e of page.blobs) checkBlobLength(e.blob);
  const w = header(new ByteWriter(pageFrameBytes(page.blobs)), PubFrameType.PAGE)
    .u32(page.requestId)
    .u8((page.more ? FLAG_MORE : 0) | (page.pruned ? FLAG_PRUNED : 0) | (page.continues === true ? FLAG_CONTINUES : 0))
    .u64Big(page.start)
    .u64Big(page.next)
    .u64Big(page.head)
    .u16(page.blobs.length);
  for (const e of page.blobs) w.u64Big(e.cursor).u32(e.blob.length).raw(e.blob);
  return w.finish();
}

/** A PAGE's fields without its blobs, for encodePageEntries. */
export type PageHead = Omit<PageFrame, 'type' | 'blobs'>;

/**
 * A PAGE whose entries are already encoded (`runs`: entries laid end to end, each cursor u64 ||
 * length u32 || blob, as a store may keep them): the PAGE header and count, to be followed on the
 * wire by the runs themselves, which together make the same bytes encodePage gives for those
 * blobs. Every entry's length is checked and its cursor must be above the one before; `count`
 * must be the number of entries.
 */
export function encodePageHead(page: PageHead, count: number, runs: readonly Uint8Array[]): Uint8Array {
  checkRequestId(page.requestId);
  checkInt(count, 0, PAGE_BLOBS_MAX, 'number of blobs in a page');
  if (walkEntries(runs) !== count) fail(ProtocolErrorCode.INVALID_FIELD, 'the page count does not match its entries');
  return header(new ByteWriter(PAGE_OVERHEAD_BYTES), PubFrameType.PAGE)
    .u32(page.requestId)
    .u8((page.more ? FLAG_MORE : 0) | (page.pruned ? FLAG_PRUNED : 0) | (page.continues === true ? FLAG_CONTINUES : 0))
    .u64Big(page.start)
    .u64Big(page.next)
    .u64Big(page.head)
    .u16(count)
    .finish();
}

/**
 * Checks runs of PAGE entries (cursor u64 || length u32 || blob, end to end): every entry lies
 * within its run, no blob is above BLOB_SIZE_MAX, every cursor is above the one before. Returns
 * the number of entries; `each`, if given, gets every entry's run, offset and length. Cursors
 * are compared as two u32 halves: no bigint per entry.
 */
function walkEntries(runs: readonly Uint8Array[], each?: (run: Uint8Array, at: number, length: number) => void): number {
  let seen = 0;
  let prevHi = -1;
  let prevLo = -1;
  for (const run of runs) {
    const v = new DataView(run.buffer, run.byteOffset, run.byteLength);
    for (let pos = 0; pos < run.length; seen++) {
      if (pos + PAGE_ENTRY_OVERHEAD_BYTES > run.length) fail(ProtocolErrorCode.TRUNCATED, 'a page entry is cut short');
      const hi = v.getUint32(pos);
      const lo = v.getUint32(pos + 4);
      if (hi < prevHi || (hi === prevHi && lo <= prevLo)) fail(ProtocolErrorCode.INVALID_FIELD, 'page entries must be in cursor order');
      prevHi = hi;
      prevLo = lo;
      const len = v.getUint32(pos + 8);
      if (len > BLOB_SIZE_MAX) fail(ProtocolErrorCode.OVERSIZED, `a blob is at most ${BLOB_SIZE_MAX} bytes`);
      const size = PAGE_ENTRY_OVERHEAD_BYTES + len;
      if (pos + size > run.length) fail(ProtocolErrorCode.TRUNCATED, 'a page entry is cut short');
      each?.(run, pos, size);
      pos += size;
    }
  }
  return seen;
}

/** Bytes a BLOB frame adds before a PAGE entry (cursor || length || blob): header and request id. */
const BLOB_FRAME_PREFIX_BYTES = HEADER_BYTES + REQUEST_ID_BYTES;

/**
 * BLOB frames for `requestId`, one per entry of `runs` (PAGE entries end to end, as a store may
 * keep them; see encodePageHead): the same bytes encodeBlob gives for each, laid out in one
 * buffer (one allocation and one copy for them all) and returned as views into it, in order.
 * `count` must be the number of entries.
 */
export function encodeBlobFrames(requestId: number, runs: readonly Uint8Array[], count: number): Uint8Array[] {
  checkRequestId(requestId);
  let bytes = 0;
  for (const run of runs) bytes += run.length;
  const out = new Uint8Array(bytes + count * BLOB_FRAME_PREFIX_BYTES);
  const v = new DataView(out.buffer);
  const frames: Uint8Array[] = [];
  let at = 0;
  const seen = walkEntries(runs, (run, pos, size) => {
    if (frames.length === count) return;
    out[at] = PUB_WIRE_VERSION;
    out[at + 1] = PubFrameType.BLOB;
    v.setUint32(at + 2, requestId);
    out.set(run.subarray(pos, pos + size), at + BLOB_FRAME_PREFIX_BYTES);
    const end = at + BLOB_FRAME_PREFIX_BYTES + size;
    frames.push(out.subarray(at, end));
    at = end;
  });
  if (seen !== count) fail(ProtocolErrorCode.INVALID_FIELD, 'the count does not match the entries');
  return frames;
}

/** encodePageHead and the runs, as one frame. */
export function encodePageEntries(page: PageHead, count: number, runs: readonly Uint8Array[]): Uint8Array {
  return concatBytes([encodePageHead(page, count, runs), ...runs]);
}

export function encodeSubscribed(requestId: number, pruned: boolean, start: bigint, head: bigint): Uint8Array {
  checkRequestId(requestId);
  return header(new ByteWriter(HEADER_BYTES + 4 + 1 + 16), PubFrameType.SUBSCRIBED)
    .u32(requestId)
    .u8(pruned ? FLAG_PRUNED : 0)
    .u64Big(start)
    .u64Big(head)
    .finish();
}

/** BLOB: one blob pushed on a subscription (`requestId` is the SUBSCRIBE's). */
export function encodeBlob(requestId: number, cursor: bigint, blob: Uint8Array): Uint8Array {
  checkRequestId(requestId);
  checkBlobLength(blob);
  return header(new ByteWriter(HEADER_BYTES + 4 + 8 + 4 + blob.length), PubFrameType.BLOB)
    .u32(requestId)
    .u64Big(cursor)
    .u32(blob.length)
    .raw(blob)
    .finish();
}

export function encodeError(requestId: number, code: ErrorFrameCode, retryAfterMs = 0): Uint8Array {
  checkRequestId(requestId);
  checkInt(code, 1, ERROR_FRAME_CODE_MAX, 'error code');
  checkInt(retryAfterMs, 0, 0xffff_ffff, 'retry after');
  return header(new ByteWriter(HEADER_BYTES + 4 + 2 + 4), PubFrameType.ERROR).u32(requestId).u16(code).u32(retryAfterMs).finish();
}

// ---- client → pub ----------------------------------------------------------------------

export function encodePost(requestId: number, nonce: bigint, blob: Uint8Array): Uint8Array {
  checkRequestId(requestId);
  checkBlobLength(blob);
  return header(new ByteWriter(POST_OVERHEAD_BYTES + blob.length), PubFrameType.POST)
    .u32(requestId)
    .u64Big(nonce)
    .u32(blob.length)
    .raw(blob)
    .finish();
}

export function encodeFetch(requestId: number, since: bigint, limit: number): Uint8Array {
  checkRequestId(requestId);
  checkInt(limit, 0, PAGE_BLOBS_MAX, 'limit');
  return header(new ByteWriter(HEADER_BYTES + 4 + 8 + 2), PubFrameType.FETCH).u32(requestId).u64Big(since).u16(limit).finish();
}

export function encodeSubscribe(requestId: number, since: bigint): Uint8Array {
  checkRequestId(requestId);
  return header(new ByteWriter(HEADER_BYTES + 4 + 8), PubFrameType.SUBSCRIBE).u32(requestId).u64Big(since).finish();
}

export function encodeHelloRequest(): Uint8Array {
  return header(new ByteWriter(HEADER_BYTES), PubFrameType.HELLO_REQUEST).finish();
}

// ---- decoding --------------------------------------------------------------------------

function flags(r: FieldReader, allowed: number): number {
  const f = r.u8('flags');
  if ((f & ~allowed) !== 0) fail(ProtocolErrorCode.INVALID_FIELD, 'reserved flag bits are set');
  return f;
}

function decodeHelloBody(r: FieldReader): PubPolicy {
  const powContext = r.fixed(POW_CONTEXT_BYTES, 'PoW context');
  const powDifficulty = r.u8('PoW difficulty');
  const count = r.u8('number of blob sizes');
  if (count === 0 || count > HELLO_SIZES_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `a hello lists 1..${HELLO_SIZES_MAX} blob sizes`);
  const blobSizes: number[] = [];
  for (let i = 0; i < count; i++) blobSizes.push(r.u32('blob size'));
  const policy: PubPolicy = {
    version: PUB_WIRE_VERSION,
    powContext,
    powDifficulty,
    blobSizes,
    maxFrameBytes: r.u32('max frame bytes'),
    maxPageBlobs: r.u16('max page blobs'),
    maxPageBytes: r.u32('max page bytes'),
    postsPerSecond: r.u32('posts per second'),
    postBurst: r.u32('post burst'),
    maxInflight: r.u16('max in flight'),
    quotaBytes: r.u64('quota bytes'),
    retentionMs: r.u64('retention'),
    maxConnections: r.u32('max connections'),
  };
  checkPolicy(policy);
  return policy;
}

function decodeBody(type: number, r: FieldReader): PubFrame {
  switch (type) {
    case PubFrameType.HELLO:
      return { type, policy: decodeHelloBody(r) };
    case PubFrameType.REFUSE: {
      const minVersion = r.u8('min version');
      const maxVersion = r.u8('max version');
      if (maxVersion < minVersion) fail(ProtocolErrorCode.INVALID_FIELD, 'max version below min version');
      return { type, minVersion, maxVersion };
    }
    case PubFrameType.POST:
      return { type, requestId: r.u32('request id'), nonce: r.u64Big('nonce'), blob: readBlob(r) };
    case PubFrameType.FETCH:
      return { type, requestId: r.u32('request id'), since: r.u64Big('since'), limit: r.u16('limit') };
    case PubFrameType.SUBSCRIBE:
      return { type, requestId: r.u32('request id'), since: r.u64Big('since') };
    case PubFrameType.HELLO_REQUEST:
      return { type };
    case PubFrameType.POST_ACK: {
      const requestId = r.u32('request id');
      const f = flags(r, FLAG_DUPLICATE);
      return { type, requestId, duplicate: (f & FLAG_DUPLICATE) !== 0, cursor: r.u64Big('cursor') };
    }
    case PubFrameType.PAGE: {
      const requestId = r.u32('request id');
      const f = flags(r, FLAG_MORE | FLAG_PRUNED | FLAG_CONTINUES);
      const start = r.u64Big('start');
      const next = r.u64Big('next');
      const head = r.u64Big('head');
      const count = r.u16('number of blobs');
      const blobs: PageEntry[] = [];
      for (let i = 0; i < count; i++) blobs.push({ cursor: r.u64Big('cursor'), blob: readBlob(r) });
      const continues = (f & FLAG_CONTINUES) !== 0;
      if (continues && (f & FLAG_MORE) === 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a page that continues must have more');
      const page = { type, requestId, more: (f & FLAG_MORE) !== 0, pruned: (f & FLAG_PRUNED) !== 0, start, next, head, blobs };
      return continues ? { ...page, continues } : page;
    }
    case PubFrameType.SUBSCRIBED: {
      const requestId = r.u32('request id');
      const f = flags(r, FLAG_PRUNED);
      return { type, requestId, pruned: (f & FLAG_PRUNED) !== 0, start: r.u64Big('start'), head: r.u64Big('head') };
    }
    case PubFrameType.BLOB:
      return { type, requestId: r.u32('request id'), cursor: r.u64Big('cursor'), blob: readBlob(r) };
    case PubFrameType.ERROR: {
      const requestId = r.u32('request id');
      const code = r.u16('error code');
      if (code < 1 || code > ERROR_FRAME_CODE_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `unknown pub error code ${code}`);
      return { type, requestId, code: code as ErrorFrameCode, retryAfterMs: r.u32('retry after') };
    }
    default:
      return fail(ProtocolErrorCode.INVALID_FIELD, `unknown frame type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

const CLIENT_TYPES: ReadonlySet<number> = new Set([PubFrameType.POST, PubFrameType.FETCH, PubFrameType.SUBSCRIBE, PubFrameType.HELLO_REQUEST]);

/** True for the frame types a client may send. */
export function isClientFrameType(type: number): boolean {
  return CLIENT_TYPES.has(type);
}

/**
 * Decodes any pub frame. `maxBytes` (default: no limit beyond the blob limits) rejects larger
 * input with OVERSIZED before anything else is read. A REFUSE frame is recognised whatever its
 * version byte, since its layout is frozen.
 */
export function decodeFrame(bytes: Uint8Array, options: { maxBytes?: number } = {}): PubFrame {
  return decodeFrom(new ByteReader(bytes), bytes.length, options);
}

/** decodeFrame over `r` (`length` bytes in all). */
function decodeFrom(r: FieldReader, length: number, options: { maxBytes?: number }): PubFrame {
  if (options.maxBytes !== undefined && length > options.maxBytes) {
    fail(ProtocolErrorCode.OVERSIZED, `frame of ${length} bytes is above ${options.maxBytes}`);
  }
  const version = r.u8('version');
  const type = r.u8('frame type');
  if (version !== PUB_WIRE_VERSION && type !== PubFrameType.REFUSE) {
    fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `pub protocol version ${version} is not spoken here`);
  }
  const frame = decodeBody(type, r);
  r.end('the frame');
  return frame;
}

/** Decodes a frame a client sent to a pub: only POST, FETCH, SUBSCRIBE and HELLO_REQUEST are accepted. */
export function decodeClientFrame(bytes: Uint8Array, options: { maxBytes?: number } = {}): ClientFrame {
  if (bytes.length >= HEADER_BYTES && bytes[0] === PUB_WIRE_VERSION && !CLIENT_TYPES.has(bytes[1]!)) {
    fail(ProtocolErrorCode.INVALID_FIELD, `frame type 0x${bytes[1]!.toString(16)} is not one a client sends`);
  }
  const frame = decodeFrame(bytes, options);
  if (!CLIENT_TYPES.has(frame.type)) {
    fail(ProtocolErrorCode.INVALID_FIELD, 'not a client frame');
  }
  return frame as ClientFrame;
}

/** Decodes a frame a pub sent to a client. */
export function decodeServerFrame(bytes: Uint8Array, options: { maxBytes?: number } = {}): ServerFrame {
  return serverFrame(decodeFrame(bytes, { maxBytes: options.maxBytes ?? PAGE_FRAME_MAX_BYTES }));
}

/**
 * decodeServerFrame of the message made of `parts` (its fragments, in order), without joining
 * them: the same frame, or the same error, as decodeServerFrame(concatenation). A PAGE's blobs
 * are views into the fragments (a blob is copied only if it straddles two), so a page a pub
 * sends as its header followed by runs of entries is decoded without a copy of its bytes.
 */
export function decodeServerFrameParts(parts: readonly Uint8Array[], options: { maxBytes?: number } = {}): ServerFrame {
  const only = parts.length === 1 ? parts[0]! : undefined;
  if (only !== undefined) return decodeServerFrame(new Uint8Array(only.buffer, only.byteOffset, only.byteLength), options);
  let length = 0;
  for (const p of parts) length += p.length;
  return serverFrame(decodeFrom(new PartsReader(parts), length, { maxBytes: options.maxBytes ?? PAGE_FRAME_MAX_BYTES }));
}

function serverFrame(frame: PubFrame): ServerFrame {
  if (CLIENT_TYPES.has(frame.type)) fail(ProtocolErrorCode.INVALID_FIELD, 'not a pub frame');
  return frame as ServerFrame;
}

/** Encodes any decoded frame: `encodeFrame(decodeFrame(b))` gives `b` back (for REFUSE: with this version byte). */
export function encodeFrame(frame: PubFrame): Uint8Array {
  switch (frame.type) {
    case PubFrameType.HELLO:
      return encodeHello(frame.policy);
    case PubFrameType.REFUSE:
      return encodeRefuse(frame.minVersion, frame.maxVersion);
    case PubFrameType.POST:
      return encodePost(frame.requestId, frame.nonce, frame.blob);
    case PubFrameType.FETCH:
      return encodeFetch(frame.requestId, frame.since, frame.limit);
    case PubFrameType.SUBSCRIBE:
      return encodeSubscribe(frame.requestId, frame.since);
    case PubFrameType.HELLO_REQUEST:
      return encodeHelloRequest();
    case PubFrameType.POST_ACK:
      return encodePostAck(frame.requestId, frame.cursor, frame.duplicate);
    case PubFrameType.PAGE:
      return encodePage(frame);
    case PubFrameType.SUBSCRIBED:
      return encodeSubscribed(frame.requestId, frame.pruned, frame.start, frame.head);
    case PubFrameType.BLOB:
      return encodeBlob(frame.requestId, frame.cursor, frame.blob);
    case PubFrameType.ERROR:
      return encodeError(frame.requestId, frame.code, frame.retryAfterMs);
  }
}

/**
 * Checks an opaque blob against the sizes a pub accepts: returns null when acceptable, or the
 * pub error code to answer with.
 */
export function checkBlob(blob: Uint8Array, blobSizes: readonly number[] = BLOB_SIZES): ErrorFrameCode | null {
  if (!blobSizes.includes(blob.length)) return ErrorFrameCode.BAD_BLOB_SIZE;
  if (blob[0] !== BLOB_VERSION) return ErrorFrameCode.BAD_BLOB_VERSION;
  return null;
}

/**
 * The bytes of a received WebSocket message (what `ws` hands a 'message' listener: a Buffer, an
 * ArrayBuffer, or a list of fragments) as a plain Uint8Array, without a copy where possible.
 * Plain, not a Buffer, so that `slice` copies as the decoders expect.
 */
export function messageBytes(data: Uint8Array | ArrayBuffer | readonly Uint8Array[]): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return concatBytes(data);
}
