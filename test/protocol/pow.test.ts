import assert from 'node:assert/strict';
import { blake2b, ready } from '../../protocol/crypto.js';
import {
  POW_LABEL,
  blobHash,
  leadingZeroBits,
  powDigest,
  solvePow,
  verifyPow,
} from '../../protocol/pow.js';
import { isProtocolError, ProtocolErrorCode } from '../../protocol/errors.js';

const context = new Uint8Array(32).fill(0x11);
const otherContext = new Uint8Array(32).fill(0x22);

function solve(ctx: Uint8Array, hash: Uint8Array, difficulty: number): bigint {
  const nonce = solvePow(ctx, hash, difficulty, { start: 0n, attempts: 1 << 22 });
  assert.notEqual(nonce, null);
  return nonce!;
}

describe('protocol/pow', () => {
  before(async () => {
    await ready();
  });

  it('counts leading zero bits from the most significant bit of the first byte', () => {
    const table: Array<[number[], number]> = [
      [[0x80], 0],
      [[0x40], 1],
      [[0x01], 7],
      [[0x00, 0xff], 8],
      [[0x00, 0x00, 0x10], 19],
      [[0x00, 0x00], 16],
    ];
    for (const [bytes, bits] of table) assert.equal(leadingZeroBits(Uint8Array.from(bytes)), bits, `for ${bytes.join(',')}`);
  });

  it('hashes the label, the context, the blob hash and the nonce as 8 big-endian bytes', () => {
    const hash = blobHash(Uint8Array.of(1, 2, 3));
    const input = new Uint8Array([...POW_LABEL, ...context, ...hash, 0, 0, 0, 0, 0, 0, 0x01, 0x02]);
    assert.deepEqual(powDigest(context, hash, 0x0102n), blake2b(32, input));
  });

  it('finds a nonce that verifies at the difficulty it was solved for', () => {
    const hash = blobHash(Uint8Array.of(7, 7, 7));
    const nonce = solve(context, hash, 12);
    assert.ok(leadingZeroBits(powDigest(context, hash, nonce)) >= 12);
    assert.equal(verifyPow(context, hash, nonce, 12), true);
  });

  it('rejects a proof made for another pub or another blob', () => {
    const hash = blobHash(Uint8Array.of(1));
    const nonce = solve(context, hash, 14);
    assert.equal(verifyPow(otherContext, hash, nonce, 14), false);
    assert.equal(verifyPow(context, blobHash(Uint8Array.of(2)), nonce, 14), false);
  });

  it('rejects a nonce whose digest has fewer zero bits than the difficulty', () => {
    const hash = blobHash(Uint8Array.of(9));
    const nonce = solve(context, hash, 8);
    const bits = leadingZeroBits(powDigest(context, hash, nonce));
    assert.equal(verifyPow(context, hash, nonce, bits + 1), false);
    assert.equal(verifyPow(context, hash, nonce, bits), true);
  });

  it('accepts any nonce at difficulty 0 and returns the first nonce tried', () => {
    const hash = blobHash(Uint8Array.of(3));
    assert.equal(verifyPow(context, hash, 12345n, 0), true);
    assert.equal(solvePow(context, hash, 0, { start: 42n, attempts: 1 }), 42n);
  });

  it('returns null when no nonce in the range proves the difficulty', () => {
    assert.equal(solvePow(context, blobHash(Uint8Array.of(4)), 48, { start: 0n, attempts: 16 }), null);
  });

  it('rejects a context or hash of the wrong length and a difficulty out of range', () => {
    const hash = blobHash(Uint8Array.of(5));
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        assert.ok(isProtocolError(err));
        return err.code;
      }
      return 'no error';
    };
    assert.equal(codeOf(() => verifyPow(new Uint8Array(31), hash, 0n, 1)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => verifyPow(context, new Uint8Array(33), 0n, 1)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => verifyPow(context, hash, 0n, 65)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => solvePow(context, hash, -1, { start: 0n, attempts: 1 })), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => powDigest(context, hash, -1n)), ProtocolErrorCode.INVALID_FIELD);
  });

  it('treats a nonce outside u64 as not proving anything', () => {
    assert.equal(verifyPow(context, blobHash(Uint8Array.of(6)), 1n << 64n, 0), false);
  });
});
