import assert from 'node:assert/strict';
import { BLOB_SIZE_LONG, BLOB_SIZE_MAX, BLOB_SIZE_STANDARD, BLOB_SIZES } from '../../protocol/constants.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { blobSizeFor, pad, unpad } from '../../protocol/padding.js';
import { codeOf } from '../helpers/vectors.js';

describe('protocol/padding', () => {
  it('pads to the exact length with a length prefix and zero fill, and unpads back', () => {
    const padded = pad(Uint8Array.of(9, 8, 7), 10);
    assert.deepEqual(padded, Uint8Array.of(0, 0, 0, 3, 9, 8, 7, 0, 0, 0));
    assert.deepEqual(unpad(padded), Uint8Array.of(9, 8, 7));
  });

  it('picks the smallest blob size the data fits, and none past the largest', () => {
    assert.deepEqual(BLOB_SIZES, [5120, 20480, 65536, 131072]);
    assert.equal(blobSizeFor(0), BLOB_SIZES[0]);
    assert.equal(blobSizeFor(BLOB_SIZE_STANDARD - 45), BLOB_SIZE_STANDARD);
    assert.equal(blobSizeFor(BLOB_SIZE_STANDARD - 44), BLOB_SIZE_LONG);
    assert.equal(blobSizeFor(BLOB_SIZE_MAX - 45), BLOB_SIZE_MAX);
    assert.equal(blobSizeFor(BLOB_SIZE_MAX - 44), null);
  });

  it('rejects non-zero fill as non-canonical', () => {
    const padded = pad(Uint8Array.of(1), 8);
    padded[7] = 1;
    assert.equal(codeOf(() => unpad(padded)), ProtocolErrorCode.NON_CANONICAL);
  });

  it('rejects a length prefix larger than the padded data', () => {
    assert.equal(codeOf(() => unpad(Uint8Array.of(0, 0, 0, 5, 1, 2, 3, 4))), ProtocolErrorCode.OVERSIZED);
    assert.equal(codeOf(() => unpad(Uint8Array.of(0, 0, 0))), ProtocolErrorCode.TRUNCATED);
  });

  it('refuses to pad data that does not fit', () => {
    assert.equal(codeOf(() => pad(new Uint8Array(5), 8)), ProtocolErrorCode.OVERSIZED);
  });
});
