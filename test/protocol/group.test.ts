import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { blake2b, ready } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import {
  decodeEpochName,
  deriveEpochKeys,
  encodeEpochName,
  epochNameEqual,
  firstEpoch,
  generateEpochSecret,
  nextEpoch,
} from '../../protocol/group.js';
import { codeOf, readVectors, type EpochVector } from '../helpers/vectors.js';

const id = (n: number) => blake2b(32, Uint8Array.of(n));

describe('protocol/group (epochs)', () => {
  before(ready);

  it('derives the committed blob key and binding from each vector input', () => {
    const { vectors } = readVectors<{ vectors: EpochVector[] }>('group');
    assert.ok(vectors.length >= 3);
    for (const v of vectors) {
      const k = deriveEpochKeys(fromHex(v.epochSecret), fromHex(v.groupId), { number: v.epochNumber, opener: fromHex(v.epochOpener) });
      assert.equal(toHex(k.blobKey), v.blobKey, v.description);
      assert.equal(toHex(k.binding), v.binding, v.description);
      assert.equal(k.groupIdHex, v.groupId);
    }
  });

  it('gives distinct keys to concurrent epochs of one number and to other groups', () => {
    const secret = generateEpochSecret();
    const a = deriveEpochKeys(secret, id(1), { number: 1, opener: id(2) });
    const b = deriveEpochKeys(secret, id(1), { number: 1, opener: id(3) });
    const c = deriveEpochKeys(secret, id(9), { number: 1, opener: id(2) });
    const d = deriveEpochKeys(secret, id(1), { number: 2, opener: id(2) });
    const all = new Set([a, b, c, d].flatMap((k) => [toHex(k.blobKey), toHex(k.binding)]));
    assert.equal(all.size, 8);
  });

  it("names epoch 0 by the group id and refuses another opener for it", () => {
    assert.ok(epochNameEqual(firstEpoch(id(1)), { number: 0, opener: id(1) }));
    assert.equal(codeOf(() => deriveEpochKeys(generateEpochSecret(), id(1), { number: 0, opener: id(2) })), ProtocolErrorCode.INVALID_FIELD);
  });

  it('names the next epoch by the number after and the opening entry', () => {
    const next = nextEpoch({ number: 4, opener: id(1) }, id(5));
    assert.ok(epochNameEqual(next, { number: 5, opener: id(5) }));
    assert.equal(codeOf(() => nextEpoch({ number: 0xffff_ffff, opener: id(1) }, id(5))), ProtocolErrorCode.INVALID_FIELD);
  });

  it('encodes an epoch name as number u32 || opener and decodes it back', () => {
    const e = { number: 0x01020304, opener: id(7) };
    const bytes = encodeEpochName(e);
    assert.equal(toHex(bytes.subarray(0, 4)), '01020304');
    assert.ok(epochNameEqual(decodeEpochName(bytes), e));
    assert.equal(codeOf(() => decodeEpochName(bytes.subarray(0, 35))), ProtocolErrorCode.TRUNCATED);
    assert.equal(codeOf(() => decodeEpochName(new Uint8Array(36))), ProtocolErrorCode.INVALID_FIELD);
  });

  it('rejects a secret that is not 32 bytes and a bad epoch name', () => {
    assert.equal(codeOf(() => deriveEpochKeys(new Uint8Array(31), id(1), firstEpoch(id(1)))), ProtocolErrorCode.BAD_KEY);
    assert.equal(codeOf(() => deriveEpochKeys(generateEpochSecret(), id(1), { number: -1, opener: id(2) })), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => deriveEpochKeys(generateEpochSecret(), id(1), { number: 2 ** 32, opener: id(2) })), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => deriveEpochKeys(generateEpochSecret(), id(1), { number: 1, opener: new Uint8Array(32) })), ProtocolErrorCode.INVALID_FIELD);
  });
});
