/**
 * The profile record: the profile's secrets, one sealed record in the store under the logical
 * key (namespace "profile", id "profile") (docs/profile.md, "The profile record"):
 *
 *   version u8 (0x01) | created u64 (ms) | identity seed [32] | signing seed [32] |
 *   X25519 secret key [32] | certificate [169] | name: u16 length + UTF-8 (1..256 bytes)
 *
 * It is written once, by create(), in the same store as everything else, so it is sealed and
 * keyed like any other record. Decoding checks the layout; openProfileRecord then checks that
 * the certificate is the identity's, verifies, and names exactly the stored keys.
 */
import { ByteReader, ByteWriter, bytesEqual, isWellFormedText, utf8Decode, utf8Encode } from '../../protocol/bytes.js';
import {
  type Certificate,
  CERTIFICATE_BYTES,
  type ProfileKeys,
  consumeCertificate,
  encodeCertificate,
} from '../../protocol/certificate.js';
import {
  ED25519_SEED_BYTES,
  X25519_SECRET_KEY_BYTES,
  ed25519KeyPairFromSeed,
  x25519PublicKey,
} from '../../protocol/crypto.js';
import { type Identity, identityFromSeed } from '../../protocol/identity.js';
import type { RecordCodec } from '../store/store.js';
import { NAME_MAX_BYTES } from './constants.js';
import { ProfileError, ProfileErrorCode } from './errors.js';

export const PROFILE_RECORD_VERSION = 0x01;
export const PROFILE_NAMESPACE = 'profile';
export const PROFILE_RECORD_ID = utf8Encode('profile');

export interface ProfileRecord {
  readonly created: number;
  readonly identitySeed: Uint8Array;
  readonly signingSeed: Uint8Array;
  readonly dhSecretKey: Uint8Array;
  readonly certificate: Uint8Array;
  readonly name: string;
}

/** Checks a profile name: 1..256 bytes of well-formed UTF-8, no control characters. */
export function checkName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || !isWellFormedText(name) || /\p{Cc}/u.test(name)) {
    throw new ProfileError(ProfileErrorCode.BAD_INPUT, 'a name is non-empty text without control characters');
  }
  if (utf8Encode(name).length > NAME_MAX_BYTES) throw new ProfileError(ProfileErrorCode.BAD_INPUT, `a name is at most ${NAME_MAX_BYTES} bytes`);
  return name;
}

export const profileRecordCodec: RecordCodec<ProfileRecord> = {
  what: 'profile record',
  encode(p: ProfileRecord): Uint8Array {
    return new ByteWriter(512)
      .u8(PROFILE_RECORD_VERSION)
      .u64(p.created)
      .fixed(p.identitySeed, ED25519_SEED_BYTES)
      .fixed(p.signingSeed, ED25519_SEED_BYTES)
      .fixed(p.dhSecretKey, X25519_SECRET_KEY_BYTES)
      .fixed(p.certificate, CERTIFICATE_BYTES)
      .bytes16(utf8Encode(checkName(p.name)), NAME_MAX_BYTES)
      .finish();
  },
  decode(bytes: Uint8Array): ProfileRecord {
    const r = new ByteReader(bytes);
    const version = r.u8('profile record version');
    if (version !== PROFILE_RECORD_VERSION) throw new ProfileError(ProfileErrorCode.PROFILE_UNSUPPORTED, `profile record version ${version}`);
    const created = r.u64('created');
    const identitySeed = r.fixed(ED25519_SEED_BYTES, 'identity seed');
    const signingSeed = r.fixed(ED25519_SEED_BYTES, 'signing seed');
    const dhSecretKey = r.fixed(X25519_SECRET_KEY_BYTES, 'X25519 secret key');
    const certificate = r.fixed(CERTIFICATE_BYTES, 'certificate');
    const name = checkName(utf8Decode(r.bytes16(NAME_MAX_BYTES, 'name'), 'name'));
    r.end('profile record');
    return { created, identitySeed, signingSeed, dhSecretKey, certificate, name };
  },
};

/** The keys of an open profile, rebuilt from its record and checked against each other. */
export interface ProfileSecrets {
  readonly identity: Identity;
  readonly keys: ProfileKeys;
  readonly certificate: Certificate;
  readonly certificateBytes: Uint8Array;
}

export function openProfileRecord(p: ProfileRecord): ProfileSecrets {
  try {
    const identity = identityFromSeed(p.identitySeed);
    const signing = ed25519KeyPairFromSeed(p.signingSeed);
    const dh = { publicKey: x25519PublicKey(p.dhSecretKey), secretKey: p.dhSecretKey.slice() };
    const certificate = consumeCertificate(p.certificate, identity.address);
    if (!bytesEqual(certificate.signingKey, signing.publicKey) || !bytesEqual(certificate.dhKey, dh.publicKey)) {
      throw new ProfileError(ProfileErrorCode.PROFILE_CORRUPT, 'the certificate names other keys than the profile holds');
    }
    return { identity, keys: { signing, dh }, certificate, certificateBytes: encodeCertificate(certificate) };
  } catch (err) {
    if (err instanceof ProfileError) throw err;
    throw new ProfileError(ProfileErrorCode.PROFILE_CORRUPT, 'the profile record does not hold a consistent identity', { cause: err });
  }
}
