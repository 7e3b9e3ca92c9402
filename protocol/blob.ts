/**
 * Blobs: what a pub stores and serves (docs/protocol.md, "Blob").
 *
 *   blob = BLOB_VERSION u8 (0x02) || nonce [24] || XChaCha20-Poly1305(key = blobKey, nonce,
 *          ad = BLOB_VERSION u8, plaintext = pad(encoded entry, size - 41)) (ciphertext || tag [16])
 *
 * blobKey is an epoch's (protocol/group.ts) or a 1:1 conversation's (protocol/direct.ts). The
 * total length is always one of BLOB_SIZES, the smallest the entry fits. Nothing in a blob
 * names its group, epoch or conversation: members find their blobs by trial decryption, so
 * `openBlob` returns null (no exception, no allocation beyond the AEAD attempt) when a blob is
 * not sealed under the key.
 *
 * blobHash = BLAKE2b-256(key = "snug/v2/blob-hash", whole blob): what pubs dedupe by.
 */
import { aeadDecrypt, aeadEncrypt, labelledHash, randomBytes, XCHACHA_NONCE_BYTES } from './crypto.js';
import { BLOB_HEADER_BYTES, BLOB_OVERHEAD_BYTES, BLOB_SIZES, BLOB_VERSION, LABEL_BLOB_HASH } from './constants.js';
import { consumeGroupEntry, type Entry } from './entry.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import type { EpochKeys } from './group.js';
import { blobSizeFor, pad, unpad } from './padding.js';

const AD = Uint8Array.of(BLOB_VERSION);

/** Anything holding a 32-byte blob key: an epoch's keys or a 1:1 conversation's. */
export interface BlobKeyHolder {
  readonly blobKey: Uint8Array;
}

/** Seals an encoded entry with a caller-chosen 24-byte nonce. For test vectors; use `sealBlob`. */
export function sealBlobWithNonce(keys: BlobKeyHolder, encodedEntry: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (nonce.length !== XCHACHA_NONCE_BYTES) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'a blob nonce is 24 bytes');
  const size = blobSizeFor(encodedEntry.length);
  if (size === null) throw new ProtocolError(ProtocolErrorCode.OVERSIZED, 'entry does not fit the largest blob');
  const ciphertext = aeadEncrypt(pad(encodedEntry, size - BLOB_OVERHEAD_BYTES), AD, nonce, keys.blobKey);
  const blob = new Uint8Array(size);
  blob[0] = BLOB_VERSION;
  blob.set(nonce, 1);
  blob.set(ciphertext, BLOB_HEADER_BYTES);
  return blob;
}

/** Seals an encoded entry into a blob of the group of `keys`, with a fresh random nonce. */
export function sealBlob(keys: BlobKeyHolder, encodedEntry: Uint8Array): Uint8Array {
  return sealBlobWithNonce(keys, encodedEntry, randomBytes(XCHACHA_NONCE_BYTES));
}

/**
 * Checks what anyone (a pub) can check without keys: the length is one of BLOB_SIZES and the
 * version byte is BLOB_VERSION. Throws OVERSIZED / TRUNCATED / MALFORMED / UNSUPPORTED_VERSION.
 */
export function checkBlobShape(blob: Uint8Array): void {
  if (!BLOB_SIZES.includes(blob.length)) {
    const max = BLOB_SIZES[BLOB_SIZES.length - 1]!;
    const code = blob.length > max ? ProtocolErrorCode.OVERSIZED : blob.length < BLOB_SIZES[0]! ? ProtocolErrorCode.TRUNCATED : ProtocolErrorCode.MALFORMED;
    throw new ProtocolError(code, `a blob is one of ${BLOB_SIZES.join(', ')} bytes long`);
  }
  if (blob[0] !== BLOB_VERSION) throw new ProtocolError(ProtocolErrorCode.UNSUPPORTED_VERSION, `blob version ${blob[0]}`);
}

/**
 * Opens a blob with the group's keys and returns the encoded entry inside, or null when the
 * blob is not authentic under these keys (another group's blob: the common, quiet case).
 * Throws ProtocolError when the blob's shape is wrong (see `checkBlobShape`) or when an
 * authentic blob holds non-canonical padding (NON_CANONICAL / OVERSIZED).
 */
export function openBlob(keys: BlobKeyHolder, blob: Uint8Array): Uint8Array | null {
  checkBlobShape(blob);
  const nonce = blob.subarray(1, BLOB_HEADER_BYTES);
  const padded = aeadDecrypt(blob.subarray(BLOB_HEADER_BYTES), AD, nonce, keys.blobKey);
  if (padded === null) return null;
  const encoded = unpad(padded);
  // Canonical: the entry must not have fitted a smaller size.
  if (blobSizeFor(encoded.length) !== blob.length) {
    throw new ProtocolError(ProtocolErrorCode.NON_CANONICAL, 'blob is larger than its entry needs');
  }
  return encoded;
}

/**
 * Opens, decodes and verifies: the entry of the epoch of `keys` (or the group's genesis, in
 * epoch 0), or null when the blob is not sealed under the epoch's blob key.
 */
export function consumeBlob(keys: EpochKeys, blob: Uint8Array): Entry | null {
  const encoded = openBlob(keys, blob);
  return encoded === null ? null : consumeGroupEntry(keys, encoded);
}

/** The pub-visible content hash of a blob: BLAKE2b-256 keyed with "snug/v2/blob-hash". */
export function blobHash(blob: Uint8Array): Uint8Array {
  return labelledHash(LABEL_BLOB_HASH, [blob]);
}
