/**
 * Writes the committed test vectors test/vectors/*.json from fixed inputs. Run by hand after a
 * deliberate format change (`npx tsc -p tsconfig.json && node dist/test/vectors/generate.js`);
 * the tests only read the files and never regenerate them.
 */
import { fromHex, toHex, utf8Encode } from '../../protocol/bytes.js';
import { blobHash, sealBlobWithNonce } from '../../protocol/blob.js';
import { LABEL_CERTIFICATE, LABEL_DIRECT_ENTRY_MAC, LABEL_ENTRY_SIGNATURE, LABEL_GENESIS_SIGNATURE, TIMESTAMP_MAX_MS } from '../../protocol/constants.js';
import { createCertificate, encodeCertificate, profileKeysFromSeeds } from '../../protocol/certificate.js';
import { blake2b, labelledSigningInput, ready, x25519 } from '../../protocol/crypto.js';
import { createDirectEntry, deriveDirectKeys, directEntryId, encodeDirectEntry, type DirectContent, type DirectKeys } from '../../protocol/direct.js';
import { createEntry, createGenesis, encodeEntry, entryId, epochOpenedBy, signedPayload, type Entry, type EntryContent } from '../../protocol/entry.js';
import { deriveEpochKeys, firstEpoch, type EpochKeys, type EpochName } from '../../protocol/group.js';
import { identityFromSeed, torExpandedSecretKey } from '../../protocol/identity.js';
import { encodeInvite, encodeInviteBytes } from '../../protocol/invite.js';
import { leadingZeroBits, powDigest, solvePow } from '../../protocol/pow.js';
import {
  contentToJson,
  writeVectors,
  type BlobVector,
  type CertificateVector,
  type DirectEntryVector,
  type DirectKeysVector,
  type EntryVector,
  type EpochVector,
  type IdentityVector,
  type InviteVector,
  type PowVector,
} from '../helpers/vectors.js';

/** Deterministic 32 bytes from a name, so inputs are reproducible and unremarkable. */
function fixed(name: string, n = 32): Uint8Array {
  return blake2b(n, utf8Encode(`snug test vector ${name}`));
}

function seq32(start: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (start + i) & 0xff);
}

async function main(): Promise<void> {
  await ready();

  // Identities. The first seed is RFC 8032's test 1 (its address is also checked against an
  // independently computed value in test/protocol/identity.vectors.test.ts).
  const seeds = [
    fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
    new Uint8Array(32),
    seq32(1),
    new Uint8Array(32).fill(0xff),
    fixed('identity 1'),
    fixed('identity 2'),
  ];
  const identities: IdentityVector[] = seeds.map((seed) => {
    const id = identityFromSeed(seed);
    return {
      seed: toHex(seed),
      publicKey: toHex(id.publicKey),
      address: id.address,
      expandedSecretKey: toHex(torExpandedSecretKey(seed)),
    };
  });
  writeVectors('identity', { description: 'seed -> ed25519 public key -> v3 onion address; seed -> tor ADD_ONION expanded key', vectors: identities });

  // Profile certificates.
  const certInputs = [
    { description: 'ordinary certificate', identity: 'alice', created: 1_767_225_600_000 },
    { description: 'certificate created at time 0', identity: 'bob', created: 0 },
    { description: 'certificate created at the latest time a Date holds', identity: 'carol', created: TIMESTAMP_MAX_MS },
  ];
  const certificates: CertificateVector[] = certInputs.map((c) => {
    const identitySeed = fixed(c.identity);
    const signingSeed = fixed(`${c.identity} signing`);
    const dhSeed = fixed(`${c.identity} dh`);
    const identity = identityFromSeed(identitySeed);
    const keys = profileKeysFromSeeds(signingSeed, dhSeed);
    const cert = createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, c.created);
    const encoding = encodeCertificate(cert);
    return {
      description: c.description,
      identitySeed: toHex(identitySeed),
      signingSeed: toHex(signingSeed),
      dhSeed: toHex(dhSeed),
      created: c.created,
      address: identity.address,
      identityKey: toHex(identity.publicKey),
      signingKey: toHex(keys.signing.publicKey),
      dhKey: toHex(keys.dh.publicKey),
      signedMessage: toHex(labelledSigningInput(LABEL_CERTIFICATE, encoding.subarray(0, encoding.length - 64))),
      encoding: toHex(encoding),
    };
  });
  writeVectors('certificate', { description: 'identity seed + profile key seeds + time -> profile certificate (ed25519 over u8 len || label || 105 bytes)', vectors: certificates });

  // Epoch key derivation.
  const epochInputs: { description: string; secret: Uint8Array; groupId: Uint8Array; epoch: EpochName }[] = [
    { description: 'epoch 0 (opener = group id)', secret: fixed('epoch 0 secret'), groupId: fixed('group id'), epoch: firstEpoch(fixed('group id')) },
    { description: 'epoch 1', secret: fixed('epoch 1 secret'), groupId: fixed('group id'), epoch: { number: 1, opener: fixed('opener 1') } },
    { description: 'a concurrent epoch 1 (same secret, other opener)', secret: fixed('epoch 1 secret'), groupId: fixed('group id'), epoch: { number: 1, opener: fixed('opener 1b') } },
    { description: 'the last epoch number, all-0xff secret', secret: new Uint8Array(32).fill(0xff), groupId: seq32(0), epoch: { number: 0xffff_ffff, opener: seq32(7) } },
  ];
  const epochVectors: EpochVector[] = epochInputs.map((e) => {
    const k = deriveEpochKeys(e.secret, e.groupId, e.epoch);
    return {
      description: e.description,
      epochSecret: toHex(e.secret),
      groupId: toHex(e.groupId),
      epochNumber: e.epoch.number,
      epochOpener: toHex(e.epoch.opener),
      blobKey: toHex(k.blobKey),
      binding: toHex(k.binding),
    };
  });
  writeVectors('group', { description: 'epoch secret + group id + epoch name -> blob key, signature binding (keyed BLAKE2b-256)', vectors: epochVectors });

  // Entries: a small group log. Alice founds the group, Bob joins, then one entry of every kind;
  // Alice removes Carol and re-keys (epoch 1), and her chain continues there.
  const people = ['alice', 'bob', 'carol'].map((name) => {
    const identity = identityFromSeed(fixed(name));
    const profile = profileKeysFromSeeds(fixed(`${name} signing`), fixed(`${name} dh`));
    const cert = createCertificate(identity, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, 1_767_225_500_000);
    return { name, identity, profile, cert, signingSeed: fixed(`${name} signing`) };
  });
  const [alice, bob, carol] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];
  const pubA = identityFromSeed(fixed('pub a')).address;
  const pubB = identityFromSeed(fixed('pub b')).address;
  const genesis = createGenesis(alice.profile.signing, {
    certificate: alice.cert,
    timestamp: 1_767_225_600_000,
    settings: { name: 'the snug', pubs: [pubA, 'ws://127.0.0.1:8080'], membersMayInvite: true },
    admins: [bob.identity.publicKey],
    salt: fixed('genesis salt'),
  });
  const groupId = genesis.groupId;
  const epoch0 = deriveEpochKeys(fixed('epoch 0 secret'), groupId, genesis.epoch);
  const entries: EntryVector[] = [];
  const encodings: { description: string; encoding: Uint8Array; keys: EpochKeys }[] = [];
  function record(description: string, keys: EpochKeys | null, entry: Entry, authorSeed: Uint8Array): Uint8Array {
    const encoding = encodeEntry(entry);
    const unsigned = encoding.subarray(0, encoding.length - 64);
    const signedMessage =
      keys === null ? labelledSigningInput(LABEL_GENESIS_SIGNATURE, unsigned) : labelledSigningInput(LABEL_ENTRY_SIGNATURE, signedPayload(keys.binding, unsigned));
    entries.push({
      description,
      epochSecret: keys === null ? null : toHex(keys.secret),
      groupId: toHex(groupId),
      epochNumber: entry.epoch.number,
      epochOpener: toHex(entry.epoch.opener),
      authorSeed: toHex(authorSeed),
      author: toHex(entry.author),
      seq: entry.seq,
      prev: toHex(entry.prev),
      timestamp: entry.timestamp,
      heads: entry.heads.map(toHex),
      content: contentToJson(entry.content),
      signedMessage: toHex(signedMessage),
      signature: toHex(entry.signature),
      encoding: toHex(encoding),
      id: toHex(entryId(encoding)),
    });
    encodings.push({ description, encoding, keys: keys ?? epoch0 });
    return entryId(encoding);
  }
  type Person = typeof alice;
  function add(description: string, keys: EpochKeys, who: Person, seq: number, prev: Uint8Array, timestamp: number, heads: Uint8Array[], content: EntryContent): Uint8Array {
    return record(description, keys, createEntry(keys, who.profile.signing, { seq, prev, timestamp, heads, content }), who.signingSeed);
  }
  const zero = new Uint8Array(32);
  const dave = profileKeysFromSeeds(fixed('dave signing'), fixed('dave dh'));
  const heads16 = Array.from({ length: 16 }, (_, i) => fixed(`head ${i}`));
  const g = record('genesis: founder alice, admins alice and bob, members may invite, an onion and a development pub', null, genesis.entry, alice.signingSeed);
  const inv = add('invite: 3 uses, expires, with history', epoch0, alice, 2, g, 1_767_225_601_000, [], {
    kind: 'invite',
    inviteId: fixed('invite id', 16),
    includesHistory: true,
    expires: 1_767_830_400_000,
    uses: 3,
  });
  const bj = add('join: bob, citing the invite, with his certificate', epoch0, bob, 1, zero, 1_767_225_602_000, [inv], { kind: 'join', invite: inv, certificate: bob.cert });
  const cj = add('join: carol', epoch0, carol, 1, zero, 1_767_225_602_500, [inv], { kind: 'join', invite: inv, certificate: carol.cert });
  const a3 = add('text', epoch0, alice, 3, inv, 1_767_225_603_000, [bj, cj], { kind: 'text', text: 'hello, snug' });
  const b2 = add('reply with non-ASCII text', epoch0, bob, 2, bj, 1_767_225_604_000, [a3], { kind: 'reply', target: a3, text: 'grüß dich 👋' });
  const b3 = add('reaction', epoch0, bob, 3, b2, 1_767_225_605_000, [a3], { kind: 'reaction', target: a3, reaction: '❤️' });
  const b4 = add('edit of own reply', epoch0, bob, 4, b3, 1_767_225_606_000, [a3], { kind: 'edit', target: b2, text: 'grüß euch 👋' });
  const b5 = add('delete of own reaction', epoch0, bob, 5, b4, 1_767_225_607_000, [a3], { kind: 'delete', target: b3 });
  const c2 = add('text of 1,000 emoji (4,000 bytes) with 16 heads: the standard size', epoch0, carol, 2, cj, 1_767_225_608_000, heads16, { kind: 'text', text: '😀'.repeat(1000) });
  const a4 = add('role change: carol becomes admin', epoch0, alice, 4, a3, 1_767_225_609_000, [c2, b5], { kind: 'role', member: carol.identity.publicKey, role: 'admin' });
  const a5 = add('pub-list change', epoch0, alice, 5, a4, 1_767_225_610_000, [], { kind: 'pubs', pubs: [pubB, pubA] });
  const a6 = add('hide of a text, by an admin', epoch0, alice, 6, a5, 1_767_225_611_000, [], { kind: 'hide', target: c2 });
  const a7 = add('add: an admin adds a member by certificate', epoch0, alice, 7, a6, 1_767_225_612_000, [], {
    kind: 'add',
    certificate: createCertificate(identityFromSeed(fixed('dave')), { signingKey: dave.signing.publicKey, dhKey: dave.dh.publicKey }, 1_767_225_611_500),
  });
  const c3 = add('leave', epoch0, carol, 3, c2, 1_767_225_613_000, [a7], { kind: 'leave' });
  const removal = createEntry(epoch0, alice.profile.signing, {
    seq: 8,
    prev: a7,
    timestamp: 1_767_225_614_000,
    heads: [c3],
    content: { kind: 'remove', removed: [carol.identity.publicKey], keyPackage: fixed('an opaque key package', 64) },
  });
  const rm = record('remove-and-re-key: carol removed; the key package is opaque here (docs/groups.md)', epoch0, removal, alice.signingSeed);
  const epoch1 = deriveEpochKeys(fixed('epoch 1 secret'), groupId, epochOpenedBy(removal));
  add('text in epoch 1: the author chain continues (seq 9)', epoch1, alice, 9, rm, 1_767_225_615_000, [], { kind: 'text', text: 'a new epoch' });
  add('long text (12,000 bytes): the long size', epoch1, bob, 6, b5, TIMESTAMP_MAX_MS, [], { kind: 'text', text: 'ж'.repeat(6000) });
  writeVectors('entry', {
    description: 'entry inputs -> signed message (u8 len || label || binding || bytes) -> signature -> canonical encoding -> id; the genesis id is the group id',
    groupId: toHex(groupId),
    vectors: entries,
  });

  // Blobs of some of those entries, with fixed nonces.
  const blobs: BlobVector[] = [0, 9, encodings.length - 1].map((i) => {
    const { description, encoding, keys: k } = encodings[i]!;
    const nonce = fixed(`nonce ${i}`, 24 + 8).subarray(0, 24);
    const blob = sealBlobWithNonce(k, encoding, nonce);
    return { description, blobKey: toHex(k.blobKey), entry: toHex(encoding), nonce: toHex(nonce), size: blob.length, blob: toHex(blob), blobHash: toHex(blobHash(blob)) };
  });
  writeVectors('blob', { description: 'encoded entry + blob key + nonce -> padded, sealed blob -> blob hash', vectors: blobs });

  // 1:1 conversations: key derivation and entries.
  const pairs = [
    { description: 'alice and bob', a: alice, b: bob },
    { description: 'bob and carol', a: bob, b: carol },
  ];
  const directKeys: DirectKeysVector[] = [];
  const directKeyObjects: DirectKeys[] = [];
  for (const p of pairs) {
    const k = deriveDirectKeys({ identityKey: p.a.identity.publicKey, dh: p.a.profile.dh }, { identityKey: p.b.identity.publicKey, dhKey: p.b.profile.dh.publicKey });
    directKeyObjects.push(k);
    directKeys.push({
      description: p.description,
      identitySeedA: toHex(fixed(p.a.name)),
      dhSeedA: toHex(fixed(`${p.a.name} dh`)),
      identitySeedB: toHex(fixed(p.b.name)),
      dhSeedB: toHex(fixed(`${p.b.name} dh`)),
      identityKeyA: toHex(p.a.identity.publicKey),
      dhKeyA: toHex(p.a.profile.dh.publicKey),
      identityKeyB: toHex(p.b.identity.publicKey),
      dhKeyB: toHex(p.b.profile.dh.publicKey),
      dh: toHex(x25519(p.a.profile.dh.secretKey, p.b.profile.dh.publicKey)),
      parties: [toHex(k.parties[0]), toHex(k.parties[1])],
      macKey: toHex(k.macKey),
      blobKey: toHex(k.blobKey),
      conversationId: toHex(k.conversationId),
    });
  }
  const directEntries: DirectEntryVector[] = [];
  function addDirect(description: string, keyIndex: number, author: Uint8Array, seq: number, prev: Uint8Array, timestamp: number, heads: Uint8Array[], content: DirectContent): Uint8Array {
    const k = directKeyObjects[keyIndex]!;
    const entry = createDirectEntry(k, author, { seq, prev, timestamp, heads, content });
    const encoding = encodeDirectEntry(entry);
    directEntries.push({
      description,
      keys: keyIndex,
      author: toHex(entry.author),
      seq,
      prev: toHex(entry.prev),
      timestamp,
      heads: entry.heads.map(toHex),
      content: contentToJson(entry.content),
      macInput: toHex(labelledSigningInput(LABEL_DIRECT_ENTRY_MAC, encoding.subarray(0, encoding.length - 32))),
      mac: toHex(entry.mac),
      encoding: toHex(encoding),
      id: toHex(directEntryId(encoding)),
    });
    return directEntryId(encoding);
  }
  const d1 = addDirect('first message of alice to bob', 0, alice.identity.publicKey, 1, zero, 1_767_225_700_000, [], { kind: 'text', text: 'psst' });
  const d2 = addDirect("bob's reply, naming alice's entry as its head", 0, bob.identity.publicKey, 1, zero, 1_767_225_701_000, [d1], { kind: 'reply', target: d1, text: 'hi 🙂' });
  addDirect('alice reacts', 0, alice.identity.publicKey, 2, d1, 1_767_225_702_000, [d2], { kind: 'reaction', target: d2, reaction: '👍' });
  writeVectors('direct', {
    description: '1:1 conversations: X25519 of the two profiles -> root (sorted identities and keys) -> MAC key, blob key, id; direct entries -> MAC input -> MAC -> encoding -> id',
    keys: directKeys,
    entries: directEntries,
  });

  // Invites (v1, protocol/invite.ts; rewritten by the invites work).
  const inviteInputs = [
    { secret: fixed('group 1'), name: 'the snug', pubs: [pubA, pubB] },
    { secret: seq32(0), name: 'dev', pubs: ['ws://127.0.0.1:8080', pubA] },
    { secret: new Uint8Array(32).fill(0xff), name: 'Stammtisch 🍺', pubs: [] },
  ];
  const invites: InviteVector[] = inviteInputs.map((inv) => ({
    secret: toHex(inv.secret),
    name: inv.name,
    pubs: inv.pubs,
    bytes: toHex(encodeInviteBytes(inv)),
    text: encodeInvite(inv),
  }));
  writeVectors('invite', { description: 'invite fields -> binary invite -> pasteable text', vectors: invites });

  // Proof of work: the first nonce from 0 that proves each difficulty, for fixed blobs and pubs.
  const powInputs = [
    { blob: blobs[0]!.blob, context: toHex(fixed('pub context a')), difficulty: 0 },
    { blob: blobs[0]!.blob, context: toHex(fixed('pub context a')), difficulty: 8 },
    { blob: blobs[0]!.blob, context: toHex(fixed('pub context b')), difficulty: 12 },
    { blob: blobs[1]!.blob, context: toHex(fixed('pub context a')), difficulty: 16 },
  ];
  const pows: PowVector[] = powInputs.map((p) => {
    const hash = blobHash(fromHex(p.blob));
    const nonce = solvePow(fromHex(p.context), hash, p.difficulty, { start: 0n, attempts: 1 << 24 });
    if (nonce === null) throw new Error('no nonce found for a PoW vector');
    const digest = powDigest(fromHex(p.context), hash, nonce);
    return {
      powContext: p.context,
      blobHash: toHex(hash),
      difficulty: p.difficulty,
      nonce: nonce.toString(),
      digest: toHex(digest),
      leadingZeroBits: leadingZeroBits(digest),
    };
  });
  writeVectors('pow', { description: 'pub PoW context + blob hash -> first nonce from 0 proving the difficulty -> digest', vectors: pows });
}

await main();
