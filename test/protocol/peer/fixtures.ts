/** Profiles and handshakes for the peer protocol tests. */
import { createCertificate, encodeCertificate, generateProfileKeys } from '../../../protocol/certificate.js';
import { generateIdentity } from '../../../protocol/identity.js';
import { createInitiator, createResponder, type PeerHandshake } from '../../../protocol/peer/handshake.js';

/** A fresh identity, profile keys and certificate (call after `ready()`). */
export function makeProfile() {
  const identity = generateIdentity();
  const keys = generateProfileKeys();
  const certificate = encodeCertificate(createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, 1_767_225_600_000));
  return { identity, keys, certificate, address: identity.address };
}
export type Profile = ReturnType<typeof makeProfile>;

/** A dialler's and a listener's handshake; the dialler dials `dialled` (the listener's address by default). */
export function pairOf(dialler: Profile, listener: Profile, dialled: string = listener.address) {
  const i = createInitiator({ staticKeys: dialler.keys.dh, certificate: dialler.certificate, remoteAddress: dialled });
  const r = createResponder({ staticKeys: listener.keys.dh, certificate: listener.certificate, localAddress: listener.address });
  return { i, r };
}

/** Runs the three messages between `i` and `r`. */
export function run(i: PeerHandshake, r: PeerHandshake, extra2 = new Uint8Array(0), extra3 = new Uint8Array(0)) {
  const m1 = i.writeMessage();
  r.readMessage(m1);
  const m2 = r.writeMessage(extra2);
  const got2 = i.readMessage(m2);
  const m3 = i.writeMessage(extra3);
  const got3 = r.readMessage(m3);
  return { m1, m2, m3, got2, got3 };
}
