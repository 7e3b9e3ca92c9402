import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { ready, x25519KeyPairFromSeed } from '../../../protocol/crypto.js';
import { createCertificate, encodeCertificate, profileKeysFromSeeds } from '../../../protocol/certificate.js';
import { identityFromSeed } from '../../../protocol/identity.js';
import { createInitiator, createResponder, peerPrologue, TEST_ONLY_EPHEMERAL } from '../../../protocol/peer/handshake.js';
import { decodeFrame } from '../../../protocol/peer/wire.js';
import { readVectors } from '../../helpers/vectors.js';
import type { HandshakeVector, PeerSideVector } from './vectors.js';

function sideOf(v: PeerSideVector) {
  const identity = identityFromSeed(fromHex(v.identitySeed));
  const keys = profileKeysFromSeeds(fromHex(v.signingSeed), fromHex(v.dhSeed));
  const ephemeral = x25519KeyPairFromSeed(fromHex(v.ephemeralSeed));
  const certificate = encodeCertificate(createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, v.created));
  return { identity, keys, ephemeral, certificate };
}

describe('protocol/peer/handshake test vectors', () => {
  before(ready);
  const { vectors } = readVectors<{ vectors: HandshakeVector[] }>('peer-handshake');

  it('derives each side\'s committed keys, certificate and address from its seeds', () => {
    assert.ok(vectors.length >= 2);
    for (const v of vectors) {
      for (const s of [v.dialler, v.listener]) {
        const side = sideOf(s);
        assert.equal(side.identity.address, s.address);
        assert.equal(toHex(side.certificate), s.certificate);
        assert.equal(toHex(side.keys.dh.publicKey), s.dhPublicKey);
        assert.equal(toHex(side.ephemeral.publicKey), s.ephemeralPublicKey);
      }
      assert.equal(toHex(peerPrologue(v.listener.address)), v.prologue);
    }
  });

  it('writes the committed messages as the dialler, reading the committed message 2', () => {
    for (const v of vectors) {
      const d = sideOf(v.dialler);
      const i = createInitiator({ staticKeys: d.keys.dh, certificate: d.certificate, remoteAddress: v.listener.address, [TEST_ONLY_EPHEMERAL]: d.ephemeral });
      assert.equal(toHex(i.writeMessage()), v.message1);
      assert.equal(toHex(i.readMessage(fromHex(v.message2))), v.extra2);
      assert.equal(toHex(i.writeMessage(fromHex(v.extra3))), v.message3);
      const res = i.result();
      assert.equal(res.remoteAddress, v.listener.address);
      assert.equal(toHex(res.handshakeHash), v.handshakeHash);
      for (const t of v.transport) {
        if (t.from === 'dialler') assert.equal(toHex(res.send.encrypt(fromHex(t.plaintext))), t.ciphertext);
        else assert.equal(toHex(res.receive.decrypt(fromHex(t.ciphertext))), t.plaintext);
      }
    }
  });

  it('writes the committed message 2 as the listener, reading the committed messages 1 and 3', () => {
    for (const v of vectors) {
      const l = sideOf(v.listener);
      const r = createResponder({ staticKeys: l.keys.dh, certificate: l.certificate, localAddress: v.listener.address, [TEST_ONLY_EPHEMERAL]: l.ephemeral });
      assert.equal(r.readMessage(fromHex(v.message1)).length, 0);
      assert.equal(toHex(r.writeMessage(fromHex(v.extra2))), v.message2);
      assert.equal(toHex(r.readMessage(fromHex(v.message3))), v.extra3);
      const res = r.result();
      assert.equal(res.remoteAddress, v.dialler.address);
      assert.equal(toHex(res.remoteCertificate.dhKey), v.dialler.dhPublicKey);
      assert.equal(toHex(res.handshakeHash), v.handshakeHash);
      for (const t of v.transport) {
        if (t.from === 'listener') assert.equal(toHex(res.send.encrypt(fromHex(t.plaintext))), t.ciphertext);
        else {
          const plain = res.receive.decrypt(fromHex(t.ciphertext));
          assert.equal(toHex(plain), t.plaintext);
          decodeFrame(plain);
        }
      }
    }
  });
});
