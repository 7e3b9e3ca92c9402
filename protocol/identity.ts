/**
 * Identities. A user's (or pub's) identity is an ed25519 key pair; its address is the v3
 * onion address of the public key, exactly as tor derives it (rend-spec-v3, "Encoding onion
 * addresses"):
 *
 *   address  = base32(PUBKEY || CHECKSUM || VERSION) + ".onion"
 *   CHECKSUM = SHA3-256(".onion checksum" || PUBKEY || VERSION)[0:2]
 *   VERSION  = 0x03
 *
 * tor's `ADD_ONION ED25519-V3:<base64>` takes the 64-byte *expanded* secret key:
 * SHA-512(seed) with byte 0 &= 248, byte 31 &= 127, byte 31 |= 64.
 */
import { base32Decode, base32Encode } from './base32.js';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SEED_BYTES,
  ed25519IsValidPublicKey,
  ed25519KeyPairFromSeed,
  randomBytes,
  sha3_256,
  sha512,
} from './crypto.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** The onion address version byte for v3 addresses. */
export const ONION_VERSION = 0x03;
/** Domain-separation prefix of the onion address checksum. */
const ONION_CHECKSUM_PREFIX = new TextEncoder().encode('.onion checksum');
/** Bytes of the checksum kept in an address. */
const ONION_CHECKSUM_BYTES = 2;
/** Characters of a v3 onion address without the ".onion" suffix: base32 of 35 bytes. */
export const ONION_ADDRESS_CHARS = 56;
const ONION_SUFFIX = '.onion';

/** A v3 onion address, lowercase, with the ".onion" suffix. Only made by this module. */
export type OnionAddress = string & { readonly __brand: 'OnionAddress' };

export interface Identity {
  /** 32-byte seed: the one secret from which everything else is derived. */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  /** 64-byte libsodium secret key (seed || public key), for signing. */
  readonly secretKey: Uint8Array;
  readonly address: OnionAddress;
}

function onionChecksum(publicKey: Uint8Array): Uint8Array {
  const input = new Uint8Array(ONION_CHECKSUM_PREFIX.length + ED25519_PUBLIC_KEY_BYTES + 1);
  input.set(ONION_CHECKSUM_PREFIX, 0);
  input.set(publicKey, ONION_CHECKSUM_PREFIX.length);
  input[input.length - 1] = ONION_VERSION;
  return sha3_256(input).subarray(0, ONION_CHECKSUM_BYTES);
}

/** The v3 onion address of an ed25519 public key. Rejects keys that are not usable points. */
export function onionAddressFromPublicKey(publicKey: Uint8Array): OnionAddress {
  if (!ed25519IsValidPublicKey(publicKey)) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'not a usable ed25519 public key');
  }
  const raw = new Uint8Array(ED25519_PUBLIC_KEY_BYTES + ONION_CHECKSUM_BYTES + 1);
  raw.set(publicKey, 0);
  raw.set(onionChecksum(publicKey), ED25519_PUBLIC_KEY_BYTES);
  raw[raw.length - 1] = ONION_VERSION;
  return (base32Encode(raw) + ONION_SUFFIX) as OnionAddress;
}

/**
 * Parses a v3 onion address (with or without ".onion"; lowercase only, as tor prints it)
 * into its public key, checking length, alphabet, version, checksum and the key itself.
 */
export function publicKeyFromOnionAddress(address: string): Uint8Array {
  const bare = address.endsWith(ONION_SUFFIX) ? address.slice(0, -ONION_SUFFIX.length) : address;
  if (bare.length !== ONION_ADDRESS_CHARS) {
    throw new ProtocolError(ProtocolErrorCode.MALFORMED, `an onion address has ${ONION_ADDRESS_CHARS} characters before .onion`);
  }
  const raw = base32Decode(bare);
  const version = raw[raw.length - 1];
  if (version !== ONION_VERSION) {
    throw new ProtocolError(ProtocolErrorCode.UNSUPPORTED_VERSION, 'only v3 onion addresses are supported');
  }
  const publicKey = raw.slice(0, ED25519_PUBLIC_KEY_BYTES);
  const checksum = raw.subarray(ED25519_PUBLIC_KEY_BYTES, ED25519_PUBLIC_KEY_BYTES + ONION_CHECKSUM_BYTES);
  const expected = onionChecksum(publicKey);
  if (checksum[0] !== expected[0] || checksum[1] !== expected[1]) {
    throw new ProtocolError(ProtocolErrorCode.BAD_CHECKSUM, 'onion address checksum does not match');
  }
  if (!ed25519IsValidPublicKey(publicKey)) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'onion address holds an unusable ed25519 key');
  }
  return publicKey;
}

/** Validates and normalises an onion address into the branded type ("<56 chars>.onion"). */
export function parseOnionAddress(address: string): OnionAddress {
  const publicKey = publicKeyFromOnionAddress(address);
  return onionAddressFromPublicKey(publicKey);
}

export function identityFromSeed(seed: Uint8Array): Identity {
  if (seed.length !== ED25519_SEED_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, `an identity seed is ${ED25519_SEED_BYTES} bytes`);
  }
  const kp = ed25519KeyPairFromSeed(seed);
  return {
    seed: seed.slice(),
    publicKey: kp.publicKey,
    secretKey: kp.secretKey,
    address: onionAddressFromPublicKey(kp.publicKey),
  };
}

export function generateIdentity(): Identity {
  return identityFromSeed(randomBytes(ED25519_SEED_BYTES));
}

/**
 * The 64-byte expanded secret key tor's `ADD_ONION ED25519-V3:` expects (base64 it for the
 * command): SHA-512(seed), clamped as ed25519 clamps the scalar.
 */
export function torExpandedSecretKey(seed: Uint8Array): Uint8Array {
  if (seed.length !== ED25519_SEED_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, `an identity seed is ${ED25519_SEED_BYTES} bytes`);
  }
  const h = sha512(seed);
  h[0] = h[0]! & 248;
  h[31] = (h[31]! & 127) | 64;
  return h;
}
