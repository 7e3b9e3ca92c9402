/**
 * The daemon's seam to the pure peer protocol (protocol/peer/): the handshake of our profile
 * with a peer, the frames a link carries, and the price of a contact request. Everything here
 * is pure; the I/O is in connection.ts.
 */
import { type Certificate, createCertificate, encodeCertificate, generateProfileKeys, type ProfileKeys } from '../../protocol/certificate.js';
import type { Identity, OnionAddress } from '../../protocol/identity.js';
import { type HandshakeResult, type PeerHandshake, createInitiator, createResponder } from '../../protocol/peer/handshake.js';
import {
  type ContactRequestFrame,
  type PeerFrame,
  checkContactRequest,
  contactTimeBucket,
  decodeFrame,
  encodeFrame as encodePlainFrame,
  solveContactRequest,
} from '../../protocol/peer/wire.js';

export type { PeerFrame } from '../../protocol/peer/wire.js';

/** Who we are on a link: the profile's address, keys and certificate. */
export interface OwnPeer {
  readonly address: OnionAddress;
  readonly keys: ProfileKeys;
  readonly certificate: Certificate;
  readonly certificateBytes: Uint8Array;
}

/** A fresh profile for an identity (tests, and tools that speak to peers without a profile). */
export function ownPeerFor(identity: Identity, created = Date.now()): OwnPeer {
  const keys = generateProfileKeys();
  const certificate = createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, created);
  return { address: identity.address, keys, certificate, certificateBytes: encodeCertificate(certificate) };
}

export interface SecureSession {
  readonly remoteAddress: OnionAddress;
  readonly handshakeHash: Uint8Array;
  readonly result: HandshakeResult;
}

export interface Handshake {
  writeMessage(): Uint8Array;
  readMessage(bytes: Uint8Array): void;
  result(): SecureSession;
  close(): void;
}

function wrap(hs: PeerHandshake): Handshake {
  return {
    writeMessage: () => hs.writeMessage(),
    readMessage: (bytes) => {
      hs.readMessage(bytes);
    },
    result: () => {
      const r = hs.result();
      return { remoteAddress: r.remoteAddress, handshakeHash: r.handshakeHash, result: r };
    },
    close: () => hs.close(),
  };
}

export function initiatorHandshake(own: OwnPeer, remote: OnionAddress): Handshake {
  return wrap(createInitiator({ staticKeys: own.keys.dh, certificate: own.certificateBytes, remoteAddress: remote }));
}

export function responderHandshake(own: OwnPeer): Handshake {
  return wrap(createResponder({ staticKeys: own.keys.dh, certificate: own.certificateBytes, localAddress: own.address }));
}

/** Encrypts one frame for the peer. */
export function encodeFrame(session: SecureSession, frame: PeerFrame): Uint8Array {
  return session.result.send.encrypt(encodePlainFrame(frame));
}

/** Decrypts and decodes the peer's next frame (throws on anything that does not). */
export function decryptFrame(session: SecureSession, bytes: Uint8Array): { frame: PeerFrame; plaintext: Uint8Array } {
  const plaintext = session.result.receive.decrypt(bytes);
  return { frame: decodeFrame(plaintext), plaintext };
}

/** The one reply to a request that is not answered by an accept: the same bytes for everyone. */
export function uniformReply(): PeerFrame {
  return { type: 'reply' };
}

/**
 * A contact request from `from` to `to` with its proof of work (protocol/peer/wire.ts: bound
 * to both addresses, the time bucket, the name and the message), solved in slices that yield
 * to the event loop.
 */
export async function createPricedRequest(
  init: { readonly from: OnionAddress; readonly to: OnionAddress; readonly name: string; readonly message: string; readonly difficulty: number; readonly nowMs?: number },
  signal?: AbortSignal,
): Promise<ContactRequestFrame> {
  const timeBucket = contactTimeBucket(init.nowMs ?? Date.now());
  const slice = 8192;
  for (let start = 0n; ; start += BigInt(slice)) {
    signal?.throwIfAborted();
    const nonce = solveContactRequest({ ...init, timeBucket }, { start, attempts: slice });
    if (nonce !== null) return { type: 'contact-request', name: init.name, message: init.message, timeBucket, powNonce: nonce };
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** True when the request's time bucket is current and its work holds for `difficulty` bits. */
export function requestPriced(frame: ContactRequestFrame, from: OnionAddress, to: OnionAddress, difficulty: number, nowMs = Date.now()): boolean {
  try {
    checkContactRequest(frame, { from, to, nowMs, difficulty });
    return true;
  } catch {
    return false;
  }
}
