import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { deriveEpochKeys, epochNameEqual } from '../../../protocol/group.js';
import { decodeFrame, encodeFrame } from '../../../protocol/peer/wire.js';
import { decodeEvidence, encodeEvidence, evidenceSubject, verifyEvidence } from '../../../protocol/sync/evidence.js';
import { SyncPartAssembler, syncFrames, type SyncFrame } from '../../../protocol/sync/frames.js';
import { decodePeerSyncState, encodePeerSyncState, newPeerSyncState, takeNotes } from '../../../protocol/sync/notes.js';
import { createSummary } from '../../../protocol/summary.js';
import { evidenceFromJson, evidenceToJson, recordFromJson, recordToJson, syncFrameFromJson, syncFrameToJson, type SyncVectors } from '../../helpers/sync-vectors.js';
import { codeOf, readVectors } from '../../helpers/vectors.js';

describe('protocol/sync vectors (test/vectors/sync.json)', () => {
  before(ready);
  const v = readVectors<SyncVectors>('sync');

  it('encodes each committed frame to its committed bytes and decodes the bytes back to the frame', () => {
    assert.ok(v.frames.length >= 9);
    for (const f of v.frames) {
      assert.equal(toHex(encodeFrame(syncFrameFromJson(f.frame))), f.encoding, f.description);
      assert.deepEqual(syncFrameToJson(decodeFrame(fromHex(f.encoding)) as SyncFrame), f.frame, f.description);
    }
  });

  it('splits a message too large for one frame into the committed parts and reassembles them into it', () => {
    for (const p of v.parts) {
      const frame = syncFrameFromJson(p.frame);
      assert.deepEqual(syncFrames(frame).map((x) => toHex(encodeFrame(x))), p.parts, p.description);
      const asm = new SyncPartAssembler();
      let out: SyncFrame | null = null;
      for (const [i, hex] of p.parts.entries()) {
        const part = decodeFrame(fromHex(hex));
        assert.equal(part.type, 'sync-part');
        out = asm.push(part as Extract<SyncFrame, { type: 'sync-part' }>);
        assert.equal(out === null, i < p.parts.length - 1);
      }
      assert.deepEqual(syncFrameToJson(out!), p.frame);
    }
  });

  it('encodes and decodes each committed evidence and verifies it to the committed outcome with the group key', () => {
    const keys = deriveEpochKeys(fromHex(v.epochSecret), fromHex(v.groupId), { number: 0, opener: fromHex(v.epochOpener) });
    const keysOf = (e: { number: number; opener: Uint8Array }) => (epochNameEqual(e, keys.epoch) ? keys : null);
    for (const e of v.evidence) {
      const ev = evidenceFromJson(e.evidence);
      assert.equal(toHex(encodeEvidence(ev)), e.encoding, e.description);
      assert.deepEqual(evidenceToJson(decodeEvidence(fromHex(e.encoding))), e.evidence, e.description);
      const s = evidenceSubject(ev);
      assert.deepEqual(s.kind === 'author' ? { author: toHex(s.author), seq: s.seq } : null, e.subject, e.description);
      let outcome = 'thrown';
      const code = codeOf(() => {
        const c = verifyEvidence(ev, keysOf);
        outcome = c.verified ? 'verified' : 'missing-epoch';
      });
      assert.equal(code ?? outcome, e.check, e.description);
    }
  });

  it('encodes each committed per-peer state to its bytes and decodes the bytes back', () => {
    for (const s of v.peerStates) {
      const state = newPeerSyncState(fromHex(s.groupId));
      state.exchanged = s.exchanged;
      for (const r of s.sent) state.sent.set(r.author, recordFromJson(r));
      for (const r of s.received) state.received.set(r.author, recordFromJson(r));
      assert.equal(toHex(encodePeerSyncState(state)), s.encoding, s.description);
      const back = decodePeerSyncState(fromHex(s.encoding));
      assert.equal(back.exchanged, s.exchanged);
      assert.deepEqual([...back.sent.values()].map(recordToJson), s.sent);
      assert.deepEqual([...back.received.values()].map(recordToJson), s.received);
    }
  });

  it('takes the committed notes in each round of the committed exchange (request skipping)', () => {
    for (const x of v.exchanges) {
      const state = newPeerSyncState(fromHex(v.groupId));
      for (const round of x.rounds) {
        const notes = takeNotes(state, createSummary(fromHex(v.groupId), round.mine.map(recordFromJson)));
        assert.equal(toHex(encodeFrame({ type: 'sync-notes', notes })), round.notes, x.description);
      }
    }
  });

  it('rejects each committed invalid frame with its committed code', () => {
    for (const i of v.invalid) assert.equal(codeOf(() => decodeFrame(fromHex(i.encoding))), i.code, i.description);
  });
});
