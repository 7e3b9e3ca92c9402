/**
 * Writes the committed test vectors test/vectors/*.json from fixed inputs. Run by hand after a
 * deliberate format change (`npx tsc -p tsconfig.json && node dist/test/vectors/generate.js`);
 * the tests only read the files and never regenerate them.
 */
import { concatBytes, fromHex, toHex, utf8Encode } from '../../protocol/bytes.js';
import { blobHash, sealBlobWithNonce } from '../../protocol/blob.js';
import { LABEL_CERTIFICATE, LABEL_ENTRY_SIGNATURE, TIMESTAMP_MAX_MS } from '../../protocol/constants.js';
import { createCertificate, encodeCertificate, profileKeysFromSeeds } from '../../protocol/certificate.js';
import { blake2b, labelledSigningInput, ready } from '../../protocol/crypto.js';
import { createEntry, encodeEntry, entryId, type EntryContent } from '../../protocol/entry.js';
import { deriveGroupKeys } from '../../protocol/group.js';
import { identityFromSeed, torExpandedSecretKey } from '../../protocol/identity.js';
import { encodeInvite, encodeInviteBytes } from '../../protocol/invite.js';
import { leadingZeroBits, powDigest, solvePow } from '../../protocol/pow.js';
import {
  contentToJson,
  writeVectors,
  type BlobVector,
  type CertificateVector,
  type EntryVector,
  type GroupVector,
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

  // Group key derivation.
  const secrets = [new Uint8Array(32), seq32(0), new Uint8Array(32).fill(0xff), fixed('group 1')];
  const groups: GroupVector[] = secrets.map((secret) => {
    const k = deriveGroupKeys(secret);
    return { secret: toHex(secret), groupId: k.groupId, blobKey: toHex(k.blobKey), binding: toHex(k.binding) };
  });
  writeVectors('group', { description: 'group secret -> keyed BLAKE2b-256 derivations', vectors: groups });

  // Entries.
  const groupSecret = fixed('group 1');
  const keys = deriveGroupKeys(groupSecret);
  const alice = identityFromSeed(fixed('alice'));
  const bob = identityFromSeed(fixed('bob'));
  const entries: EntryVector[] = [];
  const encodings: { description: string; encoding: Uint8Array }[] = [];
  const heads16 = Array.from({ length: 16 }, (_, i) => fixed(`head ${i}`)).sort((a, b) => toHex(a).localeCompare(toHex(b)));
  function add(description: string, author: typeof alice, seq: number, prev: Uint8Array, timestamp: number, heads: Uint8Array[], content: EntryContent): Uint8Array {
    const entry = createEntry(keys, author, { seq, prev, timestamp, heads, content });
    const encoding = encodeEntry(entry);
    const unsigned = encoding.subarray(0, encoding.length - 64);
    entries.push({
      description,
      groupSecret: toHex(groupSecret),
      authorSeed: toHex(author.seed),
      author: toHex(author.publicKey),
      seq,
      prev: toHex(prev),
      timestamp,
      heads: entry.heads.map(toHex),
      content: contentToJson(content),
      signedMessage: toHex(concatBytes([utf8Encode(LABEL_ENTRY_SIGNATURE), keys.binding, unsigned])),
      signature: toHex(entry.signature),
      encoding: toHex(encoding),
      id: toHex(entryId(encoding)),
    });
    encodings.push({ description, encoding });
    return entryId(encoding);
  }
  const zero = new Uint8Array(32);
  const a1 = add('first text of an author, no heads', alice, 1, zero, 1_767_225_600_000, [], { kind: 'text', text: 'hello, snug' });
  const b1 = add('membership add by another author, one head', bob, 1, zero, 1_767_225_601_000, [a1], { kind: 'membership', op: 'add', member: alice.publicKey });
  const a2 = add('reply with non-ASCII text', alice, 2, a1, 1_767_225_602_000, [b1], { kind: 'reply', target: b1, text: 'grüß dich 👋' });
  const a3 = add('reaction', alice, 3, a2, 1_767_225_603_000, [b1], { kind: 'reaction', target: b1, reaction: '❤️' });
  const a4 = add('edit that deletes (empty text)', alice, 4, a3, 1_767_225_604_000, [b1], { kind: 'edit', target: a2, text: '' });
  add('text of 1000 bytes with 16 heads (smallest blob)', alice, 5, a4, 2 ** 53 - 1, heads16, { kind: 'text', text: 'x'.repeat(1000) });
  add('membership remove', bob, 2, b1, 1_767_225_606_000, [a4], { kind: 'membership', op: 'remove', member: alice.publicKey });
  add('text of 3000 bytes (second blob size)', bob, 3, fixed('not really b2'), 1_767_225_607_000, [], { kind: 'text', text: 'é'.repeat(1500) });
  writeVectors('entry', { description: 'entry inputs -> signed message -> signature -> canonical encoding -> id', vectors: entries });

  // Blobs of some of those entries, with fixed nonces.
  const blobs: BlobVector[] = [0, 5, 7].map((i) => {
    const { description, encoding } = encodings[i]!;
    const nonce = fixed(`nonce ${i}`, 24 + 8).subarray(0, 24);
    const blob = sealBlobWithNonce(keys, encoding, nonce);
    return {
      description,
      groupSecret: toHex(groupSecret),
      entry: toHex(encoding),
      nonce: toHex(nonce),
      size: blob.length,
      blob: toHex(blob),
      blobHash: toHex(blobHash(blob)),
    };
  });
  writeVectors('blob', { description: 'encoded entry + nonce -> padded, sealed blob -> blob hash', vectors: blobs });

  // Invites.
  const pubA = identityFromSeed(fixed('pub a')).address;
  const pubB = identityFromSeed(fixed('pub b')).address;
  const inviteInputs = [
    { secret: groupSecret, name: 'the snug', pubs: [pubA, pubB] },
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
