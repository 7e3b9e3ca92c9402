/**
 * JSON forms (hex for bytes) of the sync formats, shared by test/vectors/generate-sync.ts and
 * the tests that check test/vectors/sync.json both ways.
 */
import { fromHex, toHex } from '../../protocol/bytes.js';
import type { Evidence } from '../../protocol/sync/evidence.js';
import type { SyncFrame } from '../../protocol/sync/frames.js';
import type { Notes } from '../../protocol/sync/notes.js';
import type { SummaryRecord } from '../../protocol/summary.js';

export interface RecordJson {
  author: string;
  seq: number;
  id: string;
}
export interface NotesJson {
  groupId: string;
  full: boolean;
  base: string;
  records: RecordJson[];
}
export type EvidenceJson =
  | { kind: 'equivocation'; groupId: string; a: string; b: string }
  | { kind: 'broken-chain'; groupId: string; earlier: string; later: string }
  | { kind: 'foreign-entry'; groupId: string; epochNumber: number; epochOpener: string; blob: string }
  | { kind: 'pub-order'; groupId: string; pub: string; fault: 'regressed' | 'repeated'; first: { cursor: string; blobHash: string }; second: { cursor: string; blobHash: string } };
export type SyncFrameJson =
  | { type: 'sync-notes'; notes: NotesJson }
  | { type: 'sync-resync'; groupId: string }
  | { type: 'sync-want'; groupId: string; requestId: number; ranges: { author: string; from: number; to: number }[]; ids: string[] }
  | { type: 'sync-blobs'; groupId: string; requestId: number; blobs: string[] }
  | { type: 'sync-end'; groupId: string; requestId: number; sent: number }
  | { type: 'sync-evidence'; evidence: EvidenceJson }
  | { type: 'sync-key-want'; groupId: string; epochNumber: number }
  | { type: 'sync-key-package'; groupId: string; recipient: string; epochNumber: number; opener: string; blob: string }
  | { type: 'sync-link'; proofs: string[] }
  | { type: 'sync-part'; digest: string; total: number; offset: number; chunk: string };

export interface SyncFrameVector {
  description: string;
  frame: SyncFrameJson;
  /** The whole peer frame: version || type || body. */
  encoding: string;
}
export interface SyncPartsVector {
  description: string;
  frame: SyncFrameJson;
  /** The peer frames (SYNC_PART) that carry it, in order. */
  parts: string[];
}
export interface EvidenceVector {
  description: string;
  evidence: EvidenceJson;
  encoding: string;
  /** What verifyEvidence gives with the group's epoch secret: 'verified', or an error code. */
  check: string;
  /** For 'author' subjects. */
  subject: { author: string; seq: number } | null;
}
export interface PeerStateVector {
  description: string;
  groupId: string;
  exchanged: boolean;
  sent: RecordJson[];
  received: RecordJson[];
  encoding: string;
}
export interface InvalidVector {
  description: string;
  encoding: string;
  code: string;
}
export interface NotesExchangeVector {
  description: string;
  /** Summaries (as records) of each round, the notes taken each round and their encodings. */
  rounds: { mine: RecordJson[]; notes: string }[];
}
export interface SyncVectors {
  description: string;
  epochSecret: string;
  groupId: string;
  epochOpener: string;
  frames: SyncFrameVector[];
  parts: SyncPartsVector[];
  evidence: EvidenceVector[];
  peerStates: PeerStateVector[];
  exchanges: NotesExchangeVector[];
  invalid: InvalidVector[];
}

export const recordToJson = (r: SummaryRecord): RecordJson => ({ author: toHex(r.author), seq: r.seq, id: toHex(r.id) });
export const recordFromJson = (r: RecordJson): SummaryRecord => ({ author: fromHex(r.author), seq: r.seq, id: fromHex(r.id) });

export function notesToJson(n: Notes): NotesJson {
  return { groupId: toHex(n.groupId), full: n.full, base: toHex(n.base), records: n.records.map(recordToJson) };
}
export function notesFromJson(j: NotesJson): Notes {
  return { version: 1, groupId: fromHex(j.groupId), full: j.full, base: fromHex(j.base), records: j.records.map(recordFromJson) };
}

export function evidenceToJson(e: Evidence): EvidenceJson {
  switch (e.kind) {
    case 'equivocation':
      return { kind: e.kind, groupId: toHex(e.groupId), a: toHex(e.a), b: toHex(e.b) };
    case 'broken-chain':
      return { kind: e.kind, groupId: toHex(e.groupId), earlier: toHex(e.earlier), later: toHex(e.later) };
    case 'foreign-entry':
      return { kind: e.kind, groupId: toHex(e.groupId), epochNumber: e.epoch.number, epochOpener: toHex(e.epoch.opener), blob: toHex(e.blob) };
    case 'pub-order':
      return {
        kind: e.kind,
        groupId: toHex(e.groupId),
        pub: e.pub,
        fault: e.fault,
        first: { cursor: e.first.cursor.toString(), blobHash: toHex(e.first.blobHash) },
        second: { cursor: e.second.cursor.toString(), blobHash: toHex(e.second.blobHash) },
      };
  }
}
export function evidenceFromJson(j: EvidenceJson): Evidence {
  switch (j.kind) {
    case 'equivocation':
      return { kind: j.kind, groupId: fromHex(j.groupId), a: fromHex(j.a), b: fromHex(j.b) };
    case 'broken-chain':
      return { kind: j.kind, groupId: fromHex(j.groupId), earlier: fromHex(j.earlier), later: fromHex(j.later) };
    case 'foreign-entry':
      return { kind: j.kind, groupId: fromHex(j.groupId), epoch: { number: j.epochNumber, opener: fromHex(j.epochOpener) }, blob: fromHex(j.blob) };
    case 'pub-order':
      return {
        kind: j.kind,
        groupId: fromHex(j.groupId),
        pub: j.pub,
        fault: j.fault,
        first: { cursor: BigInt(j.first.cursor), blobHash: fromHex(j.first.blobHash) },
        second: { cursor: BigInt(j.second.cursor), blobHash: fromHex(j.second.blobHash) },
      };
  }
}

export function syncFrameToJson(f: SyncFrame): SyncFrameJson {
  switch (f.type) {
    case 'sync-notes':
      return { type: f.type, notes: notesToJson(f.notes) };
    case 'sync-resync':
      return { type: f.type, groupId: toHex(f.groupId) };
    case 'sync-want':
      return { type: f.type, groupId: toHex(f.groupId), requestId: f.requestId, ranges: f.want.ranges.map((r) => ({ author: toHex(r.author), from: r.from, to: r.to })), ids: f.want.ids.map(toHex) };
    case 'sync-blobs':
      return { type: f.type, groupId: toHex(f.groupId), requestId: f.requestId, blobs: f.blobs.map(toHex) };
    case 'sync-end':
      return { type: f.type, groupId: toHex(f.groupId), requestId: f.requestId, sent: f.sent };
    case 'sync-evidence':
      return { type: f.type, evidence: evidenceToJson(f.evidence) };
    case 'sync-key-want':
      return { type: f.type, groupId: toHex(f.groupId), epochNumber: f.epochNumber };
    case 'sync-key-package':
      return { type: f.type, groupId: toHex(f.groupId), recipient: toHex(f.recipient), epochNumber: f.epochNumber, opener: toHex(f.opener), blob: toHex(f.blob) };
    case 'sync-link':
      return { type: f.type, proofs: f.proofs.map(toHex) };
    case 'sync-part':
      return { type: f.type, digest: toHex(f.digest), total: f.total, offset: f.offset, chunk: toHex(f.chunk) };
  }
}
export function syncFrameFromJson(j: SyncFrameJson): SyncFrame {
  switch (j.type) {
    case 'sync-notes':
      return { type: j.type, notes: notesFromJson(j.notes) };
    case 'sync-resync':
      return { type: j.type, groupId: fromHex(j.groupId) };
    case 'sync-want':
      return { type: j.type, groupId: fromHex(j.groupId), requestId: j.requestId, want: { ranges: j.ranges.map((r) => ({ author: fromHex(r.author), from: r.from, to: r.to })), ids: j.ids.map(fromHex) } };
    case 'sync-blobs':
      return { type: j.type, groupId: fromHex(j.groupId), requestId: j.requestId, blobs: j.blobs.map(fromHex) };
    case 'sync-end':
      return { type: j.type, groupId: fromHex(j.groupId), requestId: j.requestId, sent: j.sent };
    case 'sync-evidence':
      return { type: j.type, evidence: evidenceFromJson(j.evidence) };
    case 'sync-key-want':
      return { type: j.type, groupId: fromHex(j.groupId), epochNumber: j.epochNumber };
    case 'sync-key-package':
      return { type: j.type, groupId: fromHex(j.groupId), recipient: fromHex(j.recipient), epochNumber: j.epochNumber, opener: fromHex(j.opener), blob: fromHex(j.blob) };
    case 'sync-link':
      return { type: j.type, proofs: j.proofs.map(fromHex) };
    case 'sync-part':
      return { type: j.type, digest: fromHex(j.digest), total: j.total, offset: j.offset, chunk: fromHex(j.chunk) };
  }
}
