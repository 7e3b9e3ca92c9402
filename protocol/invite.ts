/**
 * Invites (v2): the pasteable text that carries everything a joiner needs to read a group and
 * post its join entry (docs/groups.md, "Invite").
 *
 *   text    = "snug2" || base32(payload)              (RFC 4648 lowercase, no padding)
 *   payload = version u8 (0x02) |
 *             inviteEntry [32] |                      id of the invite entry the join cites
 *             genesisLength u16 | genesis |           the genesis entry's encoding (1..5,071)
 *             hasCheckpoint u8 (0x00 | 0x01) | checkpoint? |  the latest roster checkpoint
 *             epoch u32 | opener [32] | secret [32] | the epoch to join and its secret
 *             historyCount u16 (0..256) | (epoch u32 | opener [32] | secret [32]) * historyCount |
 *             nameLength u8 | name (UTF-8, 1..128) |
 *             pubCount u8 (0..16) | pub * pubCount |  protocol/pub-address.ts forms
 *             checksum [4]
 *   checksum = BLAKE2b-256(key = "snug/v2/invite-checksum", every payload byte before it)[0:4]
 *
 * - The group id is the id of the genesis entry (entryId of its bytes): the joiner checks every
 *   other field against it. A checkpoint, when present, is of that group and opens the epoch to
 *   join (checkpoint.epoch = epoch). Without one the epoch to join is epoch 0, (0, group id).
 * - `decodeInvite` checks structure and agreement; `consumeInvite` also verifies the genesis
 *   (a genesis entry, signed by its founder, whose certificate verifies) and the checkpoint's
 *   signature. A joiner uses `consumeInvite`.
 * - history holds the secrets of earlier epochs (when the invite entry includes history),
 *   strictly ascending by (number, opener), every number below the epoch to join.
 * - Nothing is signed by the inviter: a pasted invite proves to no one that its inviter admits
 *   people. (The genesis is signed by the founder, and a checkpoint by an admin; an invite shows
 *   whoever holds it that those exist.)
 * - An invite is a secret: whoever holds it reads the epoch it carries (and the history it
 *   carries) until the next re-key.
 * - The loopback development pub form is accepted only when the caller asks for development mode.
 */
import { base32Decode, base32Encode } from './base32.js';
import { ByteReader, ByteWriter, bytesEqual, compareBytes, isAllZero, isWellFormedText, utf8Decode, utf8Encode } from './bytes.js';
import { checkpointBytes, encodeCheckpoint, GROUP_MEMBERS_MAX, readCheckpoint, verifyCheckpoint, type Checkpoint, type EpochNameLike } from './checkpoint.js';
import { CERTIFICATE_BYTES, decodeCertificate, encodeCertificate, verifyCertificate, type Certificate } from './certificate.js';
import { labelledHash } from './crypto.js';
import { BLOB_SIZE_STANDARD, entryCapacity, GROUP_NAME_MAX_BYTES, GROUP_PUBS_MAX } from './constants.js';
import { consumeGenesis, entryId } from './entry.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { EPOCH_SECRET_BYTES } from './key-package.js';
import { isDevelopmentPubAddress, PUB_ADDRESS_MAX_BYTES, readPubList, writePubList } from './pub-address.js';
import type { RosterBase } from './roster.js';

/** Version byte of the binary invite without member certificates. */
export const INVITE_VERSION = 0x02;
/**
 * Version byte of the binary invite with member certificates (an invite without history to an
 * epoch after 0: the joiner starts its roster from the checkpoint, docs/groups.md section 4).
 */
export const INVITE_VERSION_CERTIFIED = 0x03;
/** The fixed prefix of an invite's text form. */
export const INVITE_TEXT_PREFIX = 'snug2';
/** Hash label of the invite checksum. */
export const LABEL_INVITE_CHECKSUM = 'snug/v2/invite-checksum';
/** Bytes of the checksum (a typo check, not authentication). */
export const INVITE_CHECKSUM_BYTES = 4;
/** The largest genesis entry an invite carries: what fits the standard blob (5,120 - 49 = 5,071). */
export const INVITE_GENESIS_MAX_BYTES = entryCapacity(BLOB_SIZE_STANDARD);
/** The most earlier epochs whose secrets one invite carries. */
export const INVITE_HISTORY_MAX = 256;
/** The most pubs an invite names: as many as a group's settings (16). */
export const INVITE_PUBS_MAX = GROUP_PUBS_MAX;
/** Bytes of one epoch with its secret: number u32, opener [32], secret [32]. */
const EPOCH_WITH_SECRET_BYTES = 4 + 32 + EPOCH_SECRET_BYTES;

/**
 * The largest binary invite: 212,864 bytes (a group of 1,024 with its 1,024 certificates; one
 * with 256 earlier epochs and no certificates is at most 57,210). A version 2 invite has no
 * certificate count (2 bytes fewer).
 */
export const INVITE_MAX_BYTES =
  1 + 32 + 2 + INVITE_GENESIS_MAX_BYTES + 1 + checkpointBytes(GROUP_MEMBERS_MAX) + EPOCH_WITH_SECRET_BYTES +
  2 + 2 + GROUP_MEMBERS_MAX * CERTIFICATE_BYTES + 1 + GROUP_NAME_MAX_BYTES + 1 + INVITE_PUBS_MAX * PUB_ADDRESS_MAX_BYTES + INVITE_CHECKSUM_BYTES;
/** The longest invite text: 91,541 characters. */
export const INVITE_TEXT_MAX_CHARS = INVITE_TEXT_PREFIX.length + Math.ceil((INVITE_MAX_BYTES * 8) / 5);

export interface EpochSecret {
  readonly epoch: EpochNameLike;
  /** The epoch's secret [32]. */
  readonly secret: Uint8Array;
}

export interface Invite {
  readonly version: number;
  /** Id of the invite entry [32]: the joiner's join entry cites it. */
  readonly inviteEntry: Uint8Array;
  /** The genesis entry's encoding. */
  readonly genesis: Uint8Array;
  /** The latest roster checkpoint, or null while the group is in epoch 0. */
  readonly checkpoint: Checkpoint | null;
  /** The epoch to join and its secret. */
  readonly current: EpochSecret;
  /** Earlier epochs and their secrets (empty unless the invite includes history), ascending. */
  readonly history: readonly EpochSecret[];
  /**
   * Version 3: a certificate for each member the checkpoint names, in its order (an invite
   * without history to an epoch after 0; the joiner's roster starts there). Empty in version 2.
   */
  readonly certificates: readonly Certificate[];
  /** The group's name, 1..128 UTF-8 bytes. */
  readonly name: string;
  /** Pub addresses in canonical text form, in order of preference. */
  readonly pubs: readonly string[];
}

/** What the inviter chooses; the version is filled in (3 with certificates, else 2). */
export type InviteInit = Omit<Invite, 'version' | 'certificates'> & { readonly certificates?: readonly Certificate[] };

export interface InviteOptions {
  /** Accept (or write) the loopback development pub form "ws://127.0.0.1:PORT". Default false. */
  readonly development?: boolean;
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function checksum(body: Uint8Array): Uint8Array {
  return labelledHash(LABEL_INVITE_CHECKSUM, [body]).subarray(0, INVITE_CHECKSUM_BYTES);
}

function compareEpochs(a: EpochNameLike, b: EpochNameLike): number {
  return a.number - b.number || compareBytes(a.opener, b.opener);
}

/** The group id an invite is for: the id of its genesis entry. */
export function inviteGroupId(invite: Pick<Invite, 'genesis'>): Uint8Array {
  return entryId(invite.genesis);
}

/** Checks every field and their agreement (no signatures); returns the group id. */
function checkInvite(inv: InviteInit, options: InviteOptions): Uint8Array {
  const certificates = inv.certificates ?? [];
  if (inv.inviteEntry.length !== 32 || isAllZero(inv.inviteEntry)) fail(ProtocolErrorCode.INVALID_FIELD, 'an invite entry id is 32 bytes, not zero');
  if (inv.genesis.length < 1 || inv.genesis.length > INVITE_GENESIS_MAX_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, `a genesis entry is 1..${INVITE_GENESIS_MAX_BYTES} bytes`);
  const groupId = inviteGroupId(inv);
  const epoch = inv.current.epoch;
  checkEpoch(epoch, groupId);
  if (inv.current.secret.length !== EPOCH_SECRET_BYTES) fail(ProtocolErrorCode.BAD_KEY, 'an epoch secret is 32 bytes');
  if (inv.checkpoint === null) {
    if (epoch.number !== 0) fail(ProtocolErrorCode.INVALID_FIELD, 'an invite to an epoch after 0 carries its checkpoint');
  } else {
    if (!bytesEqual(inv.checkpoint.groupId, groupId)) fail(ProtocolErrorCode.INVALID_FIELD, 'the checkpoint is of another group than the genesis');
    if (inv.checkpoint.epoch !== epoch.number) fail(ProtocolErrorCode.INVALID_FIELD, 'the checkpoint does not open the epoch to join');
  }
  if (inv.history.length > INVITE_HISTORY_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `at most ${INVITE_HISTORY_MAX} earlier epochs`);
  for (let i = 0; i < inv.history.length; i++) {
    const h = inv.history[i]!;
    checkEpoch(h.epoch, groupId);
    if (h.secret.length !== EPOCH_SECRET_BYTES) fail(ProtocolErrorCode.BAD_KEY, 'an epoch secret is 32 bytes');
    if (h.epoch.number >= epoch.number) fail(ProtocolErrorCode.INVALID_FIELD, 'history holds only epochs before the one to join');
    if (i > 0 && compareEpochs(inv.history[i - 1]!.epoch, h.epoch) >= 0) fail(ProtocolErrorCode.NON_CANONICAL, 'history must be strictly ascending');
  }
  if (certificates.length > 0) {
    if (inv.checkpoint === null || inv.history.length > 0) fail(ProtocolErrorCode.INVALID_FIELD, 'certificates come only with a checkpoint and no history');
    if (certificates.length !== inv.checkpoint.members.length) fail(ProtocolErrorCode.INVALID_FIELD, 'one certificate for each checkpoint member');
    certificates.forEach((c, i) => {
      if (!bytesEqual(c.identityKey, inv.checkpoint!.members[i]!.identityKey)) fail(ProtocolErrorCode.INVALID_FIELD, 'certificate i is of checkpoint member i');
    });
  }
  if (!isWellFormedText(inv.name)) fail(ProtocolErrorCode.INVALID_FIELD, 'group name has a lone surrogate');
  const name = utf8Encode(inv.name);
  if (name.length < 1 || name.length > GROUP_NAME_MAX_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, `group name must be 1..${GROUP_NAME_MAX_BYTES} UTF-8 bytes`);
  if (inv.pubs.length > INVITE_PUBS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `at most ${INVITE_PUBS_MAX} pubs`);
  writePubList(new ByteWriter(), inv.pubs, INVITE_PUBS_MAX); // every address well formed, none twice
  if (options.development !== true && inv.pubs.some(isDevelopmentPubAddress)) {
    fail(ProtocolErrorCode.DEVELOPMENT_ONLY, 'a loopback pub is accepted only in development mode');
  }
  return groupId;
}

function checkEpoch(epoch: EpochNameLike, groupId: Uint8Array): void {
  if (!Number.isInteger(epoch.number) || epoch.number < 0 || epoch.number > 0xffff_ffff) fail(ProtocolErrorCode.INVALID_FIELD, 'an epoch number is a u32');
  if (epoch.opener.length !== 32 || isAllZero(epoch.opener)) fail(ProtocolErrorCode.INVALID_FIELD, 'an epoch opener is 32 bytes, not zero');
  if (epoch.number === 0 && !bytesEqual(epoch.opener, groupId)) fail(ProtocolErrorCode.INVALID_FIELD, "epoch 0's opener is the group id");
}

/** The signatures an invite holds: the genesis (with its founder certificate) and the checkpoint. */
function verifyInvite(inv: InviteInit): void {
  consumeGenesis(inv.genesis, inviteGroupId(inv));
  if (inv.checkpoint !== null && !verifyCheckpoint(inv.checkpoint)) fail(ProtocolErrorCode.UNAUTHENTIC, 'checkpoint signature does not verify');
  for (const c of inv.certificates ?? []) if (!verifyCertificate(c)) fail(ProtocolErrorCode.UNAUTHENTIC, 'a member certificate does not verify');
}

/** Builds an invite, checking it and its signatures (the development option as for decoding). */
export function createInvite(init: InviteInit, options: InviteOptions = {}): Invite {
  checkInvite(init, options);
  verifyInvite(init);
  const certificates = init.certificates ?? [];
  return {
    version: certificates.length > 0 ? INVITE_VERSION_CERTIFIED : INVITE_VERSION,
    inviteEntry: init.inviteEntry.slice(),
    genesis: init.genesis.slice(),
    checkpoint: init.checkpoint,
    current: { epoch: { number: init.current.epoch.number, opener: init.current.epoch.opener.slice() }, secret: init.current.secret.slice() },
    history: init.history.map((h) => ({ epoch: { number: h.epoch.number, opener: h.epoch.opener.slice() }, secret: h.secret.slice() })),
    certificates: certificates.slice(),
    name: init.name,
    pubs: init.pubs.slice(),
  };
}

function writeEpochSecret(w: ByteWriter, e: EpochSecret): void {
  w.u32(e.epoch.number).fixed(e.epoch.opener, 32).fixed(e.secret, EPOCH_SECRET_BYTES);
}

function readEpochSecret(r: ByteReader): EpochSecret {
  const number = r.u32('epoch number');
  const opener = r.fixed(32, 'epoch opener');
  return { epoch: { number, opener }, secret: r.fixed(EPOCH_SECRET_BYTES, 'epoch secret') };
}

/** The binary form of an invite, checksum included. */
export function encodeInviteBytes(invite: Invite, options: InviteOptions = {}): Uint8Array {
  const certified = invite.certificates.length > 0;
  if (invite.version !== (certified ? INVITE_VERSION_CERTIFIED : INVITE_VERSION)) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `invite version ${invite.version}`);
  checkInvite(invite, options);
  const w = new ByteWriter(1024);
  w.u8(invite.version).fixed(invite.inviteEntry, 32).bytes16(invite.genesis, INVITE_GENESIS_MAX_BYTES);
  if (invite.checkpoint === null) w.u8(0);
  else w.u8(1).raw(encodeCheckpoint(invite.checkpoint));
  writeEpochSecret(w, invite.current);
  w.u16(invite.history.length);
  for (const h of invite.history) writeEpochSecret(w, h);
  if (certified) {
    w.u16(invite.certificates.length);
    for (const c of invite.certificates) w.raw(encodeCertificate(c));
  }
  w.bytes8(utf8Encode(invite.name), GROUP_NAME_MAX_BYTES);
  writePubList(w, invite.pubs, INVITE_PUBS_MAX);
  const body = w.finish();
  return new ByteWriter(body.length + INVITE_CHECKSUM_BYTES).raw(body).raw(checksum(body)).finish();
}

/**
 * Decodes a binary invite: size, checksum, version, fields, canonical form, then the agreement of
 * genesis, checkpoint and epochs, then the development rule. Does NOT verify signatures (see
 * `consumeInviteBytes`).
 */
export function decodeInviteBytes(bytes: Uint8Array, options: InviteOptions = {}): Invite {
  if (bytes.length > INVITE_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, 'invite too long');
  if (bytes.length < 1 + INVITE_CHECKSUM_BYTES) fail(ProtocolErrorCode.TRUNCATED, 'invite too short');
  const body = bytes.subarray(0, bytes.length - INVITE_CHECKSUM_BYTES);
  if (!bytesEqual(checksum(body), bytes.subarray(body.length))) fail(ProtocolErrorCode.BAD_CHECKSUM, 'invite checksum does not match');
  const r = new ByteReader(body);
  const version = r.u8('invite version');
  if (version !== INVITE_VERSION && version !== INVITE_VERSION_CERTIFIED) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `invite version ${version}`);
  const inviteEntry = r.fixed(32, 'invite entry id');
  const genesis = r.bytes16(INVITE_GENESIS_MAX_BYTES, 'genesis');
  const flag = r.u8('checkpoint flag');
  if (flag > 1) fail(ProtocolErrorCode.INVALID_FIELD, 'the checkpoint flag is 0 or 1');
  const checkpoint = flag === 1 ? readCheckpoint(r) : null;
  const current = readEpochSecret(r);
  const count = r.u16('history count');
  if (count > INVITE_HISTORY_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `at most ${INVITE_HISTORY_MAX} earlier epochs`);
  if (r.remaining < count * EPOCH_WITH_SECRET_BYTES) fail(ProtocolErrorCode.TRUNCATED, 'invite ends inside its history');
  const history: EpochSecret[] = [];
  for (let i = 0; i < count; i++) history.push(readEpochSecret(r));
  const certificates: Certificate[] = [];
  if (version === INVITE_VERSION_CERTIFIED) {
    const n = r.u16('certificate count');
    if (n < 1 || n > GROUP_MEMBERS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `a version 3 invite carries 1..${GROUP_MEMBERS_MAX} certificates`);
    if (r.remaining < n * CERTIFICATE_BYTES) fail(ProtocolErrorCode.TRUNCATED, 'invite ends inside its certificates');
    for (let i = 0; i < n; i++) certificates.push(decodeCertificate(r.fixed(CERTIFICATE_BYTES, 'certificate')));
  }
  const nameBytes = r.bytes8(GROUP_NAME_MAX_BYTES, 'group name');
  if (nameBytes.length === 0) fail(ProtocolErrorCode.INVALID_FIELD, 'empty group name');
  const name = utf8Decode(nameBytes, 'group name');
  const pubs = readPubList(r, INVITE_PUBS_MAX);
  r.end('invite');
  const invite: Invite = { version, inviteEntry, genesis, checkpoint, current, history, certificates, name, pubs };
  checkInvite(invite, options);
  return invite;
}

/** The pasteable text form: "snug2" followed by lowercase base32 of the binary invite. */
export function encodeInvite(invite: Invite, options: InviteOptions = {}): string {
  return INVITE_TEXT_PREFIX + base32Encode(encodeInviteBytes(invite, options));
}

/** Decodes a binary invite and verifies its genesis and checkpoint (UNAUTHENTIC, INVALID_FIELD). */
export function consumeInviteBytes(bytes: Uint8Array, options: InviteOptions = {}): Invite {
  const invite = decodeInviteBytes(bytes, options);
  verifyInvite(invite);
  return invite;
}

/**
 * Parses the text form (structure and agreement, no signatures). Strict: no whitespace,
 * lowercase only (callers trim pasted text). Fails with MALFORMED, OVERSIZED, TRUNCATED,
 * NON_CANONICAL, BAD_CHECKSUM, UNSUPPORTED_VERSION, INVALID_FIELD, BAD_KEY or DEVELOPMENT_ONLY (a
 * loopback pub outside development mode).
 */
export function decodeInvite(text: string, options: InviteOptions = {}): Invite {
  if (text.length > INVITE_TEXT_MAX_CHARS) fail(ProtocolErrorCode.OVERSIZED, 'invite text too long');
  if (!text.startsWith(INVITE_TEXT_PREFIX)) fail(ProtocolErrorCode.MALFORMED, `an invite starts with "${INVITE_TEXT_PREFIX}"`);
  return decodeInviteBytes(base32Decode(text.slice(INVITE_TEXT_PREFIX.length)), options);
}

/**
 * What a joiner calls on a pasted invite: `decodeInvite`, then the genesis (a genesis entry whose
 * signature and founder certificate verify) and the checkpoint's signature (UNAUTHENTIC).
 */
export function consumeInvite(text: string, options: InviteOptions = {}): Invite {
  const invite = decodeInvite(text, options);
  verifyInvite(invite);
  return invite;
}

/**
 * Where the roster of a member joining with `invite` starts (docs/groups.md, "Roster from a
 * base"): for a version 3 invite, its checkpoint's members with their certificates, the epoch it
 * opens and the one it followed, and the invite's pubs; null for an invite that needs no base
 * (it carries history, or is of epoch 0: the joiner replays the log from the genesis).
 */
export function inviteRosterBase(invite: Invite): RosterBase | null {
  const cp = invite.checkpoint;
  if (cp === null || invite.certificates.length === 0) return null;
  return {
    epoch: invite.current.epoch,
    previous: cp.previous,
    members: cp.members.map((m, i) => ({ certificate: invite.certificates[i]!, role: m.role })),
    pubs: invite.pubs,
  };
}
