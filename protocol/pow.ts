/**
 * The pub's anti-spam price: a hashcash-style proof of work bound to one blob and to one pub.
 *
 *   digest = BLAKE2b-256(POW_LABEL || powContext || blobHash || nonce)
 *
 * where `powContext` is the 32 random bytes a pub announces in its hello (so work done for one
 * pub is worthless at another), `blobHash` is the blob hash of protocol/blob.ts (so work done for one blob
 * is worthless for another) and `nonce` is 8 bytes, big-endian. The proof holds when `digest`
 * starts with at least `difficulty` zero bits (most significant bit of byte 0 first).
 *
 * Pure: no I/O, no timers. `solvePow` works in bounded slices so a caller can yield between them.
 */
import { blobHash } from './blob.js';
import { U64_MAX } from './bytes.js';
import { blake2b } from './crypto.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** Domain-separation label, the first bytes hashed (ASCII, 16 bytes). */
export const POW_LABEL = new TextEncoder().encode('snug/v1/pub-pow.');
/** Bytes of a pub's PoW context. */
export const POW_CONTEXT_BYTES = 32;
/** Bytes of a blob hash (BLAKE2b-256). */
export const BLOB_HASH_BYTES = 32;
/** Bytes of a PoW nonce (u64, big-endian). */
export const POW_NONCE_BYTES = 8;
/** Bytes of a PoW digest (BLAKE2b-256). */
export const POW_DIGEST_BYTES = 32;
/** The hardest difficulty snug accepts, in leading zero bits. */
export const POW_DIFFICULTY_MAX = 64;
/** The largest nonce (u64). */
export const POW_NONCE_MAX = U64_MAX;

const INPUT_BYTES = POW_LABEL.length + POW_CONTEXT_BYTES + BLOB_HASH_BYTES + POW_NONCE_BYTES;
const NONCE_OFFSET = INPUT_BYTES - POW_NONCE_BYTES;

/**
 * The blob hash (protocol/blob.ts: keyed BLAKE2b-256, label "snug/v1/blob-hash"): the pub's
 * dedupe key and what the proof of work is bound to. One definition for both.
 */
export { blobHash };

/** Number of leading zero bits of `bytes` (most significant bit of byte 0 first). */
export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const b of bytes) {
    if (b === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(b) - 24;
  }
  return bits;
}

function checkInputs(powContext: Uint8Array, hash: Uint8Array, difficulty: number): void {
  if (powContext.length !== POW_CONTEXT_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `a PoW context is ${POW_CONTEXT_BYTES} bytes`);
  }
  if (hash.length !== BLOB_HASH_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `a blob hash is ${BLOB_HASH_BYTES} bytes`);
  }
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > POW_DIFFICULTY_MAX) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `a PoW difficulty is an integer in 0..${POW_DIFFICULTY_MAX}`);
  }
}

function checkNonce(nonce: bigint): void {
  if (nonce < 0n || nonce > POW_NONCE_MAX) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'a PoW nonce is a u64');
  }
}

function powInput(powContext: Uint8Array, hash: Uint8Array): Uint8Array {
  const input = new Uint8Array(INPUT_BYTES);
  input.set(POW_LABEL, 0);
  input.set(powContext, POW_LABEL.length);
  input.set(hash, POW_LABEL.length + POW_CONTEXT_BYTES);
  return input;
}

/** The PoW digest of (`powContext`, `hash`, `nonce`). */
export function powDigest(powContext: Uint8Array, hash: Uint8Array, nonce: bigint): Uint8Array {
  checkInputs(powContext, hash, 0);
  checkNonce(nonce);
  const input = powInput(powContext, hash);
  new DataView(input.buffer).setBigUint64(NONCE_OFFSET, nonce);
  return blake2b(POW_DIGEST_BYTES, input);
}

/** True when `nonce` proves `difficulty` bits of work for the blob with hash `hash` at this pub. */
export function verifyPow(powContext: Uint8Array, hash: Uint8Array, nonce: bigint, difficulty: number): boolean {
  checkInputs(powContext, hash, difficulty);
  if (nonce < 0n || nonce > POW_NONCE_MAX) return false;
  if (difficulty === 0) return true;
  return leadingZeroBits(powDigest(powContext, hash, nonce)) >= difficulty;
}

export interface PowSearch {
  /** First nonce to try. */
  readonly start: bigint;
  /** How many consecutive nonces to try at most. */
  readonly attempts: number;
}

/**
 * Tries nonces `start`, `start + 1`, ... (at most `attempts` of them) and returns the first that
 * proves `difficulty` bits, or null when none in the range does. Expected work is 2^difficulty
 * hashes; call it in slices and yield between them to keep an event loop responsive.
 */
export function solvePow(powContext: Uint8Array, hash: Uint8Array, difficulty: number, search: PowSearch): bigint | null {
  checkInputs(powContext, hash, difficulty);
  checkNonce(search.start);
  if (difficulty === 0) return search.start;
  const input = powInput(powContext, hash);
  const view = new DataView(input.buffer);
  const fullBytes = difficulty >>> 3;
  const restMask = (0xff << (8 - (difficulty & 7))) & 0xff;
  let nonce = search.start;
  for (let i = 0; i < search.attempts && nonce <= POW_NONCE_MAX; i++, nonce++) {
    view.setBigUint64(NONCE_OFFSET, nonce);
    const d = blake2b(POW_DIGEST_BYTES, input);
    let ok = true;
    for (let j = 0; j < fullBytes; j++) {
      if (d[j] !== 0) {
        ok = false;
        break;
      }
    }
    if (ok && restMask !== 0 && ((d[fullBytes] ?? 0xff) & restMask) !== 0) ok = false;
    if (ok) return nonce;
  }
  return null;
}
