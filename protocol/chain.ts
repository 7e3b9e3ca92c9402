/**
 * The chained fields every entry layout shares: group entries (protocol/entry.ts) and 1:1
 * entries (protocol/direct.ts) both carry, after their own header,
 *
 *   author [32] | seq u64 | prev [32] | timestamp u64 | headCount u8 | heads [32 * headCount] |
 *   bodyLength u32 | body
 *
 * One reader, one writer and one set of checks (docs/protocol.md, "Entry"), so a rule of the
 * per-author hash chain is written once.
 */
import { compareBytes, isAllZero, type ByteReader, type ByteWriter } from './bytes.js';
import { ED25519_PUBLIC_KEY_BYTES } from './crypto.js';
import { ENTRY_BODY_MAX_BYTES, ENTRY_HEADS_MAX, HASH_BYTES, TIMESTAMP_MAX_MS } from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

export interface ChainedFields {
  /** The author's key (a profile signing key, or for 1:1 entries an identity key). */
  readonly author: Uint8Array;
  /** The author's sequence number, from 1. */
  readonly seq: number;
  /** The id of the author's entry seq - 1; 32 zero bytes exactly when seq is 1. */
  readonly prev: Uint8Array;
  /** Milliseconds since the Unix epoch, 0..TIMESTAMP_MAX_MS (so no valid entry breaks a Date). */
  readonly timestamp: number;
  /** Ids of the latest entries seen from others: strictly ascending, at most ENTRY_HEADS_MAX. */
  readonly heads: readonly Uint8Array[];
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, `${what} must be ${HASH_BYTES} bytes`);
}

/** Checks the chained fields on their own (ProtocolError otherwise). */
export function checkChainedFields(f: ChainedFields): void {
  if (f.author.length !== ED25519_PUBLIC_KEY_BYTES) fail(ProtocolErrorCode.BAD_KEY, 'author must be 32 bytes');
  if (!Number.isSafeInteger(f.seq) || f.seq < 1) fail(ProtocolErrorCode.INVALID_FIELD, 'seq must be an integer in 1..2^53-1');
  checkHash(f.prev, 'prev');
  if ((f.seq === 1) !== isAllZero(f.prev)) fail(ProtocolErrorCode.INVALID_FIELD, 'prev must be 32 zero bytes exactly when seq is 1');
  if (!Number.isInteger(f.timestamp) || f.timestamp < 0 || f.timestamp > TIMESTAMP_MAX_MS) {
    fail(ProtocolErrorCode.INVALID_FIELD, `timestamp must be 0..${TIMESTAMP_MAX_MS}`);
  }
  if (f.heads.length > ENTRY_HEADS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `at most ${ENTRY_HEADS_MAX} heads`);
  for (let i = 0; i < f.heads.length; i++) {
    checkHash(f.heads[i]!, 'head');
    if (i > 0 && compareBytes(f.heads[i - 1]!, f.heads[i]!) >= 0) fail(ProtocolErrorCode.NON_CANONICAL, 'heads must be strictly ascending');
  }
}

/** Writes the chained fields and the body (the caller has checked them). */
export function writeChainedFields(w: ByteWriter, f: ChainedFields, body: Uint8Array): void {
  w.fixed(f.author, ED25519_PUBLIC_KEY_BYTES).u64(f.seq).fixed(f.prev, HASH_BYTES).u64(f.timestamp);
  w.u8(f.heads.length);
  for (const h of f.heads) w.fixed(h, HASH_BYTES);
  w.bytes32(body, ENTRY_BODY_MAX_BYTES);
}

/** Reads the chained fields and the body; bounds only (the caller runs checkChainedFields). */
export function readChainedFields(r: ByteReader): ChainedFields & { readonly body: Uint8Array } {
  const author = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'author');
  const seq = r.u64('seq');
  const prev = r.fixed(HASH_BYTES, 'prev');
  const timestamp = r.u64('timestamp');
  const headCount = r.u8('head count');
  if (headCount > ENTRY_HEADS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `at most ${ENTRY_HEADS_MAX} heads`);
  const heads: Uint8Array[] = [];
  for (let i = 0; i < headCount; i++) heads.push(r.fixed(HASH_BYTES, 'head'));
  const body = r.bytes32(ENTRY_BODY_MAX_BYTES, 'body');
  return { author, seq, prev, timestamp, heads, body };
}
