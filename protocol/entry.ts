/**
 * Entries: the signed, versioned unit of a group log (docs/protocol.md, "Entry").
 *
 *   version u8 (0x01) | kind u8 | author [32] | seq u64 | prev [32] | timestamp u64 |
 *   headCount u8 | heads [32 * headCount] | bodyLength u32 | body | signature [64]
 *
 * - seq counts the author's entries from 1; prev is the id of the author's entry seq - 1
 *   (32 zero bytes exactly when seq is 1). seq and timestamp are u64 limited to 2^53 - 1.
 * - heads are the ids of the latest entries the author had seen from others: strictly
 *   ascending byte order (so sorted and free of duplicates), at most ENTRY_HEADS_MAX.
 * - signature = ed25519(author, "snug/v1/entry" || group binding || all bytes before it).
 * - id = BLAKE2b-256(key = "snug/v1/entry-id", the whole encoded signed entry).
 *
 * Decoding checks structure and canonical form only (not the author key or signature); `verifyEntry` / `consumeEntry` check the
 * signature against a group's keys.
 */
import { ByteReader, ByteWriter, bytesEqual, compareBytes, isAllZero, isWellFormedText, utf8Decode, utf8Encode } from './bytes.js';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  ed25519IsValidPublicKey,
  ed25519Sign,
  ed25519Verify,
  labelledHash,
  type Ed25519KeyPair,
} from './crypto.js';
import {
  ENTRY_BODY_MAX_BYTES,
  ENTRY_HEADS_MAX,
  ENTRY_MAX_BYTES,
  ENTRY_VERSION,
  HASH_BYTES,
  LABEL_ENTRY_ID,
  LABEL_ENTRY_SIGNATURE,
  REACTION_MAX_BYTES,
  TEXT_MAX_BYTES,
} from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import type { GroupKeys } from './group.js';

/** The kind byte of an entry; 0 and 6..255 are reserved and rejected. */
export const EntryKind = {
  /** body = UTF-8 text, 1..TEXT_MAX_BYTES bytes. */
  TEXT: 0x01,
  /** body = target entry id [32] || UTF-8 text, 1..TEXT_MAX_BYTES bytes. */
  REPLY: 0x02,
  /** body = target entry id [32] || UTF-8 reaction, 0..REACTION_MAX_BYTES bytes (empty withdraws). */
  REACTION: 0x03,
  /** body = target entry id [32] || UTF-8 replacement text, 0..TEXT_MAX_BYTES bytes (empty deletes). */
  EDIT: 0x04,
  /** body = op u8 (0x01 add, 0x02 remove) || member public key [32]. */
  MEMBERSHIP: 0x05,
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export const MembershipOp = { ADD: 0x01, REMOVE: 0x02 } as const;

export type EntryContent =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'reply'; readonly target: Uint8Array; readonly text: string }
  | { readonly kind: 'reaction'; readonly target: Uint8Array; readonly reaction: string }
  | { readonly kind: 'edit'; readonly target: Uint8Array; readonly text: string }
  | { readonly kind: 'membership'; readonly op: 'add' | 'remove'; readonly member: Uint8Array };

/** What the author chooses when creating an entry. */
export interface EntryInit {
  /** Per-author sequence number, from 1. */
  readonly seq: number;
  /** Id of the author's previous entry; 32 zero bytes (or omitted) for seq 1. */
  readonly prev?: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /** Ids of the latest entries seen from others, in any order; sorted and deduplicated here. */
  readonly heads?: readonly Uint8Array[];
  readonly content: EntryContent;
}

/** The fields of an entry that its signature covers (besides the version byte). */
export interface UnsignedEntry {
  readonly author: Uint8Array;
  readonly seq: number;
  readonly prev: Uint8Array;
  readonly timestamp: number;
  /** Strictly ascending, at most ENTRY_HEADS_MAX. */
  readonly heads: readonly Uint8Array[];
  readonly content: EntryContent;
}

/** A decoded (or created) entry. Its encoding is canonical: `encodeEntry` gives back the same bytes. */
export interface Entry extends UnsignedEntry {
  readonly version: number;
  readonly signature: Uint8Array;
}

const ZERO_HASH = new Uint8Array(HASH_BYTES);
const SIGNATURE_LABEL = new TextEncoder().encode(LABEL_ENTRY_SIGNATURE);

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function checkText(text: string, min: number, max: number, what: string): Uint8Array {
  if (!isWellFormedText(text)) fail(ProtocolErrorCode.INVALID_FIELD, `${what} has a lone surrogate`);
  const bytes = utf8Encode(text);
  if (bytes.length < min || bytes.length > max) fail(ProtocolErrorCode.INVALID_FIELD, `${what} must be ${min}..${max} UTF-8 bytes`);
  return bytes;
}

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, `${what} must be ${HASH_BYTES} bytes`);
}

/** Encodes an entry's content into its kind byte and body. */
export function encodeEntryBody(content: EntryContent): { kind: EntryKind; body: Uint8Array } {
  const w = new ByteWriter(64);
  switch (content.kind) {
    case 'text':
      return { kind: EntryKind.TEXT, body: checkText(content.text, 1, TEXT_MAX_BYTES, 'text') };
    case 'reply':
      checkHash(content.target, 'reply target');
      w.raw(content.target).raw(checkText(content.text, 1, TEXT_MAX_BYTES, 'reply text'));
      return { kind: EntryKind.REPLY, body: w.finish() };
    case 'reaction':
      checkHash(content.target, 'reaction target');
      w.raw(content.target).raw(checkText(content.reaction, 0, REACTION_MAX_BYTES, 'reaction'));
      return { kind: EntryKind.REACTION, body: w.finish() };
    case 'edit':
      checkHash(content.target, 'edit target');
      w.raw(content.target).raw(checkText(content.text, 0, TEXT_MAX_BYTES, 'edit text'));
      return { kind: EntryKind.EDIT, body: w.finish() };
    case 'membership':
      if (!ed25519IsValidPublicKey(content.member)) fail(ProtocolErrorCode.BAD_KEY, 'membership member is not a usable key');
      w.u8(content.op === 'add' ? MembershipOp.ADD : MembershipOp.REMOVE).raw(content.member);
      return { kind: EntryKind.MEMBERSHIP, body: w.finish() };
    default:
      return fail(ProtocolErrorCode.INVALID_FIELD, 'unknown entry content kind');
  }
}

function decodeText(bytes: Uint8Array, min: number, max: number, what: string): string {
  if (bytes.length < min) fail(ProtocolErrorCode.INVALID_FIELD, `${what} is shorter than ${min} bytes`);
  if (bytes.length > max) fail(ProtocolErrorCode.OVERSIZED, `${what} is longer than ${max} bytes`);
  return utf8Decode(bytes, what);
}

/** Decodes and validates the body of an entry of kind `kind`. */
export function decodeEntryBody(kind: number, body: Uint8Array): EntryContent {
  const r = new ByteReader(body);
  switch (kind) {
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
      return { kind: 'edit', target, text: decodeText(r.rest(), 0, TEXT_MAX_BYTES, 'edit text') };
    }
    case EntryKind.MEMBERSHIP: {
      const op = r.u8('membership op');
      if (op !== MembershipOp.ADD && op !== MembershipOp.REMOVE) fail(ProtocolErrorCode.INVALID_FIELD, 'unknown membership op');
      const member = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'membership member');
      r.end('membership body');
      if (!ed25519IsValidPublicKey(member)) fail(ProtocolErrorCode.BAD_KEY, 'membership member is not a usable key');
      return { kind: 'membership', op: op === MembershipOp.ADD ? 'add' : 'remove', member };
    }
    default:
      return fail(ProtocolErrorCode.INVALID_FIELD, `unknown entry kind ${kind}`);
  }
}

/** Sorts heads into strictly ascending byte order, dropping duplicates. */
export function normalizeHeads(heads: readonly Uint8Array[]): Uint8Array[] {
  const sorted = heads.map((h) => {
    checkHash(h, 'head');
    return h.slice();
  });
  sorted.sort(compareBytes);
  return sorted.filter((h, i) => i === 0 || compareBytes(sorted[i - 1]!, h) !== 0);
}

function checkChain(seq: number, prev: Uint8Array): void {
  if (!Number.isSafeInteger(seq) || seq < 1) fail(ProtocolErrorCode.INVALID_FIELD, 'seq must be an integer in 1..2^53-1');
  checkHash(prev, 'prev');
  if ((seq === 1) !== isAllZero(prev)) {
    fail(ProtocolErrorCode.INVALID_FIELD, 'prev must be 32 zero bytes exactly when seq is 1');
  }
}

function checkHeads(heads: readonly Uint8Array[]): void {
  if (heads.length > ENTRY_HEADS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `at most ${ENTRY_HEADS_MAX} heads`);
  for (let i = 0; i < heads.length; i++) {
    checkHash(heads[i]!, 'head');
    if (i > 0 && compareBytes(heads[i - 1]!, heads[i]!) >= 0) {
      fail(ProtocolErrorCode.NON_CANONICAL, 'heads must be strictly ascending');
    }
  }
}

/** The encoding of an entry without its signature: what (after the prefix) is signed. */
function encodeUnsigned(fields: UnsignedEntry): ByteWriter {
  if (fields.author.length !== ED25519_PUBLIC_KEY_BYTES) fail(ProtocolErrorCode.BAD_KEY, 'author must be 32 bytes');
  checkChain(fields.seq, fields.prev);
  checkHeads(fields.heads);
  const { kind, body } = encodeEntryBody(fields.content);
  const w = new ByteWriter(200 + body.length + fields.heads.length * HASH_BYTES);
  w.u8(ENTRY_VERSION).u8(kind).fixed(fields.author, ED25519_PUBLIC_KEY_BYTES).u64(fields.seq);
  w.fixed(fields.prev, HASH_BYTES).u64(fields.timestamp).u8(fields.heads.length);
  for (const h of fields.heads) w.fixed(h, HASH_BYTES);
  w.bytes32(body, ENTRY_BODY_MAX_BYTES);
  return w;
}

function signingInput(keys: GroupKeys, unsigned: Uint8Array): Uint8Array {
  const msg = new Uint8Array(SIGNATURE_LABEL.length + keys.binding.length + unsigned.length);
  msg.set(SIGNATURE_LABEL, 0);
  msg.set(keys.binding, SIGNATURE_LABEL.length);
  msg.set(unsigned, SIGNATURE_LABEL.length + keys.binding.length);
  return msg;
}

/** Builds and signs an entry of `author` in the group of `keys`. */
export function createEntry(keys: GroupKeys, author: Ed25519KeyPair, init: EntryInit): Entry {
  const fields: UnsignedEntry = {
    author: author.publicKey.slice(),
    seq: init.seq,
    prev: (init.prev ?? ZERO_HASH).slice(),
    timestamp: init.timestamp,
    heads: normalizeHeads(init.heads ?? []),
    content: init.content,
  };
  const unsigned = encodeUnsigned(fields).finish();
  const signature = ed25519Sign(signingInput(keys, unsigned), author.secretKey);
  return { version: ENTRY_VERSION, ...fields, signature };
}

/** The canonical encoding of a signed entry. */
export function encodeEntry(entry: Entry): Uint8Array {
  if (entry.version !== ENTRY_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `entry version ${entry.version}`);
  const w = encodeUnsigned(entry);
  w.fixed(entry.signature, ED25519_SIGNATURE_BYTES);
  if (w.length > ENTRY_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `an entry is at most ${ENTRY_MAX_BYTES} bytes`);
  return w.finish();
}

/**
 * Decodes an entry and checks it is canonical. Does NOT check the signature (see
 * `verifyEntry` / `consumeEntry`). Fails only with ProtocolError.
 */
export function decodeEntry(bytes: Uint8Array): Entry {
  if (bytes.length > ENTRY_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `an entry is at most ${ENTRY_MAX_BYTES} bytes`);
  const r = new ByteReader(bytes);
  const version = r.u8('entry version');
  if (version !== ENTRY_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `entry version ${version}`);
  const kind = r.u8('entry kind');
  const author = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'author');
  const seq = r.u64('seq');
  const prev = r.fixed(HASH_BYTES, 'prev');
  const timestamp = r.u64('timestamp');
  const headCount = r.u8('head count');
  if (headCount > ENTRY_HEADS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `at most ${ENTRY_HEADS_MAX} heads`);
  const heads: Uint8Array[] = [];
  for (let i = 0; i < headCount; i++) heads.push(r.fixed(HASH_BYTES, 'head'));
  const body = r.bytes32(ENTRY_BODY_MAX_BYTES, 'body');
  const signature = r.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  r.end('entry');
  checkChain(seq, prev);
  checkHeads(heads);
  const content = decodeEntryBody(kind, body);
  // The author key is checked by signature verification (libsodium rejects small-order and
  // non-canonical keys there); a point check here would cost as much as the verification.
  return { version, author, seq, prev, timestamp, heads, content, signature };
}

/** True when the entry's signature is valid for its author in the group of `keys`. */
export function verifyEntry(keys: GroupKeys, entry: Entry): boolean {
  if (entry.version !== ENTRY_VERSION) return false;
  let unsigned: Uint8Array;
  try {
    unsigned = encodeUnsigned(entry).finish();
  } catch {
    return false;
  }
  return ed25519Verify(entry.signature, signingInput(keys, unsigned), entry.author);
}

/** Decodes and verifies an entry of the group of `keys`; a bad signature is UNAUTHENTIC. */
export function consumeEntry(keys: GroupKeys, bytes: Uint8Array): Entry {
  const entry = decodeEntry(bytes);
  // The signed part is the encoding minus the trailing signature, exactly as received.
  const unsigned = bytes.subarray(0, bytes.length - ED25519_SIGNATURE_BYTES);
  if (!ed25519Verify(entry.signature, signingInput(keys, unsigned), entry.author)) {
    fail(ProtocolErrorCode.UNAUTHENTIC, 'entry signature does not verify');
  }
  return entry;
}

/** The id of an entry: BLAKE2b-256 keyed with "snug/v1/entry-id" over its encoding. */
export function entryId(entry: Entry | Uint8Array): Uint8Array {
  const encoded = entry instanceof Uint8Array ? entry : encodeEntry(entry);
  return labelledHash(LABEL_ENTRY_ID, [encoded]);
}

/**
 * True when `a` and `b` prove their author equivocated: same author, same seq, different
 * entries (ids differ). Both should have been verified first.
 */
export function isEquivocation(a: Entry, b: Entry): boolean {
  return a.seq === b.seq && bytesEqual(a.author, b.author) && !bytesEqual(encodeEntry(a), encodeEntry(b));
}
