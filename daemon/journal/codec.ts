/**
 * The journal's records (docs/profile.md, "The notification journal"), in the encrypted store:
 *
 *   namespace "journal", id = seq as u64 big-endian (8 bytes):
 *     version u8 (0x01) | seq u64 | time u64 (ms) | method: u8 length + UTF-8 |
 *     params: u32 length + UTF-8 JSON (an object)
 *   namespace "journal-head", id "head":
 *     version u8 (0x01) | first u64 (oldest seq held) | next u64 (the seq the next append gets)
 *
 * Both are written in the same synced batch by every commit, so the head always matches the
 * entries. Decoding validates everything (the JSON parses to an object).
 */
import { ByteReader, ByteWriter, utf8Decode, utf8Encode } from '../../protocol/bytes.js';
import type { RecordCodec } from '../store/store.js';
import { JOURNAL_METHOD_MAX_BYTES, JOURNAL_PARAMS_MAX_BYTES } from './constants.js';

export const JOURNAL_RECORD_VERSION = 0x01;
export const JOURNAL_NAMESPACE = 'journal';
export const JOURNAL_HEAD_NAMESPACE = 'journal-head';
export const JOURNAL_HEAD_ID = utf8Encode('head');

/** A JSON object, as notification params are. */
export type JsonObject = { readonly [key: string]: unknown };

export interface JournalEntry {
  readonly seq: number;
  /** When it was appended (ms since the epoch). */
  readonly time: number;
  readonly method: string;
  readonly params: JsonObject;
}

export interface JournalHead {
  readonly first: number;
  readonly next: number;
}

export function seqId(seq: number): Uint8Array {
  return new ByteWriter(8).u64(seq).finish();
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Entries carry their params as JSON text (`paramsJson`), serialised once at append. */
export interface EncodedEntry extends JournalEntry {
  readonly paramsJson: string;
}

export const journalEntryCodec: RecordCodec<EncodedEntry> = {
  what: 'journal entry',
  encode(e: EncodedEntry): Uint8Array {
    return new ByteWriter(64 + e.paramsJson.length)
      .u8(JOURNAL_RECORD_VERSION)
      .u64(e.seq)
      .u64(e.time)
      .bytes8(utf8Encode(e.method), JOURNAL_METHOD_MAX_BYTES)
      .bytes32(utf8Encode(e.paramsJson), JOURNAL_PARAMS_MAX_BYTES)
      .finish();
  },
  decode(bytes: Uint8Array): EncodedEntry {
    const r = new ByteReader(bytes);
    const version = r.u8('journal entry version');
    if (version !== JOURNAL_RECORD_VERSION) throw new Error(`journal entry version ${version}`);
    const seq = r.u64('seq');
    const time = r.u64('time');
    const method = utf8Decode(r.bytes8(JOURNAL_METHOD_MAX_BYTES, 'method'), 'method');
    if (method.length === 0) throw new Error('an empty method');
    const paramsJson = utf8Decode(r.bytes32(JOURNAL_PARAMS_MAX_BYTES, 'params'), 'params');
    r.end('journal entry');
    const params: unknown = JSON.parse(paramsJson);
    if (!isJsonObject(params)) throw new Error('params that are not a JSON object');
    return { seq, time, method, params, paramsJson };
  },
};

export const journalHeadCodec: RecordCodec<JournalHead> = {
  what: 'journal head',
  encode(h: JournalHead): Uint8Array {
    return new ByteWriter(17).u8(JOURNAL_RECORD_VERSION).u64(h.first).u64(h.next).finish();
  },
  decode(bytes: Uint8Array): JournalHead {
    const r = new ByteReader(bytes);
    const version = r.u8('journal head version');
    if (version !== JOURNAL_RECORD_VERSION) throw new Error(`journal head version ${version}`);
    const first = r.u64('first');
    const next = r.u64('next');
    r.end('journal head');
    if (first < 1 || first > next) throw new Error('a journal head with first outside 1..next');
    return { first, next };
  },
};
