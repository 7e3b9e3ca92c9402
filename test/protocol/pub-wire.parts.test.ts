/**
 * The pub codec's two zero-copy paths: decodeServerFrameParts (a message decoded from its
 * fragments, as PubClient receives them) gives exactly what decodeServerFrame gives for the
 * joined bytes, frames and errors alike, whatever the cuts; and encodeBlobFrames (a
 * subscription's BLOB frames built from a store's runs of PAGE entries) gives encodeBlob's bytes.
 */
import assert from 'node:assert/strict';
import { BLOB_SIZES } from '../../protocol/constants.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import {
  PubFrameType,
  decodeServerFrame,
  decodeServerFrameParts,
  encodeBlob,
  encodeBlobFrames,
  encodeError,
  encodeHello,
  encodePage,
  encodePostAck,
  encodeSubscribed,
  type PageEntry,
} from '../../protocol/pub-wire.js';
import { Prng, SAMPLE_POLICY, makeBlob } from '../helpers/pub-fixtures.js';
import { codeOf } from '../helpers/vectors.js';

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** `bytes` cut at the given offsets (views). */
function cut(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const points = [0, ...[...at].sort((a, b) => a - b), bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i]!, end));
}

/** The frame, or the error code, decodeServerFrame gives. */
function outcome(decode: () => unknown): unknown {
  const code = codeOf(decode);
  return code === undefined ? decode() : { code };
}

function entriesOf(n: number, prng: Prng): PageEntry[] {
  return Array.from({ length: n }, (_, i) => ({ cursor: 100n + BigInt(i), blob: makeBlob(prng, i % 3 === 2 ? BLOB_SIZES[1]! : BLOB_SIZES[0]!) }));
}

/** Entries end to end as a store keeps them (cursor u64 || length u32 || blob). */
function runOf(entries: readonly PageEntry[]): Uint8Array {
  const page = encodePage({ requestId: 1, more: false, pruned: false, start: 1n, next: 0n, head: 0n, blobs: entries });
  return page.subarray(33);
}

describe('protocol/pub-wire decoding from fragments and BLOB frames from runs', () => {
  it('decodes every kind of pub frame cut anywhere exactly as the joined bytes', () => {
    const prng = new Prng(0xf4a9);
    const entries = entriesOf(5, prng);
    const frames = [
      encodeHello(SAMPLE_POLICY),
      encodePostAck(9, 77n, true),
      encodePage({ requestId: 3, more: true, pruned: false, continues: true, start: 1n, next: 104n, head: 900n, blobs: entries }),
      encodePage({ requestId: 3, more: false, pruned: true, start: 50n, next: 49n, head: 49n, blobs: [] }),
      encodeSubscribed(4, true, 2n, 10n),
      encodeBlob(4, 11n, entries[0]!.blob),
      encodeError(0, 9, 1234),
    ];
    for (const frame of frames) {
      const whole = decodeServerFrame(frame);
      for (let trial = 0; trial < 40; trial++) {
        const at = Array.from({ length: 1 + prng.int(6) }, () => prng.int(frame.length + 1));
        const parts = cut(frame, at);
        assert.deepEqual(decodeServerFrameParts(parts), whole, `type ${frame[1]} cut at ${at.join(',')}`);
      }
    }
  });

  it('hands out a PAGE blob as a view into its fragment when it lies in one, a copy when it straddles two', () => {
    const prng = new Prng(0x11);
    const entries = entriesOf(3, prng);
    const frame = encodePage({ requestId: 3, more: false, pruned: false, start: 1n, next: 102n, head: 102n, blobs: entries });
    const first = 33 + 12 + entries[0]!.blob.length;
    // header | entry 0 | entry 1 and half of entry 2 | the rest
    const parts = cut(frame, [33, first, first + 12 + entries[1]!.blob.length + 100]);
    const page = decodeServerFrameParts(parts);
    assert.equal(page.type, PubFrameType.PAGE);
    if (page.type !== PubFrameType.PAGE) return;
    assert.equal(page.blobs[0]!.blob.buffer, parts[1]!.buffer);
    assert.equal(page.blobs[0]!.blob.byteOffset, parts[1]!.byteOffset + 12);
    assert.notEqual(page.blobs[2]!.blob.buffer, frame.buffer);
    assert.deepEqual(page.blobs, entries);
  });

  it('fails with the same code as the joined bytes for truncated, trailing, oversized and malformed input', () => {
    const prng = new Prng(0x22);
    const entries = entriesOf(3, prng);
    const page = encodePage({ requestId: 3, more: true, pruned: false, start: 1n, next: 102n, head: 900n, blobs: entries });
    const bad: Uint8Array[] = [
      page.subarray(0, page.length - 1),
      page.subarray(0, 40),
      Uint8Array.from([...page, 0]),
      Uint8Array.from([0x02, ...page.subarray(1)]),
      Uint8Array.from([page[0]!, 0x7f, ...page.subarray(2)]),
      Uint8Array.from([...page.subarray(0, 6), 0x80, ...page.subarray(7)]),
      Uint8Array.from([...page.subarray(0, 6), 0x04, ...page.subarray(7)]),
      Uint8Array.of(0x01),
      new Uint8Array(0),
    ];
    // a blob length above BLOB_SIZE_MAX
    const huge = page.slice();
    new DataView(huge.buffer).setUint32(33 + 8, 0x7fff_ffff);
    bad.push(huge);
    for (const bytes of bad) {
      const expected = outcome(() => decodeServerFrame(bytes));
      assert.notEqual(codeOf(() => decodeServerFrame(bytes)), undefined);
      for (let trial = 0; trial < 20; trial++) {
        const at = Array.from({ length: prng.int(5) }, () => prng.int(bytes.length + 1));
        assert.deepEqual(outcome(() => decodeServerFrameParts(cut(bytes, at))), expected, `cut at ${at.join(',')}`);
      }
    }
    assert.equal(codeOf(() => decodeServerFrameParts([page], { maxBytes: page.length - 1 })), ProtocolErrorCode.OVERSIZED);
  });

  it('builds BLOB frames from runs of entries with the bytes encodeBlob gives for each', () => {
    const prng = new Prng(0x33);
    const entries = entriesOf(7, prng);
    const runs = [runOf(entries.slice(0, 3)), runOf(entries.slice(3, 4)), runOf(entries.slice(4))];
    const frames = encodeBlobFrames(0xfeedbeef, runs, 7);
    assert.deepEqual(frames.map(hex), entries.map((e) => hex(encodeBlob(0xfeedbeef, e.cursor, e.blob))));
    assert.deepEqual(encodeBlobFrames(5, [], 0), []);
  });

  it('refuses to build BLOB frames from a wrong count, entries out of order or a cut entry', () => {
    const prng = new Prng(0x44);
    const entries = entriesOf(3, prng);
    const run = runOf(entries);
    assert.equal(codeOf(() => encodeBlobFrames(1, [run], 2)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodeBlobFrames(1, [run], 4)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodeBlobFrames(1, [runOf([entries[1]!, entries[0]!])], 2)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodeBlobFrames(1, [run.subarray(0, run.length - 1)], 3)), ProtocolErrorCode.TRUNCATED);
  });
});
