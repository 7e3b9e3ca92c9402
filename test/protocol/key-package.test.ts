import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { encodeCheckpoint, GROUP_MEMBERS_MAX } from '../../protocol/checkpoint.js';
import { ed25519KeyPairFromSeed, labelledSigningInput, ready, signLabelled, x25519KeyPairFromSeed, type Ed25519KeyPair, type X25519KeyPair } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import {
  KEY_PACKAGE_MAX_BYTES,
  consumeKeyPackage,
  createKeyPackage,
  decodeKeyPackage,
  encodeKeyPackage,
  epochSecretCommitment,
  keyPackageBytes,
  openKeyPackage,
  verifyKeyPackage,
  type KeyPackageInit,
} from '../../protocol/key-package.js';
import { BLOB_SIZE_MAX, ENTRY_HEADS_MAX, KEY_PACKAGE_MAX_BYTES as CONSTANTS_KEY_PACKAGE_MAX_BYTES, REMOVE_MEMBERS_MAX } from '../../protocol/constants.js';
import { createEntry, encodeEntry, sortKeys } from '../../protocol/entry.js';
import { deriveEpochKeys } from '../../protocol/group.js';
import { blobSizeFor } from '../../protocol/padding.js';
import type { KeyPackageVector } from '../helpers/group-vectors.js';
import { codeOf, readVectors } from '../helpers/vectors.js';

function seed(n: number, fill = 0): Uint8Array {
  const s = new Uint8Array(32).fill(fill);
  s[0] = n & 0xff;
  s[1] = n >> 8;
  return s;
}

interface Person {
  identity: Ed25519KeyPair;
  dh: X25519KeyPair;
}

function person(n: number): Person {
  return { identity: ed25519KeyPairFromSeed(seed(n, 1)), dh: x25519KeyPairFromSeed(seed(n, 2)) };
}

describe('protocol/key-package', () => {
  before(ready);

  describe('test vectors', () => {
    const { vectors } = readVectors<{ vectors: KeyPackageVector[] }>('key-package');

    it('consumes each committed package to the committed checkpoint, commitment and slots', () => {
      assert.ok(vectors.length >= 2);
      for (const v of vectors) {
        const p = consumeKeyPackage(fromHex(v.encoding), fromHex(v.groupId));
        assert.equal(toHex(encodeCheckpoint(p.checkpoint)), v.checkpoint);
        assert.equal(p.checkpoint.epoch, v.epoch);
        assert.deepEqual(p.checkpoint.members.map((m) => toHex(m.identityKey)), v.recipients.map((r) => r.identityKey));
        assert.equal(toHex(p.commitment), v.commitment);
        assert.deepEqual(p.slots.map(toHex), v.slots);
        assert.equal(toHex(p.signature), v.signature);
        assert.equal(v.size, v.encoding.length / 2);
        assert.equal(v.size, keyPackageBytes(v.recipients.length));
      }
    });

    it('opens the committed secret in every recipient slot with that recipient key', () => {
      for (const v of vectors) {
        const p = decodeKeyPackage(fromHex(v.encoding));
        for (const r of v.recipients) {
          const dh = x25519KeyPairFromSeed(fromHex(r.dhSeed));
          assert.equal(toHex(dh.publicKey), r.dhKey);
          assert.equal(toHex(openKeyPackage(p, { identityKey: fromHex(r.identityKey), dh })), v.secret);
        }
        assert.equal(toHex(epochSecretCommitment(fromHex(v.groupId), v.epoch, fromHex(v.secret))), v.commitment);
      }
    });

    it('re-encodes the committed fields to the committed bytes and signs them to the committed signature', () => {
      for (const v of vectors) {
        const p = decodeKeyPackage(fromHex(v.encoding));
        const enc = encodeKeyPackage(p);
        assert.equal(toHex(enc), v.encoding);
        assert.equal(toHex(labelledSigningInput('snug/v2/key-package', enc.subarray(0, enc.length - 64))), v.signedMessage);
        const signer = ed25519KeyPairFromSeed(fromHex(v.signerSeed));
        assert.equal(toHex(signLabelled('snug/v2/key-package', enc.subarray(0, enc.length - 64), signer.secretKey)), v.signature);
      }
    });
  });

  describe('behaviour', () => {
    const groupId = seed(7, 7);
    let admin: Person;
    let bob: Person;
    let cy: Person;
    let outsider: Person;
    let init: KeyPackageInit;
    before(() => {
      [admin, bob, cy, outsider] = [1, 2, 3, 4].map(person) as [Person, Person, Person, Person];
      init = {
        groupId,
        epoch: 5,
        previous: { number: 4, opener: seed(9, 9) },
        members: [
          { identityKey: admin.identity.publicKey, dhKey: admin.dh.publicKey, role: 'admin' },
          { identityKey: bob.identity.publicKey, dhKey: bob.dh.publicKey, role: 'member' },
          { identityKey: cy.identity.publicKey, dhKey: cy.dh.publicKey, role: 'member' },
        ],
        secret: seed(42, 42),
      };
    });

    it('gives every member the secret and the size 268 + 113 n', () => {
      const enc = encodeKeyPackage(createKeyPackage(init, admin.identity));
      assert.equal(enc.length, 268 + 113 * 3);
      const p = consumeKeyPackage(enc, groupId);
      for (const m of [admin, bob, cy]) assert.deepEqual(openKeyPackage(p, { identityKey: m.identity.publicKey, dh: m.dh }), init.secret);
    });

    it('tells a non-member it is not a recipient', () => {
      const p = createKeyPackage(init, admin.identity);
      assert.equal(codeOf(() => openKeyPackage(p, { identityKey: outsider.identity.publicKey, dh: outsider.dh })), ProtocolErrorCode.NOT_RECIPIENT);
    });

    it('fails a member whose slot does not open with its key', () => {
      const p = createKeyPackage(init, admin.identity);
      assert.equal(codeOf(() => openKeyPackage(p, { identityKey: bob.identity.publicKey, dh: cy.dh })), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('catches a slot holding another secret than the package commits to', () => {
      // An admin who seals a different secret to one member: the commitment tells that member.
      const honest = createKeyPackage(init, admin.identity);
      const other = createKeyPackage({ ...init, secret: seed(43, 43) }, admin.identity);
      const i = honest.checkpoint.members.findIndex((m) => toHex(m.identityKey) === toHex(bob.identity.publicKey));
      const slots = honest.slots.map((s, k) => (k === i ? other.slots[k]! : s));
      const unsigned = encodeKeyPackage({ ...honest, slots, signature: new Uint8Array(64) }).subarray(0, -64);
      const split = { ...honest, slots, signature: signLabelled('snug/v2/key-package', unsigned, admin.identity.secretKey) };
      assert.equal(verifyKeyPackage(split), true);
      assert.equal(codeOf(() => openKeyPackage(split, { identityKey: bob.identity.publicKey, dh: bob.dh })), ProtocolErrorCode.UNAUTHENTIC);
      assert.deepEqual(openKeyPackage(split, { identityKey: cy.identity.publicKey, dh: cy.dh }), init.secret);
    });

    it('rejects a slot spliced in from another package of the same roster', () => {
      const a = createKeyPackage(init, admin.identity);
      const b = createKeyPackage({ ...init, secret: seed(44, 44) }, admin.identity);
      const spliced = encodeKeyPackage({ ...a, slots: [b.slots[0]!, ...a.slots.slice(1)] });
      assert.equal(codeOf(() => consumeKeyPackage(spliced)), ProtocolErrorCode.UNAUTHENTIC);
      // and the checkpoint cannot be lifted into a package signed by someone else
      const unsigned = encodeKeyPackage({ ...b, checkpoint: a.checkpoint, signature: new Uint8Array(64) }).subarray(0, -64);
      const lifted = encodeKeyPackage({ ...b, checkpoint: a.checkpoint, signature: signLabelled('snug/v2/key-package', unsigned, bob.identity.secretKey) });
      assert.equal(codeOf(() => consumeKeyPackage(lifted)), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('rejects any changed byte, never accepting it', () => {
      const enc = encodeKeyPackage(createKeyPackage(init, admin.identity));
      for (let i = 0; i < enc.length; i += 3) {
        const changed = enc.slice();
        changed[i]! ^= 0x80;
        assert.ok(codeOf(() => consumeKeyPackage(changed)) !== undefined, `byte ${i} changed and still accepted`);
      }
      assert.equal(codeOf(() => consumeKeyPackage(enc, seed(8, 8))), ProtocolErrorCode.INVALID_FIELD);
    });

    it('rejects truncation, trailing bytes, another version and a size above the maximum', () => {
      const enc = encodeKeyPackage(createKeyPackage(init, admin.identity));
      assert.equal(codeOf(() => decodeKeyPackage(enc.subarray(0, enc.length - 1))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeKeyPackage(enc.subarray(0, 200))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeKeyPackage(new Uint8Array(0))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeKeyPackage(Uint8Array.of(...enc, 0))), ProtocolErrorCode.OVERSIZED);
      const v2 = enc.slice();
      v2[0] = 2;
      assert.equal(codeOf(() => decodeKeyPackage(v2)), ProtocolErrorCode.UNSUPPORTED_VERSION);
      assert.equal(codeOf(() => decodeKeyPackage(new Uint8Array(KEY_PACKAGE_MAX_BYTES + 1))), ProtocolErrorCode.OVERSIZED);
    });

    it('refuses a recipient key that is not a usable X25519 key and a secret that is not 32 bytes', () => {
      const bad = { ...init, members: [...init.members.slice(0, 2), { ...init.members[2]!, dhKey: new Uint8Array(32) }] };
      assert.equal(codeOf(() => createKeyPackage(bad, admin.identity)), ProtocolErrorCode.BAD_KEY);
      assert.equal(codeOf(() => createKeyPackage({ ...init, secret: new Uint8Array(31) }, admin.identity)), ProtocolErrorCode.BAD_KEY);
    });

    it('serves the largest group: 1,024 members in 115,980 bytes', function () {
      this.timeout(20_000);
      const people = Array.from({ length: GROUP_MEMBERS_MAX }, (_, i) => person(100 + i));
      const members = people.map((p, i) => ({ identityKey: p.identity.publicKey, dhKey: p.dh.publicKey, role: i === 0 ? ('admin' as const) : ('member' as const) }));
      const enc = encodeKeyPackage(createKeyPackage({ ...init, members }, people[0]!.identity));
      assert.equal(enc.length, KEY_PACKAGE_MAX_BYTES);
      assert.equal(KEY_PACKAGE_MAX_BYTES, 115_980);
      assert.equal(keyPackageBytes(1000), 113_268);
      const p = consumeKeyPackage(enc);
      const last = people[people.length - 1]!;
      assert.deepEqual(openKeyPackage(p, { identityKey: last.identity.publicKey, dh: last.dh }), init.secret);

      // The blob sizes (protocol/constants.ts) hold it: a remove-and-re-key entry with this
      // package, 64 removed members and 16 heads fits the largest blob class.
      assert.ok(KEY_PACKAGE_MAX_BYTES <= CONSTANTS_KEY_PACKAGE_MAX_BYTES);
      const removed = Array.from({ length: REMOVE_MEMBERS_MAX }, (_, i) => person(5000 + i).identity.publicKey);
      const heads = Array.from({ length: ENTRY_HEADS_MAX }, (_, i) => seed(i, 9));
      const keys = deriveEpochKeys(seed(1, 1), init.groupId, { number: 4, opener: seed(9, 9) });
      const entry = encodeEntry(createEntry(keys, people[0]!.identity, { seq: 2, prev: seed(3, 3), timestamp: 0, heads, content: { kind: 'remove', removed: sortKeys(removed), keyPackage: enc } }));
      assert.equal(entry.length, 699 + 1 + 32 * REMOVE_MEMBERS_MAX + 4 + KEY_PACKAGE_MAX_BYTES);
      assert.equal(blobSizeFor(entry.length), BLOB_SIZE_MAX);
    });
  });
});
