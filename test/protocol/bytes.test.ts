import assert from 'node:assert/strict';
import {
  ByteReader,
  ByteWriter,
  compareBytes,
  fromHex,
  isWellFormedText,
  toHex,
  U64_MAX,
  U64_SAFE_MAX,
  utf8Decode,
} from '../../protocol/bytes.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { codeOf } from '../helpers/vectors.js';

describe('protocol/bytes', () => {
  it('writes integers big-endian at fixed width', () => {
    const out = new ByteWriter().u8(0xab).u16(0x0102).u32(0x03040506).u64(0x0708090a0b0c).finish();
    assert.equal(toHex(out), 'ab01020304050600000708090a0b0c');
  });

  it('reads back what it wrote, including the largest safe u64', () => {
    const out = new ByteWriter().u8(255).u16(65535).u32(0xffffffff).u64(U64_SAFE_MAX).bytes16(Uint8Array.of(1, 2), 10).finish();
    const r = new ByteReader(out);
    assert.equal(r.u8(), 255);
    assert.equal(r.u16(), 65535);
    assert.equal(r.u32(), 0xffffffff);
    assert.equal(r.u64(), U64_SAFE_MAX);
    assert.deepEqual(r.bytes16(10), Uint8Array.of(1, 2));
    r.end();
  });

  it('rejects a u64 above 2^53-1 as an invalid field', () => {
    const r = new ByteReader(fromHex('0020000000000000'));
    assert.equal(codeOf(() => r.u64()), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => new ByteWriter().u64(2 ** 53)), ProtocolErrorCode.INVALID_FIELD);
  });

  it('reads and writes a u64 bigint over the whole range, big-endian', () => {
    const out = new ByteWriter().u64Big(0n).u64Big(0x0102030405060708n).u64Big(U64_MAX).finish();
    assert.equal(toHex(out), '0000000000000000' + '0102030405060708' + 'ffffffffffffffff');
    const r = new ByteReader(out);
    assert.equal(r.u64Big(), 0n);
    assert.equal(r.u64Big(), 0x0102030405060708n);
    assert.equal(r.u64Big(), U64_MAX);
    r.end();
    assert.equal(U64_MAX, 2n ** 64n - 1n);
  });

  it('refuses to write a u64 bigint below zero or above 2^64-1', () => {
    assert.equal(codeOf(() => new ByteWriter().u64Big(-1n)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => new ByteWriter().u64Big(U64_MAX + 1n)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => new ByteReader(new Uint8Array(7)).u64Big()), ProtocolErrorCode.TRUNCATED);
  });

  it('hands out a view into the input without copying, bounds-checked', () => {
    const input = Uint8Array.of(9, 1, 2, 3);
    const r = new ByteReader(input);
    r.u8();
    const v = r.view(3);
    assert.deepEqual(v, Uint8Array.of(1, 2, 3));
    input[1] = 7;
    assert.equal(v[0], 7, 'a view, not a copy');
    assert.equal(codeOf(() => new ByteReader(input).view(5)), ProtocolErrorCode.TRUNCATED);
  });

  it('returns exactly the bytes written whether or not they fill its buffer, and a later write leaves them alone', () => {
    const w = new ByteWriter(16).u64Big(1n).u64Big(2n);
    const exact = w.finish();
    assert.equal(toHex(exact), '0000000000000001' + '0000000000000002');
    w.u8(5);
    assert.equal(toHex(exact), '0000000000000001' + '0000000000000002');
    assert.equal(toHex(w.finish()), '0000000000000001' + '0000000000000002' + '05');
    assert.equal(toHex(new ByteWriter(64).u8(1).finish()), '01');
  });

  it('reports truncation for every read past the end', () => {
    assert.equal(codeOf(() => new ByteReader(new Uint8Array(0)).u8()), ProtocolErrorCode.TRUNCATED);
    assert.equal(codeOf(() => new ByteReader(new Uint8Array(1)).u16()), ProtocolErrorCode.TRUNCATED);
    assert.equal(codeOf(() => new ByteReader(new Uint8Array(3)).u32()), ProtocolErrorCode.TRUNCATED);
    assert.equal(codeOf(() => new ByteReader(new Uint8Array(7)).u64()), ProtocolErrorCode.TRUNCATED);
    assert.equal(codeOf(() => new ByteReader(Uint8Array.of(0, 5, 1)).bytes16(10)), ProtocolErrorCode.TRUNCATED);
  });

  it('rejects a length prefix above its maximum as oversized before reading the bytes', () => {
    assert.equal(codeOf(() => new ByteReader(Uint8Array.of(0, 11)).bytes16(10)), ProtocolErrorCode.OVERSIZED);
    assert.equal(codeOf(() => new ByteReader(fromHex('ffffffff')).bytes32(100)), ProtocolErrorCode.OVERSIZED);
  });

  it('rejects trailing bytes at the end of a structure', () => {
    const r = new ByteReader(Uint8Array.of(1, 2));
    r.u8();
    assert.equal(codeOf(() => r.end()), ProtocolErrorCode.OVERSIZED);
  });

  it('refuses to write a byte string longer than its maximum', () => {
    assert.equal(codeOf(() => new ByteWriter().bytes8(new Uint8Array(3), 2)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => new ByteWriter().fixed(new Uint8Array(3), 2)), ProtocolErrorCode.INVALID_FIELD);
  });

  it('rejects invalid UTF-8 and keeps a leading byte order mark', () => {
    assert.equal(codeOf(() => utf8Decode(Uint8Array.of(0xc0, 0x80))), ProtocolErrorCode.INVALID_FIELD); // overlong
    assert.equal(codeOf(() => utf8Decode(Uint8Array.of(0xed, 0xa0, 0x80))), ProtocolErrorCode.INVALID_FIELD); // surrogate
    assert.equal(codeOf(() => utf8Decode(Uint8Array.of(0xe2, 0x82))), ProtocolErrorCode.INVALID_FIELD); // cut short
    assert.equal(utf8Decode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)), '\ufeffa');
  });

  it('tells well-formed text from text with lone surrogates', () => {
    assert.equal(isWellFormedText('a😀b'), true);
    assert.equal(isWellFormedText('a\ud83d'), false);
    assert.equal(isWellFormedText('\ude00a'), false);
  });

  it('compares byte strings lexicographically', () => {
    assert.ok(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)) < 0);
    assert.ok(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 3)) > 0);
    assert.ok(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0)) < 0);
    assert.equal(compareBytes(Uint8Array.of(1, 0), Uint8Array.of(1, 0)), 0);
  });

  it('round-trips hex and rejects uppercase or odd-length hex as malformed', () => {
    assert.equal(toHex(fromHex('00ff10')), '00ff10');
    assert.equal(codeOf(() => fromHex('0F')), ProtocolErrorCode.MALFORMED);
    assert.equal(codeOf(() => fromHex('0')), ProtocolErrorCode.MALFORMED);
  });
});
