/**
 * The sync frames of the peer protocol, types 0x40..0x7f (docs/peer-protocol.md, "Sync"). This
 * module encodes and decodes their bodies; protocol/peer/wire.ts puts the frame header
 * (`u8 version || u8 type`) in front and routes the range here.
 *
 *   0x40 SYNC_NOTES        notes (protocol/sync/notes.ts), the rest of the frame
 *   0x41 SYNC_RESYNC       groupId [32]: your notes' base did not match; send full notes
 *   0x42 SYNC_WANT         groupId [32] | requestId u32 | rangeCount u16 (0..256) |
 *                          (author [32] | from u64 | to u64) * rangeCount | idCount u16 (0..256) |
 *                          id [32] * idCount
 *   0x43 SYNC_BLOBS        groupId [32] | requestId u32 | count u16 (1..) | (u32 len | blob) * count
 *   0x44 SYNC_END          groupId [32] | requestId u32 | sent u32: the answer to that WANT is complete
 *   0x45 SYNC_EVIDENCE     evidence (protocol/sync/evidence.ts), the rest of the frame
 *   0x46 SYNC_KEY_WANT     groupId [32] | epochNumber u32: send me the key package opening it
 *   0x47 SYNC_KEY_PACKAGE  groupId [32] | recipient [32] | epochNumber u32 | opener [32] |
 *                          u32 len | blob: the blob of the remove-and-re-key entry that opened the
 *                          epoch, whose key package has a slot for recipient (an identity key)
 *   0x48 SYNC_LINK         version u8 | count u8 (1..16) | proof [32] * count: the proofs that open
 *                          (and later widen) a member link (protocol/sync/link.ts); names no group
 *   0x4f SYNC_PART         digest [32] | total u32 | offset u32 | chunk: one piece of a sync
 *                          message too large for one frame (see below)
 *   0x49..0x4e, 0x50..0x7f reserved (ERR_INVALID_FIELD)
 *
 * A sync message whose body is larger than one frame holds (SYNC_FRAME_BODY_MAX_BYTES: notes of
 * many authors, a blob of 65,536 or 131,072 bytes, evidence of two large entries) travels as
 * SYNC_PART frames of `message = u8 type || body`, total bytes in SYNC_FRAME_BODY_MAX_BYTES+1 ..
 * SYNC_MESSAGE_MAX_BYTES, split into chunks of exactly SYNC_PART_CHUNK_BYTES (the last one the
 * rest), sent in order and not interleaved with other parts; digest =
 * BLAKE2b-256(key = "snug/v2/sync-part", message). The receiver reassembles one message at a time
 * (SyncPartAssembler) and decodes it as if it had been one frame.
 */
import { ByteReader, ByteWriter, bytesEqual, compareBytes } from '../bytes.js';
import { checkBlobShape } from '../blob.js';
import { labelledHash } from '../crypto.js';
import { BLOB_SIZE_MAX, HASH_BYTES } from '../constants.js';
import { ProtocolError, ProtocolErrorCode } from '../errors.js';
import { EPOCH_NUMBER_MAX } from '../group.js';
import { WANT_IDS_MAX, WANT_RANGES_MAX, WANT_SEQS_MAX, type Want, type WantRange } from './backfill.js';
import { decodeEvidence, encodeEvidence, EVIDENCE_MAX_BYTES, type Evidence } from './evidence.js';
import { decodeNotes, encodeNotes, NOTES_MAX_BYTES, type Notes } from './notes.js';
import { decodeSyncLinkBody, encodeSyncLinkBody } from './link.js';

export const SyncFrameType = {
  NOTES: 0x40,
  RESYNC: 0x41,
  WANT: 0x42,
  BLOBS: 0x43,
  END: 0x44,
  EVIDENCE: 0x45,
  KEY_WANT: 0x46,
  KEY_PACKAGE: 0x47,
  LINK: 0x48,
  PART: 0x4f,
} as const;
export type SyncFrameType = (typeof SyncFrameType)[keyof typeof SyncFrameType];
export const SYNC_FRAME_TYPE_FIRST = 0x40;
export const SYNC_FRAME_TYPE_LAST = 0x7f;

/** The largest frame body: PEER_FRAME_MAX_BYTES (65,519) less the 2-byte header. */
export const SYNC_FRAME_BODY_MAX_BYTES = 65_519 - 2;
/** The largest sync message (type byte and body), carried in parts. */
export const SYNC_MESSAGE_MAX_BYTES = 1 + Math.max(NOTES_MAX_BYTES, EVIDENCE_MAX_BYTES, HASH_BYTES + 4 + 2 + 4 + BLOB_SIZE_MAX);
/** Bytes of a part's chunk (all but the last part). */
export const SYNC_PART_CHUNK_BYTES = SYNC_FRAME_BODY_MAX_BYTES - HASH_BYTES - 4 - 4;
export const LABEL_SYNC_PART = 'snug/v2/sync-part';
/** The most blobs one SYNC_BLOBS frame lists. */
export const SYNC_BLOBS_MAX = 0xffff;

export interface SyncNotesFrame {
  readonly type: 'sync-notes';
  readonly notes: Notes;
}
export interface SyncResyncFrame {
  readonly type: 'sync-resync';
  readonly groupId: Uint8Array;
}
export interface SyncWantFrame {
  readonly type: 'sync-want';
  readonly groupId: Uint8Array;
  readonly requestId: number;
  readonly want: Want;
}
export interface SyncBlobsFrame {
  readonly type: 'sync-blobs';
  readonly groupId: Uint8Array;
  readonly requestId: number;
  /** Original blobs, each of a blob size (protocol/blob.ts checkBlobShape). */
  readonly blobs: readonly Uint8Array[];
}
export interface SyncEndFrame {
  readonly type: 'sync-end';
  readonly groupId: Uint8Array;
  readonly requestId: number;
  /** How many blobs the answer carried. */
  readonly sent: number;
}
export interface SyncEvidenceFrame {
  readonly type: 'sync-evidence';
  readonly evidence: Evidence;
}
export interface SyncKeyWantFrame {
  readonly type: 'sync-key-want';
  readonly groupId: Uint8Array;
  readonly epochNumber: number;
}
export interface SyncKeyPackageFrame {
  readonly type: 'sync-key-package';
  readonly groupId: Uint8Array;
  /** The identity key of the member the package has a slot for. */
  readonly recipient: Uint8Array;
  readonly epochNumber: number;
  readonly opener: Uint8Array;
  /** The blob of the remove-and-re-key entry (sealed under the epoch before). */
  readonly blob: Uint8Array;
}
/** The proofs that open a member link, or widen it to more epochs (protocol/sync/link.ts). */
export interface SyncLinkFrame {
  readonly type: 'sync-link';
  readonly proofs: readonly Uint8Array[];
}
export interface SyncPartFrame {
  readonly type: 'sync-part';
  readonly digest: Uint8Array;
  readonly total: number;
  readonly offset: number;
  readonly chunk: Uint8Array;
}
export type SyncFrame =
  | SyncNotesFrame
  | SyncResyncFrame
  | SyncWantFrame
  | SyncBlobsFrame
  | SyncEndFrame
  | SyncEvidenceFrame
  | SyncKeyWantFrame
  | SyncKeyPackageFrame
  | SyncLinkFrame
  | SyncPartFrame;
export type SyncFrameKind = SyncFrame['type'];

const TYPE_OF: Readonly<Record<SyncFrameKind, SyncFrameType>> = {
  'sync-notes': SyncFrameType.NOTES,
  'sync-resync': SyncFrameType.RESYNC,
  'sync-want': SyncFrameType.WANT,
  'sync-blobs': SyncFrameType.BLOBS,
  'sync-end': SyncFrameType.END,
  'sync-evidence': SyncFrameType.EVIDENCE,
  'sync-key-want': SyncFrameType.KEY_WANT,
  'sync-key-package': SyncFrameType.KEY_PACKAGE,
  'sync-link': SyncFrameType.LINK,
  'sync-part': SyncFrameType.PART,
};

export const SYNC_FRAME_KINDS: ReadonlySet<string> = new Set(Object.keys(TYPE_OF));

export function isSyncFrame(frame: { readonly type: string }): frame is SyncFrame {
  return SYNC_FRAME_KINDS.has(frame.type);
}

export function isSyncFrameType(type: number): boolean {
  return type >= SYNC_FRAME_TYPE_FIRST && type <= SYNC_FRAME_TYPE_LAST;
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function checkId(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, `${what} is 32 bytes`);
}

function checkU32(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) fail(ProtocolErrorCode.INVALID_FIELD, `${what} is a u32`);
}

/** Checks a want's bounds and canonical order. */
export function checkWant(want: Want): void {
  if (want.ranges.length > WANT_RANGES_MAX) fail(ProtocolErrorCode.OVERSIZED, `a want names at most ${WANT_RANGES_MAX} ranges`);
  if (want.ids.length > WANT_IDS_MAX) fail(ProtocolErrorCode.OVERSIZED, `a want names at most ${WANT_IDS_MAX} ids`);
  let span = 0;
  for (let i = 0; i < want.ranges.length; i++) {
    const r = want.ranges[i]!;
    checkId(r.author, 'an author');
    if (!Number.isSafeInteger(r.from) || !Number.isSafeInteger(r.to) || r.from < 1 || r.to < r.from) fail(ProtocolErrorCode.INVALID_FIELD, 'a range is from..to with 1 <= from <= to');
    span += r.to - r.from + 1;
    if (span > WANT_SEQS_MAX) fail(ProtocolErrorCode.OVERSIZED, `a want names at most ${WANT_SEQS_MAX} seqs`);
    if (i > 0) {
      const p = want.ranges[i - 1]!;
      const c = compareBytes(p.author, r.author);
      if (c > 0 || (c === 0 && r.from <= p.to)) fail(ProtocolErrorCode.NON_CANONICAL, 'ranges are ascending by author and from, and disjoint');
    }
  }
  for (let i = 0; i < want.ids.length; i++) {
    checkId(want.ids[i]!, 'an id');
    if (i > 0 && compareBytes(want.ids[i - 1]!, want.ids[i]!) >= 0) fail(ProtocolErrorCode.NON_CANONICAL, 'ids are strictly ascending');
  }
}

/** The body of a sync frame (after the 2-byte header), and its type. */
export function encodeSyncBody(frame: SyncFrame): { readonly type: SyncFrameType; readonly body: Uint8Array } {
  const type = TYPE_OF[frame.type];
  if (type === undefined) fail(ProtocolErrorCode.INVALID_FIELD, 'unknown sync frame');
  const w = new ByteWriter(128);
  switch (frame.type) {
    case 'sync-notes':
      w.raw(encodeNotes(frame.notes));
      break;
    case 'sync-resync':
      checkId(frame.groupId, 'a group id');
      w.fixed(frame.groupId, HASH_BYTES);
      break;
    case 'sync-want': {
      checkId(frame.groupId, 'a group id');
      checkU32(frame.requestId, 'a request id');
      checkWant(frame.want);
      w.fixed(frame.groupId, HASH_BYTES).u32(frame.requestId).u16(frame.want.ranges.length);
      for (const r of frame.want.ranges) w.fixed(r.author, HASH_BYTES).u64(r.from).u64(r.to);
      w.u16(frame.want.ids.length);
      for (const id of frame.want.ids) w.fixed(id, HASH_BYTES);
      break;
    }
    case 'sync-blobs':
      checkId(frame.groupId, 'a group id');
      checkU32(frame.requestId, 'a request id');
      if (frame.blobs.length < 1 || frame.blobs.length > SYNC_BLOBS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, 'a blobs frame carries 1..65,535 blobs');
      w.fixed(frame.groupId, HASH_BYTES).u32(frame.requestId).u16(frame.blobs.length);
      for (const b of frame.blobs) {
        checkBlobShape(b);
        w.bytes32(b, BLOB_SIZE_MAX);
      }
      break;
    case 'sync-end':
      checkId(frame.groupId, 'a group id');
      checkU32(frame.requestId, 'a request id');
      checkU32(frame.sent, 'a count');
      w.fixed(frame.groupId, HASH_BYTES).u32(frame.requestId).u32(frame.sent);
      break;
    case 'sync-evidence':
      w.raw(encodeEvidence(frame.evidence));
      break;
    case 'sync-key-want':
      checkId(frame.groupId, 'a group id');
      checkU32(frame.epochNumber, 'an epoch number');
      if (frame.epochNumber < 1) fail(ProtocolErrorCode.INVALID_FIELD, 'epoch 0 has no key package');
      w.fixed(frame.groupId, HASH_BYTES).u32(frame.epochNumber);
      break;
    case 'sync-key-package':
      checkId(frame.groupId, 'a group id');
      checkId(frame.recipient, 'a recipient');
      checkId(frame.opener, 'an epoch opener');
      checkU32(frame.epochNumber, 'an epoch number');
      if (frame.epochNumber < 1 || frame.epochNumber > EPOCH_NUMBER_MAX) fail(ProtocolErrorCode.INVALID_FIELD, 'a key package opens epoch 1 or later');
      checkBlobShape(frame.blob);
      w.fixed(frame.groupId, HASH_BYTES).fixed(frame.recipient, HASH_BYTES).u32(frame.epochNumber).fixed(frame.opener, HASH_BYTES).bytes32(frame.blob, BLOB_SIZE_MAX);
      break;
    case 'sync-link':
      w.raw(encodeSyncLinkBody(frame.proofs));
      break;
    case 'sync-part':
      checkPart(frame);
      w.fixed(frame.digest, HASH_BYTES).u32(frame.total).u32(frame.offset).raw(frame.chunk);
      break;
  }
  const body = w.finish();
  if (frame.type !== 'sync-part' && body.length + 1 > SYNC_MESSAGE_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a sync message is at most ${SYNC_MESSAGE_MAX_BYTES} bytes`);
  return { type, body };
}

function checkPart(p: { digest: Uint8Array; total: number; offset: number; chunk: Uint8Array }): void {
  checkId(p.digest, 'a part digest');
  if (!Number.isInteger(p.total) || p.total < SYNC_FRAME_BODY_MAX_BYTES + 2 || p.total > SYNC_MESSAGE_MAX_BYTES) {
    fail(ProtocolErrorCode.INVALID_FIELD, 'a parted message is longer than one frame and at most the largest sync message');
  }
  if (!Number.isInteger(p.offset) || p.offset < 0 || p.offset % SYNC_PART_CHUNK_BYTES !== 0 || p.offset >= p.total) {
    fail(ProtocolErrorCode.INVALID_FIELD, 'a part starts at a multiple of the chunk size inside the message');
  }
  if (p.chunk.length !== Math.min(SYNC_PART_CHUNK_BYTES, p.total - p.offset)) fail(ProtocolErrorCode.NON_CANONICAL, 'a part carries a whole chunk (the last one the rest)');
}

/** Decodes the body of a sync frame of type `type` (a frame type in 0x40..0x7f). */
export function decodeSyncBody(type: number, body: Uint8Array): SyncFrame {
  const r = new ByteReader(body);
  let frame: SyncFrame;
  switch (type) {
    case SyncFrameType.NOTES:
      return { type: 'sync-notes', notes: decodeNotes(body) };
    case SyncFrameType.RESYNC:
      frame = { type: 'sync-resync', groupId: r.fixed(HASH_BYTES, 'group id') };
      break;
    case SyncFrameType.WANT: {
      const groupId = r.fixed(HASH_BYTES, 'group id');
      const requestId = r.u32('request id');
      const rangeCount = r.u16('range count');
      if (rangeCount > WANT_RANGES_MAX) fail(ProtocolErrorCode.OVERSIZED, `a want names at most ${WANT_RANGES_MAX} ranges`);
      const ranges: WantRange[] = [];
      for (let i = 0; i < rangeCount; i++) ranges.push({ author: r.fixed(HASH_BYTES, 'author'), from: r.u64('from'), to: r.u64('to') });
      const idCount = r.u16('id count');
      if (idCount > WANT_IDS_MAX) fail(ProtocolErrorCode.OVERSIZED, `a want names at most ${WANT_IDS_MAX} ids`);
      const ids: Uint8Array[] = [];
      for (let i = 0; i < idCount; i++) ids.push(r.fixed(HASH_BYTES, 'id'));
      const want = { ranges, ids };
      checkWant(want);
      frame = { type: 'sync-want', groupId, requestId, want };
      break;
    }
    case SyncFrameType.BLOBS: {
      const groupId = r.fixed(HASH_BYTES, 'group id');
      const requestId = r.u32('request id');
      const count = r.u16('blob count');
      if (count < 1) fail(ProtocolErrorCode.INVALID_FIELD, 'a blobs frame carries at least one blob');
      const blobs: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const b = r.bytes32(BLOB_SIZE_MAX, 'blob');
        checkBlobShape(b);
        blobs.push(b);
      }
      frame = { type: 'sync-blobs', groupId, requestId, blobs };
      break;
    }
    case SyncFrameType.END:
      frame = { type: 'sync-end', groupId: r.fixed(HASH_BYTES, 'group id'), requestId: r.u32('request id'), sent: r.u32('sent') };
      break;
    case SyncFrameType.EVIDENCE:
      return { type: 'sync-evidence', evidence: decodeEvidence(body) };
    case SyncFrameType.KEY_WANT: {
      const groupId = r.fixed(HASH_BYTES, 'group id');
      const epochNumber = r.u32('epoch number');
      if (epochNumber < 1) fail(ProtocolErrorCode.INVALID_FIELD, 'epoch 0 has no key package');
      frame = { type: 'sync-key-want', groupId, epochNumber };
      break;
    }
    case SyncFrameType.KEY_PACKAGE: {
      const groupId = r.fixed(HASH_BYTES, 'group id');
      const recipient = r.fixed(HASH_BYTES, 'recipient');
      const epochNumber = r.u32('epoch number');
      if (epochNumber < 1) fail(ProtocolErrorCode.INVALID_FIELD, 'a key package opens epoch 1 or later');
      const opener = r.fixed(HASH_BYTES, 'opener');
      const blob = r.bytes32(BLOB_SIZE_MAX, 'blob');
      checkBlobShape(blob);
      frame = { type: 'sync-key-package', groupId, recipient, epochNumber, opener, blob };
      break;
    }
    case SyncFrameType.LINK:
      return { type: 'sync-link', proofs: decodeSyncLinkBody(body) };
    case SyncFrameType.PART: {
      const digest = r.fixed(HASH_BYTES, 'digest');
      const total = r.u32('total');
      const offset = r.u32('offset');
      const chunk = r.rest();
      const part = { type: 'sync-part' as const, digest, total, offset, chunk };
      checkPart(part);
      return part;
    }
    default:
      fail(ProtocolErrorCode.INVALID_FIELD, `sync frame type ${type} is reserved`);
  }
  r.end('sync frame');
  return frame;
}

/** The message form of a sync frame: u8 type || body. */
export function encodeSyncMessage(frame: SyncFrame): Uint8Array {
  const { type, body } = encodeSyncBody(frame);
  const out = new Uint8Array(1 + body.length);
  out[0] = type;
  out.set(body, 1);
  return out;
}

/**
 * The frames that carry `frame`: itself when its body fits one frame, otherwise its SYNC_PART
 * frames in order.
 */
export function syncFrames(frame: SyncFrame): SyncFrame[] {
  if (frame.type === 'sync-part') return [frame];
  const { type, body } = encodeSyncBody(frame);
  if (body.length <= SYNC_FRAME_BODY_MAX_BYTES) return [frame];
  const message = new Uint8Array(1 + body.length);
  message[0] = type;
  message.set(body, 1);
  const digest = labelledHash(LABEL_SYNC_PART, [message]);
  const parts: SyncFrame[] = [];
  for (let offset = 0; offset < message.length; offset += SYNC_PART_CHUNK_BYTES) {
    parts.push({ type: 'sync-part', digest, total: message.length, offset, chunk: message.slice(offset, offset + SYNC_PART_CHUNK_BYTES) });
  }
  return parts;
}

/**
 * SYNC_BLOBS frames answering one request: blobs packed in order into frames that each fit
 * (a blob too large for one frame alone in its own, which `syncFrames` then splits).
 */
export function blobsFrames(groupId: Uint8Array, requestId: number, blobs: readonly Uint8Array[]): SyncBlobsFrame[] {
  const out: SyncBlobsFrame[] = [];
  let batch: Uint8Array[] = [];
  let size = HASH_BYTES + 4 + 2;
  for (const b of blobs) {
    if (batch.length > 0 && (size + 4 + b.length > SYNC_FRAME_BODY_MAX_BYTES || batch.length === SYNC_BLOBS_MAX)) {
      out.push({ type: 'sync-blobs', groupId, requestId, blobs: batch });
      batch = [];
      size = HASH_BYTES + 4 + 2;
    }
    batch.push(b);
    size += 4 + b.length;
  }
  if (batch.length > 0) out.push({ type: 'sync-blobs', groupId, requestId, blobs: batch });
  return out;
}

/**
 * Reassembles SYNC_PART frames of one link into the sync frame they carry: one message at a
 * time, parts in order. A part out of order, of another message before the last one ended, or a
 * message whose digest does not match is INVALID_FIELD (the link should end); the finished
 * message decodes like one frame (a part inside parts is INVALID_FIELD).
 */
export class SyncPartAssembler {
  private digest: Uint8Array | null = null;
  private buffer: Uint8Array | null = null;
  private filled = 0;

  /** True while a message is partly received. */
  get busy(): boolean {
    return this.buffer !== null;
  }

  push(part: SyncPartFrame): SyncFrame | null {
    checkPart(part);
    if (this.buffer === null) {
      if (part.offset !== 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a parted message starts at offset 0');
      this.buffer = new Uint8Array(part.total);
      this.digest = part.digest;
      this.filled = 0;
    } else if (!bytesEqual(this.digest!, part.digest) || this.buffer.length !== part.total || part.offset !== this.filled) {
      this.reset();
      fail(ProtocolErrorCode.INVALID_FIELD, 'parts of one message arrive in order, not interleaved');
    }
    this.buffer!.set(part.chunk, part.offset);
    this.filled += part.chunk.length;
    if (this.filled < this.buffer!.length) return null;
    const message = this.buffer!;
    const digest = this.digest!;
    this.reset();
    if (!bytesEqual(labelledHash(LABEL_SYNC_PART, [message]), digest)) fail(ProtocolErrorCode.INVALID_FIELD, 'the parted message does not match its digest');
    if (message[0] === SyncFrameType.PART) fail(ProtocolErrorCode.INVALID_FIELD, 'a part inside parts');
    return decodeSyncBody(message[0]!, message.subarray(1));
  }

  reset(): void {
    this.buffer = null;
    this.digest = null;
    this.filled = 0;
  }
}
