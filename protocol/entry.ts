/**
 * Entries: the signed, versioned unit of a group log (docs/protocol.md, "Entry").
 *
 *   version u8 (0x02) | kind u8 | epochNumber u32 | epochOpener [32] | author [32] | seq u64 |
 *   prev [32] | timestamp u64 | headCount u8 | heads [32 * headCount] | bodyLength u32 | body |
 *   signature [64]
 *
 * - The epoch (number, opener) names the key epoch the entry belongs to (protocol/group.ts).
 *   The genesis entry alone carries epoch (0, 32 zero bytes): it opens epoch 0, whose opener is
 *   its own id, which it cannot contain. Every other entry carries a non-zero opener.
 * - author is the profile signing key (ed25519); the certificate in the genesis or the author's
 *   join entry maps it to a member's identity.
 * - seq counts the author's entries in the group from 1, across epochs (it never restarts); prev
 *   is the id of the author's entry seq - 1 (32 zero bytes exactly when seq is 1). Two entries
 *   with one (author, seq) are equivocation, whatever their epochs.
 * - timestamp: ms since the Unix epoch, 0..8.64e15 (TIMESTAMP_MAX_MS, the range of a Date).
 * - heads are the ids of the latest entries the author had seen from others: strictly
 *   ascending byte order (so sorted and free of duplicates), at most ENTRY_HEADS_MAX.
 * - signature = ed25519(author, u8 13 || "snug/v2/entry" || epoch binding [32] || all bytes
 *   before the signature). The genesis entry is signed before its group exists, so without a
 *   binding and under its own label: ed25519(author, u8 15 || "snug/v2/genesis" || bytes).
 *   Its id is the group id, so it cannot be replayed as the genesis of any other group.
 * - id = BLAKE2b-256(key = "snug/v2/entry-id", the whole encoded signed entry).
 *
 * Decoding checks structure, canonical form and the keys in bodies; `consumeEntry` /
 * `consumeGenesis` (and `verifyEntry`) also check signatures and certificates.
 */
import { ByteReader, ByteWriter, bytesEqual, isAllZero } from './bytes.js';
import { verifyCertificate, type Certificate } from './certificate.js';
import {
  ED25519_SIGNATURE_BYTES,
  labelledHash,
  randomBytes,
  signLabelled,
  verifyLabelled,
  type Ed25519KeyPair,
} from './crypto.js';
import {
  ENTRY_BODY_MAX_BYTES,
  ENTRY_MAX_BYTES,
  ENTRY_VERSION,
  GENESIS_SALT_BYTES,
  HASH_BYTES,
  LABEL_ENTRY_ID,
  LABEL_ENTRY_SIGNATURE,
  LABEL_GENESIS_SIGNATURE,
} from './constants.js';
import { decodeEntryBody, encodeEntryBody, EntryKind, sortKeys, type EntryContent, type GroupSettings } from './entry-body.js';
import { checkChainedFields, readChainedFields, writeChainedFields } from './chain.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { checkEpochName, epochNameEqual, firstEpoch, nextEpoch, type EpochKeys, type EpochName } from './group.js';

export * from './entry-body.js';

/** What the author chooses when creating an entry (not a genesis). */
export interface EntryInit {
  /** Per-author sequence number in the group, from 1, never restarting. */
  readonly seq: number;
  /** Id of the author's previous entry; 32 zero bytes (or omitted) for seq 1. */
  readonly prev?: Uint8Array;
  /** Milliseconds since the Unix epoch, 0..TIMESTAMP_MAX_MS. */
  readonly timestamp: number;
  /** Ids of the latest entries seen from others, in any order; sorted and deduplicated here. */
  readonly heads?: readonly Uint8Array[];
  readonly content: EntryContent;
}

/** The fields of an entry that its signature covers (besides the version byte). */
export interface UnsignedEntry {
  /** For a genesis entry: (0, 32 zero bytes). */
  readonly epoch: EpochName;
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

/** The genesis content of an entry, narrowed. */
export type GenesisContent = Extract<EntryContent, { kind: 'genesis' }>;

const ZERO_HASH = new Uint8Array(HASH_BYTES);
/** The epoch field of a genesis entry. */
export const GENESIS_EPOCH_FIELD: EpochName = Object.freeze({ number: 0, opener: ZERO_HASH });

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, `${what} must be ${HASH_BYTES} bytes`);
}

/** Sorts heads into strictly ascending byte order, dropping duplicates. */
export function normalizeHeads(heads: readonly Uint8Array[]): Uint8Array[] {
  for (const h of heads) checkHash(h, 'head');
  return sortKeys(heads);
}

/**
 * The rules that tie fields together: a genesis is exactly an entry with epoch (0, zero), seq
 * 1 and no heads, authored by its certificate's signing key; a join is authored by the joiner's
 * certificate's signing key; every other entry names a proper epoch.
 */
function checkShape(fields: UnsignedEntry): void {
  if (fields.content.kind === 'genesis') {
    if (fields.epoch.number !== 0 || !isAllZero(fields.epoch.opener) || fields.epoch.opener.length !== HASH_BYTES) {
      fail(ProtocolErrorCode.INVALID_FIELD, 'a genesis entry carries epoch (0, zero)');
    }
    if (fields.seq !== 1) fail(ProtocolErrorCode.INVALID_FIELD, "a genesis entry is its author's first");
    if (fields.heads.length !== 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a genesis entry has no heads');
  } else {
    checkEpochName(fields.epoch);
  }
  if ((fields.content.kind === 'genesis' || fields.content.kind === 'join') && !bytesEqual(fields.author, fields.content.certificate.signingKey)) {
    fail(ProtocolErrorCode.INVALID_FIELD, `a ${fields.content.kind} entry is authored by its certificate's signing key`);
  }
}

/** The encoding of an entry without its signature: what (after the label and binding) is signed. */
function encodeUnsigned(fields: UnsignedEntry): Uint8Array {
  checkChainedFields(fields);
  checkShape(fields);
  const { kind, body } = encodeEntryBody(fields.content);
  if (body.length > ENTRY_BODY_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, 'entry body too long');
  const w = new ByteWriter(200 + body.length + fields.heads.length * HASH_BYTES);
  w.u8(ENTRY_VERSION).u8(kind).u32(fields.epoch.number).fixed(fields.epoch.opener, HASH_BYTES);
  writeChainedFields(w, fields, body);
  if (w.length + ED25519_SIGNATURE_BYTES > ENTRY_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `an entry is at most ${ENTRY_MAX_BYTES} bytes`);
  return w.finish();
}

/** The message signed (before the length-prefixed label): binding || unsigned bytes, or the bytes alone for a genesis. */
export function signedPayload(binding: Uint8Array | null, unsigned: Uint8Array): Uint8Array {
  if (binding === null) return unsigned;
  const out = new Uint8Array(binding.length + unsigned.length);
  out.set(binding, 0);
  out.set(unsigned, binding.length);
  return out;
}

/** Builds and signs an entry of `author` (a profile signing key pair) in the epoch of `keys`. */
export function createEntry(keys: EpochKeys, author: Ed25519KeyPair, init: EntryInit): Entry {
  if (init.content.kind === 'genesis') fail(ProtocolErrorCode.INVALID_FIELD, 'use createGenesis for a genesis entry');
  const fields: UnsignedEntry = {
    epoch: { number: keys.epoch.number, opener: keys.epoch.opener.slice() },
    author: author.publicKey.slice(),
    seq: init.seq,
    prev: (init.prev ?? ZERO_HASH).slice(),
    timestamp: init.timestamp,
    heads: normalizeHeads(init.heads ?? []),
    content: init.content,
  };
  const unsigned = encodeUnsigned(fields);
  const signature = signLabelled(LABEL_ENTRY_SIGNATURE, signedPayload(keys.binding, unsigned), author.secretKey);
  return { version: ENTRY_VERSION, ...fields, signature };
}

export interface GenesisInit {
  /** The founder's certificate; its signing key is `founder`'s public key. */
  readonly certificate: Certificate;
  readonly timestamp: number;
  readonly settings: GroupSettings;
  /** Identity keys of the admins (any order; sorted here); the founder is added if missing. */
  readonly admins?: readonly Uint8Array[];
  /** 32 bytes; random when omitted (fixed only for test vectors). */
  readonly salt?: Uint8Array;
}

/** A new group: its genesis entry and the group id (= the genesis entry's id). */
export interface Genesis {
  readonly entry: Entry;
  readonly encoding: Uint8Array;
  readonly groupId: Uint8Array;
  /** The name of the group's first epoch: (0, groupId). */
  readonly epoch: EpochName;
}

/** Builds and signs the genesis entry of a new group, founded by `founder` (profile signing key pair). */
export function createGenesis(founder: Ed25519KeyPair, init: GenesisInit): Genesis {
  const content: GenesisContent = {
    kind: 'genesis',
    salt: (init.salt ?? randomBytes(GENESIS_SALT_BYTES)).slice(),
    certificate: init.certificate,
    settings: { name: init.settings.name, pubs: [...init.settings.pubs], membersMayInvite: init.settings.membersMayInvite },
    admins: sortKeys([...(init.admins ?? []), init.certificate.identityKey]),
  };
  const fields: UnsignedEntry = {
    epoch: GENESIS_EPOCH_FIELD,
    author: founder.publicKey.slice(),
    seq: 1,
    prev: ZERO_HASH,
    timestamp: init.timestamp,
    heads: [],
    content,
  };
  const unsigned = encodeUnsigned(fields);
  const signature = signLabelled(LABEL_GENESIS_SIGNATURE, unsigned, founder.secretKey);
  const entry: Entry = { version: ENTRY_VERSION, ...fields, signature };
  const encoding = encodeEntry(entry);
  const groupId = entryId(encoding);
  return { entry, encoding, groupId, epoch: firstEpoch(groupId) };
}

/** The canonical encoding of a signed entry. */
export function encodeEntry(entry: Entry): Uint8Array {
  if (entry.version !== ENTRY_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `entry version ${entry.version}`);
  const unsigned = encodeUnsigned(entry);
  return new ByteWriter(unsigned.length + ED25519_SIGNATURE_BYTES).raw(unsigned).fixed(entry.signature, ED25519_SIGNATURE_BYTES).finish();
}

/**
 * Decodes an entry and checks it is canonical. Does NOT check the signature or certificates
 * (see `consumeEntry` / `consumeGenesis`). Fails only with ProtocolError.
 */
export function decodeEntry(bytes: Uint8Array): Entry {
  if (bytes.length > ENTRY_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `an entry is at most ${ENTRY_MAX_BYTES} bytes`);
  const r = new ByteReader(bytes);
  const version = r.u8('entry version');
  if (version !== ENTRY_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `entry version ${version}`);
  const kind = r.u8('entry kind');
  const epoch = { number: r.u32('epoch number'), opener: r.fixed(HASH_BYTES, 'epoch opener') };
  const { body, ...chained } = readChainedFields(r);
  const signature = r.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  r.end('entry');
  checkChainedFields(chained);
  const content = decodeEntryBody(kind, body);
  const fields: UnsignedEntry = { epoch, ...chained, content };
  checkShape(fields);
  // The author key is checked by signature verification (ed25519Verify rejects keys outside the
  // prime-order subgroup); a point check here would cost as much again.
  return { version, ...fields, signature };
}

function verifyCertificates(content: EntryContent): boolean {
  switch (content.kind) {
    case 'genesis':
    case 'join':
    case 'add':
      return verifyCertificate(content.certificate);
    default:
      return true;
  }
}

/**
 * True when `entry` (not a genesis) belongs to the epoch of `keys` and its signature (and the
 * certificate a join or add carries) verifies.
 */
export function verifyEntry(keys: EpochKeys, entry: Entry): boolean {
  if (entry.version !== ENTRY_VERSION || entry.content.kind === 'genesis') return false;
  if (!epochNameEqual(entry.epoch, keys.epoch)) return false;
  let unsigned: Uint8Array;
  try {
    unsigned = encodeUnsigned(entry);
  } catch {
    return false;
  }
  return verifyLabelled(LABEL_ENTRY_SIGNATURE, entry.signature, signedPayload(keys.binding, unsigned), entry.author) && verifyCertificates(entry.content);
}

/**
 * Decodes and verifies an entry (not a genesis) of the epoch of `keys`. An entry of another
 * epoch, a bad signature or a bad certificate is UNAUTHENTIC; a genesis is INVALID_FIELD.
 */
export function consumeEntry(keys: EpochKeys, bytes: Uint8Array): Entry {
  const entry = decodeEntry(bytes);
  if (entry.content.kind === 'genesis') fail(ProtocolErrorCode.INVALID_FIELD, 'a genesis entry is consumed with consumeGenesis');
  if (!epochNameEqual(entry.epoch, keys.epoch)) fail(ProtocolErrorCode.UNAUTHENTIC, 'entry of another epoch');
  // The signed part is the encoding minus the trailing signature, exactly as received.
  const unsigned = bytes.subarray(0, bytes.length - ED25519_SIGNATURE_BYTES);
  if (!verifyLabelled(LABEL_ENTRY_SIGNATURE, entry.signature, signedPayload(keys.binding, unsigned), entry.author)) {
    fail(ProtocolErrorCode.UNAUTHENTIC, 'entry signature does not verify');
  }
  if (!verifyCertificates(entry.content)) fail(ProtocolErrorCode.UNAUTHENTIC, 'certificate in entry does not verify');
  return entry;
}

/** True when `entry` is a genesis whose founder certificate and signature verify. */
export function verifyGenesis(entry: Entry): boolean {
  if (entry.version !== ENTRY_VERSION || entry.content.kind !== 'genesis') return false;
  let unsigned: Uint8Array;
  try {
    unsigned = encodeUnsigned(entry);
  } catch {
    return false;
  }
  return verifyLabelled(LABEL_GENESIS_SIGNATURE, entry.signature, unsigned, entry.author) && verifyCertificate(entry.content.certificate);
}

/**
 * Decodes and verifies a genesis entry; with `expectedGroupId`, checks that its id is that group
 * id (UNAUTHENTIC otherwise). Not a genesis: INVALID_FIELD.
 */
export function consumeGenesis(bytes: Uint8Array, expectedGroupId?: Uint8Array): Entry & { readonly content: GenesisContent } {
  const entry = decodeEntry(bytes);
  const content = entry.content;
  if (content.kind !== 'genesis') fail(ProtocolErrorCode.INVALID_FIELD, 'not a genesis entry');
  if (expectedGroupId !== undefined && !bytesEqual(entryId(bytes), expectedGroupId)) fail(ProtocolErrorCode.UNAUTHENTIC, 'genesis of another group');
  const unsigned = bytes.subarray(0, bytes.length - ED25519_SIGNATURE_BYTES);
  if (!verifyLabelled(LABEL_GENESIS_SIGNATURE, entry.signature, unsigned, entry.author)) fail(ProtocolErrorCode.UNAUTHENTIC, 'genesis signature does not verify');
  if (!verifyCertificate(content.certificate)) fail(ProtocolErrorCode.UNAUTHENTIC, 'founder certificate does not verify');
  return { ...entry, content };
}

/**
 * Any entry found in a blob of the epoch of `keys`: the genesis (only in epoch 0, and only the
 * group's own) or an entry of that epoch, verified.
 */
export function consumeGroupEntry(keys: EpochKeys, bytes: Uint8Array): Entry {
  if (bytes.length > 1 && bytes[1] === EntryKind.GENESIS) {
    if (keys.epoch.number !== 0) fail(ProtocolErrorCode.UNAUTHENTIC, 'a genesis entry belongs to epoch 0');
    return consumeGenesis(bytes, keys.groupId);
  }
  return consumeEntry(keys, bytes);
}

/** The id of an entry: BLAKE2b-256 keyed with "snug/v2/entry-id" over its encoding. */
export function entryId(entry: Entry | Uint8Array): Uint8Array {
  const encoded = entry instanceof Uint8Array ? entry : encodeEntry(entry);
  return labelledHash(LABEL_ENTRY_ID, [encoded]);
}

/**
 * The epoch a remove-and-re-key entry opens: (its epoch's number + 1, its id). INVALID_FIELD
 * for any other kind.
 */
export function epochOpenedBy(entry: Entry): EpochName {
  if (entry.content.kind !== 'remove') fail(ProtocolErrorCode.INVALID_FIELD, 'only a remove-and-re-key entry opens an epoch');
  return nextEpoch(entry.epoch, entryId(entry));
}

/**
 * True when `a` and `b` prove their author equivocated: same author, same seq, different
 * entries (ids differ), whatever their epochs. Both should have been verified first.
 */
export function isEquivocation(a: Entry, b: Entry): boolean {
  return a.seq === b.seq && bytesEqual(a.author, b.author) && !bytesEqual(encodeEntry(a), encodeEntry(b));
}
