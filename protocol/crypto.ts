/**
 * The one place snug touches cryptographic primitives. Everything goes through libsodium
 * (the sumo build, for Argon2id); SHA3-256, which libsodium lacks and onion address checksums
 * need, comes from node:crypto (a pure function, not I/O). Replacing the binding means
 * replacing this file only.
 *
 * Call `await ready()` once before any other function.
 */
import sodiumModule from 'libsodium-wrappers-sumo';
import { createHash } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

type Sodium = typeof sodiumModule;
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

export function randomBytes(n: number): Uint8Array {
  return s().randombytes_buf(n);
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

/** Verifies a detached signature; never throws for bad input, returns false instead. */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return false;
  try {
    return s().crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

/**
 * True when `publicKey` is a usable ed25519 public key: a valid point, not of small order.
 * libsodium's ed25519→curve25519 conversion rejects small-order and non-canonical points.
 */
export function ed25519IsValidPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return false;
  try {
    s().crypto_sign_ed25519_pk_to_curve25519(publicKey);
    return true;
  } catch {
    return false;
  }
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

const labelEncoder = new TextEncoder();

/**
 * Domain-separated hash: BLAKE2b-256 keyed with the ASCII `label` (at most 64 bytes) over the
 * concatenation of `parts`.
 */
export function labelledHash(label: string, parts: readonly Uint8Array[]): Uint8Array {
  const key = labelEncoder.encode(label);
  if (key.length > BLAKE2B_KEY_BYTES_MAX) throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'hash label too long');
  return blake2bParts(32, parts, key);
}

/**
 * Key derivation: BLAKE2b-256 keyed with `secret` (16..64 bytes) over the ASCII `label`.
 */
export function deriveKey(secret: Uint8Array, label: string): Uint8Array {
  if (secret.length < 16 || secret.length > BLAKE2B_KEY_BYTES_MAX) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'a derivation secret is 16..64 bytes');
  }
  return blake2b(32, labelEncoder.encode(label), secret);
}
