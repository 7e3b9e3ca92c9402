/**
 * Writes the committed peer protocol vectors (test/vectors/peer-handshake.json and
 * peer-frames.json) from fixed inputs. Run by hand after a deliberate format change:
 * `npx tsc -p tsconfig.json && node dist/test/vectors/generate-peer.js`. The tests only read
 * the files and never regenerate them. (test/vectors/peer-noise-cacophony.json is not generated:
 * it is copied from the cacophony project's published vectors.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex, utf8Encode } from '../../protocol/bytes.js';
import { createCertificate, encodeCertificate, profileKeysFromSeeds } from '../../protocol/certificate.js';
import { blake2b, ready, x25519KeyPairFromSeed } from '../../protocol/crypto.js';
import { createDirectEntry, deriveDirectKeys, directEntryId, encodeDirectEntry } from '../../protocol/direct.js';
import { isProtocolError } from '../../protocol/errors.js';
import { identityFromSeed } from '../../protocol/identity.js';
import { createInitiator, createResponder, peerPrologue, TEST_ONLY_EPHEMERAL } from '../../protocol/peer/handshake.js';
import {
  ByeReason,
  contactPowContext,
  contactRequestHash,
  decodeFrame,
  encodeFrame,
  solveContactRequest,
  type PeerFrame,
} from '../../protocol/peer/wire.js';
import { frameToJson, type ContactPowVector, type FrameVector, type HandshakeVector, type InvalidFrameVector, type PeerSideVector } from '../protocol/peer/vectors.js';
import { writeVectors } from '../helpers/vectors.js';

/** Deterministic bytes from a name, so inputs are reproducible and unremarkable. */
function fixed(name: string, n = 32): Uint8Array {
  return blake2b(n, utf8Encode(`snug peer vector ${name}`));
}

function side(name: string, created: number) {
  const identitySeed = fixed(`${name} identity`);
  const signingSeed = fixed(`${name} signing`);
  const dhSeed = fixed(`${name} dh`);
  const ephemeralSeed = fixed(`${name} ephemeral`);
  const identity = identityFromSeed(identitySeed);
  const keys = profileKeysFromSeeds(signingSeed, dhSeed);
  const ephemeral = x25519KeyPairFromSeed(ephemeralSeed);
  const certificate = encodeCertificate(createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, created));
  const json: PeerSideVector = {
    identitySeed: toHex(identitySeed),
    signingSeed: toHex(signingSeed),
    dhSeed: toHex(dhSeed),
    ephemeralSeed: toHex(ephemeralSeed),
    created,
    address: identity.address,
    certificate: toHex(certificate),
    dhPublicKey: toHex(keys.dh.publicKey),
    ephemeralPublicKey: toHex(ephemeral.publicKey),
  };
  return { identity, keys, ephemeral, certificate, json };
}

function handshakeVector(description: string, tag: string, extra2: Uint8Array, extra3: Uint8Array): HandshakeVector {
  const d = side(`${tag} dialler`, 1_767_225_600_000);
  const l = side(`${tag} listener`, 1_767_225_700_000);
  const i = createInitiator({ staticKeys: d.keys.dh, certificate: d.certificate, remoteAddress: l.identity.address, [TEST_ONLY_EPHEMERAL]: d.ephemeral });
  const r = createResponder({ staticKeys: l.keys.dh, certificate: l.certificate, localAddress: l.identity.address, [TEST_ONLY_EPHEMERAL]: l.ephemeral });
  const m1 = i.writeMessage();
  r.readMessage(m1);
  const m2 = r.writeMessage(extra2);
  i.readMessage(m2);
  const m3 = i.writeMessage(extra3);
  r.readMessage(m3);
  const ri = i.result();
  const rr = r.result();
  const transport = [
    { from: 'dialler' as const, frame: encodeFrame({ type: 'hello', features: ['direct/1'] }) },
    { from: 'listener' as const, frame: encodeFrame({ type: 'hello', features: ['direct/1'] }) },
    { from: 'dialler' as const, frame: encodeFrame({ type: 'ping', token: fixed('ping', 8) }) },
    { from: 'listener' as const, frame: encodeFrame({ type: 'pong', token: fixed('ping', 8) }) },
  ].map(({ from, frame }) => {
    const ciphertext = (from === 'dialler' ? ri.send : rr.send).encrypt(frame);
    return { from, plaintext: toHex(frame), ciphertext: toHex(ciphertext) };
  });
  return {
    description,
    dialler: d.json,
    listener: l.json,
    prologue: toHex(peerPrologue(l.identity.address)),
    extra2: toHex(extra2),
    extra3: toHex(extra3),
    message1: toHex(m1),
    message2: toHex(m2),
    message3: toHex(m3),
    handshakeHash: toHex(ri.handshakeHash),
    transport,
  };
}

/** The first invite of invite.json (its binary form), carried by the GROUP_INVITE vector. */
const firstInvite = (JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/vectors/invite.json', import.meta.url)), 'utf8')) as { vectors: Array<{ inviteEntry: string; bytes: string }> }).vectors[0]!;
const inviteBytes = fromHex(firstInvite.bytes);

function frameVectors(): { frames: FrameVector[]; invalid: InvalidFrameVector[]; contactPow: ContactPowVector[] } {
  const a = side('frames a', 1_767_225_600_000);
  const b = side('frames b', 1_767_225_600_000);
  const keys = deriveDirectKeys({ identityKey: a.identity.publicKey, dh: a.keys.dh }, { identityKey: b.identity.publicKey, dhKey: b.keys.dh.publicKey });
  const entry = encodeDirectEntry(createDirectEntry(keys, a.identity.publicKey, { seq: 1, timestamp: 1_767_225_660_000, content: { kind: 'text', text: 'hello, bob' } }));
  const pow: ContactPowVector[] = [];
  const requests: PeerFrame[] = [];
  for (const [name, message, bucket] of [
    ['', '', 2_945_376],
    ['Alice', 'Hi Bob, it is Alice from the reading group. ✨', 2_945_377],
  ] as const) {
    const difficulty = 8;
    const nonce = solveContactRequest({ from: a.identity.address, to: b.identity.address, name, message, timeBucket: bucket, difficulty }, { start: 0n, attempts: 1_000_000 });
    if (nonce === null) throw new Error('no nonce');
    const frame: PeerFrame = { type: 'contact-request', name, message, timeBucket: bucket, powNonce: nonce };
    requests.push(frame);
    pow.push({
      from: a.identity.address,
      to: b.identity.address,
      name,
      message,
      timeBucket: bucket,
      difficulty,
      powContext: toHex(contactPowContext(a.identity.address, b.identity.address, bucket)),
      powHash: toHex(contactRequestHash(name, message)),
      powNonce: nonce.toString(),
      encoding: toHex(encodeFrame(frame)),
    });
  }
  const samples: [string, PeerFrame][] = [
    ['HELLO with no features', { type: 'hello', features: [] }],
    ['HELLO with two features', { type: 'hello', features: ['direct/1', 'groups/1'] }],
    ['CONTACT_REQUEST, empty name and message', requests[0]!],
    ['CONTACT_REQUEST with a name and a message', requests[1]!],
    ['CONTACT_ACCEPT with no name', { type: 'contact-accept', name: '' }],
    ['CONTACT_ACCEPT with a name', { type: 'contact-accept', name: 'Bob' }],
    ['REPLY (always these two bytes)', { type: 'reply' }],
    ['DIRECT_ENTRY carrying a text entry', { type: 'direct-entry', entry }],
    ['ACK of that entry', { type: 'ack', entryId: directEntryId(entry) }],
    ['PING', { type: 'ping', token: fixed('ping', 8) }],
    ['PONG', { type: 'pong', token: fixed('ping', 8) }],
    ['BYE, normal', { type: 'bye', reason: ByeReason.NORMAL }],
    ['BYE, duplicate link', { type: 'bye', reason: ByeReason.DUPLICATE_LINK }],
    ['GROUP_INVITE carrying the first invite of invite.json', { type: 'group-invite', invite: inviteBytes }],
    ['GROUP_INVITE_ACK of that invite', { type: 'group-invite-ack', inviteEntry: fromHex(firstInvite.inviteEntry) }],
  ];
  const frames = samples.map(([description, frame]) => ({ description, frame: frameToJson(frame), encoding: toHex(encodeFrame(frame)) }));
  const bad: [string, string][] = [
    ['empty', ''],
    ['version 2', '0201'],
    ['version 0', '0004'],
    ['no type', '01'],
    ['unknown type 0x0a', '010a'],
    ['reserved type 0x22 (group frames)', '0122'],
    ['GROUP_INVITE with no invite', '0120'],
    ['GROUP_INVITE with garbage', '0120' + '02' + '00'.repeat(10)],
    ['GROUP_INVITE_ACK with a short id', '0121' + '00'.repeat(31)],
    ['reserved type 0x40 (sync)', '0140'],
    ['REPLY with a body', '010400'],
    ['HELLO features out of order', '0101' + '02' + '0162' + '0161'],
    ['HELLO with a duplicate feature', '0101' + '02' + '0161' + '0161'],
    ['HELLO feature with an upper-case letter', '0101' + '01' + '01' + '41'],
    ['HELLO feature count above 32', '0101' + '21'],
    ['CONTACT_ACCEPT name not UTF-8', '0103' + '01' + 'ff'],
    ['CONTACT_ACCEPT name over 64 bytes', '0103' + '41' + '61'.repeat(65)],
    ['ACK with a short entry id', '0106' + '00'.repeat(31)],
    ['PING with trailing bytes', '0107' + '00'.repeat(9)],
    ['BYE with an unknown reason', '010903'],
    ['DIRECT_ENTRY with no entry', '0105'],
    ['DIRECT_ENTRY with garbage', '0105' + '02' + '00'.repeat(10)],
  ];
  const invalid = bad.map(([description, encoding]) => {
    try {
      decodeFrame(Uint8Array.from(Buffer.from(encoding, 'hex')));
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return { description, encoding, code: err.code };
    }
    throw new Error(`${description} decodes`);
  });
  return { frames, invalid, contactPow: pow };
}

async function main(): Promise<void> {
  await ready();
  writeVectors('peer-handshake', {
    description: 'snug peer handshake (Noise_XX_25519_ChaChaPoly_BLAKE2b, prologue, certificates in the payloads) with fixed statics and ephemerals, then transport frames',
    vectors: [
      handshakeVector('no extra payloads', 'one', new Uint8Array(0), new Uint8Array(0)),
      handshakeVector('extra payloads in messages 2 and 3', 'two', utf8Encode('listener extra'), utf8Encode('dialler extra')),
    ],
  });
  writeVectors('peer-frames', { description: 'peer frames (inside PeerCipher): fields -> encoding, invalid encodings -> error code, contact request proofs of work', ...frameVectors() });
}

await main();
