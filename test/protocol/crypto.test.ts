import assert from 'node:assert/strict';
import sodium from 'libsodium-wrappers-sumo';
import { fromHex, utf8Encode } from '../../protocol/bytes.js';
import {
  ed25519IsValidPublicKey,
  ed25519KeyPairFromSeed,
  ed25519Verify,
  generateX25519KeyPair,
  labelledSigningInput,
  openSealed,
  ready,
  sealTo,
  signLabelled,
  verifyLabelled,
  x25519,
  x25519IsValidPublicKey,
  x25519KeyPairFromSeed,
} from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { codeOf } from '../helpers/vectors.js';

/** The ed25519 point of order 8 (one of the small-order encodings libsodium lists). */
const ORDER_8_POINT = fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');

/** X25519 public keys of small order (libsodium's blocklist, canonical ones). */
const X25519_SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map(fromHex);

describe('protocol/crypto', () => {
  before(ready);

  describe('ed25519 keys', () => {
    it('accepts an ordinary public key', () => {
      assert.ok(ed25519IsValidPublicKey(ed25519KeyPairFromSeed(new Uint8Array(32).fill(3)).publicKey));
    });

    it('rejects a small-order point and a mixed-order key (a valid key plus a point of order 8)', () => {
      const kp = ed25519KeyPairFromSeed(new Uint8Array(32).fill(4));
      const mixed = sodium.crypto_core_ed25519_add(kp.publicKey, ORDER_8_POINT);
      assert.equal(ed25519IsValidPublicKey(ORDER_8_POINT), false);
      assert.equal(ed25519IsValidPublicKey(mixed), false);
    });

    it('refuses a signature under a mixed-order key that libsodium alone would accept', () => {
      const kp = ed25519KeyPairFromSeed(new Uint8Array(32).fill(5));
      const mixed = sodium.crypto_core_ed25519_add(kp.publicKey, ORDER_8_POINT);
      // libsodium hashes the public key half of the secret key into the challenge: sign "as" the
      // mixed key until the challenge is a multiple of 8, so the torsion part vanishes.
      const secret = new Uint8Array(64);
      secret.set(kp.secretKey.subarray(0, 32));
      secret.set(mixed, 32);
      let found = false;
      for (let i = 0; i < 400 && !found; i++) {
        const message = utf8Encode(`message ${i}`);
        const sig = sodium.crypto_sign_detached(message, secret);
        if (sodium.crypto_sign_verify_detached(sig, message, mixed)) {
          found = true;
          assert.equal(ed25519Verify(sig, message, mixed), false);
        }
      }
      assert.ok(found, 'no signature under the mixed key verified in libsodium (expected about 1 in 8)');
    });
  });

  describe('labelled signatures', () => {
    const kp = () => ed25519KeyPairFromSeed(new Uint8Array(32).fill(6));

    it('signs u8 length || label || message and verifies only under the same label', () => {
      const message = utf8Encode('payload');
      assert.deepEqual(labelledSigningInput('snug/v2/x', message), Uint8Array.of(9, ...utf8Encode('snug/v2/x'), ...message));
      const sig = signLabelled('snug/v2/x', message, kp().secretKey);
      assert.ok(verifyLabelled('snug/v2/x', sig, message, kp().publicKey));
      assert.equal(verifyLabelled('snug/v2/y', sig, message, kp().publicKey), false);
    });

    it('is prefix-free: moving bytes between label and message changes what is signed', () => {
      const sig = signLabelled('snug/v2/ab', utf8Encode('c'), kp().secretKey);
      assert.equal(verifyLabelled('snug/v2/a', sig, utf8Encode('bc'), kp().publicKey), false);
    });

    it('rejects an empty or over-long label', () => {
      assert.equal(codeOf(() => signLabelled('', new Uint8Array(1), kp().secretKey)), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => signLabelled('x'.repeat(256), new Uint8Array(1), kp().secretKey)), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(verifyLabelled('', new Uint8Array(64), new Uint8Array(1), kp().publicKey), false);
    });
  });

  describe('X25519', () => {
    it('gives both sides the same shared secret', () => {
      const a = generateX25519KeyPair();
      const b = generateX25519KeyPair();
      assert.deepEqual(x25519(a.secretKey, b.publicKey), x25519(b.secretKey, a.publicKey));
    });

    it('derives the same key pair from the same seed', () => {
      assert.deepEqual(x25519KeyPairFromSeed(new Uint8Array(32).fill(1)), x25519KeyPairFromSeed(new Uint8Array(32).fill(1)));
    });

    it('rejects small-order and non-canonical public keys, and refuses DH with them', () => {
      const a = generateX25519KeyPair();
      for (const key of X25519_SMALL_ORDER) {
        assert.equal(x25519IsValidPublicKey(key), false);
        assert.equal(codeOf(() => x25519(a.secretKey, key)), ProtocolErrorCode.BAD_KEY);
      }
      const high = a.publicKey.slice();
      high[31] = high[31]! | 0x80;
      assert.equal(x25519IsValidPublicKey(high), false);
      assert.equal(x25519IsValidPublicKey(fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')), false);
      assert.ok(x25519IsValidPublicKey(a.publicKey));
    });
  });

  describe('sealed boxes', () => {
    it('open only with the recipient key pair', () => {
      const alice = generateX25519KeyPair();
      const bob = generateX25519KeyPair();
      const box = sealTo(utf8Encode('epoch secret'), alice.publicKey);
      assert.equal(box.length, 12 + 48);
      assert.deepEqual(openSealed(box, alice), utf8Encode('epoch secret'));
      assert.equal(openSealed(box, bob), null);
      const tampered = box.slice();
      tampered[40]! ^= 1;
      assert.equal(openSealed(tampered, alice), null);
      assert.equal(openSealed(box.subarray(0, 47), alice), null);
    });

    it('refuse to seal to a small-order key', () => {
      assert.equal(codeOf(() => sealTo(new Uint8Array(32), X25519_SMALL_ORDER[2]!)), ProtocolErrorCode.BAD_KEY);
    });
  });
});
