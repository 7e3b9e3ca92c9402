import assert from 'node:assert/strict';
import { createCipheriv, createHmac } from 'node:crypto';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { chachaPolyDecrypt, chachaPolyEncrypt, hmacBlake2b, randomBytes, ready, x25519KeyPairFromSeed, x25519PublicKey, type X25519KeyPair } from '../../../protocol/crypto.js';
import { isProtocolError, ProtocolErrorCode } from '../../../protocol/errors.js';
import { NoiseXX, NOISE_PROTOCOL_NAME } from '../../../protocol/peer/noise.js';
import { readVectors } from '../../helpers/vectors.js';

interface CacophonyVector {
  protocol_name: string;
  init_prologue: string;
  init_static: string;
  init_ephemeral: string;
  resp_prologue: string;
  resp_static: string;
  resp_ephemeral: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}

function pair(secretHex: string): X25519KeyPair {
  const secretKey = fromHex(secretHex);
  return { secretKey, publicKey: x25519PublicKey(secretKey) };
}

describe('protocol/peer/noise', () => {
  before(ready);

  describe('the cacophony test vectors of Noise_XX_25519_ChaChaPoly_BLAKE2b', () => {
    const { vectors } = readVectors<{ vectors: CacophonyVector[] }>('peer-noise-cacophony');

    it('writes every handshake and transport message of the vector and reads each back', () => {
      assert.ok(vectors.length >= 1);
      for (const v of vectors) {
        assert.equal(v.protocol_name, NOISE_PROTOCOL_NAME);
        const i = new NoiseXX({ role: 'initiator', prologue: fromHex(v.init_prologue), staticKeys: pair(v.init_static), ephemeral: pair(v.init_ephemeral) });
        const r = new NoiseXX({ role: 'responder', prologue: fromHex(v.resp_prologue), staticKeys: pair(v.resp_static), ephemeral: pair(v.resp_ephemeral) });
        for (let n = 0; n < 3; n++) {
          const [w, rd] = n % 2 === 0 ? [i, r] : [r, i];
          const m = v.messages[n]!;
          const ct = w.writeMessage(fromHex(m.payload));
          assert.equal(toHex(ct), m.ciphertext, `handshake message ${n + 1}`);
          assert.equal(toHex(rd.readMessage(ct)), m.payload);
        }
        const si = i.split();
        const sr = r.split();
        assert.equal(toHex(si.handshakeHash), v.handshake_hash);
        assert.equal(toHex(sr.handshakeHash), v.handshake_hash);
        assert.equal(toHex(si.remoteStatic), toHex(pair(v.resp_static).publicKey));
        for (let n = 3; n < v.messages.length; n++) {
          const m = v.messages[n]!;
          const [send, receive] = n % 2 === 1 ? [sr.send, si.receive] : [si.send, sr.receive];
          const ct = send.encryptWithAd(new Uint8Array(0), fromHex(m.payload));
          assert.equal(toHex(ct), m.ciphertext, `transport message ${n + 1}`);
          assert.equal(toHex(receive.decryptWithAd(new Uint8Array(0), ct)), m.payload);
        }
      }
    });
  });

  describe('the primitives under it, against node:crypto', () => {
    it('computes HMAC-BLAKE2b as node:crypto\'s HMAC over blake2b512 does, for keys short and long', () => {
      for (const keyLength of [0, 1, 32, 64, 127, 128, 129, 200]) {
        for (const messageLength of [0, 1, 63, 64, 65, 128, 129, 1000]) {
          const key = randomBytes(keyLength);
          const a = randomBytes(messageLength >> 1);
          const b = randomBytes(messageLength - (messageLength >> 1));
          const expected = createHmac('blake2b512', key).update(a).update(b).digest('hex');
          assert.equal(toHex(hmacBlake2b(key, [a, b])), expected, `key ${keyLength}, message ${messageLength}`);
        }
      }
    });

    it('seals as node:crypto\'s chacha20-poly1305 does and opens only untouched input', () => {
      for (const n of [0, 1, 64, 1000]) {
        const key = randomBytes(32);
        const nonce = randomBytes(12);
        const ad = randomBytes(n % 50);
        const plain = randomBytes(n);
        const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
        c.setAAD(ad, { plaintextLength: plain.length });
        const expected = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]).toString('hex');
        const sealed = chachaPolyEncrypt(plain, ad, nonce, key);
        assert.equal(toHex(sealed), expected);
        assert.equal(toHex(chachaPolyDecrypt(sealed, ad, nonce, key)!), toHex(plain));
        sealed[0] = sealed[0]! ^ 1;
        assert.equal(chachaPolyDecrypt(sealed, ad, nonce, key), null);
      }
      assert.equal(chachaPolyDecrypt(new Uint8Array(15), new Uint8Array(0), new Uint8Array(12), new Uint8Array(32)), null);
    });
  });

  describe('behaviour', () => {
    function fresh() {
      const i = new NoiseXX({ role: 'initiator', prologue: new Uint8Array(3), staticKeys: x25519KeyPairFromSeed(new Uint8Array(32).fill(1)) });
      const r = new NoiseXX({ role: 'responder', prologue: new Uint8Array(3), staticKeys: x25519KeyPairFromSeed(new Uint8Array(32).fill(2)) });
      return { i, r };
    }

    it('refuses a step out of turn with WRONG_STATE', () => {
      const { i, r } = fresh();
      assert.throws(() => r.writeMessage(), (e) => isProtocolError(e, ProtocolErrorCode.WRONG_STATE));
      assert.throws(() => i.readMessage(new Uint8Array(32)), (e) => isProtocolError(e, ProtocolErrorCode.WRONG_STATE));
    });

    it('fails a tampered message 2 with UNAUTHENTIC and then refuses to go on', () => {
      const { i, r } = fresh();
      r.readMessage(i.writeMessage());
      const m2 = r.writeMessage();
      m2[40] = m2[40]! ^ 1;
      assert.throws(() => i.readMessage(m2), (e) => isProtocolError(e, ProtocolErrorCode.UNAUTHENTIC));
      assert.throws(() => i.writeMessage(), (e) => isProtocolError(e, ProtocolErrorCode.WRONG_STATE));
    });

    it('fails a small-order ephemeral key with BAD_KEY', () => {
      const { r } = fresh();
      r.readMessage(new Uint8Array(32));
      assert.throws(() => r.writeMessage(), (e) => isProtocolError(e, ProtocolErrorCode.BAD_KEY));
    });

    it('makes a fresh ephemeral key each handshake', () => {
      const a = fresh().i.writeMessage();
      const b = fresh().i.writeMessage();
      assert.notEqual(toHex(a), toHex(b));
    });
  });
});
