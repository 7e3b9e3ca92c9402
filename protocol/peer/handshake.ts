/**
 * The peer handshake (docs/peer-protocol.md, "Handshake"): Noise_XX_25519_ChaChaPoly_BLAKE2b
 * (protocol/peer/noise.ts) between two profiles, each proving itself with its certificate.
 *
 *   prologue = u8 12 || "snug/v2/peer" || u8 version || u8 len(address) || address (ASCII,
 *              the dialled onion address, "<56 chars>.onion")
 *   statics  = the profile X25519 keys (certificate.dhKey); ephemerals fresh each handshake
 *
 *   message 1 (dialler -> listener): u8 version || e [32]                      (33 bytes)
 *   message 2 (listener -> dialler): u8 version || e [32] || enc(s) [48] || enc(payload)
 *   message 3 (dialler -> listener): u8 version || enc(s) [48] || enc(payload)
 *   payload  = certificate [169] || u16 extraLength || extra [0..PEER_HANDSHAKE_EXTRA_MAX]
 *   refusal  (listener -> dialler, instead of message 2): u8 0x00 || u8 reason ||
 *              u8 count || versions [count]
 *
 * The listener's certificate must certify the dialled address and its dhKey must be the
 * listener's Noise static; the dialler's certificate must have the dialler's Noise static as its
 * dhKey (its address is whatever it certifies). The dialler reveals its static key and
 * certificate only in message 3, after message 2 has authenticated the listener. Nothing sent is
 * a signature over the conversation (the certificate signs keys only), so the link is deniable.
 *
 * Errors (all ProtocolError): UNSUPPORTED_VERSION (a version byte this side does not speak: a
 * listener answers it with `createVersionRefusal()`), REFUSED (the listener refused our version),
 * TRUNCATED / OVERSIZED, UNAUTHENTIC (a tag, a certificate, the dialled address, the static key),
 * BAD_KEY, INVALID_FIELD, WRONG_STATE (out of order, after a failure, after close). Any failure
 * ends the handshake: nothing more can be written or read, and its secrets are wiped.
 */
import { ByteReader, ByteWriter, bytesEqual } from '../bytes.js';
import { certificateAddress, consumeCertificate, CERTIFICATE_BYTES, type Certificate } from '../certificate.js';
import { constantTimeEqual, X25519_PUBLIC_KEY_BYTES, type X25519KeyPair } from '../crypto.js';
import { ProtocolError, ProtocolErrorCode } from '../errors.js';
import { parseOnionAddress, type OnionAddress } from '../identity.js';
import { NoiseCipher, NoiseXX, NOISE_HASH_BYTES, NOISE_MESSAGE_MAX_BYTES, NOISE_PAYLOAD_MAX_BYTES, NOISE_TAG_BYTES } from './noise.js';

/** The peer protocol version this implementation speaks (the first byte of every handshake message). */
export const PEER_PROTOCOL_VERSION = 0x01;
/** Every peer protocol version this implementation speaks, ascending. */
export const PEER_PROTOCOL_VERSIONS: readonly number[] = [PEER_PROTOCOL_VERSION];
/** The first byte of a refusal (no version is 0). */
export const PEER_REFUSAL_MARKER = 0x00;
/** Refusal reasons. */
export const PeerRefusalReason = {
  /** The dialler's version is not one the listener speaks. */
  UNSUPPORTED_VERSION: 0x01,
} as const;
export type PeerRefusalReason = (typeof PeerRefusalReason)[keyof typeof PeerRefusalReason];
/** The most versions a refusal lists. */
export const PEER_REFUSAL_VERSIONS_MAX = 16;

/** The prologue label (length-prefixed, so prefix-free). */
export const LABEL_PEER_PROLOGUE = 'snug/v2/peer';
/** The largest application payload ("extra") messages 2 and 3 may carry. */
export const PEER_HANDSHAKE_EXTRA_MAX = 1024;

/** Bytes of handshake message 1. */
export const HANDSHAKE_MESSAGE1_BYTES = 1 + X25519_PUBLIC_KEY_BYTES;
const PAYLOAD_FIXED_BYTES = CERTIFICATE_BYTES + 2;
const ENCRYPTED_STATIC_BYTES = X25519_PUBLIC_KEY_BYTES + NOISE_TAG_BYTES;
/** Bytes of handshake message 2 with `extra` bytes of payload (268 with none). */
export function handshakeMessage2Bytes(extra = 0): number {
  return 1 + X25519_PUBLIC_KEY_BYTES + ENCRYPTED_STATIC_BYTES + PAYLOAD_FIXED_BYTES + extra + NOISE_TAG_BYTES;
}
/** Bytes of handshake message 3 with `extra` bytes of payload (236 with none). */
export function handshakeMessage3Bytes(extra = 0): number {
  return 1 + ENCRYPTED_STATIC_BYTES + PAYLOAD_FIXED_BYTES + extra + NOISE_TAG_BYTES;
}
/** The largest handshake message (message 2 with the largest extra). */
export const HANDSHAKE_MESSAGE_MAX_BYTES = handshakeMessage2Bytes(PEER_HANDSHAKE_EXTRA_MAX);

/** The largest plaintext one encrypted frame carries (a Noise transport message is at most 65535 bytes). */
export const PEER_CIPHER_PLAINTEXT_MAX_BYTES = NOISE_PAYLOAD_MAX_BYTES;
/** The largest encrypted frame. */
export const PEER_CIPHER_CIPHERTEXT_MAX_BYTES = NOISE_MESSAGE_MAX_BYTES;

/**
 * Test vectors only: an init field under this key fixes the ephemeral key pair. Production
 * code never sets it (every handshake then makes a fresh ephemeral, as forward secrecy needs).
 */
export const TEST_ONLY_EPHEMERAL: unique symbol = Symbol('snug.peer.testOnlyEphemeral');

const labelBytes = new TextEncoder().encode(LABEL_PEER_PROLOGUE);

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

/** The prologue for a handshake with the listener at `address` (docs/peer-protocol.md). */
export function peerPrologue(address: OnionAddress | string, version = PEER_PROTOCOL_VERSION): Uint8Array {
  const a = new TextEncoder().encode(parseOnionAddress(address));
  return new ByteWriter(2 + labelBytes.length + 1 + a.length).bytes8(labelBytes, 255).u8(version).bytes8(a, 255).finish();
}

/** A transport cipher of an established link: one direction, ChaChaPoly with a counter nonce. */
export interface PeerCipher {
  /** Encrypts one frame (at most PEER_CIPHER_PLAINTEXT_MAX_BYTES). */
  encrypt(plaintext: Uint8Array): Uint8Array;
  /** Decrypts the next frame; UNAUTHENTIC (then every later call: WRONG_STATE) when it does not verify. */
  decrypt(ciphertext: Uint8Array): Uint8Array;
  /** The next nonce (frames so far). */
  readonly nonce: number;
  /** Wipes the key; later use is WRONG_STATE. */
  close(): void;
}

class NoisePeerCipher implements PeerCipher {
  private broken = false;
  constructor(private readonly cipher: NoiseCipher) {}

  get nonce(): number {
    return this.cipher.nonce;
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    if (this.broken) fail(ProtocolErrorCode.WRONG_STATE, 'the cipher has failed');
    if (plaintext.length > PEER_CIPHER_PLAINTEXT_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a frame is at most ${PEER_CIPHER_PLAINTEXT_MAX_BYTES} bytes`);
    return this.cipher.encryptWithAd(new Uint8Array(0), plaintext);
  }

  decrypt(ciphertext: Uint8Array): Uint8Array {
    if (this.broken) fail(ProtocolErrorCode.WRONG_STATE, 'the cipher has failed');
    if (this.cipher.closed) fail(ProtocolErrorCode.WRONG_STATE, 'the cipher is closed');
    if (ciphertext.length > PEER_CIPHER_CIPHERTEXT_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `an encrypted frame is at most ${PEER_CIPHER_CIPHERTEXT_MAX_BYTES} bytes`);
    if (ciphertext.length < NOISE_TAG_BYTES) fail(ProtocolErrorCode.TRUNCATED, 'an encrypted frame is shorter than its tag');
    try {
      return this.cipher.decryptWithAd(new Uint8Array(0), ciphertext);
    } catch (err) {
      // A link that saw one forged or reordered frame is over: fail closed.
      this.broken = true;
      this.cipher.close();
      throw err;
    }
  }

  close(): void {
    this.cipher.close();
  }
}

export interface HandshakeResult {
  /** The other side's certificate (verified; its dhKey is the Noise remote static). */
  readonly remoteCertificate: Certificate;
  /** The address the other side's certificate certifies. */
  readonly remoteAddress: OnionAddress;
  /** The Noise handshake hash h (64 bytes): a channel binding, the same on both sides. */
  readonly handshakeHash: Uint8Array;
  /** Encrypts what this side sends. */
  readonly send: PeerCipher;
  /** Decrypts what the other side sends. */
  readonly receive: PeerCipher;
  /** Closes both ciphers (wipes their keys). */
  close(): void;
}

interface CommonInit {
  /** The profile X25519 key pair (certificate.dhKey is its public key). */
  readonly staticKeys: X25519KeyPair;
  /** This profile's 169-byte certificate. */
  readonly certificate: Uint8Array;
  readonly [TEST_ONLY_EPHEMERAL]?: X25519KeyPair;
}

export interface InitiatorInit extends CommonInit {
  /** The onion address dialled. */
  readonly remoteAddress: OnionAddress | string;
}

export interface ResponderInit extends CommonInit {
  /** This side's own onion address (what the dialler dialled). */
  readonly localAddress: OnionAddress | string;
}

/** One side of a handshake in progress. */
export interface PeerHandshake {
  readonly role: 'initiator' | 'responder';
  /** True when the next step is `writeMessage` (false: `readMessage`, or the handshake is over). */
  readonly writesNext: boolean;
  readonly complete: boolean;
  /** The next handshake message; `payload` (the extra, messages 2 and 3 only) at most PEER_HANDSHAKE_EXTRA_MAX. */
  writeMessage(payload?: Uint8Array): Uint8Array;
  /** Reads the next handshake message and returns its extra payload (empty for message 1). */
  readMessage(bytes: Uint8Array): Uint8Array;
  /**
   * After a listener's `readMessage` of message 1 failed for its version (UNSUPPORTED_VERSION):
   * the refusal to send back before closing (`createVersionRefusal()`); otherwise null.
   */
  readonly refusal: Uint8Array | null;
  /** The outcome, once complete (WRONG_STATE before; the same object every time). */
  result(): HandshakeResult;
  /** Wipes the handshake's secrets (and the ciphers, if `result()` was never taken). */
  close(): void;
}

/** The answer a listener sends instead of message 2 to a dialler of another version. */
export function createVersionRefusal(): Uint8Array {
  const w = new ByteWriter(3 + PEER_PROTOCOL_VERSIONS.length).u8(PEER_REFUSAL_MARKER).u8(PeerRefusalReason.UNSUPPORTED_VERSION);
  w.u8(PEER_PROTOCOL_VERSIONS.length);
  for (const v of PEER_PROTOCOL_VERSIONS) w.u8(v);
  return w.finish();
}

export interface PeerRefusal {
  readonly reason: PeerRefusalReason;
  /** The versions the listener speaks, ascending. */
  readonly versions: readonly number[];
}

/** Decodes a refusal (INVALID_FIELD for an unknown reason or versions not strictly ascending or 0). */
export function decodeRefusal(bytes: Uint8Array): PeerRefusal {
  const r = new ByteReader(bytes);
  if (r.u8('refusal marker') !== PEER_REFUSAL_MARKER) fail(ProtocolErrorCode.INVALID_FIELD, 'not a refusal');
  const reason = r.u8('refusal reason');
  if (reason !== PeerRefusalReason.UNSUPPORTED_VERSION) fail(ProtocolErrorCode.INVALID_FIELD, `unknown refusal reason ${reason}`);
  const count = r.u8('refusal version count');
  if (count > PEER_REFUSAL_VERSIONS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `a refusal lists at most ${PEER_REFUSAL_VERSIONS_MAX} versions`);
  const versions: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = r.u8('refusal version');
    if (v === 0 || (i > 0 && v <= versions[i - 1]!)) fail(ProtocolErrorCode.INVALID_FIELD, 'refusal versions are nonzero and strictly ascending');
    versions.push(v);
  }
  r.end('refusal');
  return { reason, versions };
}

function encodePayload(certificate: Uint8Array, extra: Uint8Array): Uint8Array {
  if (extra.length > PEER_HANDSHAKE_EXTRA_MAX) fail(ProtocolErrorCode.OVERSIZED, `a handshake payload carries at most ${PEER_HANDSHAKE_EXTRA_MAX} extra bytes`);
  return new ByteWriter(PAYLOAD_FIXED_BYTES + extra.length).fixed(certificate, CERTIFICATE_BYTES).bytes16(extra, PEER_HANDSHAKE_EXTRA_MAX).finish();
}

function decodePayload(payload: Uint8Array, remoteStatic: Uint8Array, expectedAddress: OnionAddress | undefined): { cert: Certificate; extra: Uint8Array } {
  const r = new ByteReader(payload);
  const certBytes = r.fixed(CERTIFICATE_BYTES, 'handshake certificate');
  const extra = r.bytes16(PEER_HANDSHAKE_EXTRA_MAX, 'handshake extra');
  r.end('handshake payload');
  const cert = consumeCertificate(certBytes, expectedAddress);
  if (!constantTimeEqual(cert.dhKey, remoteStatic)) fail(ProtocolErrorCode.UNAUTHENTIC, 'the certificate is for another static key');
  return { cert, extra };
}

function checkOwn(init: CommonInit): Certificate {
  let cert: Certificate;
  try {
    cert = consumeCertificate(init.certificate);
  } catch (err) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'our own certificate does not verify', { cause: err });
  }
  if (!bytesEqual(cert.dhKey, init.staticKeys.publicKey)) fail(ProtocolErrorCode.BAD_KEY, 'our certificate is for another X25519 key');
  return cert;
}

class Handshake implements PeerHandshake {
  private readonly noise: NoiseXX;
  private readonly ownCert: Certificate;
  private readonly certificate: Uint8Array;
  /** The address the listener must certify (the initiator's check). */
  private readonly dialled: OnionAddress | undefined;
  private remoteCert: Certificate | null = null;
  private outcome: HandshakeResult | null = null;
  private failed = false;
  private closed = false;
  private refusalBytes: Uint8Array | null = null;

  constructor(
    readonly role: 'initiator' | 'responder',
    init: CommonInit,
    address: OnionAddress,
  ) {
    this.ownCert = checkOwn(init);
    if (role === 'responder' && certificateAddress(this.ownCert) !== address) {
      fail(ProtocolErrorCode.INVALID_FIELD, 'our certificate is for another address than ours');
    }
    this.certificate = init.certificate.slice();
    this.dialled = role === 'initiator' ? address : undefined;
    const ephemeral = init[TEST_ONLY_EPHEMERAL];
    this.noise = new NoiseXX({
      role,
      prologue: peerPrologue(address),
      staticKeys: init.staticKeys,
      ...(ephemeral !== undefined ? { ephemeral } : {}),
    });
  }

  get refusal(): Uint8Array | null {
    return this.refusalBytes;
  }

  get writesNext(): boolean {
    return !this.failed && !this.closed && this.noise.writesNext;
  }

  get complete(): boolean {
    return !this.failed && this.outcome !== null;
  }

  private guard<T>(step: () => T): T {
    if (this.closed) fail(ProtocolErrorCode.WRONG_STATE, 'the handshake is closed');
    if (this.failed) fail(ProtocolErrorCode.WRONG_STATE, 'the handshake has failed');
    try {
      return step();
    } catch (err) {
      this.failed = true;
      this.noise.close();
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'the handshake failed', { cause: err });
    }
  }

  writeMessage(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
    return this.guard(() => {
      if (!this.noise.writesNext) fail(ProtocolErrorCode.WRONG_STATE, 'it is not our turn to write');
      const index = this.noise.messageIndex;
      let body: Uint8Array;
      if (index === 0) {
        // Message 1 travels in the clear: it carries nothing but the ephemeral key.
        if (payload.length !== 0) fail(ProtocolErrorCode.INVALID_FIELD, 'message 1 carries no payload');
        body = this.noise.writeMessage();
      } else {
        body = this.noise.writeMessage(encodePayload(this.certificate, payload));
      }
      const out = new Uint8Array(1 + body.length);
      out[0] = PEER_PROTOCOL_VERSION;
      out.set(body, 1);
      this.finishIfDone();
      return out;
    });
  }

  readMessage(bytes: Uint8Array): Uint8Array {
    return this.guard(() => {
      if (this.noise.writesNext || this.noise.complete) fail(ProtocolErrorCode.WRONG_STATE, 'no message is expected');
      const index = this.noise.messageIndex;
      if (bytes.length < 1) fail(ProtocolErrorCode.TRUNCATED, 'an empty handshake message');
      // The version byte first, whatever the length: a dialler of any other version gets a refusal.
      const version = bytes[0]!;
      if (version === PEER_REFUSAL_MARKER && index === 1) {
        const refusal = decodeRefusal(bytes);
        fail(ProtocolErrorCode.REFUSED, `the peer refused: it speaks versions ${refusal.versions.join(', ') || 'none'}`);
      }
      if (version !== PEER_PROTOCOL_VERSION) {
        if (index === 0) this.refusalBytes = createVersionRefusal();
        fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `peer protocol version ${version}`);
      }
      if (bytes.length > HANDSHAKE_MESSAGE_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a handshake message is at most ${HANDSHAKE_MESSAGE_MAX_BYTES} bytes`);
      const body = bytes.subarray(1);
      if (index === 0) {
        if (body.length < X25519_PUBLIC_KEY_BYTES) fail(ProtocolErrorCode.TRUNCATED, 'message 1 is 33 bytes');
        if (body.length > X25519_PUBLIC_KEY_BYTES) fail(ProtocolErrorCode.OVERSIZED, 'message 1 is 33 bytes');
        this.noise.readMessage(body);
        return new Uint8Array(0);
      }
      const payload = this.noise.readMessage(body);
      const { cert, extra } = decodePayload(payload, this.noise.remoteStatic!, this.dialled);
      if (bytesEqual(cert.identityKey, this.ownCert.identityKey)) fail(ProtocolErrorCode.INVALID_FIELD, 'a peer link has two different sides');
      this.remoteCert = cert;
      this.finishIfDone();
      return extra.slice();
    });
  }

  private finishIfDone(): void {
    if (!this.noise.complete) return;
    const split = this.noise.split();
    const send = new NoisePeerCipher(split.send);
    const receive = new NoisePeerCipher(split.receive);
    const cert = this.remoteCert!;
    this.outcome = {
      remoteCertificate: cert,
      remoteAddress: certificateAddress(cert),
      handshakeHash: split.handshakeHash,
      send,
      receive,
      close: () => {
        send.close();
        receive.close();
      },
    };
  }

  private taken = false;

  result(): HandshakeResult {
    if (this.closed) fail(ProtocolErrorCode.WRONG_STATE, 'the handshake is closed');
    if (this.failed || this.outcome === null) fail(ProtocolErrorCode.WRONG_STATE, 'the handshake is not complete');
    this.taken = true;
    return this.outcome;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.noise.close();
    if (this.outcome !== null && !this.taken) this.outcome.close();
  }
}

/** The dialler's side of a handshake with the listener at `remoteAddress`. */
export function createInitiator(init: InitiatorInit): PeerHandshake {
  return new Handshake('initiator', init, parseOnionAddress(init.remoteAddress));
}

/** The listener's side of a handshake; `localAddress` is its own (the address dialled). */
export function createResponder(init: ResponderInit): PeerHandshake {
  return new Handshake('responder', init, parseOnionAddress(init.localAddress));
}

/** Bytes of the handshake hash. */
export const HANDSHAKE_HASH_BYTES = NOISE_HASH_BYTES;
