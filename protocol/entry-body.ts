/**
 * Entry bodies: the kind byte and body layout of every entry kind (docs/protocol.md, "Entry
 * kinds"), shared by group entries (protocol/entry.ts) and 1:1 entries (protocol/direct.ts).
 * Each kind's comment says who may author it; the codec checks only the layout, the log rules
 * (protocol/roster.ts and the daemon) check authorship.
 *
 * Texts are UTF-8 without an inner length (the body length bounds them): 1..TEXT_MAX_BYTES,
 * longer is ERR_TOO_LONG. Targets and invite references are entry ids [32]. Member keys are
 * identity keys [32] (ed25519, prime-order subgroup, else ERR_BAD_KEY).
 */
import { ByteReader, ByteWriter, compareBytes, isWellFormedText, utf8Decode, utf8Encode } from './bytes.js';
import { decodeCertificate, encodeCertificate, type Certificate } from './certificate.js';
import { ED25519_PUBLIC_KEY_BYTES, ed25519IsValidPublicKey } from './crypto.js';
import {
  CERTIFICATE_BYTES,
  GENESIS_ADMINS_MAX,
  GENESIS_SALT_BYTES,
  GROUP_NAME_MAX_BYTES,
  GROUP_PUBS_MAX,
  HASH_BYTES,
  INVITE_ID_BYTES,
  KEY_PACKAGE_MAX_BYTES,
  REACTION_MAX_BYTES,
  REMOVE_MEMBERS_MAX,
  TEXT_MAX_BYTES,
  TIMESTAMP_MAX_MS,
} from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { readPubList, writePubList } from './pub-address.js';

/** The kind byte of an entry; 0x00 and 0x0f..0xff are reserved and rejected (ERR_INVALID_FIELD). */
export const EntryKind = {
  /** The founder's first entry: the group's settings, admins and the founder's certificate. */
  GENESIS: 0x01,
  /** Any member. */
  TEXT: 0x02,
  /** Any member. */
  REPLY: 0x03,
  /** Any member; an empty reaction withdraws the author's earlier reaction to the target. */
  REACTION: 0x04,
  /** The author of the target entry (a text or reply), replacing its text. */
  EDIT: 0x05,
  /** The author of the target entry, deleting it for everyone. */
  DELETE: 0x06,
  /** An admin, or any member when the genesis says members may invite. */
  INVITE: 0x07,
  /** The joiner (not yet a member), citing an invite entry and carrying their certificate. */
  JOIN: 0x08,
  /** An admin: admits a member by certificate. */
  ADD: 0x09,
  /** An admin: removes members (possibly none: a plain re-key) and opens the next epoch. */
  REMOVE: 0x0a,
  /** A member, leaving. */
  LEAVE: 0x0b,
  /** An admin: makes a member an admin or an ordinary member. */
  ROLE: 0x0c,
  /** An admin: replaces the group's pub list. */
  PUBS: 0x0d,
  /** An admin: hides an entry for everyone. */
  HIDE: 0x0e,
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/** Roles in role-change entries (and roster checkpoints). */
export const MemberRole = { MEMBER: 0x00, ADMIN: 0x01 } as const;
export type MemberRoleName = 'member' | 'admin';

/** Flag bits. */
const GENESIS_FLAG_MEMBERS_MAY_INVITE = 0x01;
const INVITE_FLAG_INCLUDES_HISTORY = 0x01;

export interface GroupSettings {
  /** 1..128 UTF-8 bytes. */
  readonly name: string;
  /** Pub addresses ("<56>.onion" or the development "ws://127.0.0.1:PORT"), 0..16, distinct, in order of preference. */
  readonly pubs: readonly string[];
  /** Whether ordinary members may post invites. */
  readonly membersMayInvite: boolean;
}

export type EntryContent =
  | {
      readonly kind: 'genesis';
      /** 32 random bytes, so no two groups share an id. */
      readonly salt: Uint8Array;
      /** The founder's certificate: its signing key is the genesis entry's author. */
      readonly certificate: Certificate;
      readonly settings: GroupSettings;
      /** Identity keys of the admins, strictly ascending, 1..64, the founder's among them. */
      readonly admins: readonly Uint8Array[];
    }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'reply'; readonly target: Uint8Array; readonly text: string }
  | { readonly kind: 'reaction'; readonly target: Uint8Array; readonly reaction: string }
  | { readonly kind: 'edit'; readonly target: Uint8Array; readonly text: string }
  | { readonly kind: 'delete'; readonly target: Uint8Array }
  | {
      readonly kind: 'invite';
      /** 16 random bytes naming the invite. */
      readonly inviteId: Uint8Array;
      /** Whether a joiner gets the secrets of earlier epochs (the history). */
      readonly includesHistory: boolean;
      /** Expiry, ms since the Unix epoch; 0 = never. */
      readonly expires: number;
      /** How many joins the invite admits; 0 = any number. */
      readonly uses: number;
    }
  | { readonly kind: 'join'; readonly invite: Uint8Array; readonly certificate: Certificate }
  | { readonly kind: 'add'; readonly certificate: Certificate }
  | {
      readonly kind: 'remove';
      /** Identity keys of the removed members, strictly ascending, 0..64. */
      readonly removed: readonly Uint8Array[];
      /** The key package of the epoch this entry opens (protocol/key-package.ts), 1..KEY_PACKAGE_MAX_BYTES. */
      readonly keyPackage: Uint8Array;
    }
  | { readonly kind: 'leave' }
  | { readonly kind: 'role'; readonly member: Uint8Array; readonly role: MemberRoleName }
  | { readonly kind: 'pubs'; readonly pubs: readonly string[] }
  | { readonly kind: 'hide'; readonly target: Uint8Array };

export type EntryContentKind = EntryContent['kind'];

const KIND_BYTE: Record<EntryContentKind, EntryKind> = {
  genesis: EntryKind.GENESIS,
  text: EntryKind.TEXT,
  reply: EntryKind.REPLY,
  reaction: EntryKind.REACTION,
  edit: EntryKind.EDIT,
  delete: EntryKind.DELETE,
  invite: EntryKind.INVITE,
  join: EntryKind.JOIN,
  add: EntryKind.ADD,
  remove: EntryKind.REMOVE,
  leave: EntryKind.LEAVE,
  role: EntryKind.ROLE,
  pubs: EntryKind.PUBS,
  hide: EntryKind.HIDE,
};

/** The kind byte of a content kind. */
export function kindByte(kind: EntryContentKind): EntryKind {
  const b = KIND_BYTE[kind];
  if (b === undefined) fail(ProtocolErrorCode.INVALID_FIELD, 'unknown entry content kind');
  return b;
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function encodeText(text: string, min: number, max: number, what: string): Uint8Array {
  if (!isWellFormedText(text)) fail(ProtocolErrorCode.INVALID_FIELD, `${what} has a lone surrogate`);
  const bytes = utf8Encode(text);
  if (bytes.length > max) fail(ProtocolErrorCode.TOO_LONG, `${what} is longer than ${max} UTF-8 bytes`);
  if (bytes.length < min) fail(ProtocolErrorCode.INVALID_FIELD, `${what} must be at least ${min} UTF-8 bytes`);
  return bytes;
}

function decodeText(bytes: Uint8Array, min: number, max: number, what: string): string {
  if (bytes.length > max) fail(ProtocolErrorCode.TOO_LONG, `${what} is longer than ${max} bytes`);
  if (bytes.length < min) fail(ProtocolErrorCode.INVALID_FIELD, `${what} is shorter than ${min} bytes`);
  return utf8Decode(bytes, what);
}

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, `${what} must be ${HASH_BYTES} bytes`);
}

function checkMemberKey(key: Uint8Array, what: string): void {
  if (!ed25519IsValidPublicKey(key)) fail(ProtocolErrorCode.BAD_KEY, `${what} is not a usable ed25519 key`);
}

/** Strictly ascending (sorted, no duplicates) usable identity keys, min..max of them. */
function checkKeySet(keys: readonly Uint8Array[], min: number, max: number, what: string): void {
  if (keys.length < min || keys.length > max) fail(ProtocolErrorCode.INVALID_FIELD, `${what}: ${min}..${max} keys`);
  for (let i = 0; i < keys.length; i++) {
    if (keys[i]!.length !== ED25519_PUBLIC_KEY_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, `${what} key must be 32 bytes`);
    if (i > 0 && compareBytes(keys[i - 1]!, keys[i]!) >= 0) fail(ProtocolErrorCode.NON_CANONICAL, `${what} must be strictly ascending`);
  }
  for (const k of keys) checkMemberKey(k, what);
}

function checkTime(ms: number, what: string): void {
  if (!Number.isInteger(ms) || ms < 0 || ms > TIMESTAMP_MAX_MS) fail(ProtocolErrorCode.INVALID_FIELD, `${what} must be 0..${TIMESTAMP_MAX_MS}`);
}

function encodeName(name: string): Uint8Array {
  if (!isWellFormedText(name)) fail(ProtocolErrorCode.INVALID_FIELD, 'group name has a lone surrogate');
  const bytes = utf8Encode(name);
  if (bytes.length < 1 || bytes.length > GROUP_NAME_MAX_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, `group name must be 1..${GROUP_NAME_MAX_BYTES} UTF-8 bytes`);
  return bytes;
}

function founderIsAdmin(certificate: Certificate, admins: readonly Uint8Array[]): void {
  if (!admins.some((a) => compareBytes(a, certificate.identityKey) === 0)) fail(ProtocolErrorCode.INVALID_FIELD, 'the founder must be an admin');
}

/** Sorts identity keys into strictly ascending byte order, dropping duplicates (a helper for callers). */
export function sortKeys(keys: readonly Uint8Array[]): Uint8Array[] {
  const sorted = keys.map((k) => k.slice()).sort(compareBytes);
  return sorted.filter((k, i) => i === 0 || compareBytes(sorted[i - 1]!, k) !== 0);
}

/** Encodes an entry's content into its kind byte and body (checking every field). */
export function encodeEntryBody(content: EntryContent): { kind: EntryKind; body: Uint8Array } {
  const w = new ByteWriter(64);
  switch (content.kind) {
    case 'genesis': {
      if (content.salt.length !== GENESIS_SALT_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'genesis salt is 32 bytes');
      checkKeySet(content.admins, 1, GENESIS_ADMINS_MAX, 'admins');
      founderIsAdmin(content.certificate, content.admins);
      w.raw(content.salt).raw(encodeCertificate(content.certificate)).bytes8(encodeName(content.settings.name), GROUP_NAME_MAX_BYTES);
      writePubList(w, content.settings.pubs, GROUP_PUBS_MAX);
      w.u8(content.settings.membersMayInvite ? GENESIS_FLAG_MEMBERS_MAY_INVITE : 0).u8(content.admins.length);
      for (const a of content.admins) w.raw(a);
      break;
    }
    case 'text':
      return { kind: EntryKind.TEXT, body: encodeText(content.text, 1, TEXT_MAX_BYTES, 'text') };
    case 'reply':
      checkHash(content.target, 'reply target');
      w.raw(content.target).raw(encodeText(content.text, 1, TEXT_MAX_BYTES, 'reply text'));
      break;
    case 'reaction':
      checkHash(content.target, 'reaction target');
      w.raw(content.target).raw(encodeText(content.reaction, 0, REACTION_MAX_BYTES, 'reaction'));
      break;
    case 'edit':
      checkHash(content.target, 'edit target');
      w.raw(content.target).raw(encodeText(content.text, 1, TEXT_MAX_BYTES, 'edit text'));
      break;
    case 'delete':
    case 'hide':
      checkHash(content.target, `${content.kind} target`);
      w.raw(content.target);
      break;
    case 'invite':
      if (content.inviteId.length !== INVITE_ID_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'an invite id is 16 bytes');
      checkTime(content.expires, 'invite expiry');
      w.raw(content.inviteId).u8(content.includesHistory ? INVITE_FLAG_INCLUDES_HISTORY : 0).u64(content.expires).u32(content.uses);
      break;
    case 'join':
      checkHash(content.invite, 'join invite');
      w.raw(content.invite).raw(encodeCertificate(content.certificate));
      break;
    case 'add':
      w.raw(encodeCertificate(content.certificate));
      break;
    case 'remove':
      checkKeySet(content.removed, 0, REMOVE_MEMBERS_MAX, 'removed members');
      if (content.keyPackage.length < 1) fail(ProtocolErrorCode.INVALID_FIELD, 'a key package is not empty');
      if (content.keyPackage.length > KEY_PACKAGE_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a key package is at most ${KEY_PACKAGE_MAX_BYTES} bytes`);
      w.u8(content.removed.length);
      for (const m of content.removed) w.raw(m);
      w.bytes32(content.keyPackage, KEY_PACKAGE_MAX_BYTES);
      break;
    case 'leave':
      break;
    case 'role':
      checkMemberKey(content.member, 'role member');
      if (content.role !== 'member' && content.role !== 'admin') fail(ProtocolErrorCode.INVALID_FIELD, 'unknown role');
      w.raw(content.member).u8(content.role === 'admin' ? MemberRole.ADMIN : MemberRole.MEMBER);
      break;
    case 'pubs':
      writePubList(w, content.pubs, GROUP_PUBS_MAX);
      break;
    default:
      return fail(ProtocolErrorCode.INVALID_FIELD, 'unknown entry content kind');
  }
  return { kind: kindByte(content.kind), body: w.finish() };
}

/** Decodes and validates the body of an entry of kind `kind` (structure only, no signatures). */
export function decodeEntryBody(kind: number, body: Uint8Array): EntryContent {
  const r = new ByteReader(body);
  let content: EntryContent;
  switch (kind) {
    case EntryKind.GENESIS: {
      const salt = r.fixed(GENESIS_SALT_BYTES, 'genesis salt');
      const certificate = decodeCertificate(r.fixed(CERTIFICATE_BYTES, 'founder certificate'));
      const nameBytes = r.bytes8(GROUP_NAME_MAX_BYTES, 'group name');
      if (nameBytes.length === 0) fail(ProtocolErrorCode.INVALID_FIELD, 'empty group name');
      const name = utf8Decode(nameBytes, 'group name');
      const pubs = readPubList(r, GROUP_PUBS_MAX);
      const flags = r.u8('genesis flags');
      if ((flags & ~GENESIS_FLAG_MEMBERS_MAY_INVITE) !== 0) fail(ProtocolErrorCode.INVALID_FIELD, 'unknown genesis flags');
      const count = r.u8('admin count');
      if (count < 1 || count > GENESIS_ADMINS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `1..${GENESIS_ADMINS_MAX} admins`);
      const admins: Uint8Array[] = [];
      for (let i = 0; i < count; i++) admins.push(r.fixed(ED25519_PUBLIC_KEY_BYTES, 'admin'));
      r.end('genesis body');
      checkKeySet(admins, 1, GENESIS_ADMINS_MAX, 'admins');
      founderIsAdmin(certificate, admins);
      return { kind: 'genesis', salt, certificate, settings: { name, pubs, membersMayInvite: flags !== 0 }, admins };
    }
    case EntryKind.TEXT:
      return { kind: 'text', text: decodeText(body, 1, TEXT_MAX_BYTES, 'text') };
    case EntryKind.REPLY: {
      const target = r.fixed(HASH_BYTES, 'reply target');
      return { kind: 'reply', target, text: decodeText(r.rest(), 1, TEXT_MAX_BYTES, 'reply text') };
    }
    case EntryKind.REACTION: {
      const target = r.fixed(HASH_BYTES, 'reaction target');
      return { kind: 'reaction', target, reaction: decodeText(r.rest(), 0, REACTION_MAX_BYTES, 'reaction') };
    }
    case EntryKind.EDIT: {
      const target = r.fixed(HASH_BYTES, 'edit target');
      return { kind: 'edit', target, text: decodeText(r.rest(), 1, TEXT_MAX_BYTES, 'edit text') };
    }
    case EntryKind.DELETE:
      content = { kind: 'delete', target: r.fixed(HASH_BYTES, 'delete target') };
      break;
    case EntryKind.HIDE:
      content = { kind: 'hide', target: r.fixed(HASH_BYTES, 'hide target') };
      break;
    case EntryKind.INVITE: {
      const inviteId = r.fixed(INVITE_ID_BYTES, 'invite id');
      const flags = r.u8('invite flags');
      if ((flags & ~INVITE_FLAG_INCLUDES_HISTORY) !== 0) fail(ProtocolErrorCode.INVALID_FIELD, 'unknown invite flags');
      const expires = r.u64('invite expiry');
      checkTime(expires, 'invite expiry');
      content = { kind: 'invite', inviteId, includesHistory: flags !== 0, expires, uses: r.u32('invite uses') };
      break;
    }
    case EntryKind.JOIN: {
      const invite = r.fixed(HASH_BYTES, 'join invite');
      content = { kind: 'join', invite, certificate: decodeCertificate(r.fixed(CERTIFICATE_BYTES, 'joiner certificate')) };
      break;
    }
    case EntryKind.ADD:
      content = { kind: 'add', certificate: decodeCertificate(r.fixed(CERTIFICATE_BYTES, 'added certificate')) };
      break;
    case EntryKind.REMOVE: {
      const count = r.u8('removed count');
      if (count > REMOVE_MEMBERS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `at most ${REMOVE_MEMBERS_MAX} removed members`);
      const removed: Uint8Array[] = [];
      for (let i = 0; i < count; i++) removed.push(r.fixed(ED25519_PUBLIC_KEY_BYTES, 'removed member'));
      const keyPackage = r.bytes32(KEY_PACKAGE_MAX_BYTES, 'key package');
      if (keyPackage.length === 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a key package is not empty');
      r.end('remove body');
      checkKeySet(removed, 0, REMOVE_MEMBERS_MAX, 'removed members');
      return { kind: 'remove', removed, keyPackage };
    }
    case EntryKind.LEAVE:
      content = { kind: 'leave' };
      break;
    case EntryKind.ROLE: {
      const member = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'role member');
      const role = r.u8('role');
      if (role !== MemberRole.MEMBER && role !== MemberRole.ADMIN) fail(ProtocolErrorCode.INVALID_FIELD, `unknown role ${role}`);
      r.end('role body');
      checkMemberKey(member, 'role member');
      return { kind: 'role', member, role: role === MemberRole.ADMIN ? 'admin' : 'member' };
    }
    case EntryKind.PUBS:
      content = { kind: 'pubs', pubs: readPubList(r, GROUP_PUBS_MAX) };
      break;
    default:
      return fail(ProtocolErrorCode.INVALID_FIELD, `unknown entry kind ${kind}`);
  }
  r.end(`${content.kind} body`);
  return content;
}
