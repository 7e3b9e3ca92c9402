import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { sealBlob } from '../../protocol/blob.js';
import { generateProfileKeys } from '../../protocol/certificate.js';
import { blake2b, ready, x25519, x25519KeyPairFromSeed } from '../../protocol/crypto.js';
import {
  consumeDirectBlob,
  consumeDirectEntry,
  createDirectEntry,
  decodeDirectEntry,
  deriveDirectKeys,
  directEntryId,
  encodeDirectEntry,
  type DirectKeys,
} from '../../protocol/direct.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { generateIdentity, identityFromSeed } from '../../protocol/identity.js';
import { codeOf, contentFromJson, contentToJson, readVectors, type DirectEntryVector, type DirectKeysVector } from '../helpers/vectors.js';

const hash = (n: number) => blake2b(32, Uint8Array.of(n));

function party() {
  return { identity: generateIdentity(), profile: generateProfileKeys() };
}

describe('protocol/direct', () => {
  before(ready);

  describe('test vectors', () => {
    const file = readVectors<{ keys: DirectKeysVector[]; entries: DirectEntryVector[] }>('direct');
    const keysOf = (v: DirectKeysVector, fromA: boolean): DirectKeys => {
      const a = { identityKey: identityFromSeed(fromHex(v.identitySeedA)).publicKey, dh: x25519KeyPairFromSeed(fromHex(v.dhSeedA)) };
      const b = { identityKey: identityFromSeed(fromHex(v.identitySeedB)).publicKey, dh: x25519KeyPairFromSeed(fromHex(v.dhSeedB)) };
      return fromA
        ? deriveDirectKeys(a, { identityKey: b.identityKey, dhKey: b.dh.publicKey })
        : deriveDirectKeys(b, { identityKey: a.identityKey, dhKey: a.dh.publicKey });
    };

    it('derives the committed keys from either side', () => {
      assert.ok(file.keys.length >= 2);
      for (const v of file.keys) {
        assert.equal(toHex(x25519KeyPairFromSeed(fromHex(v.dhSeedA)).publicKey), v.dhKeyA);
        assert.equal(toHex(x25519(x25519KeyPairFromSeed(fromHex(v.dhSeedB)).secretKey, fromHex(v.dhKeyA))), v.dh);
        for (const fromA of [true, false]) {
          const k = keysOf(v, fromA);
          assert.deepEqual(k.parties.map(toHex), v.parties);
          assert.equal(toHex(k.macKey), v.macKey);
          assert.equal(toHex(k.blobKey), v.blobKey);
          assert.equal(toHex(k.conversationId), v.conversationId);
        }
      }
    });

    it('creates the committed MAC, encoding and id, and consumes each encoding back to its fields', () => {
      assert.ok(file.entries.length >= 1);
      for (const v of file.entries) {
        const k = keysOf(file.keys[v.keys]!, false);
        const content = contentFromJson(v.content);
        if (content.kind !== 'text' && content.kind !== 'reply' && content.kind !== 'reaction' && content.kind !== 'edit' && content.kind !== 'delete') {
          assert.fail('not a direct kind');
        }
        const e = createDirectEntry(k, fromHex(v.author), { seq: v.seq, prev: fromHex(v.prev), timestamp: v.timestamp, heads: v.heads.map(fromHex), content });
        assert.equal(toHex(encodeDirectEntry(e)), v.encoding, v.description);
        assert.equal(toHex(e.mac), v.mac);
        assert.equal(toHex(blake2b(32, fromHex(v.macInput).subarray(0), k.macKey)), v.mac);
        assert.ok(v.macInput.endsWith(v.encoding.slice(0, v.encoding.length - 64)));
        const back = consumeDirectEntry(k, fromHex(v.encoding));
        assert.equal(toHex(back.author), v.author);
        assert.equal(back.seq, v.seq);
        assert.equal(toHex(back.prev), v.prev);
        assert.equal(back.timestamp, v.timestamp);
        assert.deepEqual(back.heads.map(toHex), v.heads);
        assert.deepEqual(contentToJson(back.content), v.content);
        assert.equal(toHex(directEntryId(back)), v.id);
      }
    });
  });

  describe('behaviour', () => {
    let alice: ReturnType<typeof party>;
    let bob: ReturnType<typeof party>;
    let ka: DirectKeys;
    let kb: DirectKeys;
    before(() => {
      alice = party();
      bob = party();
      ka = deriveDirectKeys({ identityKey: alice.identity.publicKey, dh: alice.profile.dh }, { identityKey: bob.identity.publicKey, dhKey: bob.profile.dh.publicKey });
      kb = deriveDirectKeys({ identityKey: bob.identity.publicKey, dh: bob.profile.dh }, { identityKey: alice.identity.publicKey, dhKey: alice.profile.dh.publicKey });
    });

    it('gives both sides the same keys, so either could have written any entry (deniable)', () => {
      assert.deepEqual(ka, kb);
      const byAlice = createDirectEntry(ka, alice.identity.publicKey, { seq: 1, timestamp: 1, content: { kind: 'text', text: 'hi' } });
      const forgedByBob = createDirectEntry(kb, alice.identity.publicKey, { seq: 1, timestamp: 1, content: { kind: 'text', text: 'hi' } });
      assert.deepEqual(encodeDirectEntry(byAlice), encodeDirectEntry(forgedByBob));
    });

    it('authenticates entries of its conversation only', () => {
      const carol = party();
      const kc = deriveDirectKeys({ identityKey: carol.identity.publicKey, dh: carol.profile.dh }, { identityKey: bob.identity.publicKey, dhKey: bob.profile.dh.publicKey });
      const bytes = encodeDirectEntry(createDirectEntry(ka, alice.identity.publicKey, { seq: 1, timestamp: 1, content: { kind: 'text', text: 'hi' } }));
      assert.equal(consumeDirectEntry(kb, bytes).content.kind, 'text');
      assert.equal(codeOf(() => consumeDirectEntry(kc, bytes)), ProtocolErrorCode.UNAUTHENTIC);
      const blob = sealBlob(ka, bytes);
      assert.ok(consumeDirectBlob(kb, blob) !== null);
      assert.equal(consumeDirectBlob(kc, blob), null);
    });

    it('covers the author and every field with the MAC', () => {
      const bytes = encodeDirectEntry(createDirectEntry(ka, alice.identity.publicKey, { seq: 2, prev: hash(1), timestamp: 1, content: { kind: 'text', text: 'hi' } }));
      const swapped = bytes.slice();
      swapped.set(bob.identity.publicKey, 2);
      assert.equal(codeOf(() => consumeDirectEntry(ka, swapped)), ProtocolErrorCode.UNAUTHENTIC);
      for (const at of [1, 40, 80, bytes.length - 1, bytes.length - 33]) {
        const b = bytes.slice();
        b[at]! ^= 1;
        assert.notEqual(codeOf(() => consumeDirectEntry(ka, b)), undefined, `byte ${at}`);
      }
    });

    it('refuses an author who is neither side, and group-only kinds', () => {
      assert.equal(codeOf(() => createDirectEntry(ka, generateIdentity().publicKey, { seq: 1, timestamp: 1, content: { kind: 'text', text: 'x' } })), ProtocolErrorCode.INVALID_FIELD);
      const bytes = encodeDirectEntry(createDirectEntry(ka, alice.identity.publicKey, { seq: 1, timestamp: 1, content: { kind: 'delete', target: hash(1) } }));
      const leave = Uint8Array.of(...bytes.subarray(0, 1), 0x0b, ...bytes.subarray(2, bytes.length - 32 - 4 - 32), 0, 0, 0, 0, ...bytes.subarray(bytes.length - 32));
      assert.equal(codeOf(() => decodeDirectEntry(leave)), ProtocolErrorCode.INVALID_FIELD);
    });

    it('refuses a small-order X25519 key and a conversation with oneself', () => {
      assert.equal(
        codeOf(() => deriveDirectKeys({ identityKey: alice.identity.publicKey, dh: alice.profile.dh }, { identityKey: bob.identity.publicKey, dhKey: new Uint8Array(32) })),
        ProtocolErrorCode.BAD_KEY,
      );
      const lowOrder = fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800');
      assert.equal(
        codeOf(() => deriveDirectKeys({ identityKey: alice.identity.publicKey, dh: alice.profile.dh }, { identityKey: bob.identity.publicKey, dhKey: lowOrder })),
        ProtocolErrorCode.BAD_KEY,
      );
      assert.equal(
        codeOf(() => deriveDirectKeys({ identityKey: alice.identity.publicKey, dh: alice.profile.dh }, { identityKey: alice.identity.publicKey, dhKey: bob.profile.dh.publicKey })),
        ProtocolErrorCode.INVALID_FIELD,
      );
    });

    it('rejects truncated input, trailing bytes and another version', () => {
      const bytes = encodeDirectEntry(createDirectEntry(ka, bob.identity.publicKey, { seq: 1, timestamp: 1, content: { kind: 'text', text: 'x' } }));
      assert.equal(codeOf(() => decodeDirectEntry(bytes.subarray(0, bytes.length - 1))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeDirectEntry(Uint8Array.of(...bytes, 0))), ProtocolErrorCode.OVERSIZED);
      const v = bytes.slice();
      v[0] = 0x02;
      assert.equal(codeOf(() => decodeDirectEntry(v)), ProtocolErrorCode.UNSUPPORTED_VERSION);
    });
  });
});
