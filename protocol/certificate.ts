/**
 * Profile certificates: the identity key (the onion key, which Tor holds) certifies, once, the
 * profile's own ed25519 signing key and X25519 key (docs/protocol.md, "Certificate").
 *
 *   version u8 (0x01) | identityKey [32] (ed25519, the onion key) | signingKey [32] (ed25519) |
 *   dhKey [32] (X25519) | created u64 (ms, 0..TIMESTAMP_MAX_MS) | signature [64]
 *
 *   signature = ed25519(identity key, u8 len || "snug/v2/certificate" || the 105 bytes before it)
 *
 * 169 bytes, fixed. A certificate says who owns a key and nothing about whom they talked to.
 * Decoding checks structure and every key (each ed25519 key in the prime-order subgroup, the
 * X25519 key canonical and not of small order, signing key != identity key); verifying checks
 * the signature; `consumeCertificate` does both and optionally the address.
 */
import { ByteReader, ByteWriter, bytesEqual } from './bytes.js';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  ed25519IsValidPublicKey,
  ed25519KeyPairFromSeed,
  generateX25519KeyPair,
  randomBytes,
  signLabelled,
  verifyLabelled,
  X25519_PUBLIC_KEY_BYTES,
  x25519IsValidPublicKey,
  x25519KeyPairFromSeed,
  ED25519_SEED_BYTES,
  type Ed25519KeyPair,
  type X25519KeyPair,
} from './crypto.js';
import { CERTIFICATE_BYTES, CERTIFICATE_VERSION, LABEL_CERTIFICATE, TIMESTAMP_MAX_MS } from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { onionAddressFromPublicKey, parseOnionAddress, type OnionAddress } from './identity.js';

export { CERTIFICATE_BYTES } from './constants.js';

/** Bytes of a certificate before its signature: what (after the label) is signed. */
export const CERTIFICATE_SIGNED_BYTES = CERTIFICATE_BYTES - ED25519_SIGNATURE_BYTES;

export interface Certificate {
  readonly version: number;
  /** The identity (onion service) ed25519 public key. */
  readonly identityKey: Uint8Array;
  /** The profile's ed25519 signing key: entries, checkpoints, key packages. */
  readonly signingKey: Uint8Array;
  /** The profile's X25519 key: key packages are sealed to it, 1:1 MACs and handshakes use it. */
  readonly dhKey: Uint8Array;
  /** Milliseconds since the Unix epoch, 0..TIMESTAMP_MAX_MS. */
  readonly created: number;
  readonly signature: Uint8Array;
}

/** A profile's own key pairs, certified by its identity. */
export interface ProfileKeys {
  readonly signing: Ed25519KeyPair;
  readonly dh: X25519KeyPair;
}

/** The public halves of a profile's keys, as a certificate names them. */
export interface ProfilePublicKeys {
  readonly signingKey: Uint8Array;
  readonly dhKey: Uint8Array;
}

export function generateProfileKeys(): ProfileKeys {
  return { signing: ed25519KeyPairFromSeed(randomBytes(ED25519_SEED_BYTES)), dh: generateX25519KeyPair() };
}

/** Deterministic profile keys from two 32-byte seeds (test vectors; profiles use generateProfileKeys). */
export function profileKeysFromSeeds(signingSeed: Uint8Array, dhSeed: Uint8Array): ProfileKeys {
  return { signing: ed25519KeyPairFromSeed(signingSeed), dh: x25519KeyPairFromSeed(dhSeed) };
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function checkFields(identityKey: Uint8Array, signingKey: Uint8Array, dhKey: Uint8Array, created: number): void {
  if (!ed25519IsValidPublicKey(identityKey)) fail(ProtocolErrorCode.BAD_KEY, 'certificate identity key is not a usable ed25519 key');
  if (!ed25519IsValidPublicKey(signingKey)) fail(ProtocolErrorCode.BAD_KEY, 'certificate signing key is not a usable ed25519 key');
  if (bytesEqual(identityKey, signingKey)) fail(ProtocolErrorCode.BAD_KEY, 'certificate signing key equals the identity key');
  if (!x25519IsValidPublicKey(dhKey)) fail(ProtocolErrorCode.BAD_KEY, 'certificate X25519 key is not usable');
  if (!Number.isInteger(created) || created < 0 || created > TIMESTAMP_MAX_MS) {
    fail(ProtocolErrorCode.INVALID_FIELD, `certificate time must be 0..${TIMESTAMP_MAX_MS}`);
  }
}

function encodeSigned(identityKey: Uint8Array, signingKey: Uint8Array, dhKey: Uint8Array, created: number): Uint8Array {
  return new ByteWriter(CERTIFICATE_SIGNED_BYTES)
    .u8(CERTIFICATE_VERSION)
    .fixed(identityKey, ED25519_PUBLIC_KEY_BYTES)
    .fixed(signingKey, ED25519_PUBLIC_KEY_BYTES)
    .fixed(dhKey, X25519_PUBLIC_KEY_BYTES)
    .u64(created)
    .finish();
}

/** The identity `identity` certifies the profile keys `profilePublic` at time `created` (ms). */
export function createCertificate(identity: Ed25519KeyPair, profilePublic: ProfilePublicKeys, created: number): Certificate {
  const identityKey = identity.publicKey.slice();
  const signingKey = profilePublic.signingKey.slice();
  const dhKey = profilePublic.dhKey.slice();
  checkFields(identityKey, signingKey, dhKey, created);
  const signature = signLabelled(LABEL_CERTIFICATE, encodeSigned(identityKey, signingKey, dhKey, created), identity.secretKey);
  return { version: CERTIFICATE_VERSION, identityKey, signingKey, dhKey, created, signature };
}

/** The 169-byte encoding. */
export function encodeCertificate(cert: Certificate): Uint8Array {
  if (cert.version !== CERTIFICATE_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `certificate version ${cert.version}`);
  checkFields(cert.identityKey, cert.signingKey, cert.dhKey, cert.created);
  return new ByteWriter(CERTIFICATE_BYTES)
    .raw(encodeSigned(cert.identityKey, cert.signingKey, cert.dhKey, cert.created))
    .fixed(cert.signature, ED25519_SIGNATURE_BYTES)
    .finish();
}

/**
 * Decodes a certificate: length (TRUNCATED / OVERSIZED), version (UNSUPPORTED_VERSION), keys
 * (BAD_KEY), time (INVALID_FIELD). Does not check the signature (`verifyCertificate`).
 */
export function decodeCertificate(bytes: Uint8Array): Certificate {
  if (bytes.length > CERTIFICATE_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a certificate is ${CERTIFICATE_BYTES} bytes`);
  const r = new ByteReader(bytes);
  const version = r.u8('certificate version');
  if (version !== CERTIFICATE_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `certificate version ${version}`);
  const identityKey = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'certificate identity key');
  const signingKey = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'certificate signing key');
  const dhKey = r.fixed(X25519_PUBLIC_KEY_BYTES, 'certificate X25519 key');
  const created = r.u64('certificate time');
  const signature = r.fixed(ED25519_SIGNATURE_BYTES, 'certificate signature');
  r.end('certificate');
  checkFields(identityKey, signingKey, dhKey, created);
  return { version, identityKey, signingKey, dhKey, created, signature };
}

/** True when the identity key's signature over the certificate verifies. */
export function verifyCertificate(cert: Certificate): boolean {
  if (cert.version !== CERTIFICATE_VERSION) return false;
  let signed: Uint8Array;
  try {
    checkFields(cert.identityKey, cert.signingKey, cert.dhKey, cert.created);
    signed = encodeSigned(cert.identityKey, cert.signingKey, cert.dhKey, cert.created);
  } catch {
    return false;
  }
  return verifyLabelled(LABEL_CERTIFICATE, cert.signature, signed, cert.identityKey);
}

/** The onion address the certificate speaks for. */
export function certificateAddress(cert: Certificate): OnionAddress {
  return onionAddressFromPublicKey(cert.identityKey);
}

/**
 * Decodes and verifies a certificate (UNAUTHENTIC when the signature does not verify) and, when
 * `expectedAddress` is given, checks it certifies that address (UNAUTHENTIC otherwise).
 */
export function consumeCertificate(bytes: Uint8Array, expectedAddress?: string): Certificate {
  const cert = decodeCertificate(bytes);
  if (!verifyCertificate(cert)) fail(ProtocolErrorCode.UNAUTHENTIC, 'certificate signature does not verify');
  if (expectedAddress !== undefined && certificateAddress(cert) !== parseOnionAddress(expectedAddress)) {
    fail(ProtocolErrorCode.UNAUTHENTIC, 'certificate is for another address');
  }
  return cert;
}
