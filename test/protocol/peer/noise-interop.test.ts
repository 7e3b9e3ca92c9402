/**
 * Our Noise_XX_25519_ChaChaPoly_BLAKE2b against an independent implementation, noise-handshake
 * (Holepunch, on sodium-native): each side of ours completes a handshake with each side of
 * theirs, and the transport keys agree. (A test-only dependency: protocol/ never loads it.)
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { toHex } from '../../../protocol/bytes.js';
import { generateX25519KeyPair, ready } from '../../../protocol/crypto.js';
import { NoiseCipher, NoiseXX } from '../../../protocol/peer/noise.js';

interface TheirNoise {
  initialise(prologue: Uint8Array): void;
  send(payload?: Uint8Array): Uint8Array;
  recv(message: Uint8Array): Uint8Array;
  complete: boolean;
  tx: Uint8Array;
  rx: Uint8Array;
  hash: Uint8Array;
  rs: Uint8Array;
}
type TheirNoiseCtor = new (pattern: 'XX', initiator: boolean, staticKeys: { publicKey: Uint8Array; secretKey: Uint8Array }) => TheirNoise;
const TheirNoise = createRequire(import.meta.url)('noise-handshake') as TheirNoiseCtor;

const prologue = new TextEncoder().encode('interop prologue');
const p = (s: string) => new TextEncoder().encode(s);

describe('protocol/peer/noise against noise-handshake', () => {
  before(ready);

  it('completes with their responder when ours initiates, agreeing on h and the transport', () => {
    for (let round = 0; round < 5; round++) {
      const ours = new NoiseXX({ role: 'initiator', prologue, staticKeys: generateX25519KeyPair() });
      const theirKeys = generateX25519KeyPair();
      const theirs = new TheirNoise('XX', false, { publicKey: Buffer.from(theirKeys.publicKey), secretKey: Buffer.from(theirKeys.secretKey) });
      theirs.initialise(Buffer.from(prologue));
      assert.equal(toHex(theirs.recv(Buffer.from(ours.writeMessage(p('one'))))), toHex(p('one')));
      assert.equal(toHex(ours.readMessage(theirs.send(Buffer.from(p('two'))))), toHex(p('two')));
      assert.equal(toHex(theirs.recv(Buffer.from(ours.writeMessage(p('three'))))), toHex(p('three')));
      assert.ok(theirs.complete && ours.complete);
      const split = ours.split();
      assert.equal(toHex(split.handshakeHash), toHex(theirs.hash));
      assert.equal(toHex(split.remoteStatic), toHex(theirKeys.publicKey));
      // Their tx/rx are the split keys: a cipher under their rx opens what our send cipher seals.
      const theirReceive = new NoiseCipher(Uint8Array.from(theirs.rx));
      const ct = split.send.encryptWithAd(new Uint8Array(0), p('transport'));
      assert.equal(toHex(theirReceive.decryptWithAd(new Uint8Array(0), ct)), toHex(p('transport')));
      const theirSend = new NoiseCipher(Uint8Array.from(theirs.tx));
      assert.equal(toHex(split.receive.decryptWithAd(new Uint8Array(0), theirSend.encryptWithAd(new Uint8Array(0), p('reply')))), toHex(p('reply')));
    }
  });

  it('completes with their initiator when ours responds, and their transport keys decrypt ours', () => {
    for (let round = 0; round < 5; round++) {
      const ourKeys = generateX25519KeyPair();
      const ours = new NoiseXX({ role: 'responder', prologue, staticKeys: ourKeys });
      const theirKeys = generateX25519KeyPair();
      const theirs = new TheirNoise('XX', true, { publicKey: Buffer.from(theirKeys.publicKey), secretKey: Buffer.from(theirKeys.secretKey) });
      theirs.initialise(Buffer.from(prologue));
      ours.readMessage(theirs.send());
      theirs.recv(Buffer.from(ours.writeMessage(p('listener'))));
      assert.equal(toHex(ours.readMessage(theirs.send(Buffer.from(p('dialler'))))), toHex(p('dialler')));
      const split = ours.split();
      assert.equal(toHex(split.handshakeHash), toHex(theirs.hash));
      assert.equal(toHex(split.remoteStatic), toHex(theirKeys.publicKey));
      assert.equal(toHex(theirs.rs), toHex(ourKeys.publicKey));
      // Our receive cipher opens what their tx key encrypts: rebuild a cipher from their tx.
      const theirSend = new NoiseCipher(Uint8Array.from(theirs.tx));
      const ct = theirSend.encryptWithAd(new Uint8Array(0), p('frame'));
      assert.equal(toHex(split.receive.decryptWithAd(new Uint8Array(0), ct)), toHex(p('frame')));
      const theirReceive = new NoiseCipher(Uint8Array.from(theirs.rx));
      assert.equal(toHex(theirReceive.decryptWithAd(new Uint8Array(0), split.send.encryptWithAd(new Uint8Array(0), p('back')))), toHex(p('back')));
    }
  });
});
