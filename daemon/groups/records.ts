/**
 * The groups service's stored records, each sealed by the profile's RecordStore (encrypted at
 * rest, written with sync). Every record starts with its version byte (0x01); a record that does
 * not decode is ERR_GROUP_RECORD_INVALID. Integers are big-endian; strings are UTF-8.
 *
 * group (namespace "groups", id = group id [32]):
 *   version u8 | groupId [32] | flags u8 (bit 0: no longer a member) | created u64 |
 *   genesis u32 len + bytes | own seq u64 | own last id [32] (zero before the first) |
 *   last read id [32] (zero: nothing read) | epochCount u16 |
 *   (number u32 | opener [32] | secret [32]) * epochCount
 *
 * entry (namespace "group-entries", id = group id [32] || entry id [32]):
 *   version u8 | flags u8 (bit 0: ours) | arrival u64 (ms, local) |
 *   pubCount u8 | (u8 len + address) * pubCount   ours: the pubs that accepted it; theirs: the pubs
 *                                                  it was seen on |
 *   entry u32 len + bytes
 *
 * blob (namespace "group-blobs", same id): version u8 | the original blob (what was posted or
 *   received; ours only once it is sealed, i.e. first posted)
 *
 * notice (namespace "group-notices", id = group id || notice id [32]):
 *   version u8 | kind u8 (1: pruned) | ts u64 | pub u8 len + address | start u64 | head u64
 *
 * received invite (namespace "group-invites-in", id = invite entry id [32]):
 *   version u8 | from identity key [32] | received u64 | invite u32 len + bytes (binary invite)
 *
 * sent invite (namespace "group-invites-out", id = invite entry id [32]):
 *   version u8 | to identity key [32] | created u64 | invite u32 len + bytes (binary invite)
 */
import { ByteReader, ByteWriter, isAllZero, utf8Decode, utf8Encode } from '../../protocol/bytes.js';
import { ENTRY_MAX_BYTES, BLOB_SIZE_MAX, GROUP_PUBS_MAX } from '../../protocol/constants.js';
import { INVITE_MAX_BYTES, INVITE_GENESIS_MAX_BYTES } from '../../protocol/invite.js';
import type { RecordCodec } from '../store/store.js';
import { GroupError, GroupErrorCode } from './errors.js';

export const GROUP_RECORD_VERSION = 0x01;
/** The longest pub address text ("ws://127.0.0.1:65535" or "<56>.onion"). */
const PUB_TEXT_MAX_BYTES = 64;
/** The most epochs a group record holds (a group re-keyed more often than this is refused here). */
export const GROUP_EPOCHS_MAX = 65_535;
/** The most pubs an entry record names: a group's pubs over its life, capped. */
const ENTRY_PUBS_MAX = 4 * GROUP_PUBS_MAX;

const FLAG_GONE = 0x01;
const FLAG_OWN = 0x01;

function invalid(what: string): never {
  throw new GroupError(GroupErrorCode.RECORD_INVALID, what);
}

function version(r: ByteReader, what: string): void {
  const v = r.u8(`${what} version`);
  if (v !== GROUP_RECORD_VERSION) invalid(`${what} version ${v}`);
}

export interface StoredEpoch {
  readonly number: number;
  readonly opener: Uint8Array;
  readonly secret: Uint8Array;
}

export interface GroupRecord {
  readonly groupId: Uint8Array;
  /** No longer a member (removed, or left): kept, but not posted to or subscribed for. */
  readonly gone: boolean;
  readonly created: number;
  readonly genesis: Uint8Array;
  /** Our last entry's seq in the group (0: none yet) and id. */
  readonly ownSeq: number;
  readonly ownLast: Uint8Array;
  /** The last entry marked read (zero: none). */
  readonly lastRead: Uint8Array;
  /** Every epoch whose secret we hold, ascending by number (epoch 0 first). */
  readonly epochs: readonly StoredEpoch[];
}

export const groupRecordCodec: RecordCodec<GroupRecord> = {
  what: 'group record',
  encode(g) {
    const w = new ByteWriter(512 + g.genesis.length + 68 * g.epochs.length)
      .u8(GROUP_RECORD_VERSION)
      .fixed(g.groupId, 32)
      .u8(g.gone ? FLAG_GONE : 0)
      .u64(g.created)
      .bytes32(g.genesis, INVITE_GENESIS_MAX_BYTES)
      .u64(g.ownSeq)
      .fixed(g.ownLast, 32)
      .fixed(g.lastRead, 32)
      .u16(g.epochs.length);
    for (const e of g.epochs) w.u32(e.number).fixed(e.opener, 32).fixed(e.secret, 32);
    return w.finish();
  },
  decode(bytes) {
    const r = new ByteReader(bytes);
    version(r, 'group record');
    const groupId = r.fixed(32, 'group id');
    const flags = r.u8('flags');
    if ((flags & ~FLAG_GONE) !== 0) invalid('unknown group flags');
    const created = r.u64('created');
    const genesis = r.bytes32(INVITE_GENESIS_MAX_BYTES, 'genesis');
    const ownSeq = r.u64('own seq');
    const ownLast = r.fixed(32, 'own last');
    const lastRead = r.fixed(32, 'last read');
    const count = r.u16('epoch count');
    const epochs: StoredEpoch[] = [];
    for (let i = 0; i < count; i++) epochs.push({ number: r.u32('epoch number'), opener: r.fixed(32, 'epoch opener'), secret: r.fixed(32, 'epoch secret') });
    r.end('group record');
    if ((ownSeq === 0) !== isAllZero(ownLast)) invalid('own seq and own last disagree');
    if (epochs.length === 0) invalid('a group record holds at least epoch 0');
    return { groupId, gone: (flags & FLAG_GONE) !== 0, created, genesis, ownSeq, ownLast, lastRead, epochs };
  },
};

export interface EntryRecord {
  readonly own: boolean;
  /** When it was made (ours) or first stored (theirs), ms: the upper clamp of its time. */
  readonly arrival: number;
  /** Ours: the pubs that accepted it; theirs: the pubs it was seen on. */
  readonly pubs: readonly string[];
  /** The entry's encoding (verified when it was stored). */
  readonly entry: Uint8Array;
}

function writePubs(w: ByteWriter, pubs: readonly string[]): void {
  if (pubs.length > ENTRY_PUBS_MAX) invalid('too many pubs in an entry record');
  w.u8(pubs.length);
  for (const p of pubs) w.bytes8(utf8Encode(p), PUB_TEXT_MAX_BYTES);
}

function readPubs(r: ByteReader): string[] {
  const n = r.u8('pub count');
  if (n > ENTRY_PUBS_MAX) invalid('too many pubs in an entry record');
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(utf8Decode(r.bytes8(PUB_TEXT_MAX_BYTES, 'pub'), 'pub'));
  return out;
}

export const entryRecordCodec: RecordCodec<EntryRecord> = {
  what: 'group entry record',
  encode(e) {
    const w = new ByteWriter(64 + e.entry.length).u8(GROUP_RECORD_VERSION).u8(e.own ? FLAG_OWN : 0).u64(e.arrival);
    writePubs(w, e.pubs);
    return w.bytes32(e.entry, ENTRY_MAX_BYTES).finish();
  },
  decode(bytes) {
    const r = new ByteReader(bytes);
    version(r, 'entry record');
    const flags = r.u8('flags');
    if ((flags & ~FLAG_OWN) !== 0) invalid('unknown entry flags');
    const arrival = r.u64('arrival');
    const pubs = readPubs(r);
    const entry = r.bytes32(ENTRY_MAX_BYTES, 'entry');
    r.end('entry record');
    return { own: (flags & FLAG_OWN) !== 0, arrival, pubs, entry };
  },
};

export const blobRecordCodec: RecordCodec<Uint8Array> = {
  what: 'group blob record',
  encode: (blob) => new ByteWriter(blob.length + 1).u8(GROUP_RECORD_VERSION).raw(blob).finish(),
  decode(bytes) {
    if (bytes[0] !== GROUP_RECORD_VERSION) invalid('blob record version');
    if (bytes.length - 1 > BLOB_SIZE_MAX) invalid('blob record too long');
    return bytes.slice(1);
  },
};

export interface NoticeRecord {
  readonly kind: 'pruned';
  readonly ts: number;
  readonly pub: string;
  readonly start: bigint;
  readonly head: bigint;
}

export const noticeRecordCodec: RecordCodec<NoticeRecord> = {
  what: 'group notice record',
  encode: (n) => new ByteWriter(96).u8(GROUP_RECORD_VERSION).u8(1).u64(n.ts).bytes8(utf8Encode(n.pub), PUB_TEXT_MAX_BYTES).u64Big(n.start).u64Big(n.head).finish(),
  decode(bytes) {
    const r = new ByteReader(bytes);
    version(r, 'notice record');
    if (r.u8('notice kind') !== 1) invalid('unknown notice kind');
    const ts = r.u64('ts');
    const pub = utf8Decode(r.bytes8(PUB_TEXT_MAX_BYTES, 'pub'), 'pub');
    const start = r.u64Big('start');
    const head = r.u64Big('head');
    r.end('notice record');
    return { kind: 'pruned', ts, pub, start, head };
  },
};

export interface PeerInviteRecord {
  /** From (received) or to (sent): the contact's identity key. */
  readonly peer: Uint8Array;
  /** When it arrived (received) or was made (sent), ms. */
  readonly at: number;
  /** The binary invite (protocol/invite.ts encodeInviteBytes). */
  readonly invite: Uint8Array;
}

export const peerInviteRecordCodec: RecordCodec<PeerInviteRecord> = {
  what: 'group invite record',
  encode: (i) => new ByteWriter(64 + i.invite.length).u8(GROUP_RECORD_VERSION).fixed(i.peer, 32).u64(i.at).bytes32(i.invite, INVITE_MAX_BYTES).finish(),
  decode(bytes) {
    const r = new ByteReader(bytes);
    version(r, 'invite record');
    const peer = r.fixed(32, 'peer');
    const at = r.u64('at');
    const invite = r.bytes32(INVITE_MAX_BYTES, 'invite');
    r.end('invite record');
    return { peer, at, invite };
  },
};

/** The store id of a group's entry, blob or notice: group id || entry (notice) id. */
export function groupScopedId(groupId: Uint8Array, id: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  out.set(groupId, 0);
  out.set(id, 32);
  return out;
}
