/**
 * 1:1 (direct) entries: the chained entry layout of a group log, authenticated by a MAC both
 * sides can compute instead of a signature, so a conversation's log proves nothing to a third
 * party: either side could have made any entry of it (docs/protocol.md, "1:1 entries").
 *
 *   version u8 (0x01) | kind u8 | author [32] | seq u64 | prev [32] | timestamp u64 |
 *   headCount u8 | heads [32 * headCount] | bodyLength u32 | body | mac [32]
 *
 * - author is the identity key of the side that wrote it (one of the two), inside the MAC'd
 *   bytes; seq/prev chain each author's entries from 1; heads name the latest entries seen from
 *   the other side; timestamp 0..TIMESTAMP_MAX_MS. Kinds: text, reply, reaction, edit, delete.
 * - Keys, from the two profiles' certified X25519 keys (a, b sorted by identity key bytes):
 *     dh      = X25519(own secret, other's public)         (all zero: BAD_KEY)
 *     root    = BLAKE2b-256(key = dh, u8 14 || "snug/v2/direct" || idA || dhA || idB || dhB)
 *     macKey  = BLAKE2b-256(key = root, u8 22 || "snug/v2/direct-mac-key")
 *     blobKey = BLAKE2b-256(key = root, u8 23 || "snug/v2/direct-blob-key")
 *     id      = BLAKE2b-256(key = root, u8 17 || "snug/v2/direct-id")   (local name, never sent)
 * - mac = BLAKE2b-256(key = macKey, u8 20 || "snug/v2/direct-entry" || all bytes before it).
 * - entry id = BLAKE2b-256(key = "snug/v2/direct-entry-id", the whole encoding).
 */
import { ByteReader, ByteWriter, bytesEqual, compareBytes, toHex } from './bytes.js';
import { constantTimeEqual, deriveLabelled, ed25519IsValidPublicKey, labelledHash, wipe, x25519, type X25519KeyPair } from './crypto.js';
import {
  DIRECT_ENTRY_VERSION,
  ENTRY_MAX_BYTES,
  HASH_BYTES,
  LABEL_DIRECT_BLOB_KEY,
  LABEL_DIRECT_ENTRY_ID,
  LABEL_DIRECT_ENTRY_MAC,
  LABEL_DIRECT_ID,
  LABEL_DIRECT_MAC_KEY,
  LABEL_DIRECT_ROOT,
} from './constants.js';
import { decodeEntryBody, encodeEntryBody, sortKeys, type EntryContent } from './entry-body.js';
import { checkChainedFields, readChainedFields, writeChainedFields } from './chain.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { openBlob } from './blob.js';

/** Bytes of a direct entry's MAC. */
export const DIRECT_MAC_BYTES = 32;

/** The content kinds a direct entry may have. */
export type DirectContent = Extract<EntryContent, { kind: 'text' | 'reply' | 'reaction' | 'edit' | 'delete' }>;
const DIRECT_KINDS: ReadonlySet<string> = new Set(['text', 'reply', 'reaction', 'edit', 'delete']);

/** One side's certified public keys (from its certificate). */
export interface DirectParty {
  /** The identity (onion) key [32]. */
  readonly identityKey: Uint8Array;
  /** The profile X25519 key [32]. */
  readonly dhKey: Uint8Array;
}

export interface DirectKeys {
  /** The two identity keys, ascending. */
  readonly parties: readonly [Uint8Array, Uint8Array];
  readonly macKey: Uint8Array;
  readonly blobKey: Uint8Array;
  /** Local name of the conversation [32] (the same on both sides); never sent. */
  readonly conversationId: Uint8Array;
  readonly conversationIdHex: string;
}

export interface DirectEntryInit {
  readonly seq: number;
  readonly prev?: Uint8Array;
  readonly timestamp: number;
  readonly heads?: readonly Uint8Array[];
  readonly content: DirectContent;
}

export interface DirectEntry {
  readonly version: number;
  /** The identity key of the side that wrote it. */
  readonly author: Uint8Array;
  readonly seq: number;
  readonly prev: Uint8Array;
  readonly timestamp: number;
  readonly heads: readonly Uint8Array[];
  readonly content: DirectContent;
  readonly mac: Uint8Array;
}

const ZERO_HASH = new Uint8Array(HASH_BYTES);

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

/**
 * The keys of the conversation between `own` (its identity key and X25519 key pair) and
 * `other`. Both sides get the same keys. BAD_KEY for an unusable key or an all-zero DH result;
 * INVALID_FIELD when both sides have the same identity key.
 */
export function deriveDirectKeys(own: { readonly identityKey: Uint8Array; readonly dh: X25519KeyPair }, other: DirectParty): DirectKeys {
  for (const k of [own.identityKey, other.identityKey]) {
    if (!ed25519IsValidPublicKey(k)) fail(ProtocolErrorCode.BAD_KEY, 'not a usable identity key');
  }
  const order = compareBytes(own.identityKey, other.identityKey);
  if (order === 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a conversation has two different sides');
  const mine: DirectParty = { identityKey: own.identityKey, dhKey: own.dh.publicKey };
  const [a, b] = order < 0 ? [mine, other] : [other, mine];
  const dh = x25519(own.dh.secretKey, other.dhKey);
  const root = deriveLabelled(dh, LABEL_DIRECT_ROOT, [a.identityKey, a.dhKey, b.identityKey, b.dhKey]);
  wipe(dh);
  const conversationId = deriveLabelled(root, LABEL_DIRECT_ID, []);
  const keys: DirectKeys = {
    parties: [a.identityKey.slice(), b.identityKey.slice()],
    macKey: deriveLabelled(root, LABEL_DIRECT_MAC_KEY, []),
    blobKey: deriveLabelled(root, LABEL_DIRECT_BLOB_KEY, []),
    conversationId,
    conversationIdHex: toHex(conversationId),
  };
  wipe(root);
  return keys;
}

function checkFields(e: Omit<DirectEntry, 'version' | 'mac'>): void {
  checkChainedFields(e);
  if (!DIRECT_KINDS.has(e.content.kind)) fail(ProtocolErrorCode.INVALID_FIELD, `a direct entry cannot be a ${e.content.kind}`);
}

function encodeUnsigned(e: Omit<DirectEntry, 'version' | 'mac'>): Uint8Array {
  checkFields(e);
  const { kind, body } = encodeEntryBody(e.content);
  const w = new ByteWriter(160 + body.length + e.heads.length * HASH_BYTES);
  w.u8(DIRECT_ENTRY_VERSION).u8(kind);
  writeChainedFields(w, e, body);
  if (w.length + DIRECT_MAC_BYTES > ENTRY_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, 'direct entry too long');
  return w.finish();
}

function mac(keys: DirectKeys, unsigned: Uint8Array): Uint8Array {
  return deriveLabelled(keys.macKey, LABEL_DIRECT_ENTRY_MAC, [unsigned]);
}

function isParty(keys: DirectKeys, author: Uint8Array): boolean {
  return bytesEqual(author, keys.parties[0]) || bytesEqual(author, keys.parties[1]);
}

/** Builds and MACs a direct entry written by `author` (one of the two identity keys). */
export function createDirectEntry(keys: DirectKeys, author: Uint8Array, init: DirectEntryInit): DirectEntry {
  if (!isParty(keys, author)) fail(ProtocolErrorCode.INVALID_FIELD, 'the author is one of the two sides');
  const fields = {
    author: author.slice(),
    seq: init.seq,
    prev: (init.prev ?? ZERO_HASH).slice(),
    timestamp: init.timestamp,
    heads: sortKeys(init.heads ?? []),
    content: init.content,
  };
  return { version: DIRECT_ENTRY_VERSION, ...fields, mac: mac(keys, encodeUnsigned(fields)) };
}

export function encodeDirectEntry(entry: DirectEntry): Uint8Array {
  if (entry.version !== DIRECT_ENTRY_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `direct entry version ${entry.version}`);
  const unsigned = encodeUnsigned(entry);
  return new ByteWriter(unsigned.length + DIRECT_MAC_BYTES).raw(unsigned).fixed(entry.mac, DIRECT_MAC_BYTES).finish();
}

/** Decodes a direct entry, canonical form only (the MAC is checked by `consumeDirectEntry`). */
export function decodeDirectEntry(bytes: Uint8Array): DirectEntry {
  if (bytes.length > ENTRY_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, 'direct entry too long');
  const r = new ByteReader(bytes);
  const version = r.u8('direct entry version');
  if (version !== DIRECT_ENTRY_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `direct entry version ${version}`);
  const kind = r.u8('entry kind');
  const { body, ...chained } = readChainedFields(r);
  const tag = r.fixed(DIRECT_MAC_BYTES, 'mac');
  r.end('direct entry');
  const content = decodeEntryBody(kind, body);
  if (!DIRECT_KINDS.has(content.kind)) fail(ProtocolErrorCode.INVALID_FIELD, `a direct entry cannot be a ${content.kind}`);
  const fields = { ...chained, content: content as DirectContent };
  checkFields(fields);
  return { version, ...fields, mac: tag };
}

/** Decodes and authenticates a direct entry of the conversation of `keys` (UNAUTHENTIC otherwise). */
export function consumeDirectEntry(keys: DirectKeys, bytes: Uint8Array): DirectEntry {
  const entry = decodeDirectEntry(bytes);
  if (!isParty(keys, entry.author)) fail(ProtocolErrorCode.UNAUTHENTIC, 'direct entry by neither side');
  if (!constantTimeEqual(mac(keys, bytes.subarray(0, bytes.length - DIRECT_MAC_BYTES)), entry.mac)) {
    fail(ProtocolErrorCode.UNAUTHENTIC, 'direct entry MAC does not verify');
  }
  return entry;
}

/** The id of a direct entry: BLAKE2b-256 keyed with "snug/v2/direct-entry-id" over its encoding. */
export function directEntryId(entry: DirectEntry | Uint8Array): Uint8Array {
  return labelledHash(LABEL_DIRECT_ENTRY_ID, [entry instanceof Uint8Array ? entry : encodeDirectEntry(entry)]);
}

/** Opens a blob of the conversation and authenticates its entry; null when not this conversation's. */
export function consumeDirectBlob(keys: DirectKeys, blob: Uint8Array): DirectEntry | null {
  const encoded = openBlob(keys, blob);
  return encoded === null ? null : consumeDirectEntry(keys, encoded);
}
