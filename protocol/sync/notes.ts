/**
 * Sync notes and the per-peer sync state (docs/peer-protocol.md, "Sync"): what two members tell
 * each other of a group's log, in the style of Scuttlebutt's epidemic broadcast trees with
 * request skipping. Pure: no I/O, no timers.
 *
 *   notes  = version u8 (0x01) | groupId [32] | flags u8 | base [32] | count u16 (0..4,096) |
 *            record * count
 *   record = author [32] | seq u64 (1..2^53-1) | id [32]            (a summary record)
 *   flags  = bit 0: full (the records are the sender's whole position; base is 32 zero bytes).
 *            Other bits are zero.
 *
 * A record says: "of this author I hold the complete chain 1..seq, and entry seq has this id"
 * (protocol/summary.ts). Notes are sent only for the authors whose position changed since the
 * last notes this side sent to that peer (request skipping), so two nearly equal logs cost
 * bytes in the number of changed authors, not of entries. `base` is the digest of what the
 * sender believes the receiver has been told before these notes (its `sent` map); the receiver
 * compares it with the digest of its `received` map and asks for full notes (RESYNC) when they
 * differ, so a lost frame or a lost state costs one full exchange, never a silent divergence.
 *
 *   digest = BLAKE2b-256(key = "snug/v2/sync-notes-base", groupId || record * n)   (records
 *            strictly ascending by author; an empty map is the hash of the group id alone)
 *
 * The per-peer state (stored per (peer, group) by the daemon) is a versioned record:
 *
 *   state  = version u8 (0x01) | groupId [32] | exchanged u8 (0 | 1) | sentCount u16 |
 *            record * sentCount | receivedCount u16 | record * receivedCount
 *            (records strictly ascending by author in each list)
 */
import { ByteReader, ByteWriter, bytesEqual, compareBytes, isAllZero, toHex } from '../bytes.js';
import { labelledHash } from '../crypto.js';
import { HASH_BYTES } from '../constants.js';
import { ProtocolError, ProtocolErrorCode } from '../errors.js';
import { SUMMARY_AUTHORS_MAX, SUMMARY_RECORD_BYTES, type Summary, type SummaryRecord } from '../summary.js';

export const NOTES_VERSION = 0x01;
export const NOTES_FLAG_FULL = 0x01;
/** Bytes of notes before their records. */
export const NOTES_HEADER_BYTES = 1 + HASH_BYTES + 1 + HASH_BYTES + 2;
/** The largest notes: every author a summary may list. */
export const NOTES_MAX_BYTES = NOTES_HEADER_BYTES + SUMMARY_AUTHORS_MAX * SUMMARY_RECORD_BYTES;
export const PEER_SYNC_STATE_VERSION = 0x01;
export const LABEL_SYNC_NOTES_BASE = 'snug/v2/sync-notes-base';

const ZERO = new Uint8Array(HASH_BYTES);

export interface Notes {
  readonly version: number;
  readonly groupId: Uint8Array;
  /** True: the records are the sender's whole position (the receiver replaces what it knew). */
  readonly full: boolean;
  /** Digest of what the sender had told the receiver before (zero when full). */
  readonly base: Uint8Array;
  /** Strictly ascending by author. */
  readonly records: readonly SummaryRecord[];
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function checkRecords(records: readonly SummaryRecord[]): void {
  if (records.length > SUMMARY_AUTHORS_MAX) fail(ProtocolErrorCode.OVERSIZED, `notes list at most ${SUMMARY_AUTHORS_MAX} authors`);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (!(r.author instanceof Uint8Array) || r.author.length !== 32) fail(ProtocolErrorCode.INVALID_FIELD, 'a notes author is 32 bytes');
    if (!(r.id instanceof Uint8Array) || r.id.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a notes id is 32 bytes');
    if (!Number.isSafeInteger(r.seq) || r.seq < 1) fail(ProtocolErrorCode.INVALID_FIELD, 'a notes seq is in 1..2^53-1');
    if (i > 0 && compareBytes(records[i - 1]!.author, r.author) >= 0) fail(ProtocolErrorCode.NON_CANONICAL, 'notes authors are strictly ascending');
  }
}

function writeRecords(w: ByteWriter, records: readonly SummaryRecord[]): void {
  w.u16(records.length);
  for (const r of records) w.fixed(r.author, 32).u64(r.seq).fixed(r.id, HASH_BYTES);
}

function readRecords(r: ByteReader): SummaryRecord[] {
  const count = r.u16('record count');
  if (count > SUMMARY_AUTHORS_MAX) fail(ProtocolErrorCode.OVERSIZED, `at most ${SUMMARY_AUTHORS_MAX} records`);
  if (r.remaining < count * SUMMARY_RECORD_BYTES) fail(ProtocolErrorCode.TRUNCATED, 'input ends inside the records');
  const out: SummaryRecord[] = [];
  for (let i = 0; i < count; i++) out.push({ author: r.fixed(32, 'author'), seq: r.u64('seq'), id: r.fixed(HASH_BYTES, 'id') });
  checkRecords(out);
  return out;
}

export function encodeNotes(notes: Notes): Uint8Array {
  if (notes.version !== NOTES_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `notes version ${notes.version}`);
  if (!(notes.groupId instanceof Uint8Array) || notes.groupId.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a group id is 32 bytes');
  if (!(notes.base instanceof Uint8Array) || notes.base.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a notes base is 32 bytes');
  if (notes.full && !isAllZero(notes.base)) fail(ProtocolErrorCode.INVALID_FIELD, 'full notes carry a zero base');
  checkRecords(notes.records);
  const w = new ByteWriter(NOTES_HEADER_BYTES + notes.records.length * SUMMARY_RECORD_BYTES);
  w.u8(NOTES_VERSION).fixed(notes.groupId, HASH_BYTES).u8(notes.full ? NOTES_FLAG_FULL : 0).fixed(notes.base, HASH_BYTES);
  writeRecords(w, notes.records);
  return w.finish();
}

export function decodeNotes(bytes: Uint8Array): Notes {
  if (bytes.length > NOTES_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `notes are at most ${NOTES_MAX_BYTES} bytes`);
  const r = new ByteReader(bytes);
  const version = r.u8('notes version');
  if (version !== NOTES_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `notes version ${version}`);
  const groupId = r.fixed(HASH_BYTES, 'group id');
  const flags = r.u8('notes flags');
  if ((flags & ~NOTES_FLAG_FULL) !== 0) fail(ProtocolErrorCode.INVALID_FIELD, 'reserved notes flags are set');
  const base = r.fixed(HASH_BYTES, 'notes base');
  const full = flags === NOTES_FLAG_FULL;
  if (full && !isAllZero(base)) fail(ProtocolErrorCode.INVALID_FIELD, 'full notes carry a zero base');
  const records = readRecords(r);
  r.end('notes');
  return { version, groupId, full, base, records };
}

/** A position map: author (hex) to that author's record. */
export type PositionMap = ReadonlyMap<string, SummaryRecord>;

function sortedRecords(map: PositionMap): SummaryRecord[] {
  return [...map.values()].sort((a, b) => compareBytes(a.author, b.author));
}

/** The digest of a position map (see the header). */
export function positionsDigest(groupId: Uint8Array, map: PositionMap): Uint8Array {
  const records = sortedRecords(map);
  const w = new ByteWriter(HASH_BYTES + records.length * SUMMARY_RECORD_BYTES);
  w.fixed(groupId, HASH_BYTES);
  for (const r of records) w.fixed(r.author, 32).u64(r.seq).fixed(r.id, HASH_BYTES);
  return labelledHash(LABEL_SYNC_NOTES_BASE, [w.finish()]);
}

/**
 * What one side remembers of one peer for one group: what it last told the peer (`sent`) and
 * what the peer last told it (`received`). `exchanged` is false until the first notes went out
 * (then the first notes are full).
 */
export interface PeerSyncState {
  readonly version: number;
  readonly groupId: Uint8Array;
  readonly sent: Map<string, SummaryRecord>;
  readonly received: Map<string, SummaryRecord>;
  exchanged: boolean;
}

export function newPeerSyncState(groupId: Uint8Array): PeerSyncState {
  if (groupId.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a group id is 32 bytes');
  return { version: PEER_SYNC_STATE_VERSION, groupId: groupId.slice(), sent: new Map(), received: new Map(), exchanged: false };
}

function mapOf(records: readonly SummaryRecord[]): Map<string, SummaryRecord> {
  const m = new Map<string, SummaryRecord>();
  for (const r of records) m.set(toHex(r.author), { author: r.author, seq: r.seq, id: r.id });
  return m;
}

function sameRecord(a: SummaryRecord | undefined, b: SummaryRecord): boolean {
  return a !== undefined && a.seq === b.seq && bytesEqual(a.id, b.id);
}

/**
 * The notes to send a peer now, given my current summary of the group: the full position the
 * first time (or when `full`), otherwise only the authors whose record differs from what I last
 * sent. Updates `state.sent` as if the notes were delivered (a lost frame shows as a base
 * mismatch on the next notes, answered by RESYNC). Returns notes with no records when nothing
 * changed; the caller may skip sending those.
 */
export function takeNotes(state: PeerSyncState, mine: Summary, options: { full?: boolean } = {}): Notes {
  if (!bytesEqual(state.groupId, mine.groupId)) fail(ProtocolErrorCode.INVALID_FIELD, 'the summary is of another group');
  const full = options.full === true || !state.exchanged;
  let records: SummaryRecord[];
  let base: Uint8Array;
  if (full) {
    records = mine.records.map((r) => ({ author: r.author, seq: r.seq, id: r.id }));
    base = ZERO;
    state.sent.clear();
  } else {
    base = positionsDigest(state.groupId, state.sent);
    records = mine.records.filter((r) => !sameRecord(state.sent.get(toHex(r.author)), r));
  }
  for (const r of records) state.sent.set(toHex(r.author), r);
  state.exchanged = true;
  return { version: NOTES_VERSION, groupId: state.groupId, full, base, records };
}

export type NotesOutcome =
  /** Merged; `changed` lists the authors whose position the peer now reports anew. */
  | { readonly kind: 'merged'; readonly changed: readonly SummaryRecord[] }
  /** The base did not match what I was told: ask the peer for full notes (RESYNC). */
  | { readonly kind: 'resync' };

/** Applies notes received from the peer to `state.received`. */
export function receiveNotes(state: PeerSyncState, notes: Notes): NotesOutcome {
  if (!bytesEqual(state.groupId, notes.groupId)) fail(ProtocolErrorCode.INVALID_FIELD, 'notes of another group');
  if (notes.full) {
    state.received.clear();
  } else if (!bytesEqual(notes.base, positionsDigest(state.groupId, state.received))) {
    return { kind: 'resync' };
  }
  const changed: SummaryRecord[] = [];
  for (const r of notes.records) {
    const key = toHex(r.author);
    if (!sameRecord(state.received.get(key), r)) changed.push(r);
    state.received.set(key, r);
  }
  return { kind: 'merged', changed };
}

export function encodePeerSyncState(state: PeerSyncState): Uint8Array {
  const sent = sortedRecords(state.sent);
  const received = sortedRecords(state.received);
  checkRecords(sent);
  checkRecords(received);
  const w = new ByteWriter(1 + HASH_BYTES + 1 + 4 + (sent.length + received.length) * SUMMARY_RECORD_BYTES);
  w.u8(PEER_SYNC_STATE_VERSION).fixed(state.groupId, HASH_BYTES).u8(state.exchanged ? 1 : 0);
  writeRecords(w, sent);
  writeRecords(w, received);
  return w.finish();
}

export function decodePeerSyncState(bytes: Uint8Array): PeerSyncState {
  const r = new ByteReader(bytes);
  const version = r.u8('state version');
  if (version !== PEER_SYNC_STATE_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `peer sync state version ${version}`);
  const groupId = r.fixed(HASH_BYTES, 'group id');
  const exchanged = r.u8('exchanged');
  if (exchanged > 1) fail(ProtocolErrorCode.INVALID_FIELD, 'exchanged is 0 or 1');
  const sent = readRecords(r);
  const received = readRecords(r);
  r.end('peer sync state');
  return { version, groupId, sent: mapOf(sent), received: mapOf(received), exchanged: exchanged === 1 };
}
