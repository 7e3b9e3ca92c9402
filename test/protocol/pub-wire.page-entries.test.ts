/**
 * PAGE frames built from already-encoded entries (encodePageHead / encodePageEntries), as the
 * pub sends them straight from its chunk records: the same bytes as encodePage, and the checks
 * that keep a bad run from reaching the wire.
 */
import assert from 'node:assert/strict';
import { BLOB_SIZE_MAX, BLOB_SIZES, BLOB_VERSION } from '../../protocol/constants.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import {
  PAGE_ENTRY_OVERHEAD_BYTES,
  PAGE_OVERHEAD_BYTES,
  decodeServerFrame,
  encodePage,
  encodePageEntries,
  encodePageHead,
  type PageEntry,
  type PageHead,
} from '../../protocol/pub-wire.js';
import { Prng, makeBlob } from '../helpers/pub-fixtures.js';
import { codeOf } from '../helpers/vectors.js';

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}


/** Entries laid end to end as a PAGE frame carries them: cursor u64 || length u32 || blob. */
function entryBytes(entries: readonly PageEntry[]): Uint8Array {
  let size = 0;
  for (const e of entries) size += 8 + 4 + e.blob.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let pos = 0;
  for (const e of entries) {
    v.setBigUint64(pos, e.cursor);
    v.setUint32(pos + 8, e.blob.length);
    out.set(e.blob, pos + 12);
    pos += 12 + e.blob.length;
  }
  return out;
}

/** `entries` split into runs after the given entry counts (a view each, as a store hands out). */
function splitRuns(entries: readonly PageEntry[], cuts: readonly number[]): Uint8Array[] {
  const all = entryBytes(entries);
  const runs: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, entries.length]) {
    const start = entryBytes(entries.slice(0, from)).length;
    const end = entryBytes(entries.slice(0, cut)).length;
    runs.push(all.subarray(start, end));
    from = cut;
  }
  return runs;
}

const HEAD: PageHead = { requestId: 0x01020304, more: true, pruned: true, continues: true, start: 5n, next: 19n, head: 400n };

function sampleEntries(n: number, seed = 0x5eed): PageEntry[] {
  const prng = new Prng(seed);
  return Array.from({ length: n }, (_, i) => ({ cursor: 10n + BigInt(i), blob: makeBlob(prng, i % 4 === 3 ? BLOB_SIZES[1]! : BLOB_SIZES[0]!) }));
}

describe('protocol/pub-wire PAGE from encoded entries', () => {
  it('gives the same bytes as encodePage for the same blobs split into several runs', () => {
    const entries = sampleEntries(10);
    const whole = encodePage({ ...HEAD, blobs: entries });
    for (const cuts of [[], [1], [3, 7], [1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 5, 5, 10]]) {
      const runs = splitRuns(entries, cuts);
      assert.equal(hex(encodePageEntries(HEAD, entries.length, runs)), hex(whole), `cuts ${cuts.join(',')}`);
      // The head is the frame's first bytes; the runs follow it unchanged.
      const head = encodePageHead(HEAD, entries.length, runs);
      assert.equal(head.length, PAGE_OVERHEAD_BYTES);
      assert.equal(hex(head), hex(whole.subarray(0, PAGE_OVERHEAD_BYTES)));
    }
  });

  it('gives the same bytes as encodePage for every combination of flags, and for an empty page', () => {
    const entries = sampleEntries(3);
    for (const more of [false, true]) {
      for (const pruned of [false, true]) {
        for (const continues of [undefined, false, true]) {
          const head: PageHead = { requestId: 7, more, pruned, start: 1n, next: 12n, head: 12n, ...(continues === undefined ? {} : { continues }) };
          assert.equal(hex(encodePageEntries(head, 3, splitRuns(entries, [2]))), hex(encodePage({ ...head, blobs: entries })));
        }
      }
    }
    const empty: PageHead = { requestId: 0, more: false, pruned: false, start: 1n, next: 0n, head: 0n };
    assert.equal(hex(encodePageEntries(empty, 0, [])), hex(encodePage({ ...empty, blobs: [] })));
    assert.equal(hex(encodePageEntries(empty, 0, [new Uint8Array(0)])), hex(encodePage({ ...empty, blobs: [] })));
  });

  it('makes a frame that decodes to the blobs it was built from', () => {
    const entries = sampleEntries(6);
    const frame = decodeServerFrame(encodePageEntries(HEAD, 6, splitRuns(entries, [2, 4])));
    assert.deepEqual(frame, { type: 0x21, ...HEAD, blobs: entries });
  });

  it('rejects a count that does not match the entries in the runs', () => {
    const entries = sampleEntries(4);
    const runs = splitRuns(entries, [2]);
    for (const count of [0, 3, 5]) {
      assert.equal(codeOf(() => encodePageHead(HEAD, count, runs)), ProtocolErrorCode.INVALID_FIELD, `count ${count}`);
      assert.equal(codeOf(() => encodePageEntries(HEAD, count, runs)), ProtocolErrorCode.INVALID_FIELD, `count ${count}`);
    }
    assert.equal(codeOf(() => encodePageHead(HEAD, 1, [])), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodePageHead(HEAD, 0x1_0000, runs)), ProtocolErrorCode.INVALID_FIELD);
  });

  it('rejects entries out of cursor order, within a run and across runs', () => {
    const entries = sampleEntries(4);
    const swapped = [entries[0]!, entries[2]!, entries[1]!, entries[3]!];
    assert.equal(codeOf(() => encodePageHead(HEAD, 4, [entryBytes(swapped)])), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodePageHead(HEAD, 4, splitRuns(swapped, [2]))), ProtocolErrorCode.INVALID_FIELD);
    const repeated = [entries[0]!, entries[1]!, { ...entries[2]!, cursor: entries[1]!.cursor }];
    assert.equal(codeOf(() => encodePageHead(HEAD, 3, splitRuns(repeated, [2]))), ProtocolErrorCode.INVALID_FIELD);
    // Runs handed over in the wrong order.
    const runs = splitRuns(entries, [2]);
    assert.equal(codeOf(() => encodePageHead(HEAD, 4, [runs[1]!, runs[0]!])), ProtocolErrorCode.INVALID_FIELD);
  });

  it('rejects a blob longer than BLOB_SIZE_MAX', () => {
    const big = new Uint8Array(BLOB_SIZE_MAX + 1).fill(0x33);
    big[0] = BLOB_VERSION;
    const entries = [...sampleEntries(1), { cursor: 11n, blob: big }];
    assert.equal(codeOf(() => encodePageHead(HEAD, 2, [entryBytes(entries)])), ProtocolErrorCode.OVERSIZED);
    // A blob of exactly BLOB_SIZE_MAX is fine.
    const max = [{ cursor: 11n, blob: big.subarray(0, BLOB_SIZE_MAX) }];
    assert.equal(hex(encodePageEntries(HEAD, 1, [entryBytes(max)])), hex(encodePage({ ...HEAD, blobs: max })));
  });

  it('rejects a run that ends inside an entry', () => {
    const entries = sampleEntries(3);
    const all = entryBytes(entries);
    const second = PAGE_ENTRY_OVERHEAD_BYTES + entries[0]!.blob.length;
    // Cut inside the second entry's header, and inside its blob.
    for (const cut of [second + 1, second + 8, second + PAGE_ENTRY_OVERHEAD_BYTES - 1, second + PAGE_ENTRY_OVERHEAD_BYTES + 5]) {
      assert.equal(codeOf(() => encodePageHead(HEAD, 2, [all.subarray(0, cut)])), ProtocolErrorCode.TRUNCATED, `cut at ${cut}`);
      // An entry split across two runs is cut too, even though the bytes all arrive.
      assert.equal(codeOf(() => encodePageHead(HEAD, 3, [all.subarray(0, cut), all.subarray(cut)])), ProtocolErrorCode.TRUNCATED, `split at ${cut}`);
    }
  });
});
