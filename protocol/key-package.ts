/**
 * Key packages: a new epoch's secret, sealed to each member of the resulting roster, with the
 * roster checkpoint that names them (docs/groups.md, "Key package"). A key package travels as
 * the opaque key-package field of a remove-and-re-key entry; the new epoch is named
 * (checkpoint.epoch, id of that entry).
 *
 *   keyPackage = version u8 (0x01) | checkpoint (171 + 33n bytes, n = its member count) |
 *                commitment [32] | slot [80] * n | signature [64]
 *   slot       = crypto_box_seal(epoch secret [32], dhKey of member i's certificate)
 *                (32 ephemeral key + 32 ciphertext + 16 MAC), slot i for checkpoint member i
 *   commitment = BLAKE2b-256(key = "snug/v2/epoch-secret-commitment",
 *                            groupId [32] || epoch u32 || epoch secret [32])
 *   signature  = ed25519(checkpoint.signer, u8 19 || "snug/v2/key-package" || every byte before it)
 *
 * - Nothing names a slot's recipient: a member finds its slot by its own index in the
 *   checkpoint's member list.
 * - The checkpoint's signature covers the roster, not the slots, so the package has its own
 *   signature by the same key over everything, checkpoint and slots included: no slot can be
 *   spliced in from another package, and the checkpoint cannot be lifted into a package with
 *   slots of someone else's choosing (whoever could, could hand members a secret of their own).
 * - The commitment lets each member check that it opened the same secret as every other member:
 *   an admin who sealed different secrets to different members (splitting the group into parts
 *   that cannot read each other) is caught by whoever's slot does not match.
 *
 * Size: 268 + 113 n bytes: 381 for one member, 113,268 for 1,000 and 115,980 for
 * GROUP_MEMBERS_MAX (1,024).
 */
import { ByteReader, ByteWriter, bytesEqual, toHex } from './bytes.js';
import {
  checkpointBytes,
  createCheckpoint,
  encodeCheckpoint,
  GROUP_MEMBERS_MAX,
  memberIndex,
  readCheckpoint,
  verifyCheckpoint,
  type Checkpoint,
  type EpochNameLike,
  type Role,
} from './checkpoint.js';
import {
  constantTimeEqual,
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  labelledHash,
  openSealed,
  SEALED_BOX_OVERHEAD_BYTES,
  sealTo,
  signLabelled,
  verifyLabelled,
  wipe,
  type Ed25519KeyPair,
  type X25519KeyPair,
} from './crypto.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** Version byte of the key-package encoding. */
export const KEY_PACKAGE_VERSION = 0x01;
/** Signature label of key packages. */
export const LABEL_KEY_PACKAGE = 'snug/v2/key-package';
/** Hash label of the epoch-secret commitment. */
export const LABEL_EPOCH_SECRET_COMMITMENT = 'snug/v2/epoch-secret-commitment';
/** Bytes of an epoch secret. */
export const EPOCH_SECRET_BYTES = 32;
/** Bytes of one sealed slot: the secret plus the sealed box's 48. */
export const KEY_PACKAGE_SLOT_BYTES = EPOCH_SECRET_BYTES + SEALED_BOX_OVERHEAD_BYTES;
/** Bytes of a key package apart from its checkpoint and slots: version, commitment, signature. */
export const KEY_PACKAGE_OVERHEAD_BYTES = 1 + 32 + ED25519_SIGNATURE_BYTES;

/** The size of a key package for `members` members: 268 + 113 * members. */
export function keyPackageBytes(members: number): number {
  return KEY_PACKAGE_OVERHEAD_BYTES + checkpointBytes(members) + members * KEY_PACKAGE_SLOT_BYTES;
}

/** The largest key package (GROUP_MEMBERS_MAX members): 115,980 bytes. */
export const KEY_PACKAGE_MAX_BYTES = keyPackageBytes(GROUP_MEMBERS_MAX);

export interface KeyPackage {
  readonly version: number;
  readonly checkpoint: Checkpoint;
  readonly commitment: Uint8Array;
  /** slots[i] is sealed to checkpoint.members[i]. */
  readonly slots: readonly Uint8Array[];
  readonly signature: Uint8Array;
}

/** What a key package needs to know of each recipient: a verified certificate's keys, and a role. */
export interface KeyPackageRecipient {
  readonly identityKey: Uint8Array;
  /** The X25519 key of the member's (verified) certificate. */
  readonly dhKey: Uint8Array;
  readonly role: Role;
}

export interface KeyPackageInit {
  readonly groupId: Uint8Array;
  /** The number of the new epoch. */
  readonly epoch: number;
  /** The epoch it follows (the current one). */
  readonly previous: EpochNameLike;
  /** The resulting roster, in any order. */
  readonly members: readonly KeyPackageRecipient[];
  /** The new epoch's secret [32] (the caller generates and later wipes it). */
  readonly secret: Uint8Array;
}

/** Who I am when opening a package: my identity key and my profile's X25519 key pair. */
export interface KeyPackageOpener {
  readonly identityKey: Uint8Array;
  readonly dh: X25519KeyPair;
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function u32(n: number): Uint8Array {
  return new ByteWriter(4).u32(n).finish();
}

/** The commitment to an epoch secret of a group's epoch `epoch`. */
export function epochSecretCommitment(groupId: Uint8Array, epoch: number, secret: Uint8Array): Uint8Array {
  return labelledHash(LABEL_EPOCH_SECRET_COMMITMENT, [groupId, u32(epoch), secret]);
}

function encodeUnsigned(checkpoint: Checkpoint, commitment: Uint8Array, slots: readonly Uint8Array[]): Uint8Array {
  if (commitment.length !== 32) fail(ProtocolErrorCode.INVALID_FIELD, 'a commitment is 32 bytes');
  if (slots.length !== checkpoint.members.length) fail(ProtocolErrorCode.INVALID_FIELD, 'a key package has one slot per member');
  const cp = encodeCheckpoint(checkpoint);
  const w = new ByteWriter(keyPackageBytes(slots.length));
  w.u8(KEY_PACKAGE_VERSION).raw(cp).fixed(commitment, 32);
  for (const s of slots) w.fixed(s, KEY_PACKAGE_SLOT_BYTES);
  return w.finish();
}

/**
 * Builds a key package: the checkpoint of the resulting roster (signed by `signer`), the secret
 * sealed to each member in the checkpoint's order, the commitment, the package signature.
 */
export function createKeyPackage(init: KeyPackageInit, signer: Ed25519KeyPair): KeyPackage {
  if (init.secret.length !== EPOCH_SECRET_BYTES) fail(ProtocolErrorCode.BAD_KEY, 'an epoch secret is 32 bytes');
  const checkpoint = createCheckpoint(
    { groupId: init.groupId, epoch: init.epoch, previous: init.previous, members: init.members.map((m) => ({ identityKey: m.identityKey, role: m.role })) },
    signer,
  );
  const dhKeys = new Map(init.members.map((m) => [toHex(m.identityKey), m.dhKey]));
  const slots = checkpoint.members.map((m) => {
    const dhKey = dhKeys.get(toHex(m.identityKey));
    if (dhKey === undefined) return fail(ProtocolErrorCode.INVALID_FIELD, 'no recipient for a member');
    return sealTo(init.secret, dhKey);
  });
  const commitment = epochSecretCommitment(checkpoint.groupId, checkpoint.epoch, init.secret);
  const unsigned = encodeUnsigned(checkpoint, commitment, slots);
  const signature = signLabelled(LABEL_KEY_PACKAGE, unsigned, signer.secretKey);
  return { version: KEY_PACKAGE_VERSION, checkpoint, commitment, slots, signature };
}

export function encodeKeyPackage(p: KeyPackage): Uint8Array {
  if (p.version !== KEY_PACKAGE_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `key package version ${p.version}`);
  const unsigned = encodeUnsigned(p.checkpoint, p.commitment, p.slots);
  return new ByteWriter(unsigned.length + ED25519_SIGNATURE_BYTES).raw(unsigned).fixed(p.signature, ED25519_SIGNATURE_BYTES).finish();
}

/** Decodes a key package: structure, bounds, the checkpoint's canonical form. No signatures. */
export function decodeKeyPackage(bytes: Uint8Array): KeyPackage {
  if (bytes.length > KEY_PACKAGE_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a key package is at most ${KEY_PACKAGE_MAX_BYTES} bytes`);
  const r = new ByteReader(bytes);
  const version = r.u8('key package version');
  if (version !== KEY_PACKAGE_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `key package version ${version}`);
  const checkpoint = readCheckpoint(r);
  const n = checkpoint.members.length;
  const expected = keyPackageBytes(n);
  if (bytes.length < expected) fail(ProtocolErrorCode.TRUNCATED, 'key package ends inside its slots');
  if (bytes.length > expected) fail(ProtocolErrorCode.OVERSIZED, 'trailing bytes after key package');
  const commitment = r.fixed(32, 'commitment');
  const slots: Uint8Array[] = [];
  for (let i = 0; i < n; i++) slots.push(r.fixed(KEY_PACKAGE_SLOT_BYTES, 'slot'));
  const signature = r.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  r.end('key package');
  return { version, checkpoint, commitment, slots, signature };
}

/** True when both the checkpoint's and the package's signatures verify under the signer key. */
export function verifyKeyPackage(p: KeyPackage): boolean {
  let unsigned: Uint8Array;
  try {
    unsigned = encodeUnsigned(p.checkpoint, p.commitment, p.slots);
  } catch {
    return false;
  }
  return verifyCheckpoint(p.checkpoint) && verifyLabelled(LABEL_KEY_PACKAGE, p.signature, unsigned, p.checkpoint.signer);
}

/**
 * Decodes and verifies a key package, optionally of an expected group (another group's is
 * INVALID_FIELD); a signature that does not verify is UNAUTHENTIC. Whether the signer may
 * re-key (an admin of the previous roster) is the roster's question.
 */
export function consumeKeyPackage(bytes: Uint8Array, expectedGroupId?: Uint8Array): KeyPackage {
  const p = decodeKeyPackage(bytes);
  if (expectedGroupId !== undefined && !bytesEqual(p.checkpoint.groupId, expectedGroupId)) fail(ProtocolErrorCode.INVALID_FIELD, 'key package of another group');
  const unsigned = bytes.subarray(0, bytes.length - ED25519_SIGNATURE_BYTES);
  if (!verifyCheckpoint(p.checkpoint) || !verifyLabelled(LABEL_KEY_PACKAGE, p.signature, unsigned, p.checkpoint.signer)) {
    fail(ProtocolErrorCode.UNAUTHENTIC, 'key package signature does not verify');
  }
  return p;
}

/**
 * Opens my slot: finds my identity key in the checkpoint (NOT_RECIPIENT when absent), opens the
 * slot with my X25519 key pair and checks the commitment (UNAUTHENTIC when either fails). The
 * package must have been verified (`consumeKeyPackage`). The caller wipes the returned secret.
 */
export function openKeyPackage(p: KeyPackage, me: KeyPackageOpener): Uint8Array {
  if (me.identityKey.length !== ED25519_PUBLIC_KEY_BYTES) fail(ProtocolErrorCode.BAD_KEY, 'an identity key is 32 bytes');
  const i = memberIndex(p.checkpoint.members, me.identityKey);
  if (i < 0) fail(ProtocolErrorCode.NOT_RECIPIENT, 'this key package is not sealed to me');
  const secret = openSealed(p.slots[i]!, me.dh);
  if (secret === null || secret.length !== EPOCH_SECRET_BYTES) fail(ProtocolErrorCode.UNAUTHENTIC, 'my slot does not open with my key');
  const expected = epochSecretCommitment(p.checkpoint.groupId, p.checkpoint.epoch, secret);
  if (!constantTimeEqual(expected, p.commitment)) {
    wipe(secret);
    fail(ProtocolErrorCode.UNAUTHENTIC, 'my slot holds another secret than the package commits to');
  }
  return secret;
}
