/**
 * Writes test/vectors/sync.json (the sync frames 0x40..0x7f, notes and request skipping, the
 * per-peer sync state, parts, tamper evidence) from fixed inputs: real signed entries in real
 * blobs (test/helpers/sync-log.ts). Run by hand after a deliberate format change:
 * `npx tsc -p tsconfig.json && node dist/test/vectors/generate-sync.js`. Tests only read it.
 */
import { ByteWriter, fromHex, toHex } from '../../protocol/bytes.js';
import { blobHash, sealBlobWithNonce } from '../../protocol/blob.js';
import { ready } from '../../protocol/crypto.js';
import { isProtocolError } from '../../protocol/errors.js';
import { decodeFrame, encodeFrame } from '../../protocol/peer/wire.js';
import { computeSummary, type SummaryRecord } from '../../protocol/summary.js';
import {
  createBrokenChainEvidence,
  createEquivocationEvidence,
  createForeignEntryEvidence,
  createPubOrderEvidence,
  encodeEvidence,
  evidenceSubject,
  verifyEvidence,
  type Evidence,
} from '../../protocol/sync/evidence.js';
import { syncFrames, type SyncFrame } from '../../protocol/sync/frames.js';
import { encodePeerSyncState, newPeerSyncState, positionsDigest, takeNotes } from '../../protocol/sync/notes.js';
import { deriveEpochKeys, epochNameEqual } from '../../protocol/group.js';
import { author, metaOf, seeded, SyncLog } from '../helpers/sync-log.js';
import {
  evidenceToJson,
  recordToJson,
  syncFrameToJson,
  type EvidenceVector,
  type InvalidVector,
  type NotesExchangeVector,
  type SyncFrameVector,
  type SyncVectors,
} from '../helpers/sync-vectors.js';
import { writeVectors } from '../helpers/vectors.js';

await ready();

const log = new SyncLog('vectors');
const other = new SyncLog('another group', 'stranger');
const [ann, ben] = [author('ann'), author('ben')];
const a1 = log.post(ann, 'hello');
const a2 = log.post(ann, 'second', { heads: [log.genesis.id] });
const a2fork = log.post(ann, 'second, told differently', { seq: 2, prev: a1.id, advance: false });
const b1 = log.post(ben, 'hi');
const b2broken = log.post(ben, 'after a first entry nobody else saw', { seq: 2, prev: seeded('a ben 1 nobody holds') });
const epoch1Keys = deriveEpochKeys(seeded('epoch 1 secret'), log.groupId, { number: 1, opener: seeded('opener 1') });
const inEpoch1 = log.post(ann, 'in epoch 1', { keys: epoch1Keys, advance: false });
const foreignGroupBlob = sealBlobWithNonce(log.keys, other.post(other.founder, 'from another group').encoding, seeded('nonce foreign', 24));
const foreignEpochBlob = sealBlobWithNonce(log.keys, inEpoch1.encoding, seeded('nonce foreign epoch', 24));

const keysOf = (e: { number: number; opener: Uint8Array }) => (epochNameEqual(e, log.keys.epoch) ? log.keys : epochNameEqual(e, epoch1Keys.epoch) ? epoch1Keys : null);

function checkOf(ev: Evidence): string {
  try {
    const c = verifyEvidence(ev, keysOf);
    return c.verified ? 'verified' : 'missing-epoch';
  } catch (err) {
    if (isProtocolError(err)) return err.code;
    throw err;
  }
}

const tampered = a2fork.encoding.slice();
tampered[tampered.length - 1]! ^= 1;
const evidenceCases: { description: string; ev: Evidence }[] = [
  { description: "ann signed two entries at seq 2", ev: createEquivocationEvidence(log.groupId, a2fork.encoding, a2.encoding) },
  { description: "ben's seq 2 names a seq 1 other than the one held", ev: createBrokenChainEvidence(log.groupId, b1.encoding, b2broken.encoding) },
  { description: 'an entry of another group sealed under this epoch', ev: createForeignEntryEvidence(log.groupId, log.epoch, foreignGroupBlob) },
  { description: 'an entry of epoch 1 sealed under epoch 0', ev: createForeignEntryEvidence(log.groupId, log.epoch, foreignEpochBlob) },
  {
    description: 'a pub served cursor 7 after cursor 9',
    ev: createPubOrderEvidence({ groupId: log.groupId, pub: 'ws://127.0.0.1:8080', fault: 'regressed', first: { cursor: 9n, blobHash: blobHash(a1.blob) }, second: { cursor: 7n, blobHash: blobHash(b1.blob) } }),
  },
  {
    description: 'a pub served one blob at cursors 3 and 12',
    ev: createPubOrderEvidence({ groupId: log.groupId, pub: 'ws://127.0.0.1:8080', fault: 'repeated', first: { cursor: 3n, blobHash: blobHash(a1.blob) }, second: { cursor: 12n, blobHash: blobHash(a1.blob) } }),
  },
  { description: 'a forged equivocation (one signature flipped) does not verify', ev: createEquivocationEvidence(log.groupId, tampered, a2.encoding) },
  { description: 'a blob holding an entry of its own epoch is nothing foreign', ev: createForeignEntryEvidence(log.groupId, log.epoch, a1.blob) },
];
const evidence: EvidenceVector[] = evidenceCases.map(({ description, ev }) => {
  const s = evidenceSubject(ev);
  return { description, evidence: evidenceToJson(ev), encoding: toHex(encodeEvidence(ev)), check: checkOf(ev), subject: s.kind === 'author' ? { author: toHex(s.author), seq: s.seq } : null };
});

const held = [log.genesis, a1, a2, b1];
const summary = computeSummary(log.groupId, held.map(metaOf));
const stateA = newPeerSyncState(log.groupId);
const fullNotes = takeNotes(stateA, summary);
const a3 = log.post(ann, 'third');
const summary2 = computeSummary(log.groupId, [...held, a3].map(metaOf));
const deltaNotes = takeNotes(stateA, summary2);
const emptyNotes = takeNotes(stateA, summary2);
stateA.received.set(toHex(ben.profile.signing.publicKey), { author: ben.profile.signing.publicKey, seq: 1, id: b1.id });

const exchanges: NotesExchangeVector[] = [
  {
    description: 'request skipping: full notes first, then only the author that changed, then none',
    rounds: [
      { mine: summary.records.map(recordToJson), notes: toHex(encodeFrame({ type: 'sync-notes', notes: fullNotes })) },
      { mine: summary2.records.map(recordToJson), notes: toHex(encodeFrame({ type: 'sync-notes', notes: deltaNotes })) },
      { mine: summary2.records.map(recordToJson), notes: toHex(encodeFrame({ type: 'sync-notes', notes: emptyNotes })) },
    ],
  },
];

const frameCases: { description: string; frame: SyncFrame }[] = [
  { description: 'full notes of three authors', frame: { type: 'sync-notes', notes: fullNotes } },
  { description: 'notes of the one author that changed, with the base they follow', frame: { type: 'sync-notes', notes: deltaNotes } },
  { description: 'resync', frame: { type: 'sync-resync', groupId: log.groupId } },
  {
    description: 'want: two ranges of one author, one of another, one id',
    frame: {
      type: 'sync-want',
      groupId: log.groupId,
      requestId: 7,
      want: {
        ranges: [
          { author: ann.profile.signing.publicKey, from: 2, to: 3 },
          { author: ann.profile.signing.publicKey, from: 9, to: 9 },
          { author: ben.profile.signing.publicKey, from: 1, to: 1024 - 3 },
        ].sort((x, y) => toHex(x.author).localeCompare(toHex(y.author)) || x.from - y.from),
        ids: [b2broken.entry.prev],
      },
    },
  },
  { description: 'two original blobs answering request 7', frame: { type: 'sync-blobs', groupId: log.groupId, requestId: 7, blobs: [a2.blob, a2fork.blob] } },
  { description: 'end of the answer to request 7', frame: { type: 'sync-end', groupId: log.groupId, requestId: 7, sent: 2 } },
  { description: 'evidence (pub order)', frame: { type: 'sync-evidence', evidence: evidenceCases[4]!.ev } },
  { description: 'key want for epoch 1', frame: { type: 'sync-key-want', groupId: log.groupId, epochNumber: 1 } },
  {
    description: 'key package: the blob that opened epoch 1, for ben',
    frame: { type: 'sync-key-package', groupId: log.groupId, recipient: ben.certificate.identityKey, epochNumber: 1, opener: epoch1Keys.epoch.opener, blob: a3.blob },
  },
];
const frames: SyncFrameVector[] = frameCases.map(({ description, frame }) => ({ description, frame: syncFrameToJson(frame), encoding: toHex(encodeFrame(frame)) }));

// Notes of 1,000 authors (72,068 bytes) do not fit one frame: two parts.
const many: SummaryRecord[] = [];
for (let i = 0; i < 1000; i++) many.push({ author: seeded(`many author ${i}`), seq: 1 + i, id: seeded(`many id ${i}`) });
many.sort((x, y) => toHex(x.author).localeCompare(toHex(y.author)));
const bigNotes: SyncFrame = { type: 'sync-notes', notes: { version: 1, groupId: log.groupId, full: true, base: new Uint8Array(32), records: many } };
const parts = [{ description: 'full notes of 1,000 authors in two parts', frame: syncFrameToJson(bigNotes), parts: syncFrames(bigNotes).map((p) => toHex(encodeFrame(p))) }];

const st = newPeerSyncState(log.groupId);
takeNotes(st, summary);
st.received.set(toHex(ben.profile.signing.publicKey), { author: ben.profile.signing.publicKey, seq: 1, id: b1.id });
const peerStates = [
  { description: 'a new state', s: newPeerSyncState(log.groupId) },
  { description: 'after full notes out and ben at 1 in', s: st },
].map(({ description, s }) => ({
  description,
  groupId: toHex(s.groupId),
  exchanged: s.exchanged,
  sent: [...s.sent.values()].map(recordToJson).sort((x, y) => x.author.localeCompare(y.author)),
  received: [...s.received.values()].map(recordToJson).sort((x, y) => x.author.localeCompare(y.author)),
  encoding: toHex(encodePeerSyncState(s)),
}));

const g = toHex(log.groupId);
const author32 = toHex(ann.profile.signing.publicKey);
const hexOf = (w: ByteWriter) => toHex(w.finish());
const invalid: InvalidVector[] = [
  { description: 'notes with a reserved flag bit', encoding: '0140' + '01' + g + '02' + '00'.repeat(32) + '0000', code: 'ERR_INVALID_FIELD' },
  { description: 'full notes with a non-zero base', encoding: '0140' + '01' + g + '01' + '11'.repeat(32) + '0000', code: 'ERR_INVALID_FIELD' },
  { description: 'notes of version 2', encoding: '0140' + '02' + g + '00' + '00'.repeat(32) + '0000', code: 'ERR_UNSUPPORTED_VERSION' },
  { description: 'notes that end inside a record', encoding: '0140' + '01' + g + '00' + '00'.repeat(32) + '0001' + author32, code: 'ERR_TRUNCATED' },
  {
    description: 'want with overlapping ranges of one author',
    encoding: '0142' + g + '00000001' + '0002' + author32 + hexOf(new ByteWriter().u64(1).u64(5)) + author32 + hexOf(new ByteWriter().u64(5).u64(6)) + '0000',
    code: 'ERR_NON_CANONICAL',
  },
  { description: 'want of 1,025 seqs', encoding: '0142' + g + '00000001' + '0001' + author32 + hexOf(new ByteWriter().u64(1).u64(1025)) + '0000', code: 'ERR_OVERSIZED' },
  { description: 'want with a range from 0', encoding: '0142' + g + '00000001' + '0001' + author32 + hexOf(new ByteWriter().u64(0).u64(3)) + '0000', code: 'ERR_INVALID_FIELD' },
  { description: 'want of seq 2^53', encoding: '0142' + g + '00000001' + '0001' + author32 + '0020000000000000' + '0020000000000000' + '0000', code: 'ERR_INVALID_FIELD' },
  { description: 'blobs frame with no blob', encoding: '0143' + g + '00000001' + '0000', code: 'ERR_INVALID_FIELD' },
  { description: 'blobs frame with a blob of no blob size', encoding: '0143' + g + '00000001' + '0001' + '00000010' + '02' + '00'.repeat(15), code: 'ERR_TRUNCATED' },
  { description: 'end with trailing bytes', encoding: '0144' + g + '00000001' + '00000000' + '00', code: 'ERR_OVERSIZED' },
  { description: 'key want for epoch 0', encoding: '0146' + g + '00000000', code: 'ERR_INVALID_FIELD' },
  { description: 'evidence of version 2', encoding: '0145' + '02' + '01' + g, code: 'ERR_UNSUPPORTED_VERSION' },
  { description: 'equivocation evidence of one entry twice', encoding: '0145' + hexOf(new ByteWriter().u8(1).u8(1).fixed(log.groupId, 32).bytes32(a1.encoding, 1 << 20).bytes32(a1.encoding, 1 << 20)), code: 'ERR_INVALID_FIELD' },
  { description: 'equivocation evidence out of id order', encoding: '0145' + hexOf(new ByteWriter().u8(1).u8(1).fixed(log.groupId, 32).bytes32(encodeEvidenceOrder()[1], 1 << 20).bytes32(encodeEvidenceOrder()[0], 1 << 20)), code: 'ERR_NON_CANONICAL' },
  { description: 'a part of a message that fits one frame', encoding: '014f' + '00'.repeat(32) + '00000100' + '00000000' + '00'.repeat(256), code: 'ERR_INVALID_FIELD' },
  { description: 'reserved sync type 0x49', encoding: '0149', code: 'ERR_INVALID_FIELD' },
  { description: 'reserved sync type 0x7f', encoding: '017f', code: 'ERR_INVALID_FIELD' },
];

function encodeEvidenceOrder(): [Uint8Array, Uint8Array] {
  const ev = createEquivocationEvidence(log.groupId, a2.encoding, a2fork.encoding);
  return [ev.a, ev.b];
}

// Every invalid vector must fail with its code, and every valid one decode back to itself.
for (const v of invalid) {
  try {
    decodeFrame(fromHex(v.encoding));
    throw new Error(`invalid vector decodes: ${v.description}`);
  } catch (err) {
    if (!isProtocolError(err) || err.code !== v.code) throw new Error(`${v.description}: ${String(err)}`);
  }
}
for (const f of frames) if (toHex(encodeFrame(decodeFrame(fromHex(f.encoding)))) !== f.encoding) throw new Error(f.description);
if (toHex(positionsDigest(log.groupId, new Map())) === '') throw new Error('digest');

const out: SyncVectors = {
  description: 'sync frames 0x40..0x7f, notes and request skipping, per-peer state, parts, tamper evidence (docs/peer-protocol.md "Sync", docs/protocol.md "Tamper evidence")',
  epochSecret: toHex(seeded('epoch secret vectors')),
  groupId: g,
  epochOpener: toHex(log.epoch.opener),
  frames,
  parts,
  evidence,
  peerStates,
  exchanges,
  invalid,
};
writeVectors('sync', out);
console.log(`wrote sync.json: ${frames.length} frames, ${evidence.length} evidence, ${invalid.length} invalid`);
