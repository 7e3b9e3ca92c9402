/**
 * The profile header (docs/profile.md, "Header"): the one file that says how to get from the
 * passphrase to the data key. 110 bytes, big-endian:
 *
 *   offset size
 *     0     8  magic "snugprof"
 *     8     1  version 0x01
 *     9     1  kdf 0x01 = Argon2id v1.3 (libsodium crypto_pwhash_ALG_ARGON2ID13)
 *    10     4  opsLimit u32
 *    14     8  memLimit u64 (bytes)
 *    22    16  salt
 *    38    24  nonce
 *    62    48  wrapped data key = XChaCha20-Poly1305(KEK, nonce, ad = bytes 0..61, dataKey [32])
 *
 * The associated data is everything before the wrapped key, so no field of the header can be
 * changed without the unwrap failing. changePassphrase writes a new header (new salt, nonce and
 * possibly parameters) around the same data key; no record is touched.
 */
import { ByteReader, ByteWriter, bytesEqual } from '../../protocol/bytes.js';
import {
  ARGON2ID_SALT_BYTES,
  XCHACHA_KEY_BYTES,
  XCHACHA_NONCE_BYTES,
  XCHACHA_TAG_BYTES,
  aeadDecrypt,
  aeadEncrypt,
  randomBytes,
} from '../../protocol/crypto.js';
import { isProtocolError } from '../../protocol/errors.js';
import type { KdfParams } from './constants.js';
import { ProfileError, ProfileErrorCode } from './errors.js';
import { checkKdfParams, isValidKdfParams } from './kdf.js';

export const HEADER_MAGIC = new TextEncoder().encode('snugprof');
export const HEADER_VERSION = 0x01;
/** The KDF byte of Argon2id v1.3. */
export const KDF_ARGON2ID13 = 0x01;
export const DATA_KEY_BYTES = XCHACHA_KEY_BYTES;
export const WRAPPED_KEY_BYTES = DATA_KEY_BYTES + XCHACHA_TAG_BYTES;
/** Bytes before the wrapped key: the associated data of the wrap. */
export const HEADER_AD_BYTES = HEADER_MAGIC.length + 1 + 1 + 4 + 8 + ARGON2ID_SALT_BYTES + XCHACHA_NONCE_BYTES;
export const HEADER_BYTES = HEADER_AD_BYTES + WRAPPED_KEY_BYTES;

export interface Header {
  readonly version: number;
  readonly kdf: KdfParams;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
  readonly wrappedKey: Uint8Array;
}

function corrupt(message: string, cause?: unknown): ProfileError {
  return new ProfileError(ProfileErrorCode.PROFILE_CORRUPT, message, cause === undefined ? undefined : { cause });
}

function encodeAd(kdf: KdfParams, salt: Uint8Array, nonce: Uint8Array): Uint8Array {
  return new ByteWriter(HEADER_AD_BYTES)
    .raw(HEADER_MAGIC)
    .u8(HEADER_VERSION)
    .u8(KDF_ARGON2ID13)
    .u32(kdf.opsLimit)
    .u64(kdf.memLimit)
    .fixed(salt, ARGON2ID_SALT_BYTES)
    .fixed(nonce, XCHACHA_NONCE_BYTES)
    .finish();
}

/**
 * The header that wraps `dataKey` under `kek` (derived with `kdf` and `salt`). `nonce` is for
 * the test vectors only; leave it out for a fresh random one.
 */
export function wrapHeader(kek: Uint8Array, dataKey: Uint8Array, kdf: KdfParams, salt: Uint8Array, nonce?: Uint8Array): Uint8Array {
  checkKdfParams(kdf);
  if (dataKey.length !== DATA_KEY_BYTES || kek.length !== XCHACHA_KEY_BYTES) throw new ProfileError(ProfileErrorCode.BAD_INPUT, 'keys are 32 bytes');
  const n = nonce ?? randomBytes(XCHACHA_NONCE_BYTES);
  const ad = encodeAd(kdf, salt, n);
  const wrapped = aeadEncrypt(dataKey, ad, n, kek);
  const out = new Uint8Array(HEADER_BYTES);
  out.set(ad, 0);
  out.set(wrapped, HEADER_AD_BYTES);
  return out;
}

/**
 * Parses a header: length, magic, version (ERR_PROFILE_UNSUPPORTED for a later one), KDF id and
 * parameter bounds (ERR_PROFILE_CORRUPT). Says nothing about the passphrase.
 */
export function decodeHeader(bytes: Uint8Array): Header {
  if (bytes.length < HEADER_MAGIC.length + 1 || !bytesEqual(bytes.subarray(0, HEADER_MAGIC.length), HEADER_MAGIC)) {
    throw corrupt('not a snug profile header');
  }
  const version = bytes[HEADER_MAGIC.length]!;
  if (version !== HEADER_VERSION) throw new ProfileError(ProfileErrorCode.PROFILE_UNSUPPORTED, `profile header version ${version}`);
  if (bytes.length !== HEADER_BYTES) throw corrupt(`a profile header is ${HEADER_BYTES} bytes`);
  try {
    const r = new ByteReader(bytes);
    r.fixed(HEADER_MAGIC.length + 1);
    const kdfId = r.u8('kdf');
    if (kdfId !== KDF_ARGON2ID13) throw corrupt(`unknown KDF ${kdfId}`);
    const kdf = { opsLimit: r.u32('opsLimit'), memLimit: r.u64('memLimit') };
    if (!isValidKdfParams(kdf)) throw corrupt('KDF parameters out of bounds');
    const salt = r.fixed(ARGON2ID_SALT_BYTES, 'salt');
    const nonce = r.fixed(XCHACHA_NONCE_BYTES, 'nonce');
    const wrappedKey = r.fixed(WRAPPED_KEY_BYTES, 'wrapped key');
    r.end('profile header');
    return { version, kdf, salt, nonce, wrappedKey };
  } catch (err) {
    if (isProtocolError(err)) throw corrupt('a malformed profile header', err);
    throw err;
  }
}

/** The data key, or null when `kek` does not open the wrap (a wrong passphrase). */
export function unwrapDataKey(header: Header, kek: Uint8Array): Uint8Array | null {
  const key = aeadDecrypt(header.wrappedKey, encodeAd(header.kdf, header.salt, header.nonce), header.nonce, kek);
  if (key !== null && key.length !== DATA_KEY_BYTES) return null;
  return key;
}
