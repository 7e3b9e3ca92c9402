/**
 * The one place snug touches cryptographic primitives. Everything goes through libsodium
 * (the sumo build, for Argon2id); SHA3-256, which libsodium lacks and onion address checksums
 * need, and random bytes (the system CSPRNG in one call) come from node:crypto (not I/O). Replacing the binding means
 * replacing this file only.
 *
 * Call `await ready()` once before any other function.
 */
import sodiumModule from 'libsodium-wrappers-sumo';
import { createHash, randomFillSync } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

type Sodium = typeof sodiumModule;
const labelEncoder = new TextEncoder();
let sodium: Sodium | null = null;

/** Resolves once libsodium is initialised; safe to call many times. */
export async function ready(): Promise<void> {
  if (sodium !== null) return;
  await sodiumModule.ready;
  sodium = sodiumModule;
}

function s(): Sodium {
  if (sodium === null) throw new ProtocolError(ProtocolErrorCode.NOT_READY, 'crypto used before ready()');
  return sodium;
}

// Sizes (bytes), named after libsodium's constants.
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SECRET_KEY_BYTES = 64; // libsodium form: seed || public key
export const ED25519_SEED_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const XCHACHA_KEY_BYTES = 32;
export const XCHACHA_NONCE_BYTES = 24;
export const XCHACHA_TAG_BYTES = 16;
export const BLAKE2B_BYTES_MIN = 16;
export const BLAKE2B_BYTES_MAX = 64;
export const BLAKE2B_KEY_BYTES_MAX = 64;
export const ARGON2ID_SALT_BYTES = 16;

/**
 * `n` bytes from the system CSPRNG, through node:crypto in one call. (libsodium-wrappers in
 * Node draws the same source, but 4 bytes per call into JavaScript: a record's 24-byte nonce
 * cost 6 such calls, ~30% of a batched receive's time.) Not I/O; like the SHA3 below.
 */
export function randomBytes(n: number): Uint8Array {
  s(); // the same contract as every other function here
  return randomFillSync(new Uint8Array(n));
}

/** BLAKE2b with output length `outLen` (16..64), optionally keyed (key up to 64 bytes). */
export function blake2b(outLen: number, message: Uint8Array, key?: Uint8Array): Uint8Array {
  return s().crypto_generichash(outLen, message, key ?? null);
}

/** Incremental BLAKE2b over several parts, avoiding a concatenation copy. */
export function blake2bParts(outLen: number, parts: readonly Uint8Array[], key?: Uint8Array): Uint8Array {
  const so = s();
  const state = so.crypto_generichash_init(key ?? null, outLen);
  for (const p of parts) so.crypto_generichash_update(state, p);
  return so.crypto_generichash_final(state, outLen);
}

export function sha512(message: Uint8Array): Uint8Array {
  return s().crypto_hash_sha512(message);
}

export function sha3_256(message: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha3-256').update(message).digest());
}

export interface Ed25519KeyPair {
  /** 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** 64-byte libsodium secret key (seed || public key). */
  readonly secretKey: Uint8Array;
}

export function ed25519KeyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== ED25519_SEED_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, `an ed25519 seed is ${ED25519_SEED_BYTES} bytes`);
  }
  const kp = s().crypto_sign_seed_keypair(seed);
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return s().crypto_sign_detached(message, secretKey);
}

/**
 * Verifies a detached signature; never throws for bad input, returns false instead. The public
 * key must pass `ed25519IsValidPublicKey` (libsodium's verification alone accepts a key with a
 * small-order component, so the same signature could verify under two "different" keys).
 */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES || !ed25519IsValidPublicKey(publicKey)) return false;
  try {
    return s().crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

/**
 * True when `publicKey` is a usable ed25519 public key: a canonical encoding of a point on the
 * curve, not of small order, in the prime-order subgroup (libsodium
 * `crypto_core_ed25519_is_valid_point`, which checks all four). A mixed-order key (a valid key
 * plus a small-order point) is rejected.
 */
export function ed25519IsValidPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return false;
  return cachedCheck(ed25519Checked, publicKey, () => {
    try {
      return s().crypto_core_ed25519_is_valid_point(publicKey);
    } catch {
      return false;
    }
  });
}

/**
 * The point checks cost about as much as a signature verification (a scalar multiplication),
 * and the same few public keys (a group's authors) come back all the time, so results are kept
 * in a small bounded map. Keys are public and the check is a pure function of them.
 */
const KEY_CHECK_CACHE_MAX = 4096;
const ed25519Checked = new Map<string, boolean>();
const x25519Checked = new Map<string, boolean>();

function cachedCheck(cache: Map<string, boolean>, key: Uint8Array, check: () => boolean): boolean {
  let hex = '';
  for (const b of key) hex += (b < 16 ? '0' : '') + b.toString(16);
  const known = cache.get(hex);
  if (known !== undefined) return known;
  const ok = check();
  if (cache.size >= KEY_CHECK_CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(hex, ok);
  return ok;
}

// ---- Prefix-free labelled signatures ----

/** The longest signature label (it is length-prefixed with one byte). */
export const SIGNATURE_LABEL_MAX_BYTES = 255;

function labelledMessage(label: string, message: Uint8Array): Uint8Array {
  const l = labelEncoder.encode(label);
  if (l.length < 1 || l.length > SIGNATURE_LABEL_MAX_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'a signature label is 1..255 bytes');
  }
  const out = new Uint8Array(1 + l.length + message.length);
  out[0] = l.length;
  out.set(l, 1);
  out.set(message, 1 + l.length);
  return out;
}

/**
 * The bytes a labelled signature covers: `u8 len(label) || label || message`. The length
 * prefix makes the labels prefix-free: no (label, message) pair signs the same bytes as
 * another pair with a different label.
 */
export function labelledSigningInput(label: string, message: Uint8Array): Uint8Array {
  return labelledMessage(label, message);
}

/** Ed25519 signature over `u8 len(label) || label || message` (label ASCII, 1..255 bytes). */
export function signLabelled(label: string, message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519Sign(labelledMessage(label, message), secretKey);
}

/** Verifies `signLabelled`; false (never a throw) for a bad signature, key or label. */
export function verifyLabelled(label: string, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  let input: Uint8Array;
  try {
    input = labelledMessage(label, message);
  } catch {
    return false;
  }
  return ed25519Verify(signature, input, publicKey);
}

// ---- X25519 (crypto_box keys), Diffie-Hellman, sealed boxes ----

export const X25519_PUBLIC_KEY_BYTES = 32;
export const X25519_SECRET_KEY_BYTES = 32;
export const X25519_SEED_BYTES = 32;
/** Bytes a sealed box adds to its message: an ephemeral public key (32) and a MAC (16). */
export const SEALED_BOX_OVERHEAD_BYTES = 48;

export interface X25519KeyPair {
  /** 32-byte X25519 public key (a Montgomery u-coordinate). */
  readonly publicKey: Uint8Array;
  /** 32-byte X25519 secret scalar. */
  readonly secretKey: Uint8Array;
}

export function generateX25519KeyPair(): X25519KeyPair {
  const kp = s().crypto_box_keypair();
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

/** Deterministic X25519 key pair from a 32-byte seed (libsodium crypto_box_seed_keypair). */
export function x25519KeyPairFromSeed(seed: Uint8Array): X25519KeyPair {
  if (seed.length !== X25519_SEED_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, `an X25519 seed is ${X25519_SEED_BYTES} bytes`);
  }
  const kp = s().crypto_box_seed_keypair(seed);
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

/** The X25519 public key of a secret scalar (crypto_scalarmult_base). */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== X25519_SECRET_KEY_BYTES) throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'an X25519 secret key is 32 bytes');
  return s().crypto_scalarmult_base(secretKey);
}

/** A fixed clamped scalar for the small-order test below (any clamped scalar works). */
const PROBE_SCALAR = (() => {
  const k = new Uint8Array(32).fill(0x5a);
  k[0] = k[0]! & 248;
  k[31] = (k[31]! & 127) | 64;
  return k;
})();

/**
 * True when `publicKey` is a usable X25519 public key: 32 bytes, canonical (the top bit clear
 * and the u-coordinate below 2^255 - 19) and not of small order. A small-order key makes every
 * Diffie-Hellman result all zero (the clamped scalar is a multiple of 8), which libsodium's
 * crypto_scalarmult reports; that is the test used here.
 */
export function x25519IsValidPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== X25519_PUBLIC_KEY_BYTES) return false;
  if ((publicKey[31]! & 0x80) !== 0) return false;
  // u >= p = 2^255 - 19 means bytes 1..30 are 0xff, byte 31 is 0x7f and byte 0 >= 0xed.
  let high = publicKey[31] === 0x7f;
  for (let i = 1; i < 31 && high; i++) high = publicKey[i] === 0xff;
  if (high && publicKey[0]! >= 0xed) return false;
  return cachedCheck(x25519Checked, publicKey, () => {
    try {
      s().crypto_scalarmult(PROBE_SCALAR, publicKey);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * X25519 Diffie-Hellman (crypto_scalarmult). Fails with BAD_KEY when either key is malformed or
 * the result is all zero (a small-order peer key), so a peer cannot force a known shared secret.
 * The caller wipes the result after use.
 */
export function x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (secretKey.length !== X25519_SECRET_KEY_BYTES || !x25519IsValidPublicKey(publicKey)) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'not a usable X25519 key');
  }
  let out: Uint8Array;
  try {
    out = s().crypto_scalarmult(secretKey, publicKey);
  } catch (err) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'X25519 result is all zero', { cause: err });
  }
  let acc = 0;
  for (const b of out) acc |= b;
  if (acc === 0) throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'X25519 result is all zero');
  return out;
}

/**
 * Anonymous sealed box (crypto_box_seal): `message` encrypted to `publicKey`, 48 bytes longer
 * than the message. Nothing in it names the recipient or the sender.
 */
export function sealTo(message: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (!x25519IsValidPublicKey(publicKey)) throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'not a usable X25519 key');
  return s().crypto_box_seal(message, publicKey);
}

/** Opens a sealed box (crypto_box_seal_open); null when it was not sealed to this key pair. */
export function openSealed(ciphertext: Uint8Array, keyPair: X25519KeyPair): Uint8Array | null {
  if (ciphertext.length < SEALED_BOX_OVERHEAD_BYTES) return null;
  try {
    return s().crypto_box_seal_open(ciphertext, keyPair.publicKey, keyPair.secretKey);
  } catch {
    return null;
  }
}

/** Keyed BLAKE2b MAC check in constant time (`mac` is the expected 32-byte tag). */
export function verifyMac(mac: Uint8Array, key: Uint8Array, parts: readonly Uint8Array[]): boolean {
  if (mac.length !== 32) return false;
  return constantTimeEqual(blake2bParts(32, parts, key), mac);
}

/** XChaCha20-Poly1305 (IETF) encryption; returns ciphertext || tag. */
export function aeadEncrypt(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  return s().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
}

/** XChaCha20-Poly1305 (IETF) decryption; returns null when the tag does not verify. */
export function aeadDecrypt(ciphertext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
  try {
    return s().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key);
  } catch {
    return null;
  }
}

// ---- ChaCha20-Poly1305 (IETF) and HMAC-BLAKE2b: the Noise cipher and hash (protocol/peer/) ----

export const CHACHA_POLY_KEY_BYTES = 32;
export const CHACHA_POLY_NONCE_BYTES = 12;
export const CHACHA_POLY_TAG_BYTES = 16;

/** ChaCha20-Poly1305 (IETF, 96-bit nonce; libsodium crypto_aead_chacha20poly1305_ietf); ciphertext || tag. */
export function chachaPolyEncrypt(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  if (key.length !== CHACHA_POLY_KEY_BYTES || nonce.length !== CHACHA_POLY_NONCE_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'ChaCha20-Poly1305 takes a 32-byte key and a 12-byte nonce');
  }
  return s().crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
}

/** Opens `chachaPolyEncrypt`; null when the tag does not verify (or the input is shorter than a tag). */
export function chachaPolyDecrypt(ciphertext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
  if (key.length !== CHACHA_POLY_KEY_BYTES || nonce.length !== CHACHA_POLY_NONCE_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'ChaCha20-Poly1305 takes a 32-byte key and a 12-byte nonce');
  }
  if (ciphertext.length < CHACHA_POLY_TAG_BYTES) return null;
  try {
    return s().crypto_aead_chacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key);
  } catch {
    return null;
  }
}

/** Output bytes of HMAC-BLAKE2b (BLAKE2b-512). */
export const HMAC_BLAKE2B_BYTES = 64;
const BLAKE2B_BLOCK_BYTES = 128;

/**
 * HMAC (RFC 2104) over unkeyed BLAKE2b-512, block length 128, as the Noise specification
 * defines HMAC-HASH for BLAKE2b (section 4.3; not BLAKE2b's own keyed mode). The key may be any
 * length (longer than a block: hashed first). The caller wipes the result when it is a secret.
 */
export function hmacBlake2b(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const block = new Uint8Array(BLAKE2B_BLOCK_BYTES);
  if (key.length > BLAKE2B_BLOCK_BYTES) {
    const hashed = blake2b(HMAC_BLAKE2B_BYTES, key);
    block.set(hashed);
    wipe(hashed);
  } else {
    block.set(key);
  }
  const ipad = new Uint8Array(BLAKE2B_BLOCK_BYTES);
  const opad = new Uint8Array(BLAKE2B_BLOCK_BYTES);
  for (let i = 0; i < BLAKE2B_BLOCK_BYTES; i++) {
    ipad[i] = block[i]! ^ 0x36;
    opad[i] = block[i]! ^ 0x5c;
  }
  wipe(block);
  const inner = blake2bParts(HMAC_BLAKE2B_BYTES, [ipad, ...parts]);
  const out = blake2bParts(HMAC_BLAKE2B_BYTES, [opad, inner]);
  wipe(ipad);
  wipe(opad);
  wipe(inner);
  return out;
}

/** Argon2id (libsodium crypto_pwhash, ALG_ARGON2ID13). */
export function argon2id(outLen: number, password: Uint8Array, salt: Uint8Array, opsLimit: number, memLimit: number): Uint8Array {
  const so = s();
  return so.crypto_pwhash(outLen, password, salt, opsLimit, memLimit, so.crypto_pwhash_ALG_ARGON2ID13);
}

/** Constant-time equality of two byte strings (length is not secret). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return s().memcmp(a, b);
}

/** Overwrites a secret with zeros. */
export function wipe(secret: Uint8Array): void {
  s().memzero(secret);
}

/**
 * Domain-separated hash: BLAKE2b-256 keyed with the ASCII `label` (at most 64 bytes) over the
 * concatenation of `parts`. (BLAKE2b's parameter block holds the key length, so labels of
 * different lengths never collide.)
 */
export function labelledHash(label: string, parts: readonly Uint8Array[]): Uint8Array {
  const key = labelEncoder.encode(label);
  if (key.length > BLAKE2B_KEY_BYTES_MAX) throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'hash label too long');
  return blake2bParts(32, parts, key);
}

/**
 * Key derivation (v1): BLAKE2b-256 keyed with `secret` (16..64 bytes) over the ASCII `label`.
 */
export function deriveKey(secret: Uint8Array, label: string): Uint8Array {
  if (secret.length < 16 || secret.length > BLAKE2B_KEY_BYTES_MAX) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'a derivation secret is 16..64 bytes');
  }
  return blake2b(32, labelEncoder.encode(label), secret);
}

/**
 * Key derivation (v2): BLAKE2b-256 keyed with `secret` (16..64 bytes) over
 * `u8 len(label) || label || parts...`. The length prefix keeps the label and the context
 * apart (no label with its context reads as another label with another context).
 */
export function deriveLabelled(secret: Uint8Array, label: string, parts: readonly Uint8Array[]): Uint8Array {
  if (secret.length < 16 || secret.length > BLAKE2B_KEY_BYTES_MAX) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'a derivation secret is 16..64 bytes');
  }
  const l = labelEncoder.encode(label);
  if (l.length < 1 || l.length > SIGNATURE_LABEL_MAX_BYTES) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'a label is 1..255 bytes');
  return blake2bParts(32, [Uint8Array.of(l.length), l, ...parts], secret);
}
