import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { ready } from '../../protocol/crypto.js';
import { blobHash, leadingZeroBits, powDigest, solvePow, verifyPow } from '../../protocol/pow.js';
import { readVectors, type BlobVector, type PowVector } from '../helpers/vectors.js';

describe('protocol/pow test vectors', () => {
  before(ready);
  const { vectors } = readVectors<{ vectors: PowVector[] }>('pow');

  it('binds proofs to the blob hash of the committed blobs', () => {
    const blobs = readVectors<{ vectors: BlobVector[] }>('blob').vectors;
    const hashes = new Set(blobs.map((b) => toHex(blobHash(fromHex(b.blob)))));
    assert.ok(vectors.length >= 4);
    for (const v of vectors) assert.ok(hashes.has(v.blobHash));
  });

  it('finds the committed nonce as the first from 0 that proves each difficulty', () => {
    for (const v of vectors) {
      const nonce = solvePow(fromHex(v.powContext), fromHex(v.blobHash), v.difficulty, { start: 0n, attempts: 1 << 24 });
      assert.equal(nonce?.toString(), v.nonce);
    }
  });

  it('computes the committed digest, which proves exactly the committed bits', () => {
    for (const v of vectors) {
      const digest = powDigest(fromHex(v.powContext), fromHex(v.blobHash), BigInt(v.nonce));
      assert.equal(toHex(digest), v.digest);
      assert.equal(leadingZeroBits(digest), v.leadingZeroBits);
      assert.ok(v.leadingZeroBits >= v.difficulty);
      assert.equal(verifyPow(fromHex(v.powContext), fromHex(v.blobHash), BigInt(v.nonce), v.difficulty), true);
    }
  });
});
