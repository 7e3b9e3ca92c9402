import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { ready } from '../../protocol/crypto.js';
import { identityFromSeed, publicKeyFromOnionAddress, torExpandedSecretKey } from '../../protocol/identity.js';
import { readVectors, type IdentityVector } from '../helpers/vectors.js';

describe('protocol/identity test vectors', () => {
  before(ready);
  const { vectors } = readVectors<{ vectors: IdentityVector[] }>('identity');

  it('has vectors to check', () => {
    assert.ok(vectors.length >= 5);
  });

  it('derives the committed public key, address and expanded key from each seed', () => {
    for (const v of vectors) {
      const id = identityFromSeed(fromHex(v.seed));
      assert.equal(toHex(id.publicKey), v.publicKey);
      assert.equal(id.address, v.address);
      assert.equal(toHex(torExpandedSecretKey(fromHex(v.seed))), v.expandedSecretKey);
    }
  });

  it('parses each committed address back to its public key', () => {
    for (const v of vectors) assert.equal(toHex(publicKeyFromOnionAddress(v.address)), v.publicKey);
  });

  it('agrees with values computed independently of this code for RFC 8032 test 1', () => {
    // RFC 8032 section 7.1 TEST 1, the onion address tor's own tests use for that key, and the
    // expanded key a real tor accepted in ADD_ONION (reporting this ServiceID).
    const id = identityFromSeed(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
    assert.equal(toHex(id.publicKey), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    assert.equal(id.address, '25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion');
    assert.equal(
      Buffer.from(torExpandedSecretKey(id.seed)).toString('base64'),
      'MHyDhk8oM8tCei7xwAoBPP3/J2jZgMCjpSDwBpBN6U+bTwr+KAt0aneGhOdUQlAgV7dHOgPwj5b1o46Sh+Afjw==',
    );
  });
});
