import assert from 'node:assert/strict';
import sodium from 'libsodium-wrappers-sumo';
import { fromHex, toHex } from '../../protocol/bytes.js';
import {
  CERTIFICATE_BYTES,
  certificateAddress,
  consumeCertificate,
  createCertificate,
  decodeCertificate,
  encodeCertificate,
  generateProfileKeys,
  profileKeysFromSeeds,
  verifyCertificate,
} from '../../protocol/certificate.js';
import { TIMESTAMP_MAX_MS } from '../../protocol/constants.js';
import { ready } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { generateIdentity, identityFromSeed } from '../../protocol/identity.js';
import { codeOf, readVectors, type CertificateVector } from '../helpers/vectors.js';

const ORDER_8_POINT = fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');

describe('protocol/certificate', () => {
  before(ready);

  describe('test vectors', () => {
    const { vectors } = readVectors<{ vectors: CertificateVector[] }>('certificate');

    it('creates the committed encoding from each vector input', () => {
      assert.ok(vectors.length >= 2);
      for (const v of vectors) {
        const identity = identityFromSeed(fromHex(v.identitySeed));
        const keys = profileKeysFromSeeds(fromHex(v.signingSeed), fromHex(v.dhSeed));
        assert.equal(toHex(keys.signing.publicKey), v.signingKey);
        assert.equal(toHex(keys.dh.publicKey), v.dhKey);
        const cert = createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, v.created);
        assert.equal(toHex(encodeCertificate(cert)), v.encoding);
        assert.ok(v.signedMessage.endsWith(v.encoding.slice(0, (CERTIFICATE_BYTES - 64) * 2)));
      }
    });

    it('decodes each committed encoding back to the vector fields and verifies it', () => {
      for (const v of vectors) {
        const cert = consumeCertificate(fromHex(v.encoding), v.address);
        assert.equal(toHex(cert.identityKey), v.identityKey);
        assert.equal(toHex(cert.signingKey), v.signingKey);
        assert.equal(toHex(cert.dhKey), v.dhKey);
        assert.equal(cert.created, v.created);
        assert.equal(certificateAddress(cert), v.address);
        assert.ok(sodium.crypto_sign_verify_detached(cert.signature, fromHex(v.signedMessage), cert.identityKey));
      }
    });
  });

  describe('behaviour', () => {
    function fresh(created = 1_767_225_600_000) {
      const identity = generateIdentity();
      const keys = generateProfileKeys();
      const cert = createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, created);
      return { identity, keys, cert, bytes: encodeCertificate(cert) };
    }

    it('encodes to 169 bytes that consume back to the same certificate for its own address', () => {
      const { identity, cert, bytes } = fresh();
      assert.equal(bytes.length, 169);
      assert.deepEqual(consumeCertificate(bytes, identity.address), cert);
      assert.ok(verifyCertificate(cert));
    });

    it('rejects a certificate for another address', () => {
      const { bytes } = fresh();
      assert.equal(codeOf(() => consumeCertificate(bytes, generateIdentity().address)), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('rejects any changed byte of the signed part or the signature', () => {
      const { bytes } = fresh();
      for (const at of [1, 40, 80, 100, 104, 120, 168]) {
        const b = bytes.slice();
        b[at]! ^= 0x01;
        const code = codeOf(() => consumeCertificate(b));
        assert.ok(code === ProtocolErrorCode.UNAUTHENTIC || code === ProtocolErrorCode.BAD_KEY, `byte ${at}: ${code}`);
      }
    });

    it('rejects a wrong version, a short and a long input', () => {
      const { bytes } = fresh();
      const b = bytes.slice();
      b[0] = 2;
      assert.equal(codeOf(() => decodeCertificate(b)), ProtocolErrorCode.UNSUPPORTED_VERSION);
      assert.equal(codeOf(() => decodeCertificate(bytes.subarray(0, 168))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeCertificate(Uint8Array.of(...bytes, 0))), ProtocolErrorCode.OVERSIZED);
    });

    it('rejects a mixed-order signing key and a small-order X25519 key at decode', () => {
      const { bytes } = fresh();
      const mixed = bytes.slice();
      mixed.set(sodium.crypto_core_ed25519_add(bytes.subarray(33, 65), ORDER_8_POINT), 33);
      assert.equal(codeOf(() => decodeCertificate(mixed)), ProtocolErrorCode.BAD_KEY);
      const lowDh = bytes.slice();
      lowDh.set(new Uint8Array(32), 65);
      assert.equal(codeOf(() => decodeCertificate(lowDh)), ProtocolErrorCode.BAD_KEY);
    });

    it('refuses to certify the identity key as its own signing key', () => {
      const identity = generateIdentity();
      const keys = generateProfileKeys();
      assert.equal(codeOf(() => createCertificate(identity, { signingKey: identity.publicKey, dhKey: keys.dh.publicKey }, 0)), ProtocolErrorCode.BAD_KEY);
    });

    it('bounds the creation time so that it is always a valid Date', () => {
      assert.ok(!Number.isNaN(new Date(fresh(TIMESTAMP_MAX_MS).cert.created).getTime()));
      assert.equal(codeOf(() => fresh(TIMESTAMP_MAX_MS + 1)), ProtocolErrorCode.INVALID_FIELD);
      const { bytes } = fresh();
      const late = bytes.slice();
      late.set([0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 97);
      assert.equal(codeOf(() => decodeCertificate(late)), ProtocolErrorCode.INVALID_FIELD);
    });
  });
});
