/**
 * Sync summaries: the compact note two members exchange on a peer link to learn what each holds
 * of a group's log (docs/groups.md, "Sync summary").
 *
 *   summary = version u8 (0x01) | groupId [32] | authorCount u16 (0..SUMMARY_AUTHORS_MAX) |
 *             record * authorCount
 *   record  = author [32] | seq u64 (1..2^53-1) | id [32]
 *
 * - author is an entry author (a profile signing key); records are in strictly ascending byte
 *   order of author (so sorted and unique).
 * - seq is the highest sequence number s such that the holder has the author's entries 1..s,
 *   each naming the one before as its prev (a complete chain); id is the id of entry s. An author
 *   of whom the holder has no complete chain from seq 1 has no record.
 *
 * A summary names no member and carries no secret beyond what both sides of a peer link already
 * share; it is sent only inside an authenticated peer link.
 */
import { ByteReader, ByteWriter, bytesEqual, compareBytes, isAllZero, toHex } from './bytes.js';
import { ED25519_PUBLIC_KEY_BYTES } from './crypto.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** Version byte of the summary encoding. */
export const SUMMARY_VERSION = 0x01;
/** The most authors one summary may list (authors over a group's life, removed ones included). */
export const SUMMARY_AUTHORS_MAX = 4096;
/** Bytes of one record: author [32], seq u64, id [32]. */
export const SUMMARY_RECORD_BYTES = 32 + 8 + 32;
/** Bytes of a summary before its records: version, group id, count. */
export const SUMMARY_HEADER_BYTES = 1 + 32 + 2;
/** The largest encoded summary: 294,947 bytes. */
export const SUMMARY_MAX_BYTES = SUMMARY_HEADER_BYTES + SUMMARY_AUTHORS_MAX * SUMMARY_RECORD_BYTES;

const ID_BYTES = 32;

/** One author's highest complete chain position. */
export interface SummaryRecord {
  /** The author's profile signing key [32]. */
  readonly author: Uint8Array;
  /** Highest contiguous sequence number held, >= 1. */
  readonly seq: number;
  /** Id of the author's entry `seq` [32]. */
  readonly id: Uint8Array;
}

export interface Summary {
  readonly version: number;
  /** The group's id [32] (the id of its genesis entry). */
  readonly groupId: Uint8Array;
  /** Strictly ascending by author. */
  readonly records: readonly SummaryRecord[];
}

/** What `computeSummary` needs of each held entry (a decoded, verified entry has all of it). */
export interface SummaryInputEntry {
  readonly author: Uint8Array;
  readonly seq: number;
  /** Id of the author's previous entry (32 zero bytes for seq 1). */
  readonly prev: Uint8Array;
  /** This entry's id. */
  readonly id: Uint8Array;
}

/**
 * Where a member that joined without history counts each author's chain from (docs/groups.md,
 * "Roster from a base"): author (hex of the signing key) to the first seq it holds of the epochs
 * it can open. Entries below an author's floor are not counted, and the entry at the floor
 * starts a complete chain as seq 1 does; an author not named starts at 1.
 */
export type ChainFloors = ReadonlyMap<string, number>;

/** A run of one author's entries, `from` to `to` inclusive. */
export interface SeqRange {
  readonly author: Uint8Array;
  readonly from: number;
  readonly to: number;
}

/** The difference of two summaries of one group. */
export interface SummaryDiff {
  /** What the other side holds and I lack: per author, the seqs after my position up to theirs. */
  readonly iMiss: readonly SeqRange[];
  /** What I hold and the other side lacks. */
  readonly theyMiss: readonly SeqRange[];
  /**
   * Authors at the same seq with different ids on the two sides: one side holds an equivocating
   * (forked) chain. Both sides should send each other that entry so the fork is proven and shown.
   */
  readonly forked: readonly Uint8Array[];
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function checkRecords(records: readonly SummaryRecord[]): void {
  if (records.length > SUMMARY_AUTHORS_MAX) fail(ProtocolErrorCode.OVERSIZED, `a summary lists at most ${SUMMARY_AUTHORS_MAX} authors`);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.author.length !== ED25519_PUBLIC_KEY_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a summary author is 32 bytes');
    if (r.id.length !== ID_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a summary id is 32 bytes');
    if (!Number.isSafeInteger(r.seq) || r.seq < 1) fail(ProtocolErrorCode.INVALID_FIELD, 'a summary seq is in 1..2^53-1');
    if (i > 0 && compareBytes(records[i - 1]!.author, r.author) >= 0) {
      fail(ProtocolErrorCode.NON_CANONICAL, 'summary authors must be strictly ascending');
    }
  }
}

/** Builds a summary from records in any order (sorted here; a repeated author is INVALID_FIELD). */
export function createSummary(groupId: Uint8Array, records: readonly SummaryRecord[]): Summary {
  if (groupId.length !== ID_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a group id is 32 bytes');
  const sorted = records.map((r) => ({ author: r.author.slice(), seq: r.seq, id: r.id.slice() }));
  sorted.sort((a, b) => compareBytes(a.author, b.author));
  for (let i = 1; i < sorted.length; i++) {
    if (bytesEqual(sorted[i - 1]!.author, sorted[i]!.author)) fail(ProtocolErrorCode.INVALID_FIELD, 'a summary names an author twice');
  }
  checkRecords(sorted);
  return { version: SUMMARY_VERSION, groupId: groupId.slice(), records: sorted };
}

export function encodeSummary(summary: Summary): Uint8Array {
  if (summary.version !== SUMMARY_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `summary version ${summary.version}`);
  checkRecords(summary.records);
  const w = new ByteWriter(SUMMARY_HEADER_BYTES + summary.records.length * SUMMARY_RECORD_BYTES);
  w.u8(SUMMARY_VERSION).fixed(summary.groupId, ID_BYTES).u16(summary.records.length);
  for (const r of summary.records) w.fixed(r.author, ED25519_PUBLIC_KEY_BYTES).u64(r.seq).fixed(r.id, ID_BYTES);
  return w.finish();
}

/** Decodes a summary: version, bounds, canonical order. Fails only with ProtocolError. */
export function decodeSummary(bytes: Uint8Array): Summary {
  if (bytes.length > SUMMARY_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a summary is at most ${SUMMARY_MAX_BYTES} bytes`);
  const r = new ByteReader(bytes);
  const version = r.u8('summary version');
  if (version !== SUMMARY_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `summary version ${version}`);
  const groupId = r.fixed(ID_BYTES, 'group id');
  const count = r.u16('author count');
  if (count > SUMMARY_AUTHORS_MAX) fail(ProtocolErrorCode.OVERSIZED, `a summary lists at most ${SUMMARY_AUTHORS_MAX} authors`);
  // The length is exact, so a short or long input fails before any record is read.
  const expected = SUMMARY_HEADER_BYTES + count * SUMMARY_RECORD_BYTES;
  if (bytes.length < expected) fail(ProtocolErrorCode.TRUNCATED, 'summary ends inside its records');
  if (bytes.length > expected) fail(ProtocolErrorCode.OVERSIZED, 'trailing bytes after summary');
  const records: SummaryRecord[] = [];
  for (let i = 0; i < count; i++) {
    const author = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'author');
    const seq = r.u64('seq');
    const id = r.fixed(ID_BYTES, 'id');
    records.push({ author, seq, id });
  }
  r.end('summary');
  checkRecords(records);
  return { version, groupId, records };
}

/**
 * The summary of a set of held entries: per author, the end of the longest complete chain from
 * seq 1. Where an author equivocated (two entries with one seq, each with a complete chain), the
 * chain that reaches the higher seq wins, and at equal seq the smaller id (byte order), so every
 * holder of the same set computes the same summary. Duplicate entries (same id) count once.
 * With `floors` (a member that joined without history) an author's chain counts from its floor.
 */
export function computeSummary(groupId: Uint8Array, entries: readonly SummaryInputEntry[], floors?: ChainFloors): Summary {
  const byAuthor = new Map<string, SummaryInputEntry[]>();
  const authorHex = authorHexer();
  for (const e of entries) {
    if (e.id.length !== ID_BYTES || e.prev.length !== ID_BYTES || e.author.length !== ED25519_PUBLIC_KEY_BYTES) {
      fail(ProtocolErrorCode.INVALID_FIELD, 'a summary input has a malformed author, prev or id');
    }
    const key = authorHex(e.author);
    let list = byAuthor.get(key);
    if (list === undefined) byAuthor.set(key, (list = []));
    list.push(e);
  }
  const records: SummaryRecord[] = [];
  for (const [key, list] of byAuthor) {
    list.sort((a, b) => a.seq - b.seq || compareBytes(a.id, b.id));
    // Ids of this author's entries whose chain back to seq 1 (or to the floor) is complete, by seq.
    const complete = new Map<number, Uint8Array[]>();
    let best: SummaryInputEntry | null = null;
    const floor = floors?.get(key) ?? 1;
    for (const e of list) {
      if (e.seq < floor) continue;
      const ok = e.seq === 1 ? isAllZero(e.prev) : e.seq === floor || (complete.get(e.seq - 1)?.some((id) => bytesEqual(id, e.prev)) ?? false);
      if (!ok) continue;
      const here = complete.get(e.seq);
      if (here === undefined) complete.set(e.seq, [e.id]);
      else here.push(e.id);
      if (best === null || e.seq > best.seq) best = e; // equal seq: the first (smaller id) stays
    }
    if (best !== null) records.push({ author: best.author, seq: best.seq, id: best.id });
  }
  return createSummary(groupId, records);
}

/**
 * Hex of author keys, remembered per array: a log's entries share one array per author (the
 * daemon's index does), so a set of 10,000 entries of 10 authors costs 10 conversions, not
 * 10,000. Arrays not shared are converted each time, with the same result.
 */
export function authorHexer(): (author: Uint8Array) => string {
  const seen = new WeakMap<Uint8Array, string>();
  return (author) => {
    let hex = seen.get(author);
    if (hex === undefined) seen.set(author, (hex = toHex(author)));
    return hex;
  };
}

/**
 * What each side misses, from my summary and theirs (of the same group; another group's summary
 * is INVALID_FIELD). Ranges are per author, in ascending author order.
 */
export function diffSummaries(mine: Summary, theirs: Summary): SummaryDiff {
  if (!bytesEqual(mine.groupId, theirs.groupId)) fail(ProtocolErrorCode.INVALID_FIELD, 'the summaries are of different groups');
  const iMiss: SeqRange[] = [];
  const theyMiss: SeqRange[] = [];
  const forked: Uint8Array[] = [];
  const a = mine.records;
  const b = theirs.records;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const c = i >= a.length ? 1 : j >= b.length ? -1 : compareBytes(a[i]!.author, b[j]!.author);
    if (c < 0) {
      const m = a[i++]!;
      theyMiss.push({ author: m.author, from: 1, to: m.seq });
    } else if (c > 0) {
      const t = b[j++]!;
      iMiss.push({ author: t.author, from: 1, to: t.seq });
    } else {
      const m = a[i++]!;
      const t = b[j++]!;
      if (m.seq < t.seq) iMiss.push({ author: m.author, from: m.seq + 1, to: t.seq });
      else if (m.seq > t.seq) theyMiss.push({ author: m.author, from: t.seq + 1, to: m.seq });
      else if (!bytesEqual(m.id, t.id)) forked.push(m.author);
    }
  }
  return { iMiss, theyMiss, forked };
}
