import assert from 'node:assert/strict';
import { ready } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import {
  generateIdentity,
  identityFromSeed,
  onionAddressFromPublicKey,
  parseOnionAddress,
  publicKeyFromOnionAddress,
  torExpandedSecretKey,
} from '../../protocol/identity.js';
import { codeOf } from '../helpers/vectors.js';

describe('protocol/identity', () => {
  before(ready);

  it('derives an address that parses back to the same public key', () => {
    const id = generateIdentity();
    assert.match(id.address, /^[a-z2-7]{56}\.onion$/);
    assert.deepEqual(publicKeyFromOnionAddress(id.address), id.publicKey);
    assert.equal(parseOnionAddress(id.address.slice(0, 56)), id.address);
  });

  it('derives the same identity from the same seed', () => {
    const seed = new Uint8Array(32).fill(7);
    assert.equal(identityFromSeed(seed).address, identityFromSeed(seed).address);
  });

  it('rejects an address whose checksum does not match', () => {
    const id = generateIdentity();
    // Change one character of the key part; the checksum then no longer matches.
    const c = id.address[0] === 'a' ? 'b' : 'a';
    assert.equal(codeOf(() => publicKeyFromOnionAddress(c + id.address.slice(1))), ProtocolErrorCode.BAD_CHECKSUM);
  });

  it('rejects an address of the wrong length or alphabet', () => {
    assert.equal(codeOf(() => publicKeyFromOnionAddress('abc.onion')), ProtocolErrorCode.MALFORMED);
    const id = generateIdentity();
    assert.equal(codeOf(() => publicKeyFromOnionAddress(id.address.toUpperCase())), ProtocolErrorCode.MALFORMED);
  });

  it('rejects a small-order public key', () => {
    const identityPoint = new Uint8Array(32);
    identityPoint[0] = 1; // the neutral element, order 1
    assert.equal(codeOf(() => onionAddressFromPublicKey(identityPoint)), ProtocolErrorCode.BAD_KEY);
  });

  it('clamps the expanded secret key as tor expects', () => {
    const k = torExpandedSecretKey(new Uint8Array(32).fill(1));
    assert.equal(k.length, 64);
    assert.equal(k[0]! & 7, 0);
    assert.equal(k[31]! & 128, 0);
    assert.equal(k[31]! & 64, 64);
  });
});
