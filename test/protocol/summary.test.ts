import assert from 'node:assert/strict';
import { ByteWriter, fromHex, toHex } from '../../protocol/bytes.js';
import { ready } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import {
  SUMMARY_AUTHORS_MAX,
  SUMMARY_MAX_BYTES,
  computeSummary,
  createSummary,
  decodeSummary,
  diffSummaries,
  encodeSummary,
  type SummaryInputEntry,
} from '../../protocol/summary.js';
import { decodeEntry, entryId } from '../../protocol/entry.js';
import type { RosterVector, SummaryVectors } from '../helpers/group-vectors.js';
import { codeOf, readVectors } from '../helpers/vectors.js';

function key(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

describe('protocol/summary', () => {
  before(ready);

  describe('test vectors', () => {
    const v = readVectors<SummaryVectors>('summary');

    it('computes each committed summary from its entries and encodes it to the committed bytes', () => {
      assert.ok(v.summaries.length >= 5);
      for (const s of v.summaries) {
        const entries: SummaryInputEntry[] = s.entries.map((e) => ({ author: fromHex(e.author), seq: e.seq, prev: fromHex(e.prev), id: fromHex(e.id) }));
        const summary = computeSummary(fromHex(s.groupId), entries);
        assert.equal(toHex(encodeSummary(summary)), s.encoding, s.description);
      }
    });

    it('decodes each committed encoding to the committed records', () => {
      for (const s of v.summaries) {
        const summary = decodeSummary(fromHex(s.encoding));
        assert.equal(toHex(summary.groupId), s.groupId);
        assert.deepEqual(
          summary.records.map((r) => ({ author: toHex(r.author), seq: r.seq, id: toHex(r.id) })),
          s.records,
          s.description,
        );
      }
    });

    it('gives the committed differences of each committed pair', () => {
      assert.ok(v.diffs.length >= 4);
      for (const d of v.diffs) {
        const diff = diffSummaries(decodeSummary(fromHex(d.mine)), decodeSummary(fromHex(d.theirs)));
        const json = (rs: readonly { author: Uint8Array; from: number; to: number }[]) => rs.map((r) => ({ author: toHex(r.author), from: r.from, to: r.to }));
        assert.deepEqual(json(diff.iMiss), d.iMiss, d.description);
        assert.deepEqual(json(diff.theyMiss), d.theyMiss, d.description);
        assert.deepEqual(diff.forked.map(toHex), d.forked, d.description);
      }
    });
  });

  describe('behaviour', () => {
    const group = key(9);

    it('sorts records by author and rejects an author named twice', () => {
      const s = createSummary(group, [
        { author: key(3), seq: 1, id: key(30) },
        { author: key(1), seq: 2, id: key(10) },
      ]);
      assert.deepEqual(s.records.map((r) => r.author[0]), [1, 3]);
      assert.equal(codeOf(() => createSummary(group, [{ author: key(1), seq: 1, id: key(2) }, { author: key(1), seq: 2, id: key(3) }])), ProtocolErrorCode.INVALID_FIELD);
    });

    it('rejects a seq of 0 or above 2^53-1 and malformed keys when creating', () => {
      assert.equal(codeOf(() => createSummary(group, [{ author: key(1), seq: 0, id: key(2) }])), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createSummary(group, [{ author: key(1), seq: 2 ** 53, id: key(2) }])), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createSummary(group, [{ author: new Uint8Array(31), seq: 1, id: key(2) }])), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createSummary(new Uint8Array(3), [])), ProtocolErrorCode.INVALID_FIELD);
    });

    it('rejects records out of order or repeated as non-canonical when decoding', () => {
      const enc = encodeSummary(createSummary(group, [{ author: key(1), seq: 1, id: key(2) }, { author: key(2), seq: 1, id: key(2) }]));
      const swapped = enc.slice();
      swapped.set(enc.subarray(35 + 72, 35 + 144), 35);
      swapped.set(enc.subarray(35, 35 + 72), 35 + 72);
      assert.equal(codeOf(() => decodeSummary(swapped)), ProtocolErrorCode.NON_CANONICAL);
      const repeated = enc.slice();
      repeated.set(enc.subarray(35, 35 + 72), 35 + 72);
      assert.equal(codeOf(() => decodeSummary(repeated)), ProtocolErrorCode.NON_CANONICAL);
    });

    it('rejects a truncated summary, trailing bytes, another version and a zero seq', () => {
      const enc = encodeSummary(createSummary(group, [{ author: key(1), seq: 7, id: key(2) }]));
      assert.equal(codeOf(() => decodeSummary(enc.subarray(0, enc.length - 1))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeSummary(enc.subarray(0, 20))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeSummary(new Uint8Array(0))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeSummary(Uint8Array.of(...enc, 0))), ProtocolErrorCode.OVERSIZED);
      const v2 = enc.slice();
      v2[0] = 2;
      assert.equal(codeOf(() => decodeSummary(v2)), ProtocolErrorCode.UNSUPPORTED_VERSION);
      const zeroSeq = enc.slice();
      zeroSeq.fill(0, 35 + 32, 35 + 40);
      assert.equal(codeOf(() => decodeSummary(zeroSeq)), ProtocolErrorCode.INVALID_FIELD);
      const bigSeq = enc.slice();
      bigSeq.fill(0xff, 35 + 32, 35 + 40);
      assert.equal(codeOf(() => decodeSummary(bigSeq)), ProtocolErrorCode.INVALID_FIELD);
    });

    it('rejects a count above the maximum before reading records', () => {
      const w = new ByteWriter().u8(1).fixed(group, 32).u16(SUMMARY_AUTHORS_MAX + 1);
      assert.equal(codeOf(() => decodeSummary(w.finish())), ProtocolErrorCode.OVERSIZED);
      assert.equal(codeOf(() => decodeSummary(new Uint8Array(SUMMARY_MAX_BYTES + 1))), ProtocolErrorCode.OVERSIZED);
    });

    it('encodes and decodes the largest summary', () => {
      const records = Array.from({ length: SUMMARY_AUTHORS_MAX }, (_, i) => ({ author: Uint8Array.from({ length: 32 }, (_, k) => (k < 2 ? (i >> (8 * (1 - k))) & 0xff : 7)), seq: i + 1, id: key(1) }));
      const enc = encodeSummary(createSummary(group, records));
      assert.equal(enc.length, SUMMARY_MAX_BYTES);
      assert.equal(decodeSummary(enc).records.length, SUMMARY_AUTHORS_MAX);
      assert.equal(codeOf(() => createSummary(group, [...records, { author: key(0xff), seq: 1, id: key(1) }])), ProtocolErrorCode.OVERSIZED);
    });

    it('stops an author at the first entry whose prev is not the held entry before it', () => {
      const e1 = { author: key(1), seq: 1, prev: new Uint8Array(32), id: key(11) };
      const e2 = { author: key(1), seq: 2, prev: key(99), id: key(12) };
      const e3 = { author: key(1), seq: 3, prev: key(12), id: key(13) };
      const s = computeSummary(group, [e1, e2, e3]);
      assert.deepEqual(s.records.map((r) => [r.seq, r.id[0]]), [[1, 11]]);
      // an entry of seq 1 with a non-zero prev is not a chain start
      assert.equal(computeSummary(group, [{ ...e1, prev: key(5) }]).records.length, 0);
      // a prev pointing at an entry of the right id but another seq does not count
      const skip = { author: key(1), seq: 3, prev: key(11), id: key(14) };
      assert.deepEqual(computeSummary(group, [e1, skip]).records.map((r) => r.seq), [1]);
    });

    it('prefers the longer chain when an author equivocated below the top', () => {
      const e1 = { author: key(1), seq: 1, prev: new Uint8Array(32), id: key(11) };
      const fork2a = { author: key(1), seq: 2, prev: key(11), id: key(1) };
      const fork2b = { author: key(1), seq: 2, prev: key(11), id: key(200) };
      const e3 = { author: key(1), seq: 3, prev: key(200), id: key(13) };
      assert.deepEqual(computeSummary(group, [e3, fork2a, fork2b, e1]).records.map((r) => [r.seq, r.id[0]]), [[3, 13]]);
      assert.deepEqual(computeSummary(group, [fork2b, fork2a, e1]).records.map((r) => [r.seq, r.id[0]]), [[2, 1]]);
    });

    it('summarises a log of real entries v2: each author at its last entry', () => {
      const v = readVectors<{ vectors: RosterVector[] }>('roster').vectors[0]!;
      const entries = v.entries.map((hex) => {
        const bytes = fromHex(hex);
        const e = decodeEntry(bytes);
        return { author: e.author, seq: e.seq, prev: e.prev, id: entryId(bytes) };
      });
      const s = decodeSummary(encodeSummary(computeSummary(fromHex(v.groupId), entries)));
      const last = new Map<string, { seq: number; id: string }>();
      for (const e of entries) {
        const k = toHex(e.author);
        if ((last.get(k)?.seq ?? 0) < e.seq) last.set(k, { seq: e.seq, id: toHex(e.id) });
      }
      assert.equal(s.records.length, 3);
      for (const r of s.records) assert.deepEqual({ seq: r.seq, id: toHex(r.id) }, last.get(toHex(r.author)));
      // without the genesis, the founder has no complete chain
      assert.equal(computeSummary(fromHex(v.groupId), entries.slice(1)).records.length, 2);
    });

    it('refuses to compare summaries of two groups', () => {
      const a = createSummary(key(1), []);
      const b = createSummary(key(2), []);
      assert.equal(codeOf(() => diffSummaries(a, b)), ProtocolErrorCode.INVALID_FIELD);
    });
  });
});
