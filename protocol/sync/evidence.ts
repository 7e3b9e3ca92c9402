/**
 * Tamper evidence (docs/protocol.md, "Tamper evidence"): the versioned records a member keeps,
 * shows and passes to the other members when an author, a member or a pub broke the log's rules.
 *
 *   evidence = version u8 (0x01) | kind u8 | groupId [32] | body
 *
 *   kind 0x01 equivocation  u32 len | entry A | u32 len | entry B
 *       two entries of one author with one seq and different ids, whatever their epochs;
 *       canonical order: id(A) < id(B) (byte order)
 *   kind 0x02 broken-chain  u32 len | earlier | u32 len | later
 *       one author's entries at seq s - 1 and s where later.prev is not id(earlier)
 *   kind 0x03 foreign-entry epochNumber u32 | epochOpener [32] | u32 len | blob
 *       a blob that opens under that epoch's blob key of this group but whose content is not an
 *       entry of that epoch of this group (another group's, another epoch's, or forged)
 *   kind 0x04 pub-order     u8 len | pub address (ASCII, 1..255) | u8 fault |
 *                           cursor1 u64 | blobHash1 [32] | cursor2 u64 | blobHash2 [32]
 *       what one subscription of the observer saw from a pub, in that order: fault 0x01
 *       "regressed" (cursor2 <= cursor1: served out of its own cursor order), 0x02 "repeated"
 *       (one blob at two cursors, although a pub dedupes identical blobs)
 *
 * Entries are their canonical encodings (protocol/entry.ts), each at most ENTRY_MAX_BYTES.
 * Decoding checks structure and the relations any reader can check without keys (same author,
 * same seq, ids differ; seqs consecutive and prev differs; cursor rules). `verifyEvidence` checks
 * what the group's keys show: both entries' signatures, or that the blob opens and its content is
 * not of that epoch. Pure: no I/O.
 */
import { ByteReader, ByteWriter, bytesEqual, compareBytes, toHex, utf8Decode, utf8Encode } from '../bytes.js';
import { openBlob, checkBlobShape } from '../blob.js';
import { BLOB_SIZE_MAX, ENTRY_MAX_BYTES, HASH_BYTES } from '../constants.js';
import { consumeEntry, consumeGenesis, decodeEntry, entryId, type Entry } from '../entry.js';
import { ProtocolError, ProtocolErrorCode, isProtocolError } from '../errors.js';
import { checkEpochName, epochNameEqual, type EpochKeys, type EpochName } from '../group.js';

export const EVIDENCE_VERSION = 0x01;
export const EvidenceKind = { EQUIVOCATION: 0x01, BROKEN_CHAIN: 0x02, FOREIGN_ENTRY: 0x03, PUB_ORDER: 0x04 } as const;
export const PubOrderFault = { REGRESSED: 0x01, REPEATED: 0x02 } as const;
export type PubOrderFaultName = 'regressed' | 'repeated';
const PUB_ADDRESS_MAX = 255;
const U64_BIG_MAX = (1n << 64n) - 1n;
/** The largest evidence: two of the largest entries. */
export const EVIDENCE_MAX_BYTES = 1 + 1 + HASH_BYTES + 2 * (4 + ENTRY_MAX_BYTES);

export interface EquivocationEvidence {
  readonly kind: 'equivocation';
  readonly groupId: Uint8Array;
  /** Encoded entries, id(a) < id(b). */
  readonly a: Uint8Array;
  readonly b: Uint8Array;
}
export interface BrokenChainEvidence {
  readonly kind: 'broken-chain';
  readonly groupId: Uint8Array;
  readonly earlier: Uint8Array;
  readonly later: Uint8Array;
}
export interface ForeignEntryEvidence {
  readonly kind: 'foreign-entry';
  readonly groupId: Uint8Array;
  readonly epoch: EpochName;
  readonly blob: Uint8Array;
}
export interface PubOrderEvidence {
  readonly kind: 'pub-order';
  readonly groupId: Uint8Array;
  readonly pub: string;
  readonly fault: PubOrderFaultName;
  readonly first: { readonly cursor: bigint; readonly blobHash: Uint8Array };
  readonly second: { readonly cursor: bigint; readonly blobHash: Uint8Array };
}
export type Evidence = EquivocationEvidence | BrokenChainEvidence | ForeignEntryEvidence | PubOrderEvidence;

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function checkGroupId(groupId: Uint8Array): void {
  if (!(groupId instanceof Uint8Array) || groupId.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a group id is 32 bytes');
}

function pair(aBytes: Uint8Array, bBytes: Uint8Array): { a: Entry; b: Entry } {
  return { a: decodeEntry(aBytes), b: decodeEntry(bBytes) };
}

/** Checks the key-free relations of evidence (INVALID_FIELD / NON_CANONICAL when they fail). */
function checkRelations(ev: Evidence): void {
  checkGroupId(ev.groupId);
  switch (ev.kind) {
    case 'equivocation': {
      const { a, b } = pair(ev.a, ev.b);
      if (!bytesEqual(a.author, b.author) || a.seq !== b.seq) fail(ProtocolErrorCode.INVALID_FIELD, 'equivocation is two entries of one author with one seq');
      const c = compareBytes(entryId(ev.a), entryId(ev.b));
      if (c === 0) fail(ProtocolErrorCode.INVALID_FIELD, 'equivocation is two different entries');
      if (c > 0) fail(ProtocolErrorCode.NON_CANONICAL, 'equivocation entries are in ascending id order');
      return;
    }
    case 'broken-chain': {
      const { a: earlier, b: later } = pair(ev.earlier, ev.later);
      if (!bytesEqual(earlier.author, later.author) || later.seq !== earlier.seq + 1) {
        fail(ProtocolErrorCode.INVALID_FIELD, 'a broken chain is one author\'s entries at seq s - 1 and s');
      }
      if (bytesEqual(later.prev, entryId(ev.earlier))) fail(ProtocolErrorCode.INVALID_FIELD, 'the later entry does name the earlier as its prev');
      return;
    }
    case 'foreign-entry':
      checkEpochName(ev.epoch);
      checkBlobShape(ev.blob);
      return;
    case 'pub-order': {
      const bytes = utf8Encode(ev.pub);
      if (bytes.length < 1 || bytes.length > PUB_ADDRESS_MAX || !/^[\x21-\x7e]+$/.test(ev.pub)) fail(ProtocolErrorCode.INVALID_FIELD, 'a pub address is 1..255 printable ASCII');
      for (const s of [ev.first, ev.second]) {
        if (typeof s.cursor !== 'bigint' || s.cursor < 0n || s.cursor > U64_BIG_MAX) fail(ProtocolErrorCode.INVALID_FIELD, 'a cursor is a u64');
        if (!(s.blobHash instanceof Uint8Array) || s.blobHash.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a blob hash is 32 bytes');
      }
      if (ev.fault === 'regressed') {
        if (ev.second.cursor > ev.first.cursor) fail(ProtocolErrorCode.INVALID_FIELD, 'regressed: the second cursor is not above the first');
      } else if (ev.fault === 'repeated') {
        if (!bytesEqual(ev.first.blobHash, ev.second.blobHash) || ev.first.cursor === ev.second.cursor) {
          fail(ProtocolErrorCode.INVALID_FIELD, 'repeated: one blob at two cursors');
        }
      } else {
        fail(ProtocolErrorCode.INVALID_FIELD, 'unknown pub-order fault');
      }
      return;
    }
    default:
      fail(ProtocolErrorCode.INVALID_FIELD, 'unknown evidence kind');
  }
}

/** Equivocation evidence from two encoded entries in either order. */
export function createEquivocationEvidence(groupId: Uint8Array, x: Uint8Array, y: Uint8Array): EquivocationEvidence {
  const [a, b] = compareBytes(entryId(x), entryId(y)) <= 0 ? [x, y] : [y, x];
  const ev: EquivocationEvidence = { kind: 'equivocation', groupId: groupId.slice(), a: a.slice(), b: b.slice() };
  checkRelations(ev);
  return ev;
}

export function createBrokenChainEvidence(groupId: Uint8Array, earlier: Uint8Array, later: Uint8Array): BrokenChainEvidence {
  const ev: BrokenChainEvidence = { kind: 'broken-chain', groupId: groupId.slice(), earlier: earlier.slice(), later: later.slice() };
  checkRelations(ev);
  return ev;
}

export function createForeignEntryEvidence(groupId: Uint8Array, epoch: EpochName, blob: Uint8Array): ForeignEntryEvidence {
  const ev: ForeignEntryEvidence = { kind: 'foreign-entry', groupId: groupId.slice(), epoch: { number: epoch.number, opener: epoch.opener.slice() }, blob: blob.slice() };
  checkRelations(ev);
  return ev;
}

export function createPubOrderEvidence(init: Omit<PubOrderEvidence, 'kind'>): PubOrderEvidence {
  const ev: PubOrderEvidence = { kind: 'pub-order', ...init };
  checkRelations(ev);
  return ev;
}

export function encodeEvidence(ev: Evidence): Uint8Array {
  checkRelations(ev);
  const w = new ByteWriter(256);
  w.u8(EVIDENCE_VERSION);
  switch (ev.kind) {
    case 'equivocation':
      w.u8(EvidenceKind.EQUIVOCATION).fixed(ev.groupId, HASH_BYTES).bytes32(ev.a, ENTRY_MAX_BYTES).bytes32(ev.b, ENTRY_MAX_BYTES);
      break;
    case 'broken-chain':
      w.u8(EvidenceKind.BROKEN_CHAIN).fixed(ev.groupId, HASH_BYTES).bytes32(ev.earlier, ENTRY_MAX_BYTES).bytes32(ev.later, ENTRY_MAX_BYTES);
      break;
    case 'foreign-entry':
      w.u8(EvidenceKind.FOREIGN_ENTRY).fixed(ev.groupId, HASH_BYTES).u32(ev.epoch.number).fixed(ev.epoch.opener, HASH_BYTES).bytes32(ev.blob, BLOB_SIZE_MAX);
      break;
    case 'pub-order':
      w.u8(EvidenceKind.PUB_ORDER).fixed(ev.groupId, HASH_BYTES).bytes8(utf8Encode(ev.pub), PUB_ADDRESS_MAX);
      w.u8(ev.fault === 'regressed' ? PubOrderFault.REGRESSED : PubOrderFault.REPEATED);
      w.u64Big(ev.first.cursor).fixed(ev.first.blobHash, HASH_BYTES).u64Big(ev.second.cursor).fixed(ev.second.blobHash, HASH_BYTES);
      break;
  }
  return w.finish();
}

/** Decodes evidence and checks its key-free relations. Fails only with ProtocolError. */
export function decodeEvidence(bytes: Uint8Array): Evidence {
  if (bytes.length > EVIDENCE_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `evidence is at most ${EVIDENCE_MAX_BYTES} bytes`);
  const r = new ByteReader(bytes);
  const version = r.u8('evidence version');
  if (version !== EVIDENCE_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `evidence version ${version}`);
  const kind = r.u8('evidence kind');
  const groupId = r.fixed(HASH_BYTES, 'group id');
  let ev: Evidence;
  switch (kind) {
    case EvidenceKind.EQUIVOCATION:
      ev = { kind: 'equivocation', groupId, a: r.bytes32(ENTRY_MAX_BYTES, 'entry'), b: r.bytes32(ENTRY_MAX_BYTES, 'entry') };
      break;
    case EvidenceKind.BROKEN_CHAIN:
      ev = { kind: 'broken-chain', groupId, earlier: r.bytes32(ENTRY_MAX_BYTES, 'entry'), later: r.bytes32(ENTRY_MAX_BYTES, 'entry') };
      break;
    case EvidenceKind.FOREIGN_ENTRY: {
      const epoch = { number: r.u32('epoch number'), opener: r.fixed(HASH_BYTES, 'epoch opener') };
      ev = { kind: 'foreign-entry', groupId, epoch, blob: r.bytes32(BLOB_SIZE_MAX, 'blob') };
      break;
    }
    case EvidenceKind.PUB_ORDER: {
      const pub = utf8Decode(r.bytes8(PUB_ADDRESS_MAX, 'pub address'), 'pub address');
      const f = r.u8('fault');
      if (f !== PubOrderFault.REGRESSED && f !== PubOrderFault.REPEATED) fail(ProtocolErrorCode.INVALID_FIELD, `unknown pub-order fault ${f}`);
      const first = { cursor: r.u64Big('cursor'), blobHash: r.fixed(HASH_BYTES, 'blob hash') };
      const second = { cursor: r.u64Big('cursor'), blobHash: r.fixed(HASH_BYTES, 'blob hash') };
      ev = { kind: 'pub-order', groupId, pub, fault: f === PubOrderFault.REGRESSED ? 'regressed' : 'repeated', first, second };
      break;
    }
    default:
      fail(ProtocolErrorCode.INVALID_FIELD, `unknown evidence kind ${kind}`);
  }
  r.end('evidence');
  checkRelations(ev);
  return ev;
}

/** Whom the evidence is about: an author and seq (entries), an epoch (a blob) or a pub. */
export type EvidenceSubject =
  | { readonly kind: 'author'; readonly author: Uint8Array; readonly seq: number }
  | { readonly kind: 'epoch'; readonly epoch: EpochName }
  | { readonly kind: 'pub'; readonly pub: string };

export function evidenceSubject(ev: Evidence): EvidenceSubject {
  switch (ev.kind) {
    case 'equivocation': {
      const a = decodeEntry(ev.a);
      return { kind: 'author', author: a.author, seq: a.seq };
    }
    case 'broken-chain': {
      const later = decodeEntry(ev.later);
      return { kind: 'author', author: later.author, seq: later.seq - 1 };
    }
    case 'foreign-entry':
      return { kind: 'epoch', epoch: ev.epoch };
    case 'pub-order':
      return { kind: 'pub', pub: ev.pub };
  }
}

/**
 * A key under which one fact is kept once: one record per (author, seq) for equivocation and
 * broken chains (the first pair found is kept; later pairs prove nothing more), one per blob for
 * foreign entries, one per (pub, fault, cursors) for pub order.
 */
export function evidenceKey(ev: Evidence): string {
  const g = toHex(ev.groupId);
  switch (ev.kind) {
    case 'equivocation':
    case 'broken-chain': {
      const s = evidenceSubject(ev) as { author: Uint8Array; seq: number };
      return `${g}:fork:${toHex(s.author)}:${s.seq}`;
    }
    case 'foreign-entry':
      return `${g}:foreign:${toHex(ev.blob.subarray(0, 25))}`;
    case 'pub-order':
      return `${g}:pub:${ev.pub}:${ev.fault}:${ev.first.cursor}:${ev.second.cursor}`;
  }
}

export type EvidenceCheck =
  /** The group's keys confirm what the evidence claims (pub-order: nothing to confirm). */
  | { readonly verified: true; readonly subject: EvidenceSubject; readonly provable: boolean }
  /** I lack the keys of an epoch it names, so I cannot check it (yet). */
  | { readonly verified: false; readonly missingEpoch: EpochName };

/** Finds the keys of an epoch of the evidence's group, or null when I do not hold them. */
export type EpochKeysLookup = (epoch: EpochName) => EpochKeys | null;

function verifyEntryBytes(groupId: Uint8Array, bytes: Uint8Array, keysOf: EpochKeysLookup): EpochName | null {
  const entry = decodeEntry(bytes);
  if (entry.content.kind === 'genesis') {
    consumeGenesis(bytes, groupId);
    return null;
  }
  const keys = keysOf(entry.epoch);
  if (keys === null || !bytesEqual(keys.groupId, groupId)) return entry.epoch;
  consumeEntry(keys, bytes);
  return null;
}

/**
 * Checks evidence against the group's keys: equivocation and broken chains need both entries'
 * signatures to verify (UNAUTHENTIC otherwise); a foreign entry needs the blob to open under the
 * epoch's blob key (UNAUTHENTIC otherwise) and its content not to be an entry of that epoch of
 * this group (INVALID_FIELD when it is one: nothing foreign about it). Pub-order evidence is an
 * observation no key can confirm: it is `verified` with `provable: false`.
 */
export function verifyEvidence(ev: Evidence, keysOf: EpochKeysLookup): EvidenceCheck {
  checkRelations(ev);
  switch (ev.kind) {
    case 'equivocation':
    case 'broken-chain': {
      const [x, y] = ev.kind === 'equivocation' ? [ev.a, ev.b] : [ev.earlier, ev.later];
      for (const bytes of [x, y]) {
        const missing = verifyEntryBytes(ev.groupId, bytes, keysOf);
        if (missing !== null) return { verified: false, missingEpoch: missing };
      }
      return { verified: true, subject: evidenceSubject(ev), provable: true };
    }
    case 'foreign-entry': {
      const keys = keysOf(ev.epoch);
      if (keys === null || !bytesEqual(keys.groupId, ev.groupId) || !epochNameEqual(keys.epoch, ev.epoch)) return { verified: false, missingEpoch: ev.epoch };
      let inner: Uint8Array | null;
      try {
        inner = openBlob(keys, ev.blob);
      } catch (err) {
        // Authentic under the key but badly padded: the sealer held the key; that is foreign too.
        if (isProtocolError(err) && err.code !== ProtocolErrorCode.UNAUTHENTIC) return { verified: true, subject: evidenceSubject(ev), provable: true };
        throw err;
      }
      if (inner === null) fail(ProtocolErrorCode.UNAUTHENTIC, 'the blob does not open under that epoch\'s key');
      try {
        const entry = decodeEntry(inner);
        if (entry.content.kind === 'genesis') {
          if (ev.epoch.number === 0) consumeGenesis(inner, ev.groupId);
          else fail(ProtocolErrorCode.UNAUTHENTIC, 'a genesis outside epoch 0');
        } else {
          consumeEntry(keys, inner);
        }
      } catch (err) {
        if (isProtocolError(err)) return { verified: true, subject: evidenceSubject(ev), provable: true };
        throw err;
      }
      fail(ProtocolErrorCode.INVALID_FIELD, 'the blob holds an entry of that epoch: nothing foreign');
    }
    case 'pub-order':
      return { verified: true, subject: evidenceSubject(ev), provable: false };
  }
}

/** The evidence two held entries give, if any: equivocation at one seq, a broken link at consecutive seqs. */
export function evidenceOfPair(groupId: Uint8Array, x: Uint8Array, y: Uint8Array): Evidence | null {
  const a = decodeEntry(x);
  const b = decodeEntry(y);
  if (!bytesEqual(a.author, b.author)) return null;
  if (a.seq === b.seq) return bytesEqual(entryId(x), entryId(y)) ? null : createEquivocationEvidence(groupId, x, y);
  const [earlier, later, eb, lb] = a.seq < b.seq ? [a, b, x, y] : [b, a, y, x];
  if (later.seq === earlier.seq + 1 && !bytesEqual(later.prev, entryId(eb))) return createBrokenChainEvidence(groupId, eb, lb);
  return null;
}
