/**
 * The daemon's seam to the pure peer protocol (protocol/peer/): the handshake of our profile
 * with a peer, the frames a link carries, and the price of a contact request. Everything here
 * is pure; the I/O is in connection.ts.
 */
import { type Certificate, createCertificate, encodeCertificate, generateProfileKeys, type ProfileKeys } from '../../protocol/certificate.js';
import type { Identity, OnionAddress } from '../../protocol/identity.js';
import { type HandshakeResult, type PeerHandshake, createInitiator, createResponder } from '../../protocol/peer/handshake.js';
import { type PeerFrame, decodePeerFrame, encodePeerFrame } from './frames.js';

export { type PeerFrame, checkRequestPow, solveRequestPow, uniformReply } from './frames.js';

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
  return session.result.send.encrypt(encodePeerFrame(frame));
}

/** Decrypts and decodes the peer's next frame (throws on anything that does not). */
export function decryptFrame(session: SecureSession, bytes: Uint8Array): { frame: PeerFrame; plaintext: Uint8Array } {
  const plaintext = session.result.receive.decrypt(bytes);
  return { frame: decodePeerFrame(plaintext), plaintext };
}
