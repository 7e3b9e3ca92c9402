import assert from 'node:assert/strict';
import { ready } from '../../../protocol/crypto.js';
import { createSummary, type SummaryRecord } from '../../../protocol/summary.js';
import { decodeNotes, decodePeerSyncState, encodeNotes, encodePeerSyncState, newPeerSyncState, receiveNotes, takeNotes, NOTES_HEADER_BYTES } from '../../../protocol/sync/notes.js';
import { codeOf } from '../../helpers/vectors.js';

const G = new Uint8Array(32).fill(9);
const key = (i: number) => {
  const k = new Uint8Array(32);
  k[0] = i >> 8;
  k[1] = i & 0xff;
  return k;
};
const rec = (i: number, seq: number): SummaryRecord => ({ author: key(i), seq, id: new Uint8Array(32).fill((i + seq) & 0xff) });

describe('protocol/sync/notes', () => {
  before(ready);

  it('gives full notes the first time, then only changed authors, then none', () => {
    const s = newPeerSyncState(G);
    const first = takeNotes(s, createSummary(G, [rec(1, 1), rec(2, 5)]));
    assert.equal(first.full, true);
    assert.equal(first.records.length, 2);
    const second = takeNotes(s, createSummary(G, [rec(1, 2), rec(2, 5)]));
    assert.equal(second.full, false);
    assert.deepEqual(second.records.map((r) => r.seq), [2]);
    assert.equal(takeNotes(s, createSummary(G, [rec(1, 2), rec(2, 5)])).records.length, 0);
  });

  it('costs bytes in the number of changed authors: 1,000 authors with 10 changed is under 800 bytes', () => {
    const s = newPeerSyncState(G);
    const all = Array.from({ length: 1000 }, (_, i) => rec(i, 3));
    takeNotes(s, createSummary(G, all));
    const changed = all.map((r, i) => (i % 100 === 0 ? rec(i, 4) : r));
    const notes = takeNotes(s, createSummary(G, changed));
    assert.equal(notes.records.length, 10);
    assert.equal(encodeNotes(notes).length, NOTES_HEADER_BYTES + 10 * 72);
  });

  it('merges delta notes whose base matches and asks for a resync when it does not', () => {
    const sender = newPeerSyncState(G);
    const receiver = newPeerSyncState(G);
    assert.equal(receiveNotes(receiver, takeNotes(sender, createSummary(G, [rec(1, 1)]))).kind, 'merged');
    const lost = takeNotes(sender, createSummary(G, [rec(1, 2)])); // never delivered
    assert.equal(lost.records.length, 1);
    const next = takeNotes(sender, createSummary(G, [rec(1, 2), rec(2, 1)]));
    assert.deepEqual(receiveNotes(receiver, next), { kind: 'resync' });
    const full = takeNotes(sender, createSummary(G, [rec(1, 2), rec(2, 1)]), { full: true });
    const out = receiveNotes(receiver, full);
    assert.equal(out.kind, 'merged');
    assert.deepEqual([...receiver.received.values()].map((r) => r.seq).sort(), [1, 2]);
  });

  it('round-trips notes and the per-peer state, and refuses reserved flags and versions', () => {
    const s = newPeerSyncState(G);
    const n = takeNotes(s, createSummary(G, [rec(3, 7)]));
    assert.deepEqual(decodeNotes(encodeNotes(n)), n);
    s.received.set('x', rec(4, 1));
    const back = decodePeerSyncState(encodePeerSyncState(s));
    assert.equal(back.exchanged, true);
    assert.equal(back.sent.size, 1);
    assert.equal(back.received.size, 1);
    const bytes = encodeNotes(n);
    const flagged = bytes.slice();
    flagged[33] = 0x03;
    assert.equal(codeOf(() => decodeNotes(flagged)), 'ERR_INVALID_FIELD');
    const v2 = bytes.slice();
    v2[0] = 2;
    assert.equal(codeOf(() => decodeNotes(v2)), 'ERR_UNSUPPORTED_VERSION');
    assert.equal(codeOf(() => decodeNotes(bytes.subarray(0, bytes.length - 1))), 'ERR_TRUNCATED');
    assert.equal(codeOf(() => receiveNotes(newPeerSyncState(new Uint8Array(32)), n)), 'ERR_INVALID_FIELD');
  });
});
