import assert from 'node:assert/strict';
import { ByteWriter, toHex } from '../../../protocol/bytes.js';
import { generateX25519KeyPair, ready, type X25519KeyPair } from '../../../protocol/crypto.js';
import { isProtocolError, ProtocolErrorCode } from '../../../protocol/errors.js';
import { makeProfile, pairOf, run, type Profile } from './fixtures.js';
import {
  createInitiator,
  createResponder,
  createVersionRefusal,
  decodeRefusal,
  HANDSHAKE_MESSAGE1_BYTES,
  handshakeMessage2Bytes,
  handshakeMessage3Bytes,
  PEER_CIPHER_PLAINTEXT_MAX_BYTES,
  PEER_HANDSHAKE_EXTRA_MAX,
  PEER_PROTOCOL_VERSION,
  peerPrologue,
} from '../../../protocol/peer/handshake.js';
import { NoiseXX } from '../../../protocol/peer/noise.js';

/** The payload snug puts in messages 2 and 3, built by hand so a test can lie in it. */
function payload(certificate: Uint8Array, extra = new Uint8Array(0)): Uint8Array {
  return new ByteWriter().raw(certificate).bytes16(extra, 65535).finish();
}
function versioned(body: Uint8Array): Uint8Array {
  return new ByteWriter().u8(PEER_PROTOCOL_VERSION).raw(body).finish();
}

/** A listener that speaks Noise correctly but sends whatever payload and static key it likes. */
function rogueListener(address: string, staticKeys: X25519KeyPair) {
  const noise = new NoiseXX({ role: 'responder', prologue: peerPrologue(address), staticKeys });
  return {
    read: (m: Uint8Array) => noise.readMessage(m.subarray(1)),
    write: (p: Uint8Array) => versioned(noise.writeMessage(p)),
  };
}
/** A dialler likewise. */
function rogueDialler(dialled: string, staticKeys: X25519KeyPair) {
  const noise = new NoiseXX({ role: 'initiator', prologue: peerPrologue(dialled), staticKeys });
  return {
    write: (p?: Uint8Array) => versioned(noise.writeMessage(p)),
    read: (m: Uint8Array) => noise.readMessage(m.subarray(1)),
  };
}

const code = (c: ProtocolErrorCode) => (e: unknown) => isProtocolError(e, c);

describe('protocol/peer/handshake', () => {
  before(ready);
  let alice: Profile;
  let bob: Profile;
  let mallory: Profile;
  before(() => {
    alice = makeProfile();
    bob = makeProfile();
    mallory = makeProfile();
  });

  describe('success', () => {
    it('completes between two profiles, each learning the other\'s certificate and address', () => {
      const { i, r } = pairOf(alice, bob);
      const { m1, m2, m3, got2, got3 } = run(i, r, Uint8Array.of(1, 2), Uint8Array.of(3));
      assert.equal(m1.length, HANDSHAKE_MESSAGE1_BYTES);
      assert.equal(m2.length, handshakeMessage2Bytes(2));
      assert.equal(m3.length, handshakeMessage3Bytes(1));
      assert.equal(handshakeMessage2Bytes(), 268);
      assert.equal(handshakeMessage3Bytes(), 236);
      assert.equal(m1[0], PEER_PROTOCOL_VERSION);
      assert.deepEqual([...got2], [1, 2]);
      assert.deepEqual([...got3], [3]);
      assert.ok(i.complete && r.complete);
      const ri = i.result();
      const rr = r.result();
      assert.equal(ri.remoteAddress, bob.address);
      assert.equal(rr.remoteAddress, alice.address);
      assert.equal(toHex(ri.remoteCertificate.dhKey), toHex(bob.keys.dh.publicKey));
      assert.equal(toHex(rr.remoteCertificate.dhKey), toHex(alice.keys.dh.publicKey));
      assert.equal(toHex(ri.handshakeHash), toHex(rr.handshakeHash));
      assert.equal(ri.handshakeHash.length, 64);
      for (let n = 0; n < 5; n++) {
        assert.deepEqual([...rr.receive.decrypt(ri.send.encrypt(Uint8Array.of(n, 9)))], [n, 9]);
        assert.deepEqual([...ri.receive.decrypt(rr.send.encrypt(Uint8Array.of(n)))], [n]);
      }
      assert.equal(ri.send.nonce, 5);
    });

    it('sends nothing identifying in message 1 and the dialler\'s key only in message 3', () => {
      const { i, r } = pairOf(alice, bob);
      const { m1, m2, m3 } = run(i, r);
      const hay = toHex(m1) + toHex(m2) + toHex(m3);
      for (const secretish of [alice.keys.dh.publicKey, alice.identity.publicKey, bob.keys.dh.publicKey, bob.identity.publicKey]) {
        assert.ok(!hay.includes(toHex(secretish)), 'no static or identity key travels in the clear');
      }
    });

    it('makes fresh ephemerals and different keys for each handshake between the same two', () => {
      const a = pairOf(alice, bob);
      const b = pairOf(alice, bob);
      const ra = run(a.i, a.r);
      const rb = run(b.i, b.r);
      assert.notEqual(toHex(ra.m1), toHex(rb.m1));
      assert.notEqual(toHex(ra.m2.subarray(1, 33)), toHex(rb.m2.subarray(1, 33)));
      assert.notEqual(toHex(a.i.result().handshakeHash), toHex(b.i.result().handshakeHash));
      const ct = a.i.result().send.encrypt(Uint8Array.of(1));
      assert.throws(() => b.r.result().receive.decrypt(ct), code(ProtocolErrorCode.UNAUTHENTIC));
    });
  });

  describe('the listener is who was dialled', () => {
    it('fails the dialler with UNAUTHENTIC, before it reveals itself, when another profile answers', () => {
      const i = createInitiator({ staticKeys: alice.keys.dh, certificate: alice.certificate, remoteAddress: bob.address });
      const r = createResponder({ staticKeys: mallory.keys.dh, certificate: mallory.certificate, localAddress: mallory.address });
      r.readMessage(i.writeMessage());
      assert.throws(() => i.readMessage(r.writeMessage()), code(ProtocolErrorCode.UNAUTHENTIC));
      assert.throws(() => i.writeMessage(), code(ProtocolErrorCode.WRONG_STATE));
    });

    it('fails the dialler when the listener shows the dialled address\'s certificate with its own static key', () => {
      // mallory has copied bob's certificate, but not bob's X25519 secret.
      const rogue = rogueListener(bob.address, mallory.keys.dh);
      const i = createInitiator({ staticKeys: alice.keys.dh, certificate: alice.certificate, remoteAddress: bob.address });
      rogue.read(i.writeMessage());
      assert.throws(() => i.readMessage(rogue.write(payload(bob.certificate))), code(ProtocolErrorCode.UNAUTHENTIC));
    });

    it('fails the dialler when the listener\'s certificate signature does not verify', () => {
      const forged = bob.certificate.slice();
      forged[forged.length - 1] = forged[forged.length - 1]! ^ 1;
      const rogue = rogueListener(bob.address, bob.keys.dh);
      const i = createInitiator({ staticKeys: alice.keys.dh, certificate: alice.certificate, remoteAddress: bob.address });
      rogue.read(i.writeMessage());
      assert.throws(() => i.readMessage(rogue.write(payload(forged))), code(ProtocolErrorCode.UNAUTHENTIC));
    });

    it('fails the dialler on a payload that is not a certificate and a length', () => {
      for (const bad of [new Uint8Array(0), bob.certificate, new Uint8Array(169 + 2 + 1), payload(bob.certificate, new Uint8Array(PEER_HANDSHAKE_EXTRA_MAX + 1))]) {
        const rogue = rogueListener(bob.address, bob.keys.dh);
        const i = createInitiator({ staticKeys: alice.keys.dh, certificate: alice.certificate, remoteAddress: bob.address });
        rogue.read(i.writeMessage());
        assert.throws(() => i.readMessage(rogue.write(bad)), (e) => isProtocolError(e));
      }
    });
  });

  describe('the dialler is who its certificate says', () => {
    it('fails the listener with UNAUTHENTIC when the dialler\'s certificate is for another static key', () => {
      const rogue = rogueDialler(bob.address, mallory.keys.dh);
      const r = createResponder({ staticKeys: bob.keys.dh, certificate: bob.certificate, localAddress: bob.address });
      r.readMessage(rogue.write());
      rogue.read(r.writeMessage());
      assert.throws(() => r.readMessage(rogue.write(payload(alice.certificate))), code(ProtocolErrorCode.UNAUTHENTIC));
      assert.throws(() => r.result(), code(ProtocolErrorCode.WRONG_STATE));
    });

    it('fails the listener when the dialler\'s certificate signature does not verify', () => {
      const forged = alice.certificate.slice();
      forged[120] = forged[120]! ^ 0x10;
      const rogue = rogueDialler(bob.address, alice.keys.dh);
      const r = createResponder({ staticKeys: bob.keys.dh, certificate: bob.certificate, localAddress: bob.address });
      r.readMessage(rogue.write());
      rogue.read(r.writeMessage());
      assert.throws(() => r.readMessage(rogue.write(payload(forged))), code(ProtocolErrorCode.UNAUTHENTIC));
    });

    it('refuses a link with itself (the same identity on both sides)', () => {
      const { i, r } = pairOf(bob, bob);
      r.readMessage(i.writeMessage());
      assert.throws(() => i.readMessage(r.writeMessage()), code(ProtocolErrorCode.INVALID_FIELD));
    });
  });

  describe('tampering, replay and relay', () => {
    it('fails on every single-byte change of messages 1, 2 and 3 with a typed error, never completing', () => {
      const base = pairOf(alice, bob);
      const msgs = run(base.i, base.r);
      for (const which of [1, 2, 3] as const) {
        const m = which === 1 ? msgs.m1 : which === 2 ? msgs.m2 : msgs.m3;
        for (let at = 0; at < m.length; at += which === 1 ? 1 : 7) {
          const { i, r } = pairOf(alice, bob);
          let completed = false;
          try {
            const t = (x: Uint8Array, n: number) => {
              if (n !== which) return x;
              const y = x.slice();
              y[at] = y[at]! ^ 0x01;
              return y;
            };
            r.readMessage(t(i.writeMessage(), 1));
            i.readMessage(t(r.writeMessage(), 2));
            r.readMessage(t(i.writeMessage(), 3));
            completed = i.complete && r.complete;
          } catch (err) {
            assert.ok(isProtocolError(err), `typed error at message ${which} byte ${at}: ${String(err)}`);
          }
          assert.equal(completed, false, `message ${which} byte ${at} changed and the handshake still completed`);
        }
      }
    });

    it('fails truncated and extended messages', () => {
      const { i, r } = pairOf(alice, bob);
      const m1 = i.writeMessage();
      assert.throws(() => r.readMessage(m1.subarray(0, 32)), code(ProtocolErrorCode.TRUNCATED));
      const r2 = pairOf(alice, bob).r;
      assert.throws(() => r2.readMessage(new Uint8Array([...m1, 0])), code(ProtocolErrorCode.OVERSIZED));
      const p = pairOf(alice, bob);
      p.r.readMessage(p.i.writeMessage());
      const m2 = p.r.writeMessage();
      assert.throws(() => p.i.readMessage(m2.subarray(0, 100)), (e) => isProtocolError(e));
      assert.throws(() => pairOf(alice, bob).r.readMessage(new Uint8Array(0)), code(ProtocolErrorCode.TRUNCATED));
    });

    it('fails a replayed dialler (messages 1 and 3 of an earlier handshake) at the listener', () => {
      const first = pairOf(alice, bob);
      const { m1, m3 } = run(first.i, first.r);
      const r = createResponder({ staticKeys: bob.keys.dh, certificate: bob.certificate, localAddress: bob.address });
      r.readMessage(m1);
      r.writeMessage();
      assert.throws(() => r.readMessage(m3), code(ProtocolErrorCode.UNAUTHENTIC));
      assert.equal(r.complete, false);
    });

    it('fails a replayed listener (message 2 of an earlier handshake) at the dialler', () => {
      const first = pairOf(alice, bob);
      const { m2 } = run(first.i, first.r);
      const i = createInitiator({ staticKeys: alice.keys.dh, certificate: alice.certificate, remoteAddress: bob.address });
      i.writeMessage();
      assert.throws(() => i.readMessage(m2), code(ProtocolErrorCode.UNAUTHENTIC));
    });

    it('fails a relayed handshake: alice dials mallory, who passes it on to bob', () => {
      const i = createInitiator({ staticKeys: alice.keys.dh, certificate: alice.certificate, remoteAddress: mallory.address });
      const r = createResponder({ staticKeys: bob.keys.dh, certificate: bob.certificate, localAddress: bob.address });
      r.readMessage(i.writeMessage());
      assert.throws(() => i.readMessage(r.writeMessage()), code(ProtocolErrorCode.UNAUTHENTIC));
    });

    it('fails a replayed, reordered or forged transport frame, and the link\'s cipher stays failed', () => {
      const { i, r } = pairOf(alice, bob);
      run(i, r);
      const send = i.result().send;
      const receive = r.result().receive;
      const c0 = send.encrypt(Uint8Array.of(0));
      const c1 = send.encrypt(Uint8Array.of(1));
      receive.decrypt(c0);
      assert.throws(() => receive.decrypt(c0), code(ProtocolErrorCode.UNAUTHENTIC));
      assert.throws(() => receive.decrypt(c1), code(ProtocolErrorCode.WRONG_STATE));
      const p = pairOf(alice, bob);
      run(p.i, p.r);
      const s2 = p.i.result().send;
      const rc2 = p.r.result().receive;
      s2.encrypt(Uint8Array.of(0));
      assert.throws(() => rc2.decrypt(s2.encrypt(Uint8Array.of(1))), code(ProtocolErrorCode.UNAUTHENTIC));
    });
  });

  describe('versions', () => {
    it('answers another version with a refusal the dialler reads as REFUSED', () => {
      const { i, r } = pairOf(alice, bob);
      const m1 = i.writeMessage();
      m1[0] = 0x02;
      assert.equal(r.refusal, null);
      assert.throws(() => r.readMessage(m1), code(ProtocolErrorCode.UNSUPPORTED_VERSION));
      const refusal = r.refusal!;
      assert.equal(toHex(refusal), toHex(createVersionRefusal()));
      assert.equal(toHex(refusal), '00010101');
      assert.deepEqual(decodeRefusal(refusal), { reason: 1, versions: [PEER_PROTOCOL_VERSION] });
      assert.throws(() => i.readMessage(refusal), code(ProtocolErrorCode.REFUSED));
    });

    it('refuses a message 1 of another version even when it is longer than any of ours', () => {
      const r = pairOf(alice, bob).r;
      const future = new Uint8Array(5000);
      future[0] = 0x02;
      assert.throws(() => r.readMessage(future), code(ProtocolErrorCode.UNSUPPORTED_VERSION));
      assert.notEqual(r.refusal, null);
      const tooLong = new Uint8Array(5000);
      tooLong[0] = PEER_PROTOCOL_VERSION;
      const r2 = pairOf(alice, bob).r;
      assert.throws(() => r2.readMessage(tooLong), code(ProtocolErrorCode.OVERSIZED));
      assert.equal(r2.refusal, null);
    });

    it('fails a message 2 or 3 of another version with UNSUPPORTED_VERSION', () => {
      const p = pairOf(alice, bob);
      p.r.readMessage(p.i.writeMessage());
      const m2 = p.r.writeMessage();
      m2[0] = 0x07;
      assert.throws(() => p.i.readMessage(m2), code(ProtocolErrorCode.UNSUPPORTED_VERSION));
      const q = pairOf(alice, bob);
      q.r.readMessage(q.i.writeMessage());
      q.i.readMessage(q.r.writeMessage());
      const m3 = q.i.writeMessage();
      m3[0] = 0x00;
      assert.throws(() => q.r.readMessage(m3), code(ProtocolErrorCode.UNSUPPORTED_VERSION));
    });

    it('rejects malformed refusals', () => {
      for (const hex of ['00', '0002', '000101', '00010100', '0001020101', '0001020201', '000100' + '01']) {
        assert.throws(() => decodeRefusal(Uint8Array.from(Buffer.from(hex, 'hex'))), (e) => isProtocolError(e), hex);
      }
    });

    it('binds the version into the prologue', () => {
      assert.notEqual(toHex(peerPrologue(bob.address, 1)), toHex(peerPrologue(bob.address, 2)));
      assert.equal(toHex(peerPrologue(bob.address)).slice(0, 26), '0c' + Buffer.from('snug/v2/peer').toString('hex'));
    });
  });

  describe('use and misuse', () => {
    it('refuses steps out of turn and result() before completion with WRONG_STATE', () => {
      const { i, r } = pairOf(alice, bob);
      assert.throws(() => r.writeMessage(), code(ProtocolErrorCode.WRONG_STATE));
      assert.equal(r.writesNext, false);
      assert.equal(i.writesNext, true);
      const p2 = pairOf(alice, bob);
      assert.throws(() => p2.i.readMessage(new Uint8Array(40)), code(ProtocolErrorCode.WRONG_STATE));
      const p3 = pairOf(alice, bob);
      assert.throws(() => p3.i.result(), code(ProtocolErrorCode.WRONG_STATE));
      run(p3.i, p3.r);
      assert.throws(() => p3.i.writeMessage(), code(ProtocolErrorCode.WRONG_STATE));
      assert.throws(() => p3.r.readMessage(new Uint8Array(33)), code(ProtocolErrorCode.WRONG_STATE));
      void i;
    });

    it('refuses a payload in message 1 and an oversized extra', () => {
      assert.throws(() => pairOf(alice, bob).i.writeMessage(Uint8Array.of(1)), code(ProtocolErrorCode.INVALID_FIELD));
      const p = pairOf(alice, bob);
      p.r.readMessage(p.i.writeMessage());
      assert.throws(() => p.r.writeMessage(new Uint8Array(PEER_HANDSHAKE_EXTRA_MAX + 1)), code(ProtocolErrorCode.OVERSIZED));
    });

    it('refuses to start with a certificate for another key or another address', () => {
      assert.throws(() => createInitiator({ staticKeys: generateX25519KeyPair(), certificate: alice.certificate, remoteAddress: bob.address }), code(ProtocolErrorCode.BAD_KEY));
      assert.throws(() => createResponder({ staticKeys: bob.keys.dh, certificate: bob.certificate, localAddress: alice.address }), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createInitiator({ staticKeys: alice.keys.dh, certificate: new Uint8Array(169), remoteAddress: bob.address }), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createInitiator({ staticKeys: alice.keys.dh, certificate: alice.certificate, remoteAddress: 'not-an-address' }), (e) => isProtocolError(e));
    });

    it('wipes the ciphers on close, after which they refuse with WRONG_STATE', () => {
      const { i, r } = pairOf(alice, bob);
      run(i, r);
      const res = i.result();
      res.close();
      assert.throws(() => res.send.encrypt(Uint8Array.of(1)), code(ProtocolErrorCode.WRONG_STATE));
      assert.throws(() => res.receive.decrypt(new Uint8Array(20)), code(ProtocolErrorCode.WRONG_STATE));
      i.close();
      assert.throws(() => i.result(), code(ProtocolErrorCode.WRONG_STATE));
      const p = pairOf(alice, bob);
      p.i.writeMessage();
      p.i.close();
      assert.throws(() => p.i.readMessage(new Uint8Array(268)), code(ProtocolErrorCode.WRONG_STATE));
    });

    it('bounds the frames a cipher takes', () => {
      const { i, r } = pairOf(alice, bob);
      run(i, r);
      assert.throws(() => i.result().send.encrypt(new Uint8Array(PEER_CIPHER_PLAINTEXT_MAX_BYTES + 1)), code(ProtocolErrorCode.OVERSIZED));
      const big = i.result().send.encrypt(new Uint8Array(PEER_CIPHER_PLAINTEXT_MAX_BYTES));
      assert.equal(big.length, 65535);
      assert.equal(r.result().receive.decrypt(big).length, PEER_CIPHER_PLAINTEXT_MAX_BYTES);
      assert.throws(() => r.result().receive.decrypt(new Uint8Array(65536)), code(ProtocolErrorCode.OVERSIZED));
      assert.throws(() => r.result().receive.decrypt(new Uint8Array(15)), code(ProtocolErrorCode.TRUNCATED));
    });
  });
});
