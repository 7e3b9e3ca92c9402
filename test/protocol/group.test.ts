import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { ready } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { deriveGroupKeys, generateGroupSecret } from '../../protocol/group.js';
import { codeOf, readVectors, type GroupVector } from '../helpers/vectors.js';

describe('protocol/group', () => {
  before(ready);

  it('derives the committed id, blob key and binding from each vector secret', () => {
    const { vectors } = readVectors<{ vectors: GroupVector[] }>('group');
    assert.ok(vectors.length >= 3);
    for (const v of vectors) {
      const k = deriveGroupKeys(fromHex(v.secret));
      assert.equal(k.groupId, v.groupId);
      assert.equal(toHex(k.id), v.groupId);
      assert.equal(toHex(k.blobKey), v.blobKey);
      assert.equal(toHex(k.binding), v.binding);
      assert.equal(toHex(k.secret), v.secret);
    }
  });

  it('derives three distinct values from one secret', () => {
    const k = deriveGroupKeys(generateGroupSecret());
    const all = new Set([toHex(k.id), toHex(k.blobKey), toHex(k.binding), toHex(k.secret)]);
    assert.equal(all.size, 4);
  });

  it('gives different groups different ids', () => {
    assert.notEqual(deriveGroupKeys(generateGroupSecret()).groupId, deriveGroupKeys(generateGroupSecret()).groupId);
  });

  it('rejects a secret that is not 32 bytes', () => {
    assert.equal(codeOf(() => deriveGroupKeys(new Uint8Array(31))), ProtocolErrorCode.BAD_KEY);
    assert.equal(codeOf(() => deriveGroupKeys(new Uint8Array(33))), ProtocolErrorCode.BAD_KEY);
  });
});
