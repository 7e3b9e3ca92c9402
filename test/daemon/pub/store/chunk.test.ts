/**
 * The pub store's CHUNK record codec (daemon/pub/store/chunk.ts): a committed byte vector, round
 * trips, every way decodeChunk must refuse a record, and entries() being PAGE-frame entries.
 */
import assert from 'node:assert/strict';
import {
  CHUNK_ENTRY_HEADER_BYTES,
  CHUNK_FLAG_SEALED,
  CHUNK_RECORD_VERSION,
  decodeChunk,
  encodeChunk,
  type ChunkEntry,
} from '../../../../daemon/pub/store/chunk.js';
import { PubErrorCode } from '../../../../daemon/pub/errors.js';
import { PAGE_OVERHEAD_BYTES, encodePage } from '../../../../protocol/pub-wire.js';
import { errorCode } from '../../../helpers/store-fixtures.js';

/** The blob lengths the vector's records are decoded with (short, so the vector stays short). */
const SIZES = [16, 32];

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

function filled(length: number, first: number, rest: number): Uint8Array {
  const b = new Uint8Array(length).fill(rest);
  b[0] = first;
  return b;
}

/** Cursors 7 and 8, received at 1,700,000,000,000 ms and one ms later. */
const VECTOR_ENTRIES: ChunkEntry[] = [
  { cursor: 7n, receivedAt: 1_700_000_000_000, hash: new Uint8Array(32).fill(0x11), blob: filled(16, 0x01, 0xaa) },
  { cursor: 8n, receivedAt: 1_700_000_000_001, hash: new Uint8Array(32).fill(0x22), blob: filled(32, 0x01, 0xbb) },
];

/** The sealed record of VECTOR_ENTRIES, written out by hand from the format in chunk.ts. */
const VECTOR_HEX = [
  '01', // version
  '01', // flags: sealed
  '0002', // count
  // metadata: received-at ms u64 || blob hash (32), per blob
  '0000018bcfe56800',
  '1111111111111111111111111111111111111111111111111111111111111111',
  '0000018bcfe56801',
  '2222222222222222222222222222222222222222222222222222222222222222',
  // entries: cursor u64 || length u32 || blob, per blob
  '0000000000000007',
  '00000010',
  '01' + 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  '0000000000000008',
  '00000020',
  '01' + 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
].join('');

/** Offset of the first entry in a 2-blob record: header (4) + 2 × metadata (40). */
const ENTRIES_AT = 4 + 2 * 40;

function assertCorrupt(last: bigint, record: Uint8Array, sizes: readonly number[] = SIZES, why = ''): void {
  assert.equal(errorCode(() => decodeChunk(last, record, sizes)), PubErrorCode.STORE_CORRUPT, why);
}

/** The vector with `edit` applied to a copy. */
function edited(edit: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const b = fromHex(VECTOR_HEX);
  edit(b, new DataView(b.buffer, b.byteOffset, b.byteLength));
  return b;
}

describe('daemon/pub/store/chunk', () => {
  it('encodes two blobs to the committed byte vector', () => {
    assert.equal(VECTOR_HEX.length / 2, ENTRIES_AT + 2 * CHUNK_ENTRY_HEADER_BYTES + 16 + 32);
    assert.equal(hex(encodeChunk(VECTOR_ENTRIES, true)), VECTOR_HEX);
    const unsealed = encodeChunk(VECTOR_ENTRIES, false);
    assert.equal(hex(unsealed), '0100' + VECTOR_HEX.slice(4));
  });

  it('decodes the committed vector to the same cursors, times, hashes and blobs', () => {
    const chunk = decodeChunk(8n, fromHex(VECTOR_HEX), SIZES);
    assert.equal(chunk.first, 7n);
    assert.equal(chunk.last, 8n);
    assert.equal(chunk.count, 2);
    assert.equal(chunk.sealed, true);
    assert.equal(chunk.blobBytes, 48);
    for (let i = 0; i < 2; i++) {
      const want = VECTOR_ENTRIES[i]!;
      assert.equal(chunk.cursor(i), want.cursor);
      assert.equal(chunk.receivedAt(i), want.receivedAt);
      assert.deepEqual(chunk.hash(i), want.hash);
      assert.deepEqual(chunk.blob(i), want.blob);
      assert.equal(chunk.blobLength(i), want.blob.length);
      assert.deepEqual(chunk.entry(i), want);
    }
    assert.equal(decodeChunk(8n, encodeChunk(VECTOR_ENTRIES, false), SIZES).sealed, false);
  });

  it('round-trips a chunk of many blobs of mixed sizes, also from a record inside a larger buffer', () => {
    const sizes = [2048, 8192];
    const entries: ChunkEntry[] = [];
    for (let i = 0; i < 40; i++) {
      const blob = new Uint8Array(i % 3 === 0 ? 8192 : 2048);
      for (let j = 0; j < blob.length; j += 97) blob[j] = (i * 31 + j) & 0xff;
      blob[0] = 0x01;
      const hash = new Uint8Array(32).fill(i);
      entries.push({ cursor: 1000n + BigInt(i), receivedAt: 1_600_000_000_000 + i * 1000, hash, blob });
    }
    const record = encodeChunk(entries, false);
    // LevelDB hands out Buffers that are views into a larger pool at a nonzero offset.
    const pool = new Uint8Array(record.length + 13);
    pool.set(record, 5);
    const inPool = pool.subarray(5, 5 + record.length);
    for (const r of [record, inPool]) {
      const chunk = decodeChunk(1039n, r, sizes);
      assert.equal(chunk.first, 1000n);
      assert.equal(chunk.count, 40);
      assert.equal(chunk.sealed, false);
      assert.equal(chunk.blobBytes, entries.reduce((n, e) => n + e.blob.length, 0));
      for (let i = 0; i < 40; i++) assert.deepEqual(chunk.entry(i), entries[i]);
      assert.deepEqual(encodeChunk(entries.map((_, i) => chunk.entry(i)), false), record);
    }
  });

  it('refuses to encode no blobs, cursors that are not consecutive, or a hash that is not 32 bytes', () => {
    const [a, b] = VECTOR_ENTRIES as [ChunkEntry, ChunkEntry];
    assert.throws(() => encodeChunk([], true), RangeError);
    assert.throws(() => encodeChunk([a, { ...b, cursor: 9n }], true), RangeError);
    assert.throws(() => encodeChunk([b, a], true), RangeError);
    assert.throws(() => encodeChunk([{ ...a, hash: new Uint8Array(31) }], true), RangeError);
  });

  describe('decodeChunk rejects with STORE_CORRUPT', () => {
    it('a wrong version byte', () => {
      for (const version of [0x00, CHUNK_RECORD_VERSION + 1, 0xff]) {
        assertCorrupt(8n, edited((b) => { b[0] = version; }), SIZES, `version ${version}`);
      }
    });

    it('flag bits other than sealed', () => {
      for (const flags of [0x02, 0x80, CHUNK_FLAG_SEALED | 0x04, 0xff]) {
        assertCorrupt(8n, edited((b) => { b[1] = flags; }), SIZES, `flags ${flags}`);
      }
    });

    it('a count of 0', () => {
      assertCorrupt(8n, edited((_b, v) => v.setUint16(2, 0)));
      assertCorrupt(8n, Uint8Array.of(CHUNK_RECORD_VERSION, 0, 0, 0));
    });

    it('a count that does not match the entries', () => {
      assertCorrupt(8n, edited((_b, v) => v.setUint16(2, 1)));
      assertCorrupt(8n, edited((_b, v) => v.setUint16(2, 3)));
    });

    it('a cursor that does not follow the one before', () => {
      assertCorrupt(8n, edited((_b, v) => v.setBigUint64(ENTRIES_AT + CHUNK_ENTRY_HEADER_BYTES + 16, 9n)));
      assertCorrupt(8n, edited((_b, v) => v.setBigUint64(ENTRIES_AT + CHUNK_ENTRY_HEADER_BYTES + 16, 7n)));
      assertCorrupt(8n, edited((_b, v) => v.setBigUint64(ENTRIES_AT, 6n)));
    });

    it('cursors that do not end at the last cursor its key names', () => {
      const record = fromHex(VECTOR_HEX);
      assertCorrupt(9n, record);
      assertCorrupt(7n, record);
      assertCorrupt((1n << 64n) - 1n, record);
      // Two blobs keyed at cursor 1 would start at cursor 0, which no blob has.
      const atZero = encodeChunk(VECTOR_ENTRIES.map((e, i) => ({ ...e, cursor: BigInt(i) })), true);
      assertCorrupt(1n, atZero);
    });

    it('a blob length that is not one of the accepted sizes', () => {
      const record = fromHex(VECTOR_HEX);
      assertCorrupt(8n, record, [16]);
      assertCorrupt(8n, record, [32]);
      assertCorrupt(8n, record, []);
      assertCorrupt(8n, edited((_b, v) => v.setUint32(ENTRIES_AT + 8, 17)));
      assertCorrupt(8n, edited((_b, v) => v.setUint32(ENTRIES_AT + 8, 0xffff_ffff)));
    });

    it('a record cut short anywhere', () => {
      const record = fromHex(VECTOR_HEX);
      for (let n = 0; n < record.length; n++) assertCorrupt(8n, record.subarray(0, n), SIZES, `cut to ${n} bytes`);
    });

    it('trailing bytes after the last entry', () => {
      const record = fromHex(VECTOR_HEX);
      for (const extra of [1, 12, 100]) {
        const longer = new Uint8Array(record.length + extra);
        longer.set(record);
        assertCorrupt(8n, longer, SIZES, `${extra} trailing bytes`);
      }
    });
  });

  it('gives entries(i, j) exactly as a PAGE frame carries those blobs after its header', () => {
    const entries: ChunkEntry[] = [];
    for (let i = 0; i < 5; i++) {
      entries.push({ cursor: 41n + BigInt(i), receivedAt: 1_700_000_000_000 + i, hash: new Uint8Array(32).fill(i), blob: filled(i % 2 === 0 ? 16 : 32, 0x01, 0x30 + i) });
    }
    const chunk = decodeChunk(45n, encodeChunk(entries, true), SIZES);
    const head = { requestId: 3, more: false, pruned: false, start: 1n, next: 45n, head: 45n };
    for (let i = 0; i <= 5; i++) {
      for (let j = i; j <= 5; j++) {
        const page = encodePage({ ...head, blobs: entries.slice(i, j).map((e) => ({ cursor: e.cursor, blob: e.blob })) });
        assert.equal(hex(chunk.entries(i, j)), hex(page.subarray(PAGE_OVERHEAD_BYTES)), `entries(${i}, ${j})`);
      }
    }
  });
});
