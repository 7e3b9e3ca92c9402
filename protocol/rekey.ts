/**
 * Re-keying (docs/groups.md, "Re-keying and concurrent membership changes"): building the
 * content of a remove-and-re-key entry for a roster, opening one's own key from one, and the
 * rule that says when a re-key is due and which admin makes it.
 *
 * - `buildRekey(roster, {removed, signer})`: a fresh epoch secret, sealed (libsodium sealed box)
 *   to the profile X25519 key of every member of the roster that remains (from the certificate
 *   the roster holds, never the onion key, which tor holds), with the roster checkpoint signed
 *   by the admin; the entry content `{kind: 'remove', removed, keyPackage}`. The remaining
 *   roster is the roster as computed (protocol/roster.ts), so after a race it is the merged one.
 * - Size: the key package is 268 + 113 n bytes for n remaining members (about 113 KB for 1,000);
 *   the entry is padded, as every entry, to the smallest blob size that holds it
 *   (protocol/padding.ts: 5,120, 20,480, 65,536 or 131,072 bytes), so a pub sees only the class:
 *   `rekeyBlobSize(n, removed, heads)`.
 * - `openRekey(entry, id, groupId, me)`: the epoch keys a verified re-key entry opens for me
 *   (`ERR_NOT_RECIPIENT` when it is not sealed to me; `ERR_UNAUTHENTIC` when my slot does not open
 *   or does not match the commitment). `openRekeyByPackage` is the same for a re-key entry found
 *   in a blob of an older epoch, whose own signature I cannot check yet (a member locked out of
 *   the epoch it was posted in): it is accepted on the key package's signature by an admin of my
 *   roster.
 * - `epochStatus(roster)` / `rekeyDuty(roster)`: the current epoch is *settled* when the members
 *   are exactly those holding its secret. Otherwise (`exposed`: someone holds it who is no longer
 *   a member, after a leave or a removal that lost a race; `lockedOut`: a member who does not hold
 *   it, after a join that raced the re-key) a plain re-key to the roster is due, made by the admin
 *   ranked first for that state; the others take over one after another if it does not come.
 *
 * No I/O; the only randomness is the epoch secret (and the sealed boxes' ephemeral keys).
 */
import { bytesEqual, ByteWriter, compareBytes, toHex } from './bytes.js';
import type { EpochNameLike } from './checkpoint.js';
import { labelledHash, wipe, type Ed25519KeyPair } from './crypto.js';
import { ENTRY_FIXED_BYTES, HASH_BYTES, REMOVE_MEMBERS_MAX } from './constants.js';
import { decodeEntry, entryId, type Entry, type EntryContent } from './entry.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { deriveEpochKeys, generateEpochSecret, nextEpoch, type EpochKeys } from './group.js';
import { consumeKeyPackage, createKeyPackage, encodeKeyPackage, keyPackageBytes, openKeyPackage, type KeyPackage, type KeyPackageOpener } from './key-package.js';
import { blobSizeFor } from './padding.js';
import type { Member, Roster } from './roster.js';

/** Hash label of the re-key duty's trigger. */
export const LABEL_REKEY_DUTY = 'snug/v2/rekey-duty';
/** Hash label of an admin's rank for a duty. */
export const LABEL_REKEY_RANK = 'snug/v2/rekey-rank';
/** The first-ranked admin re-keys after a random delay of up to this (so two views of one change rarely collide). */
export const REKEY_JITTER_MS = 5_000;
/** Each further admin waits this much longer than the one ranked before it (takeover). */
export const REKEY_TAKEOVER_MS = 30_000;

export type RemoveContent = Extract<EntryContent, { kind: 'remove' }>;

export interface RekeyInit {
  /** Identity keys of members to remove (any order); none for a plain re-key. */
  readonly removed?: readonly Uint8Array[];
  /** The re-keying admin's profile signing key pair. */
  readonly signer: Ed25519KeyPair;
  /** The new epoch secret; fresh when omitted (fixed only for tests). */
  readonly secret?: Uint8Array;
}

export interface Rekey {
  /** The content of the remove-and-re-key entry to post in the roster's current epoch. */
  readonly content: RemoveContent;
  readonly keyPackage: KeyPackage;
  /** The number of the epoch the entry opens (its opener is the entry's id). */
  readonly epoch: number;
  /** The new epoch's secret: the caller derives its keys once it has the entry id, then wipes it. */
  readonly secret: Uint8Array;
  /** Who the key package is sealed to, ascending by identity key. */
  readonly members: readonly Member[];
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

/**
 * Builds a remove-and-re-key entry's content for `roster`: remove `removed` (each must be a
 * member, at most REMOVE_MEMBERS_MAX; INVALID_FIELD otherwise), seal a fresh secret to everyone
 * else with their roles, signed by `signer`, who must be an admin of the roster (INVALID_FIELD).
 * At least one admin must remain (INVALID_FIELD).
 */
export function buildRekey(roster: Roster, init: RekeyInit): Rekey {
  const signerMember = roster.members.find((m) => bytesEqual(m.certificate.signingKey, init.signer.publicKey));
  if (signerMember === undefined || signerMember.role !== 'admin') fail(ProtocolErrorCode.INVALID_FIELD, 'only an admin of the roster re-keys');
  const removed = [...new Map((init.removed ?? []).map((k) => [toHex(k), k.slice()])).values()].sort(compareBytes);
  if (removed.length > REMOVE_MEMBERS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `a re-key removes at most ${REMOVE_MEMBERS_MAX} members`);
  const gone = new Set(removed.map(toHex));
  for (const key of gone) if (!roster.members.some((m) => toHex(m.identityKey) === key)) fail(ProtocolErrorCode.INVALID_FIELD, 'a re-key removes members only');
  const members = roster.members.filter((m) => !gone.has(toHex(m.identityKey)));
  if (!members.some((m) => m.role === 'admin')) fail(ProtocolErrorCode.INVALID_FIELD, 'a re-key keeps at least one admin');
  const secret = init.secret?.slice() ?? generateEpochSecret();
  const keyPackage = createKeyPackage(
    {
      groupId: roster.groupId,
      epoch: roster.epoch.number + 1,
      previous: roster.epoch,
      members: members.map((m) => ({ identityKey: m.identityKey, dhKey: m.certificate.dhKey, role: m.role })),
      secret,
    },
    init.signer,
  );
  return { content: { kind: 'remove', removed, keyPackage: encodeKeyPackage(keyPackage) }, keyPackage, epoch: roster.epoch.number + 1, secret, members };
}

/** The size of a remove-and-re-key entry for `members` remaining members, `removed` removed, `heads` heads. */
export function rekeyEntryBytes(members: number, removed = 0, heads = 0): number {
  // body: removedCount u8 || removed [32] * n || keyPackageLength u32 || keyPackage
  return ENTRY_FIXED_BYTES + heads * HASH_BYTES + 1 + 32 * removed + 4 + keyPackageBytes(members);
}

/** The blob size class a remove-and-re-key entry of that shape is padded to (null: too large). */
export function rekeyBlobSize(members: number, removed = 0, heads = 0): number | null {
  return blobSizeFor(rekeyEntryBytes(members, removed, heads));
}

function u32(n: number): Uint8Array {
  return new ByteWriter(4).u32(n).finish();
}

/** Opens my key from a key package that follows `posted`; returns the new epoch's keys. */
function openPackage(pkg: KeyPackage, posted: EpochNameLike, id: Uint8Array, me: KeyPackageOpener): EpochKeys {
  const cp = pkg.checkpoint;
  if (cp.previous.number !== posted.number || !bytesEqual(cp.previous.opener, posted.opener)) {
    fail(ProtocolErrorCode.INVALID_FIELD, 'the key package does not follow the epoch the entry was posted in');
  }
  const secret = openKeyPackage(pkg, me);
  try {
    return deriveEpochKeys(secret, cp.groupId, nextEpoch(posted, id));
  } finally {
    wipe(secret);
  }
}

/**
 * The keys of the epoch a verified remove-and-re-key entry (id `id`) of group `groupId` opens,
 * for me. The key package must verify and be signed by the entry's author (UNAUTHENTIC).
 */
export function openRekey(entry: Entry, id: Uint8Array, groupId: Uint8Array, me: KeyPackageOpener): EpochKeys {
  if (entry.content.kind !== 'remove') fail(ProtocolErrorCode.INVALID_FIELD, 'not a remove-and-re-key entry');
  const pkg = consumeKeyPackage(entry.content.keyPackage, groupId);
  if (!bytesEqual(pkg.checkpoint.signer, entry.author)) fail(ProtocolErrorCode.UNAUTHENTIC, 'the key package is not signed by the entry author');
  return openPackage(pkg, entry.epoch, id, me);
}

/**
 * A remove-and-re-key entry found in a blob of an epoch I hold, posted in an epoch I do not hold
 * (I was locked out of it), so its signature cannot be checked yet. Accepted on its key package:
 * it must verify, be signed by the entry's author, who must be an admin of `roster` (the roster
 * I compute), and follow the epoch the entry names, which must be one the roster opened
 * (UNAUTHENTIC otherwise). Returns the decoded entry, its id and the keys it opens for me. The
 * entry's own signature is checked when the epoch it was posted in becomes known, if ever; a
 * forged wrapper of a real package names another opener, so its keys read nothing.
 */
export function openRekeyByPackage(bytes: Uint8Array, roster: Roster, me: KeyPackageOpener): { entry: Entry; id: Uint8Array; keys: EpochKeys } {
  const entry = decodeEntry(bytes);
  if (entry.content.kind !== 'remove') fail(ProtocolErrorCode.INVALID_FIELD, 'not a remove-and-re-key entry');
  if (!roster.epochs.some((e) => e.number === entry.epoch.number && bytesEqual(e.opener, entry.epoch.opener))) {
    fail(ProtocolErrorCode.UNAUTHENTIC, 'a re-key of an epoch this roster never opened');
  }
  const pkg = consumeKeyPackage(entry.content.keyPackage, roster.groupId);
  if (!bytesEqual(pkg.checkpoint.signer, entry.author)) fail(ProtocolErrorCode.UNAUTHENTIC, 'the key package is not signed by the entry author');
  if (!roster.members.some((m) => m.role === 'admin' && bytesEqual(m.certificate.signingKey, entry.author))) {
    fail(ProtocolErrorCode.UNAUTHENTIC, 'the re-key is not by an admin of this roster');
  }
  const id = entryId(bytes);
  return { entry, id, keys: openPackage(pkg, entry.epoch, id, me) };
}

export interface EpochStatus {
  /** The members are exactly the holders of the current epoch's secret. */
  readonly settled: boolean;
  /** Hold the current epoch but are no longer members (roster.exposed). */
  readonly exposed: readonly Uint8Array[];
  /** Members without the current epoch (roster.lockedOut). */
  readonly lockedOut: readonly Uint8Array[];
}

export function epochStatus(roster: Roster): EpochStatus {
  return { settled: roster.exposed.length === 0 && roster.lockedOut.length === 0, exposed: roster.exposed, lockedOut: roster.lockedOut };
}

export interface RekeyDuty {
  /** Names the state that calls for a re-key: the epoch and who is exposed or locked out. */
  readonly trigger: Uint8Array;
  /** The admins (identity keys) in the order they take the duty: the first re-keys. */
  readonly ranked: readonly Uint8Array[];
}

/**
 * Who re-keys an unsettled epoch (null when it is settled):
 *
 *   trigger = labelledHash("snug/v2/rekey-duty", groupId || epoch u32 || opener ||
 *                          u16 |exposed| || exposed (ascending) || lockedOut (ascending))
 *   rank(a) = labelledHash("snug/v2/rekey-rank", trigger || identityKey(a))
 *
 * admins ascending by rank. The admin of rank r makes a plain re-key (`buildRekey(roster)`,
 * removing no one: the roster already lacks whoever left or was removed) after
 * `rekeyDelayMs(r, random)`, unless the epoch moved on before. Every member computes the same
 * ranking from the same log, so one admin acts and the others only take over.
 */
export function rekeyDuty(roster: Roster): RekeyDuty | null {
  if (epochStatus(roster).settled) return null;
  return dutyRanking({ groupId: roster.groupId, epoch: roster.epoch, exposed: roster.exposed, lockedOut: roster.lockedOut, admins: roster.admins });
}

/** What the duty rule reads of a roster. */
export interface DutyInput {
  readonly groupId: Uint8Array;
  readonly epoch: EpochNameLike;
  /** Identity keys, any order (sorted here). */
  readonly exposed: readonly Uint8Array[];
  readonly lockedOut: readonly Uint8Array[];
  /** The admins' identity keys, any order. */
  readonly admins: readonly Uint8Array[];
}

/** The duty rule's trigger and ranking from its inputs (see `rekeyDuty`). */
export function dutyRanking(input: DutyInput): RekeyDuty {
  const exposed = input.exposed.slice().sort(compareBytes);
  const lockedOut = input.lockedOut.slice().sort(compareBytes);
  const trigger = labelledHash(LABEL_REKEY_DUTY, [
    input.groupId,
    u32(input.epoch.number),
    input.epoch.opener,
    new ByteWriter(2).u16(exposed.length).finish(),
    ...exposed,
    ...lockedOut,
  ]);
  const ranked = input.admins
    .map((a) => ({ a, r: toHex(labelledHash(LABEL_REKEY_RANK, [trigger, a])) }))
    .sort((x, y) => (x.r < y.r ? -1 : x.r > y.r ? 1 : 0))
    .map((x) => x.a.slice());
  return { trigger, ranked };
}

/** My place in a duty (0: first), or -1 when I am not an admin. */
export function dutyRank(duty: RekeyDuty, identityKey: Uint8Array): number {
  return duty.ranked.findIndex((a) => bytesEqual(a, identityKey));
}

/** How long the admin of rank `rank` waits before re-keying; `random` in [0, 1). */
export function rekeyDelayMs(rank: number, random: number): number {
  if (!Number.isInteger(rank) || rank < 0) throw new RangeError('a rank is a non-negative integer');
  return rank * REKEY_TAKEOVER_MS + Math.floor(Math.min(Math.max(random, 0), 0.999_999) * REKEY_JITTER_MS);
}
