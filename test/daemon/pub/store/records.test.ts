/**
 * The store's key and record codecs (daemon/pub/store/records.ts): committed byte vectors for
 * every key and record, each checked both ways, and one test per rejection (STORE_CORRUPT, or
 * null for a FILTER record, which is a cache built again when unreadable).
 */
import assert from 'node:assert/strict';
import { PubErrorCode } from '../../../../daemon/pub/errors.js';
import {
  CHUNK_END,
  CHUNK_FIRST,
  FILTER_KEY,
  INDEXED_KEY,
  LAYOUT_PER_BLOB,
  POW_CONTEXT_KEY,
  PREFIX_CHUNK,
  PREFIX_LEGACY_BLOB,
  STATE_KEY,
  STORE_LAYOUT_VERSION,
  STORE_RECORD_VERSION,
  U64_MAX,
  chunkKey,
  cursorOfKey,
  decodeFilterRecord,
  decodeIndex,
  decodeIndexed,
  decodePowContext,
  decodeState,
  encodeFilterRecord,
  encodeIndex,
  encodePowContext,
  encodeState,
  indexKey,
} from '../../../../daemon/pub/store/records.js';
import { errorCode } from '../../../helpers/store-fixtures.js';

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

function assertCorrupt(fn: () => unknown, why = ''): void {
  assert.equal(errorCode(fn), PubErrorCode.STORE_CORRUPT, why);
}

/** last 300, floor 44, 256 blobs, 524,288 bytes, written out by hand from README.md. */
const STATE = { last: 300n, floor: 44n, blobs: 256, bytes: 524_288 };
const STATE_HEX = [
  '02', // layout: chunks
  '000000000000012c', // last cursor
  '000000000000002c', // prune floor
  '0000000000000100', // blobs
  '0000000000080000', // bytes
].join('');

const POW = Uint8Array.from({ length: 32 }, (_, i) => 0xc0 ^ i);
const POW_HEX = '01' + 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf';

describe('daemon/pub/store/records', () => {
  it('names the keys of the log and the index as the layout says', () => {
    assert.equal(hex(STATE_KEY), '0001');
    assert.equal(hex(POW_CONTEXT_KEY), '0002');
    assert.equal(hex(INDEXED_KEY), '0001');
    assert.equal(hex(FILTER_KEY), '0002');
    assert.equal(hex(CHUNK_FIRST), '03');
    assert.equal(hex(CHUNK_END), '04');
    assert.equal(hex(chunkKey(0x0102n)), '030000000000000102');
    assert.equal(hex(chunkKey(U64_MAX)), '03ffffffffffffffff');
    assert.equal(hex(indexKey(new Uint8Array(32).fill(0xab))), '02' + 'ab'.repeat(32));
    assert.equal(STORE_RECORD_VERSION, 0x01);
    assert.equal(STORE_LAYOUT_VERSION, 0x02);
    assert.equal(LAYOUT_PER_BLOB, 0x01);
  });

  it('sorts chunk keys in cursor order, between CHUNK_FIRST and CHUNK_END', () => {
    const cursors = [1n, 255n, 256n, 65_536n, 1n << 40n, U64_MAX];
    const keys = cursors.map((c) => Buffer.from(chunkKey(c)));
    const sorted = [...keys].sort(Buffer.compare);
    assert.deepEqual(sorted.map((k) => k.toString('hex')), keys.map((k) => k.toString('hex')));
    for (const k of keys) {
      assert.ok(Buffer.compare(k, Buffer.from(CHUNK_FIRST)) > 0);
      assert.ok(Buffer.compare(k, Buffer.from(CHUNK_END)) < 0);
    }
  });

  it('reads a u64 key back to its cursor, and refuses a key of another prefix or length', () => {
    assert.equal(cursorOfKey(fromHex('030000000000000102'), PREFIX_CHUNK), 0x0102n);
    assert.equal(cursorOfKey(chunkKey(U64_MAX), PREFIX_CHUNK), U64_MAX);
    assert.equal(cursorOfKey(fromHex('010000000000000009'), PREFIX_LEGACY_BLOB), 9n);
    assertCorrupt(() => cursorOfKey(fromHex('010000000000000009'), PREFIX_CHUNK), 'another prefix');
    assertCorrupt(() => cursorOfKey(fromHex('0300000000000001'), PREFIX_CHUNK), 'a key cut short');
    assertCorrupt(() => cursorOfKey(fromHex('03000000000000000100'), PREFIX_CHUNK), 'a key too long');
  });

  describe('STATE', () => {
    it('encodes to the committed vector and decodes it to the same fields, in the chunk layout', () => {
      assert.equal(hex(encodeState(STATE)), STATE_HEX);
      assert.deepEqual(decodeState(fromHex(STATE_HEX)), { layout: STORE_LAYOUT_VERSION, ...STATE });
    });

    it('decodes a STATE of the per-blob layout, naming that layout', () => {
      const v1 = fromHex('01' + STATE_HEX.slice(2));
      assert.deepEqual(decodeState(v1), { layout: LAYOUT_PER_BLOB, ...STATE });
    });

    it('decodes from a view inside a larger buffer', () => {
      const big = new Uint8Array(100);
      big.set(fromHex(STATE_HEX), 7);
      assert.deepEqual(decodeState(big.subarray(7, 7 + 33)), { layout: STORE_LAYOUT_VERSION, ...STATE });
    });

    it('refuses a layout it does not know', () => {
      assertCorrupt(() => decodeState(fromHex('03' + STATE_HEX.slice(2))));
      assertCorrupt(() => decodeState(fromHex('00' + STATE_HEX.slice(2))));
    });

    it('refuses a record cut short or with trailing bytes', () => {
      assertCorrupt(() => decodeState(fromHex(STATE_HEX.slice(0, -2))));
      assertCorrupt(() => decodeState(fromHex(STATE_HEX + '00')));
      assertCorrupt(() => decodeState(new Uint8Array(0)));
    });

    it('refuses a prune floor above the last cursor', () => {
      assertCorrupt(() => decodeState(encodeState({ ...STATE, floor: 301n })));
      assert.deepEqual(decodeState(encodeState({ ...STATE, floor: 300n })).floor, 300n, 'a floor at the last cursor: every blob pruned');
    });
  });

  describe('POW CONTEXT', () => {
    it('encodes to the committed vector and decodes it to a plain copy of the context', () => {
      assert.equal(hex(encodePowContext(POW)), POW_HEX);
      const record = Buffer.from(POW_HEX, 'hex');
      const ctx = decodePowContext(record);
      assert.deepEqual(ctx, POW);
      assert.equal(Object.getPrototypeOf(ctx), Uint8Array.prototype, 'not a Buffer');
      record[1] = 0;
      assert.equal(ctx[0], 0xc0, 'a copy, not a view');
    });

    it('refuses a missing record, a wrong version and a wrong length', () => {
      assertCorrupt(() => decodePowContext(undefined), 'missing');
      assertCorrupt(() => decodePowContext(fromHex('02' + POW_HEX.slice(2))), 'version');
      assertCorrupt(() => decodePowContext(fromHex(POW_HEX.slice(0, -2))), 'short');
      assertCorrupt(() => decodePowContext(fromHex(POW_HEX + '00')), 'long');
    });
  });

  describe('INDEX and INDEXED', () => {
    it('encodes a cursor to the committed vector and decodes it back', () => {
      assert.equal(hex(encodeIndex(0x0102n)), '01' + '0000000000000102');
      assert.equal(decodeIndex(fromHex('010000000000000102')), 0x0102n);
      assert.equal(decodeIndex(encodeIndex(U64_MAX)), U64_MAX);
    });

    it('reads a missing INDEXED mark as 0 (a new or lost index)', () => {
      assert.equal(decodeIndexed(undefined), 0n);
      assert.equal(decodeIndexed(fromHex('010000000000000102')), 0x0102n);
    });

    it('refuses a wrong version and a wrong length', () => {
      assertCorrupt(() => decodeIndex(fromHex('020000000000000102')), 'version');
      assertCorrupt(() => decodeIndex(fromHex('0100000000000001')), 'short');
      assertCorrupt(() => decodeIndex(fromHex('01000000000000010200')), 'long');
      assertCorrupt(() => decodeIndexed(fromHex('00')), 'INDEXED too');
    });
  });

  describe('FILTER', () => {
    const saved = fromHex('01050000000000000003000000000000000400000000');
    const FILTER_HEX = '01' + '000000000000012c' + '0000000000000007' + hex(saved);

    it('encodes to the committed vector and decodes it to the same fields', () => {
      assert.equal(hex(encodeFilterRecord({ covers: 300n, builtWith: 7, saved })), FILTER_HEX);
      const r = decodeFilterRecord(fromHex(FILTER_HEX));
      assert.ok(r !== null);
      assert.equal(r.covers, 300n);
      assert.equal(r.builtWith, 7);
      assert.equal(hex(r.saved), hex(saved));
    });

    it('reads a missing record, a wrong version or one with no filter after its header as none', () => {
      assert.equal(decodeFilterRecord(undefined), null);
      assert.equal(decodeFilterRecord(fromHex('02' + FILTER_HEX.slice(2))), null);
      assert.equal(decodeFilterRecord(fromHex(FILTER_HEX.slice(0, 2 + 32))), null, 'the header alone');
      assert.equal(decodeFilterRecord(new Uint8Array(0)), null);
    });
  });
});
