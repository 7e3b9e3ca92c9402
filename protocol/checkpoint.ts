/**
 * Roster checkpoints: an admin's signed statement of a group's members and their roles at the
 * start of an epoch (docs/groups.md, "Roster checkpoint"). Every key package carries one; an
 * invite carries the latest.
 *
 *   checkpoint = version u8 (0x01) | groupId [32] | epoch u32 (1..2^32-1) |
 *                previousEpoch u32 (= epoch - 1) | previousOpener [32] |
 *                memberCount u16 (1..GROUP_MEMBERS_MAX) | member * memberCount |
 *                signer [32] | signature [64]
 *   member     = identityKey [32] | role u8 (0x00 member, 0x01 admin: the role bytes of role entries)
 *   signature  = ed25519(signer, u8 18 || "snug/v2/checkpoint" || every byte before the signature)
 *
 * - epoch is the number of the epoch the checkpoint opens; that epoch's opener is the id of the
 *   entry that carries the checkpoint, which the checkpoint cannot name (the entry's id covers
 *   it), so it names the previous epoch instead: (epoch - 1, its opener). For epoch 1 the
 *   previous epoch is epoch 0, whose opener is the group id (the genesis entry's id).
 * - members are in strictly ascending byte order of identity key (sorted, unique); at least one
 *   is an admin. A member key is a name, compared byte for byte with the identity keys of the
 *   roster's verified certificates (a checkpoint naming anyone else is refused by the roster);
 *   `createCheckpoint` checks each is an ed25519 key in the prime-order subgroup, the decoder does
 *   not (that check costs a scalar multiplication per member).
 * - signer is the profile signing key of the admin who made it. That it belongs to an admin of
 *   the previous roster is checked by the roster (protocol/roster.ts), not here.
 *
 * 171 + 33 * memberCount bytes: 204 for one member, 33,963 for GROUP_MEMBERS_MAX (1,024).
 */
import { ByteReader, ByteWriter, bytesEqual, compareBytes, isAllZero } from './bytes.js';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  ed25519IsValidPublicKey,
  signLabelled,
  verifyLabelled,
  type Ed25519KeyPair,
} from './crypto.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** Version byte of the checkpoint encoding. */
export const CHECKPOINT_VERSION = 0x01;
/** Signature label of checkpoints (prefix-free: signed as u8 length || label || message). */
export const LABEL_CHECKPOINT = 'snug/v2/checkpoint';
/** The most members a group may have: a checkpoint, and so a key package, names at most this many. */
export const GROUP_MEMBERS_MAX = 1024;
/** Bytes of one member record: identity key [32] and role u8. */
export const CHECKPOINT_MEMBER_BYTES = 33;
/** Bytes of a checkpoint apart from its member records. */
export const CHECKPOINT_FIXED_BYTES = 1 + 32 + 4 + 4 + 32 + 2 + 32 + 64;
/** The largest epoch number (u32). */
export const EPOCH_NUMBER_MAX = 0xffff_ffff;

const ID_BYTES = 32;

/** Role bytes, as role-change entries have them (protocol/entry-body.ts MemberRole). */
export const RoleByte = { MEMBER: 0x00, ADMIN: 0x01 } as const;
export type Role = 'admin' | 'member';

export interface RosterMember {
  /** The member's identity key (its onion address's key) [32]. */
  readonly identityKey: Uint8Array;
  readonly role: Role;
}

/** An epoch's name: its number and the id of the entry that opened it (the group id for 0). */
export interface EpochNameLike {
  readonly number: number;
  readonly opener: Uint8Array;
}

export interface CheckpointInit {
  readonly groupId: Uint8Array;
  /** The number of the epoch this checkpoint opens, >= 1. */
  readonly epoch: number;
  /** The epoch it follows: number epoch - 1. */
  readonly previous: EpochNameLike;
  /** In any order; sorted here. */
  readonly members: readonly RosterMember[];
}

export interface Checkpoint extends CheckpointInit {
  readonly version: number;
  /** Strictly ascending by identity key. */
  readonly members: readonly RosterMember[];
  /** The admin's profile signing key [32]. */
  readonly signer: Uint8Array;
  readonly signature: Uint8Array;
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

/** The size of a checkpoint of `members` members. */
export function checkpointBytes(members: number): number {
  return CHECKPOINT_FIXED_BYTES + members * CHECKPOINT_MEMBER_BYTES;
}

/** Sorts members by identity key (copies); a repeated identity key is INVALID_FIELD. */
export function sortMembers(members: readonly RosterMember[]): RosterMember[] {
  const sorted = members.map((m) => ({ identityKey: m.identityKey.slice(), role: m.role }));
  sorted.sort((a, b) => compareBytes(a.identityKey, b.identityKey));
  for (let i = 1; i < sorted.length; i++) {
    if (bytesEqual(sorted[i - 1]!.identityKey, sorted[i]!.identityKey)) fail(ProtocolErrorCode.INVALID_FIELD, 'a checkpoint names a member twice');
  }
  return sorted;
}

function checkFields(c: CheckpointInit, checkKeys = false): void {
  if (c.groupId.length !== ID_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a group id is 32 bytes');
  if (!Number.isInteger(c.epoch) || c.epoch < 1 || c.epoch > EPOCH_NUMBER_MAX) fail(ProtocolErrorCode.INVALID_FIELD, 'a checkpoint epoch is 1..2^32-1');
  if (c.previous.number !== c.epoch - 1) fail(ProtocolErrorCode.INVALID_FIELD, 'the previous epoch of a checkpoint is epoch - 1');
  if (c.previous.opener.length !== ID_BYTES || isAllZero(c.previous.opener)) fail(ProtocolErrorCode.INVALID_FIELD, 'an epoch opener is 32 bytes, not zero');
  if (c.epoch === 1 && !bytesEqual(c.previous.opener, c.groupId)) fail(ProtocolErrorCode.INVALID_FIELD, 'epoch 0 is opened by the group id');
  const n = c.members.length;
  if (n < 1) fail(ProtocolErrorCode.INVALID_FIELD, 'a checkpoint names at least one member');
  if (n > GROUP_MEMBERS_MAX) fail(ProtocolErrorCode.OVERSIZED, `a checkpoint names at most ${GROUP_MEMBERS_MAX} members`);
  let admins = 0;
  for (let i = 0; i < n; i++) {
    const m = c.members[i]!;
    if (m.role !== 'admin' && m.role !== 'member') fail(ProtocolErrorCode.INVALID_FIELD, 'unknown role');
    if (m.role === 'admin') admins++;
    if (i > 0 && compareBytes(c.members[i - 1]!.identityKey, m.identityKey) >= 0) {
      fail(ProtocolErrorCode.NON_CANONICAL, 'checkpoint members must be strictly ascending');
    }
    if (m.identityKey.length !== ED25519_PUBLIC_KEY_BYTES) fail(ProtocolErrorCode.BAD_KEY, 'a member identity key is 32 bytes');
    if (checkKeys && !ed25519IsValidPublicKey(m.identityKey)) fail(ProtocolErrorCode.BAD_KEY, 'a checkpoint member is not a usable identity key');
  }
  if (admins === 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a checkpoint names at least one admin');
}

/** The bytes before the signature: what (after the label) the signer signs. */
function encodeUnsigned(c: CheckpointInit, signer: Uint8Array): Uint8Array {
  checkFields(c);
  if (signer.length !== ED25519_PUBLIC_KEY_BYTES) fail(ProtocolErrorCode.BAD_KEY, 'a signer is a 32-byte key');
  const w = new ByteWriter(checkpointBytes(c.members.length));
  w.u8(CHECKPOINT_VERSION).fixed(c.groupId, ID_BYTES).u32(c.epoch).u32(c.previous.number).fixed(c.previous.opener, ID_BYTES);
  w.u16(c.members.length);
  for (const m of c.members) w.fixed(m.identityKey, ED25519_PUBLIC_KEY_BYTES).u8(m.role === 'admin' ? RoleByte.ADMIN : RoleByte.MEMBER);
  w.fixed(signer, ED25519_PUBLIC_KEY_BYTES);
  return w.finish();
}

/** Builds and signs a checkpoint with the admin's profile signing key pair. */
export function createCheckpoint(init: CheckpointInit, signer: Ed25519KeyPair): Checkpoint {
  const fields: CheckpointInit = {
    groupId: init.groupId.slice(),
    epoch: init.epoch,
    previous: { number: init.previous.number, opener: init.previous.opener.slice() },
    members: sortMembers(init.members),
  };
  checkFields(fields, true);
  const unsigned = encodeUnsigned(fields, signer.publicKey);
  const signature = signLabelled(LABEL_CHECKPOINT, unsigned, signer.secretKey);
  return { version: CHECKPOINT_VERSION, ...fields, signer: signer.publicKey.slice(), signature };
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  if (c.version !== CHECKPOINT_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `checkpoint version ${c.version}`);
  const unsigned = encodeUnsigned(c, c.signer);
  return new ByteWriter(unsigned.length + ED25519_SIGNATURE_BYTES).raw(unsigned).fixed(c.signature, ED25519_SIGNATURE_BYTES).finish();
}

/** Reads one checkpoint from `r` (for formats that embed one); structure and keys, no signature. */
export function readCheckpoint(r: ByteReader): Checkpoint {
  const version = r.u8('checkpoint version');
  if (version !== CHECKPOINT_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `checkpoint version ${version}`);
  const groupId = r.fixed(ID_BYTES, 'group id');
  const epoch = r.u32('epoch');
  const previousNumber = r.u32('previous epoch');
  const opener = r.fixed(ID_BYTES, 'previous epoch opener');
  const count = r.u16('member count');
  if (count > GROUP_MEMBERS_MAX) fail(ProtocolErrorCode.OVERSIZED, `a checkpoint names at most ${GROUP_MEMBERS_MAX} members`);
  if (r.remaining < count * CHECKPOINT_MEMBER_BYTES + ED25519_PUBLIC_KEY_BYTES + ED25519_SIGNATURE_BYTES) {
    fail(ProtocolErrorCode.TRUNCATED, 'checkpoint ends inside its members');
  }
  const members: RosterMember[] = [];
  for (let i = 0; i < count; i++) {
    const identityKey = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'member identity key');
    const roleByte = r.u8('member role');
    if (roleByte !== RoleByte.ADMIN && roleByte !== RoleByte.MEMBER) fail(ProtocolErrorCode.INVALID_FIELD, `unknown role ${roleByte}`);
    members.push({ identityKey, role: roleByte === RoleByte.ADMIN ? 'admin' : 'member' });
  }
  const signer = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'signer');
  const signature = r.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  const c: Checkpoint = { version, groupId, epoch, previous: { number: previousNumber, opener }, members, signer, signature };
  checkFields(c);
  return c;
}

/** Decodes a checkpoint: structure, bounds, canonical order, keys. Does NOT check the signature. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  if (bytes.length > checkpointBytes(GROUP_MEMBERS_MAX)) fail(ProtocolErrorCode.OVERSIZED, 'checkpoint too long');
  const r = new ByteReader(bytes);
  const c = readCheckpoint(r);
  r.end('checkpoint');
  return c;
}

/** True when the checkpoint's signature verifies under its signer key. */
export function verifyCheckpoint(c: Checkpoint): boolean {
  let unsigned: Uint8Array;
  try {
    unsigned = encodeUnsigned(c, c.signer);
  } catch {
    return false;
  }
  return verifyLabelled(LABEL_CHECKPOINT, c.signature, unsigned, c.signer);
}

/**
 * Decodes and verifies a checkpoint, optionally of an expected group (another group's is
 * INVALID_FIELD); a bad signature is UNAUTHENTIC.
 */
export function consumeCheckpoint(bytes: Uint8Array, expectedGroupId?: Uint8Array): Checkpoint {
  const c = decodeCheckpoint(bytes);
  if (expectedGroupId !== undefined && !bytesEqual(c.groupId, expectedGroupId)) fail(ProtocolErrorCode.INVALID_FIELD, 'checkpoint of another group');
  const unsigned = bytes.subarray(0, bytes.length - ED25519_SIGNATURE_BYTES);
  if (!verifyLabelled(LABEL_CHECKPOINT, c.signature, unsigned, c.signer)) fail(ProtocolErrorCode.UNAUTHENTIC, 'checkpoint signature does not verify');
  return c;
}

/** The role of `identityKey` in the checkpoint, or null when it is not a member (binary search). */
export function checkpointRole(c: Checkpoint, identityKey: Uint8Array): Role | null {
  const i = memberIndex(c.members, identityKey);
  return i < 0 ? null : c.members[i]!.role;
}

/** Index of `identityKey` in members sorted by identity key, or -1. */
export function memberIndex(members: readonly RosterMember[], identityKey: Uint8Array): number {
  let lo = 0;
  let hi = members.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareBytes(members[mid]!.identityKey, identityKey);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
