import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { createCertificate, encodeCertificate, generateProfileKeys } from '../../../protocol/certificate.js';
import { ready } from '../../../protocol/crypto.js';
import { isProtocolError, ProtocolErrorCode } from '../../../protocol/errors.js';
import { generateIdentity } from '../../../protocol/identity.js';
import {
  createInitiator,
  createResponder,
  createVersionRefusal,
  decodeRefusal,
  HANDSHAKE_MESSAGE1_BYTES,
  handshakeMessage2Bytes,
  handshakeMessage3Bytes,
  PEER_PROTOCOL_VERSION,
  type PeerHandshake,
} from '../../../protocol/peer/handshake.js';

export function makeProfile() {
  const identity = generateIdentity();
  const keys = generateProfileKeys();
  const certificate = encodeCertificate(createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, 1_767_225_600_000));
  return { identity, keys, certificate, address: identity.address };
}
type Profile = ReturnType<typeof makeProfile>;

function pairOf(dialler: Profile, listener: Profile, dialled = listener.address) {
  const i = createInitiator({ staticKeys: dialler.keys.dh, certificate: dialler.certificate, remoteAddress: dialled });
  const r = createResponder({ staticKeys: listener.keys.dh, certificate: listener.certificate, localAddress: listener.address });
  return { i, r };
}

function run(i: PeerHandshake, r: PeerHandshake, extra2 = new Uint8Array(0), extra3 = new Uint8Array(0)) {
  const m1 = i.writeMessage();
  r.readMessage(m1);
  const m2 = r.writeMessage(extra2);
  const got2 = i.readMessage(m2);
  const m3 = i.writeMessage(extra3);
  const got3 = r.readMessage(m3);
  return { m1, m2, m3, got2, got3 };
}

const code = (c: string) => (e: unknown) => isProtocolError(e, c as never);

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

  it('completes between two profiles, each learning the other\'s certificate and address', () => {
    const { i, r } = pairOf(alice, bob);
    const { m1, m2, m3, got2, got3 } = run(i, r, Uint8Array.of(1, 2), Uint8Array.of(3));
    assert.equal(m1.length, HANDSHAKE_MESSAGE1_BYTES);
    assert.equal(m2.length, handshakeMessage2Bytes(2));
    assert.equal(m3.length, handshakeMessage3Bytes(1));
    assert.equal(m1[0], PEER_PROTOCOL_VERSION);
    assert.deepEqual([...got2], [1, 2]);
    assert.deepEqual([...got3], [3]);
    assert.ok(i.complete && r.complete);
    const ri = i.result();
    const rr = r.result();
    assert.equal(ri.remoteAddress, bob.address);
    assert.equal(rr.remoteAddress, alice.address);
    assert.equal(toHex(ri.handshakeHash), toHex(rr.handshakeHash));
    const ct = ri.send.encrypt(Uint8Array.of(9, 9));
    assert.deepEqual([...rr.receive.decrypt(ct)], [9, 9]);
    const back = rr.send.encrypt(Uint8Array.of(7));
    assert.deepEqual([...ri.receive.decrypt(back)], [7]);
  });

  it('fails the dialler with UNAUTHENTIC when another profile answers the address dialled', () => {
    // The dialler dials bob, but mallory (who holds another onion key) answers.
    const i = createInitiator({ staticKeys: alice.keys.dh, certificate: alice.certificate, remoteAddress: bob.address });
    const r = createResponder({ staticKeys: mallory.keys.dh, certificate: mallory.certificate, localAddress: mallory.address });
    r.readMessage(i.writeMessage());
    assert.throws(() => i.readMessage(r.writeMessage()), code(ProtocolErrorCode.UNAUTHENTIC));
    assert.throws(() => i.writeMessage(), code(ProtocolErrorCode.WRONG_STATE));
  });

  it('answers another version with a refusal the dialler reads as REFUSED', () => {
    const { i, r } = pairOf(alice, bob);
    const m1 = i.writeMessage();
    m1[0] = 0x02;
    assert.throws(() => r.readMessage(m1), code(ProtocolErrorCode.UNSUPPORTED_VERSION));
    const refusal = createVersionRefusal();
    assert.deepEqual(decodeRefusal(refusal).versions, [PEER_PROTOCOL_VERSION]);
    assert.throws(() => i.readMessage(refusal), code(ProtocolErrorCode.REFUSED));
  });
});
