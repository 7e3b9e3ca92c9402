/**
 * Noise_XX_25519_ChaChaPoly_BLAKE2b, exactly as the Noise Protocol Framework (revision 34)
 * defines it, on the primitives of protocol/crypto.ts (libsodium): X25519, ChaCha20-Poly1305
 * (IETF, nonce = 4 zero bytes || little-endian u64 counter), BLAKE2b-512 (HASHLEN 64) and
 * HMAC-BLAKE2b / HKDF as section 4.3 defines them. Checked against the cacophony test vectors
 * (test/vectors/noise-cacophony.json) and against an independent implementation (noise-handshake).
 *
 *   XX:
 *     -> e
 *     <- e, ee, s, es
 *     -> s, se
 *
 * This file knows nothing of snug (certificates, addresses, versions): protocol/peer/handshake.ts
 * builds the peer handshake on it. No I/O. Every failure is a ProtocolError: TRUNCATED /
 * OVERSIZED for a message of the wrong length, UNAUTHENTIC when a tag does not verify, BAD_KEY
 * for an unusable remote key (small order: the DH result would be all zero), WRONG_STATE when
 * used out of order, after a failure or after `close()`. A failed handshake cannot be resumed.
 */
import {
  blake2bParts,
  CHACHA_POLY_NONCE_BYTES,
  CHACHA_POLY_TAG_BYTES,
  chachaPolyDecrypt,
  chachaPolyEncrypt,
  generateX25519KeyPair,
  hmacBlake2b,
  wipe,
  x25519,
  X25519_PUBLIC_KEY_BYTES,
  type X25519KeyPair,
} from '../crypto.js';
import { ProtocolError, ProtocolErrorCode } from '../errors.js';

/** The protocol name, hashed into the initial state. */
export const NOISE_PROTOCOL_NAME = 'Noise_XX_25519_ChaChaPoly_BLAKE2b';
/** HASHLEN of BLAKE2b in Noise. */
export const NOISE_HASH_BYTES = 64;
/** DHLEN of 25519. */
export const NOISE_DH_BYTES = 32;
/** The longest Noise message (section 3). */
export const NOISE_MESSAGE_MAX_BYTES = 65535;
/** The tag ChaChaPoly adds. */
export const NOISE_TAG_BYTES = CHACHA_POLY_TAG_BYTES;
/** The largest payload a transport message carries. */
export const NOISE_PAYLOAD_MAX_BYTES = NOISE_MESSAGE_MAX_BYTES - NOISE_TAG_BYTES;
/**
 * The highest nonce this implementation uses. Noise reserves 2^64 - 1; a JavaScript number is
 * exact to 2^53 - 1, which no link reaches (2^53 messages), and which is checked all the same.
 */
export const NOISE_NONCE_MAX = Number.MAX_SAFE_INTEGER;

const EMPTY = new Uint8Array(0);
const protocolNameBytes = new TextEncoder().encode(NOISE_PROTOCOL_NAME);

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function nonceBytes(n: number): Uint8Array {
  const nonce = new Uint8Array(CHACHA_POLY_NONCE_BYTES);
  const view = new DataView(nonce.buffer);
  view.setUint32(4, n % 0x1_0000_0000, true);
  view.setUint32(8, Math.floor(n / 0x1_0000_0000), true);
  return nonce;
}

/**
 * A Noise CipherState with a key: ChaChaPoly under key k and the counter n, which goes up by
 * one per message and is never reused. Wipe the key with `close()`.
 */
export class NoiseCipher {
  private key: Uint8Array | null;
  private n = 0;

  constructor(key: Uint8Array) {
    if (key.length !== 32) fail(ProtocolErrorCode.BAD_KEY, 'a cipher key is 32 bytes');
    this.key = key;
  }

  /** The next nonce this cipher will use. */
  get nonce(): number {
    return this.n;
  }

  private take(): { key: Uint8Array; nonce: Uint8Array } {
    if (this.key === null) fail(ProtocolErrorCode.WRONG_STATE, 'the cipher is closed');
    if (this.n > NOISE_NONCE_MAX) fail(ProtocolErrorCode.NONCE_EXHAUSTED, 'the cipher nonce is used up');
    return { key: this.key, nonce: nonceBytes(this.n) };
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const { key, nonce } = this.take();
    const out = chachaPolyEncrypt(plaintext, ad, nonce, key);
    this.n++;
    return out;
  }

  /** UNAUTHENTIC when the tag does not verify; the counter then does not move (spec 5.1). */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    const { key, nonce } = this.take();
    const out = chachaPolyDecrypt(ciphertext, ad, nonce, key);
    if (out === null) fail(ProtocolErrorCode.UNAUTHENTIC, 'a Noise message does not authenticate');
    this.n++;
    return out;
  }

  get closed(): boolean {
    return this.key === null;
  }

  close(): void {
    if (this.key !== null) wipe(this.key);
    this.key = null;
  }
}

/** HKDF of section 4.3 with two or three outputs (each HASHLEN bytes). */
function hkdf(chainingKey: Uint8Array, ikm: Uint8Array, outputs: 2 | 3): Uint8Array[] {
  const tempKey = hmacBlake2b(chainingKey, [ikm]);
  const out1 = hmacBlake2b(tempKey, [Uint8Array.of(0x01)]);
  const out2 = hmacBlake2b(tempKey, [out1, Uint8Array.of(0x02)]);
  const result = [out1, out2];
  if (outputs === 3) result.push(hmacBlake2b(tempKey, [out2, Uint8Array.of(0x03)]));
  wipe(tempKey);
  return result;
}

type Token = 'e' | 's' | 'ee' | 'es' | 'se';
const XX: readonly (readonly Token[])[] = [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']];

export type NoiseRole = 'initiator' | 'responder';

export interface NoiseXXInit {
  readonly role: NoiseRole;
  readonly prologue: Uint8Array;
  /** The local static key pair (copied; the caller keeps and wipes its own). */
  readonly staticKeys: X25519KeyPair;
  /** A fixed ephemeral key pair, for test vectors only; otherwise a fresh one is made. */
  readonly ephemeral?: X25519KeyPair;
}

/** The outcome of a complete handshake: the split ciphers, the hash, the remote static key. */
export interface NoiseSplit {
  readonly send: NoiseCipher;
  readonly receive: NoiseCipher;
  readonly handshakeHash: Uint8Array;
  readonly remoteStatic: Uint8Array;
}

/**
 * The HandshakeState of Noise_XX_25519_ChaChaPoly_BLAKE2b: one `writeMessage` or `readMessage`
 * per message, in pattern order (the initiator writes messages 1 and 3, the responder message
 * 2). After message 3 `split()` hands out the two transport ciphers once.
 */
export class NoiseXX {
  readonly role: NoiseRole;
  private h: Uint8Array;
  private ck: Uint8Array;
  private k: NoiseCipher | null = null;
  private s: X25519KeyPair;
  private e: X25519KeyPair | null = null;
  private readonly fixedEphemeral: X25519KeyPair | null;
  private re: Uint8Array | null = null;
  private rs: Uint8Array | null = null;
  private step = 0;
  private failed = false;
  private done: NoiseSplit | null = null;
  private handedOut = false;

  constructor(init: NoiseXXInit) {
    this.role = init.role;
    // InitializeSymmetric: the name is 33 bytes, at most HASHLEN, so h = name padded with zeros.
    this.h = new Uint8Array(NOISE_HASH_BYTES);
    this.h.set(protocolNameBytes);
    this.ck = this.h.slice();
    this.mixHash(init.prologue);
    this.s = { publicKey: init.staticKeys.publicKey.slice(), secretKey: init.staticKeys.secretKey.slice() };
    this.fixedEphemeral = init.ephemeral
      ? { publicKey: init.ephemeral.publicKey.slice(), secretKey: init.ephemeral.secretKey.slice() }
      : null;
  }

  /** The index (0, 1, 2) of the next message, 3 once complete. */
  get messageIndex(): number {
    return this.step;
  }

  /** True when the next message is ours to write. */
  get writesNext(): boolean {
    return this.step < 3 && (this.step % 2 === 0) === (this.role === 'initiator');
  }

  get complete(): boolean {
    return this.done !== null;
  }

  /** The remote static key, once message 2 (initiator) or 3 (responder) has been read. */
  get remoteStatic(): Uint8Array | null {
    return this.rs;
  }

  /** The current handshake hash h (a copy): the channel binding of what is hashed so far. */
  get handshakeHash(): Uint8Array {
    return this.h.slice();
  }

  private mixHash(data: Uint8Array): void {
    const next = blake2bParts(NOISE_HASH_BYTES, [this.h, data]);
    this.h = next;
  }

  private mixKey(ikm: Uint8Array): void {
    const [ck, tempK] = hkdf(this.ck, ikm, 2) as [Uint8Array, Uint8Array];
    wipe(this.ck);
    this.ck = ck;
    this.k?.close();
    this.k = new NoiseCipher(tempK.slice(0, 32));
    wipe(tempK);
  }

  private encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ct = this.k === null ? plaintext.slice() : this.k.encryptWithAd(this.h, plaintext);
    this.mixHash(ct);
    return ct;
  }

  private decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const pt = this.k === null ? ciphertext.slice() : this.k.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return pt;
  }

  private dh(token: 'ee' | 'es' | 'se'): void {
    // es: initiator's e with responder's s; se: initiator's s with responder's e.
    const initiator = this.role === 'initiator';
    const localStatic = token === 'se' ? initiator : token === 'es' ? !initiator : false;
    const remoteStatic = token === 'es' ? initiator : token === 'se' ? !initiator : false;
    const local = localStatic ? this.s : this.e;
    const remote = remoteStatic ? this.rs : this.re;
    if (local === null || remote === null) fail(ProtocolErrorCode.WRONG_STATE, 'a key the pattern needs is missing');
    const shared = x25519(local.secretKey, remote);
    this.mixKey(shared);
    wipe(shared);
  }

  private begin(writing: boolean): readonly Token[] {
    if (this.failed) fail(ProtocolErrorCode.WRONG_STATE, 'the handshake has failed');
    if (this.step >= 3) fail(ProtocolErrorCode.WRONG_STATE, 'the handshake is complete');
    if (this.writesNext !== writing) fail(ProtocolErrorCode.WRONG_STATE, writing ? 'it is the other side\'s turn' : 'it is our turn to write');
    return XX[this.step]!;
  }

  /** The bytes of the next message carrying `payload` (sent in the clear in message 1). */
  writeMessage(payload: Uint8Array = EMPTY): Uint8Array {
    const tokens = this.begin(true);
    try {
      const parts: Uint8Array[] = [];
      for (const t of tokens) {
        if (t === 'e') {
          this.e = this.fixedEphemeral ?? generateX25519KeyPair();
          parts.push(this.e.publicKey.slice());
          this.mixHash(this.e.publicKey);
        } else if (t === 's') {
          parts.push(this.encryptAndHash(this.s.publicKey));
        } else {
          this.dh(t);
        }
      }
      parts.push(this.encryptAndHash(payload));
      let length = 0;
      for (const p of parts) length += p.length;
      if (length > NOISE_MESSAGE_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, 'a Noise message is at most 65535 bytes');
      const out = new Uint8Array(length);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      this.advance();
      return out;
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Reads the next message and returns its payload. */
  readMessage(message: Uint8Array): Uint8Array {
    const tokens = this.begin(false);
    try {
      if (message.length > NOISE_MESSAGE_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, 'a Noise message is at most 65535 bytes');
      let at = 0;
      const take = (n: number): Uint8Array => {
        if (at + n > message.length) fail(ProtocolErrorCode.TRUNCATED, 'a Noise handshake message is too short');
        const part = message.subarray(at, at + n);
        at += n;
        return part;
      };
      for (const t of tokens) {
        if (t === 'e') {
          this.re = take(X25519_PUBLIC_KEY_BYTES).slice();
          this.mixHash(this.re);
        } else if (t === 's') {
          const rs = this.decryptAndHash(take(this.k === null ? NOISE_DH_BYTES : NOISE_DH_BYTES + NOISE_TAG_BYTES));
          this.rs = rs;
        } else {
          this.dh(t);
        }
      }
      const rest = message.subarray(at);
      if (this.k !== null && rest.length < NOISE_TAG_BYTES) fail(ProtocolErrorCode.TRUNCATED, 'a Noise payload is shorter than its tag');
      const payload = this.decryptAndHash(rest);
      this.advance();
      return payload;
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  private advance(): void {
    this.step++;
    if (this.step < 3) return;
    const [k1, k2] = hkdf(this.ck, EMPTY, 2) as [Uint8Array, Uint8Array];
    const c1 = new NoiseCipher(k1.slice(0, 32));
    const c2 = new NoiseCipher(k2.slice(0, 32));
    wipe(k1);
    wipe(k2);
    const initiator = this.role === 'initiator';
    this.done = {
      send: initiator ? c1 : c2,
      receive: initiator ? c2 : c1,
      handshakeHash: this.h.slice(),
      remoteStatic: this.rs!.slice(),
    };
    this.wipeHandshake();
  }

  /** The transport ciphers, once (WRONG_STATE before completion or a second time). */
  split(): NoiseSplit {
    if (this.done === null) fail(ProtocolErrorCode.WRONG_STATE, 'the handshake is not complete');
    if (this.handedOut) fail(ProtocolErrorCode.WRONG_STATE, 'the ciphers were handed out already');
    this.handedOut = true;
    return this.done;
  }

  private wipeHandshake(): void {
    wipe(this.ck);
    this.k?.close();
    this.k = null;
    if (this.e !== null) wipe(this.e.secretKey);
    if (this.fixedEphemeral !== null) wipe(this.fixedEphemeral.secretKey);
    this.e = null;
    wipe(this.s.secretKey);
  }

  private abort(): void {
    this.failed = true;
    this.wipeHandshake();
    if (this.done !== null && !this.handedOut) {
      this.done.send.close();
      this.done.receive.close();
    }
  }

  /** Wipes every secret; the ciphers too, unless `split()` handed them out (their owner closes them). */
  close(): void {
    this.abort();
  }
}
