/**
 * The on-disk form of one record of the encrypted store (docs/profile.md, "Records"). Pure
 * functions over bytes, so the format has test vectors (test/vectors/profile-record.json).
 *
 * A record is named by a logical key: a namespace (a short ASCII name such as "journal") and an
 * id (bytes). Neither is ever written: LevelDB sees only
 *
 *   storageKey = nsTag || idHash                                   (48 bytes)
 *   nsTag      = BLAKE2b-128(key = namespaceKey, u8 len(ns) || ns)  (16 bytes)
 *   idHash     = BLAKE2b-256(key = idKey, nsTag || id)              (32 bytes)
 *
 * so all records of one namespace share a 16-byte prefix (a range scan lists them) while the
 * names of namespaces and ids stay secret. The value is
 *
 *   version u8 (0x01) || nonce [24] || XChaCha20-Poly1305(sealKey, nonce, ad, inner)
 *   ad    = version u8 || storageKey
 *   inner = u16 len(id) || id || u32 len(value) || value || zero padding to a multiple of 64
 *
 * The associated data binds a sealed value to its storage key, so a value moved under another
 * key (another record, another namespace) does not open. The id inside lets a scan return the
 * logical ids; the padding hides exact lengths (names, short texts) to 64 bytes.
 *
 * The three keys come from the profile's data key (deriveKey = keyed BLAKE2b-256 over a label):
 *   sealKey      = deriveKey(dataKey, "snug/v1/store/seal")
 *   namespaceKey = deriveKey(dataKey, "snug/v1/store/namespace")
 *   idKey        = deriveKey(dataKey, "snug/v1/store/id")
 */
import { ByteReader, ByteWriter, isAllZero } from '../../protocol/bytes.js';
import {
  XCHACHA_NONCE_BYTES,
  XCHACHA_TAG_BYTES,
  aeadDecrypt,
  aeadEncrypt,
  blake2bParts,
  constantTimeEqual,
  deriveKey,
  randomBytes,
  wipe,
} from '../../protocol/crypto.js';
import { isProtocolError } from '../../protocol/errors.js';
import { StoreError, StoreErrorCode } from './errors.js';

/** Version byte of a sealed record (first byte of the value and of its associated data). */
export const RECORD_VERSION = 0x01;
/** Bytes of the namespace tag, the prefix shared by a namespace's records. */
export const NAMESPACE_TAG_BYTES = 16;
/** Bytes of the keyed hash of (tag, id). */
export const ID_HASH_BYTES = 32;
/** Bytes of every storage key. */
export const STORAGE_KEY_BYTES = NAMESPACE_TAG_BYTES + ID_HASH_BYTES;
/** The inner plaintext is padded with zeros to a multiple of this. */
export const RECORD_PAD_BYTES = 64;
/** Longest namespace name (ASCII bytes). */
export const NAMESPACE_MAX_BYTES = 64;
/** Longest id (u16 length on disk; kept well below). */
export const ID_MAX_BYTES = 1024;
/** Largest value (u32 length on disk). */
export const VALUE_MAX_BYTES = 16 * 1024 * 1024;
/** Bytes a sealed value adds beyond the padded inner plaintext: version, nonce, tag. */
export const RECORD_OVERHEAD_BYTES = 1 + XCHACHA_NONCE_BYTES + XCHACHA_TAG_BYTES;

const SEAL_LABEL = 'snug/v1/store/seal';
const NAMESPACE_LABEL = 'snug/v1/store/namespace';
const ID_LABEL = 'snug/v1/store/id';
/** Namespaces: lowercase ASCII letters, digits, '-', '/', '.'; 1..64 characters. */
const NAMESPACE_RE = /^[a-z0-9][a-z0-9./-]{0,63}$/;

/** The keys of one open store, derived from the data key. Wipe them with wipeStoreKeys. */
export interface StoreKeys {
  readonly seal: Uint8Array;
  readonly namespace: Uint8Array;
  readonly id: Uint8Array;
}

export function deriveStoreKeys(dataKey: Uint8Array): StoreKeys {
  return {
    seal: deriveKey(dataKey, SEAL_LABEL),
    namespace: deriveKey(dataKey, NAMESPACE_LABEL),
    id: deriveKey(dataKey, ID_LABEL),
  };
}

export function wipeStoreKeys(keys: StoreKeys): void {
  wipe(keys.seal);
  wipe(keys.namespace);
  wipe(keys.id);
}

function badArgument(message: string): StoreError {
  return new StoreError(StoreErrorCode.BAD_ARGUMENT, message);
}

export function checkNamespace(namespace: string): Uint8Array {
  if (typeof namespace !== 'string' || !NAMESPACE_RE.test(namespace)) {
    throw badArgument('a namespace is 1..64 characters of [a-z0-9./-], starting with a letter or digit');
  }
  return new TextEncoder().encode(namespace);
}

function checkId(id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.length > ID_MAX_BYTES) throw badArgument(`a record id is at most ${ID_MAX_BYTES} bytes`);
}

/** The 16-byte tag every storage key of `namespace` starts with. */
export function namespaceTag(keys: StoreKeys, namespace: string): Uint8Array {
  const ns = checkNamespace(namespace);
  return blake2bParts(NAMESPACE_TAG_BYTES, [Uint8Array.of(ns.length), ns], keys.namespace);
}

/** The LevelDB key of the record (namespace tag, id), given the namespace's tag. */
export function storageKeyFromTag(keys: StoreKeys, tag: Uint8Array, id: Uint8Array): Uint8Array {
  checkId(id);
  const out = new Uint8Array(STORAGE_KEY_BYTES);
  out.set(tag, 0);
  out.set(blake2bParts(ID_HASH_BYTES, [tag, id], keys.id), NAMESPACE_TAG_BYTES);
  return out;
}

export function storageKey(keys: StoreKeys, namespace: string, id: Uint8Array): Uint8Array {
  return storageKeyFromTag(keys, namespaceTag(keys, namespace), id);
}

function associatedData(key: Uint8Array): Uint8Array {
  const ad = new Uint8Array(1 + key.length);
  ad[0] = RECORD_VERSION;
  ad.set(key, 1);
  return ad;
}

/**
 * Seals `value` as the record `id` stored under `key`. `nonce`: a fresh random one the caller
 * drew (RecordStore draws a batch's nonces in one call), or fixed bytes for the test vectors
 * only; left out, a fresh random one is drawn here.
 */
export function sealRecord(keys: StoreKeys, key: Uint8Array, id: Uint8Array, value: Uint8Array, nonce?: Uint8Array): Uint8Array {
  checkId(id);
  if (!(value instanceof Uint8Array) || value.length > VALUE_MAX_BYTES) throw badArgument(`a record value is at most ${VALUE_MAX_BYTES} bytes`);
  const unpadded = 2 + id.length + 4 + value.length;
  const padded = Math.ceil(unpadded / RECORD_PAD_BYTES) * RECORD_PAD_BYTES;
  const w = new ByteWriter(padded);
  w.u16(id.length).raw(id).u32(value.length).raw(value).raw(new Uint8Array(padded - unpadded));
  const inner = w.finish();
  const n = nonce ?? randomBytes(XCHACHA_NONCE_BYTES);
  const sealed = aeadEncrypt(inner, associatedData(key), n, keys.seal);
  wipe(inner);
  const out = new Uint8Array(1 + XCHACHA_NONCE_BYTES + sealed.length);
  out[0] = RECORD_VERSION;
  out.set(n, 1);
  out.set(sealed, 1 + XCHACHA_NONCE_BYTES);
  return out;
}

export interface OpenedRecord {
  readonly id: Uint8Array;
  readonly value: Uint8Array;
}

function corrupt(message: string, cause?: unknown): StoreError {
  return new StoreError(StoreErrorCode.CORRUPT, message, cause === undefined ? undefined : { cause });
}

/**
 * Opens the sealed value found under `key`: checks the version, the tag (with `key` as
 * associated data), the inner layout and padding, and that the id inside hashes to `key`.
 * Anything else is ERR_STORE_CORRUPT.
 */
export function openRecord(keys: StoreKeys, key: Uint8Array, sealed: Uint8Array): OpenedRecord {
  if (key.length !== STORAGE_KEY_BYTES) throw corrupt('a storage key of the wrong length');
  if (sealed.length < RECORD_OVERHEAD_BYTES + RECORD_PAD_BYTES) throw corrupt('a sealed record too short');
  if (sealed[0] !== RECORD_VERSION) throw corrupt(`a sealed record of unknown version ${sealed[0]}`);
  const nonce = sealed.subarray(1, 1 + XCHACHA_NONCE_BYTES);
  const inner = aeadDecrypt(sealed.subarray(1 + XCHACHA_NONCE_BYTES), associatedData(key), nonce, keys.seal);
  if (inner === null) throw corrupt('a record does not open under this profile\'s key');
  try {
    if (inner.length % RECORD_PAD_BYTES !== 0) throw corrupt('a record whose padding is not a multiple of 64');
    const r = new ByteReader(inner);
    const id = r.bytes16(ID_MAX_BYTES, 'record id');
    const value = r.bytes32(VALUE_MAX_BYTES, 'record value');
    const rest = r.rest();
    if (rest.length >= RECORD_PAD_BYTES || !isAllZero(rest)) throw corrupt('a record with non-canonical padding');
    const expected = storageKeyFromTag(keys, key.subarray(0, NAMESPACE_TAG_BYTES), id);
    if (!constantTimeEqual(expected, key)) throw corrupt('a record whose id does not hash to its key');
    return { id, value }; // ByteReader returns copies, so wiping inner leaves them intact
  } catch (err) {
    if (isProtocolError(err)) throw corrupt('a record with a malformed inner layout', err);
    throw err;
  } finally {
    wipe(inner);
  }
}
