import assert from 'node:assert/strict';
import sodium from 'libsodium-wrappers-sumo';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { createCertificate, generateProfileKeys, profileKeysFromSeeds, type ProfileKeys } from '../../protocol/certificate.js';
import { ENTRY_HEADS_MAX, TEXT_MAX_BYTES, TIMESTAMP_MAX_MS } from '../../protocol/constants.js';
import { blake2b, ready, type Ed25519KeyPair } from '../../protocol/crypto.js';
import {
  consumeEntry,
  consumeGenesis,
  consumeGroupEntry,
  createEntry,
  createGenesis,
  decodeEntry,
  encodeEntry,
  entryId,
  epochOpenedBy,
  isEquivocation,
  verifyEntry,
  verifyGenesis,
  type Entry,
  type EntryInit,
  type Genesis,
} from '../../protocol/entry.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { deriveEpochKeys, epochNameEqual, generateEpochSecret, type EpochKeys } from '../../protocol/group.js';
import { generateIdentity, identityFromSeed, type Identity } from '../../protocol/identity.js';
import { codeOf, contentFromJson, contentToJson, readVectors, type EntryVector } from '../helpers/vectors.js';

function hash(n: number): Uint8Array {
  return blake2b(32, Uint8Array.of(n));
}

/** Offsets in the encoding (docs/protocol.md §4). */
const AT = { kind: 1, epochNumber: 2, opener: 6, author: 38, seq: 70, prev: 78, timestamp: 110, headCount: 118, heads: 119 };
const ORDER_8_POINT = fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');

function member(): { identity: Identity; profile: ProfileKeys; cert: ReturnType<typeof createCertificate> } {
  const identity = generateIdentity();
  const profile = generateProfileKeys();
  return { identity, profile, cert: createCertificate(identity, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, 1_700_000_000_000) };
}

describe('protocol/entry', () => {
  before(ready);

  describe('test vectors', () => {
    const file = readVectors<{ groupId: string; vectors: EntryVector[] }>('entry');
    const keysOf = (v: EntryVector): EpochKeys | null =>
      v.epochSecret === null ? null : deriveEpochKeys(fromHex(v.epochSecret), fromHex(v.groupId), { number: v.epochNumber, opener: fromHex(v.epochOpener) });

    it('creates the committed signature, encoding and id from each vector input', () => {
      assert.ok(file.vectors.length >= 15);
      for (const v of file.vectors) {
        const keys = keysOf(v);
        const seed = fromHex(v.authorSeed);
        const author: Ed25519KeyPair = profileKeysFromSeeds(seed, seed).signing;
        assert.equal(toHex(author.publicKey), v.author);
        const content = contentFromJson(v.content);
        let entry: Entry;
        if (keys === null) {
          assert.equal(content.kind, 'genesis');
          if (content.kind !== 'genesis') continue;
          const g = createGenesis(author, { certificate: content.certificate, timestamp: v.timestamp, settings: content.settings, admins: content.admins, salt: content.salt });
          assert.equal(toHex(g.groupId), file.groupId);
          entry = g.entry;
        } else {
          entry = createEntry(keys, author, { seq: v.seq, prev: fromHex(v.prev), timestamp: v.timestamp, heads: v.heads.map(fromHex), content });
        }
        const encoding = encodeEntry(entry);
        assert.equal(toHex(encoding), v.encoding, v.description);
        assert.equal(toHex(entry.signature), v.signature, v.description);
        assert.equal(toHex(entryId(encoding)), v.id, v.description);
        assert.ok(v.signedMessage.endsWith(v.encoding.slice(0, v.encoding.length - 128)), v.description);
        assert.ok(sodium.crypto_sign_verify_detached(fromHex(v.signature), fromHex(v.signedMessage), fromHex(v.author)), v.description);
      }
    });

    it('decodes each committed encoding back to the vector inputs and verifies it', () => {
      for (const v of file.vectors) {
        const keys = keysOf(v);
        const bytes = fromHex(v.encoding);
        const entry = keys === null ? consumeGenesis(bytes, fromHex(file.groupId)) : consumeEntry(keys, bytes);
        assert.equal(entry.epoch.number, v.epochNumber);
        assert.equal(toHex(entry.epoch.opener), v.epochOpener);
        assert.equal(toHex(entry.author), v.author);
        assert.equal(entry.seq, v.seq);
        assert.equal(toHex(entry.prev), v.prev);
        assert.equal(entry.timestamp, v.timestamp);
        assert.deepEqual(entry.heads.map(toHex), v.heads);
        assert.deepEqual(contentToJson(entry.content), v.content);
        assert.equal(toHex(entry.signature), v.signature);
        assert.equal(toHex(entryId(entry)), v.id);
      }
    });

    it('names the group by the id of its genesis and epoch 0 by the group id', () => {
      const genesis = file.vectors[0]!;
      assert.equal(genesis.id, file.groupId);
      for (const v of file.vectors.slice(1).filter((x) => x.epochNumber === 0)) assert.equal(v.epochOpener, file.groupId);
    });
  });

  describe('genesis', () => {
    let founder: ReturnType<typeof member>;
    let genesis: Genesis;
    before(() => {
      founder = member();
      genesis = createGenesis(founder.profile.signing, {
        certificate: founder.cert,
        timestamp: 1_700_000_000_000,
        settings: { name: 'friends', pubs: [generateIdentity().address], membersMayInvite: false },
      });
    });

    it('names the founder as an admin and gives the group the id of the genesis entry', () => {
      assert.equal(genesis.entry.content.kind, 'genesis');
      if (genesis.entry.content.kind !== 'genesis') return;
      assert.deepEqual(genesis.entry.content.admins, [founder.identity.publicKey]);
      assert.deepEqual(genesis.groupId, entryId(genesis.encoding));
      assert.ok(epochNameEqual(genesis.epoch, { number: 0, opener: genesis.groupId }));
      assert.ok(verifyGenesis(genesis.entry));
      assert.deepEqual(consumeGenesis(genesis.encoding, genesis.groupId), genesis.entry);
    });

    it('gives two groups founded alike different ids (the salt)', () => {
      const again = createGenesis(founder.profile.signing, { certificate: founder.cert, timestamp: 1_700_000_000_000, settings: { name: 'friends', pubs: [], membersMayInvite: false } });
      assert.notEqual(toHex(again.groupId), toHex(genesis.groupId));
    });

    it('rejects a genesis checked against another group id, or with a changed byte', () => {
      assert.equal(codeOf(() => consumeGenesis(genesis.encoding, hash(1))), ProtocolErrorCode.UNAUTHENTIC);
      const bad = genesis.encoding.slice();
      bad[AT.timestamp + 7]! ^= 1;
      assert.equal(codeOf(() => consumeGenesis(bad)), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('refuses a genesis whose author is not the certificate signing key', () => {
      const other = generateProfileKeys();
      assert.equal(
        codeOf(() => createGenesis(other.signing, { certificate: founder.cert, timestamp: 1, settings: { name: 'x', pubs: [], membersMayInvite: true } })),
        ProtocolErrorCode.INVALID_FIELD,
      );
    });

    it('is consumed from epoch 0 only, and not as an ordinary entry', () => {
      const keys0 = deriveEpochKeys(generateEpochSecret(), genesis.groupId, genesis.epoch);
      assert.ok(consumeGroupEntry(keys0, genesis.encoding).content.kind === 'genesis');
      assert.equal(codeOf(() => consumeEntry(keys0, genesis.encoding)), ProtocolErrorCode.INVALID_FIELD);
      const keys1 = deriveEpochKeys(generateEpochSecret(), genesis.groupId, { number: 1, opener: hash(4) });
      assert.equal(codeOf(() => consumeGroupEntry(keys1, genesis.encoding)), ProtocolErrorCode.UNAUTHENTIC);
      const otherGroup = deriveEpochKeys(generateEpochSecret(), hash(5), { number: 0, opener: hash(5) });
      assert.equal(codeOf(() => consumeGroupEntry(otherGroup, genesis.encoding)), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('requires epoch (0, zero), seq 1 and no heads in a genesis, and a non-zero opener elsewhere', () => {
      const bad = genesis.encoding.slice();
      bad[AT.opener] = 1;
      assert.equal(codeOf(() => decodeEntry(bad)), ProtocolErrorCode.INVALID_FIELD);
      const text = createEntry(deriveEpochKeys(generateEpochSecret(), genesis.groupId, genesis.epoch), founder.profile.signing, {
        seq: 2,
        prev: genesis.groupId,
        timestamp: 5,
        content: { kind: 'text', text: 'hi' },
      });
      const zeroed = encodeEntry(text);
      zeroed.fill(0, AT.opener, AT.opener + 32);
      assert.equal(codeOf(() => decodeEntry(zeroed)), ProtocolErrorCode.INVALID_FIELD);
    });
  });

  describe('behaviour', () => {
    let keys: EpochKeys;
    let alice: ReturnType<typeof member>;
    before(() => {
      keys = deriveEpochKeys(generateEpochSecret(), hash(100), { number: 0, opener: hash(100) });
      alice = member();
    });
    const base: EntryInit = { seq: 1, timestamp: 1_700_000_000_000, content: { kind: 'text', text: 'hi' } };

    function encoded(init: Partial<EntryInit> = {}, k: EpochKeys = keys): Uint8Array {
      return encodeEntry(createEntry(k, alice.profile.signing, { ...base, ...init }));
    }

    it('verifies in its own epoch and not in another group or another epoch of the same group', () => {
      const entry = createEntry(keys, alice.profile.signing, base);
      assert.equal(verifyEntry(keys, entry), true);
      const otherGroup = deriveEpochKeys(keys.secret, hash(101), { number: 0, opener: hash(101) });
      const otherEpoch = deriveEpochKeys(keys.secret, hash(100), { number: 1, opener: hash(102) });
      for (const k of [otherGroup, otherEpoch]) {
        assert.equal(verifyEntry(k, entry), false);
        assert.equal(codeOf(() => consumeEntry(k, encodeEntry(entry))), ProtocolErrorCode.UNAUTHENTIC);
      }
      // Same epoch name, another secret: the binding differs.
      const otherSecret = deriveEpochKeys(generateEpochSecret(), hash(100), keys.epoch);
      assert.equal(codeOf(() => consumeEntry(otherSecret, encodeEntry(entry))), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('rejects an entry whose signature or signed fields were altered', () => {
      for (const at of [AT.epochNumber + 3, AT.seq + 7, AT.timestamp + 7, -1, -65]) {
        const bytes = encoded({ seq: 2, prev: hash(1) });
        bytes[at < 0 ? bytes.length + at : at]! ^= 1;
        assert.equal(codeOf(() => consumeEntry(keys, bytes)), ProtocolErrorCode.UNAUTHENTIC, `byte ${at}`);
      }
    });

    it('rejects an author key of small order, or with a small-order component', () => {
      const small = encoded();
      small.fill(0, AT.author, AT.author + 32);
      small[AT.author] = 1;
      assert.equal(codeOf(() => consumeEntry(keys, small)), ProtocolErrorCode.UNAUTHENTIC);
      const mixed = encoded();
      mixed.set(sodium.crypto_core_ed25519_add(alice.profile.signing.publicKey, ORDER_8_POINT), AT.author);
      assert.equal(codeOf(() => consumeEntry(keys, mixed)), ProtocolErrorCode.UNAUTHENTIC);
      assert.equal(verifyEntry(keys, decodeEntry(mixed)), false);
    });

    it('sorts and deduplicates the heads it is given, and rejects unsorted or duplicate heads', () => {
      const entry = createEntry(keys, alice.profile.signing, { ...base, heads: [hash(3), hash(1), hash(3), hash(2)] });
      assert.deepEqual(entry.heads.map(toHex), [hash(1), hash(2), hash(3)].map(toHex).sort());
      const bytes = encoded({ heads: [hash(1), hash(2)] });
      const swapped = bytes.slice();
      swapped.set(bytes.subarray(AT.heads + 32, AT.heads + 64), AT.heads);
      swapped.set(bytes.subarray(AT.heads, AT.heads + 32), AT.heads + 32);
      assert.equal(codeOf(() => decodeEntry(swapped)), ProtocolErrorCode.NON_CANONICAL);
      const duplicated = bytes.slice();
      duplicated.set(bytes.subarray(AT.heads, AT.heads + 32), AT.heads + 32);
      assert.equal(codeOf(() => decodeEntry(duplicated)), ProtocolErrorCode.NON_CANONICAL);
    });

    it('refuses more than the maximum number of heads', () => {
      const heads = Array.from({ length: ENTRY_HEADS_MAX + 1 }, (_, i) => hash(i));
      assert.equal(codeOf(() => encoded({ heads })), ProtocolErrorCode.INVALID_FIELD);
      const bytes = encoded({ heads: heads.slice(0, ENTRY_HEADS_MAX) });
      bytes[AT.headCount] = ENTRY_HEADS_MAX + 1;
      assert.equal(codeOf(() => decodeEntry(bytes)), ProtocolErrorCode.INVALID_FIELD);
    });

    it('requires a zero prev exactly for the first entry of an author', () => {
      assert.equal(codeOf(() => encoded({ seq: 1, prev: hash(1) })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => encoded({ seq: 2 })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => encoded({ seq: 0 })), ProtocolErrorCode.INVALID_FIELD);
      assert.doesNotThrow(() => encoded({ seq: 2, prev: hash(1) }));
    });

    it('bounds timestamps to what a Date holds', () => {
      const late = decodeEntry(encoded({ timestamp: TIMESTAMP_MAX_MS }));
      assert.ok(!Number.isNaN(new Date(late.timestamp).getTime()));
      assert.equal(codeOf(() => encoded({ timestamp: TIMESTAMP_MAX_MS + 1 })), ProtocolErrorCode.INVALID_FIELD);
      const bytes = encoded();
      bytes.set([0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], AT.timestamp);
      assert.equal(codeOf(() => decodeEntry(bytes)), ProtocolErrorCode.INVALID_FIELD);
    });

    it('rejects truncated input and trailing bytes', () => {
      const bytes = encoded();
      for (const n of [0, 1, 2, 40, bytes.length - 65, bytes.length - 1]) {
        assert.equal(codeOf(() => decodeEntry(bytes.subarray(0, n))), ProtocolErrorCode.TRUNCATED, `length ${n}`);
      }
      assert.equal(codeOf(() => decodeEntry(Uint8Array.of(...bytes, 0))), ProtocolErrorCode.OVERSIZED);
    });

    it('rejects an unknown version and an unknown kind', () => {
      const bytes = encoded();
      for (const version of [0x01, 0x03]) {
        const v = bytes.slice();
        v[0] = version;
        assert.equal(codeOf(() => decodeEntry(v)), ProtocolErrorCode.UNSUPPORTED_VERSION);
      }
      for (const kind of [0, 0x0f, 255]) {
        const k = bytes.slice();
        k[AT.kind] = kind;
        assert.equal(codeOf(() => decodeEntry(k)), ProtocolErrorCode.INVALID_FIELD);
      }
    });

    it('refuses empty text, text over the maximum (ERR_TOO_LONG) and lone surrogates', () => {
      assert.equal(codeOf(() => encoded({ content: { kind: 'text', text: '' } })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => encoded({ content: { kind: 'text', text: 'a'.repeat(TEXT_MAX_BYTES + 1) } })), ProtocolErrorCode.TOO_LONG);
      assert.equal(codeOf(() => encoded({ content: { kind: 'reply', target: hash(1), text: '😀'.repeat(TEXT_MAX_BYTES / 4 + 1) } })), ProtocolErrorCode.TOO_LONG);
      assert.equal(codeOf(() => encoded({ content: { kind: 'text', text: 'a\ud800' } })), ProtocolErrorCode.INVALID_FIELD);
      assert.doesNotThrow(() => encoded({ content: { kind: 'text', text: 'a'.repeat(TEXT_MAX_BYTES) } }));
    });

    it('rejects a body length above the maximum before reading it', () => {
      const bytes = encoded();
      bytes.set([0x7f, 0xff, 0xff, 0xff], bytes.length - 64 - 2 - 4);
      assert.equal(codeOf(() => decodeEntry(bytes)), ProtocolErrorCode.OVERSIZED);
    });

    it('checks the certificate a join carries and that the joiner signed it', () => {
      const bob = member();
      const join = createEntry(keys, bob.profile.signing, { ...base, content: { kind: 'join', invite: hash(7), certificate: bob.cert } });
      assert.ok(consumeEntry(keys, encodeEntry(join)).content.kind === 'join');
      assert.equal(
        codeOf(() => createEntry(keys, alice.profile.signing, { ...base, content: { kind: 'join', invite: hash(7), certificate: bob.cert } })),
        ProtocolErrorCode.INVALID_FIELD,
      );
      const forged = encodeEntry(join);
      const certAt = forged.length - 64 - 169;
      forged[certAt + 168]! ^= 1; // the certificate's signature
      assert.equal(codeOf(() => consumeEntry(keys, forged)), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('names the epoch a remove-and-re-key opens: the next number and the entry id', () => {
      const rm = createEntry(keys, alice.profile.signing, { ...base, content: { kind: 'remove', removed: [], keyPackage: Uint8Array.of(1) } });
      assert.ok(epochNameEqual(epochOpenedBy(rm), { number: 1, opener: entryId(rm) }));
      assert.equal(codeOf(() => epochOpenedBy(createEntry(keys, alice.profile.signing, base))), ProtocolErrorCode.INVALID_FIELD);
    });

    it('detects equivocation by (author, seq) whatever the epochs', () => {
      const a = createEntry(keys, alice.profile.signing, { ...base, seq: 3, prev: hash(2) });
      const later = deriveEpochKeys(generateEpochSecret(), keys.groupId, { number: 1, opener: hash(50) });
      const b = createEntry(later, alice.profile.signing, { ...base, seq: 3, prev: hash(2) });
      const c = createEntry(keys, alice.profile.signing, { ...base, seq: 4, prev: entryId(a) });
      const d = createEntry(keys, member().profile.signing, { ...base, seq: 3, prev: hash(2) });
      assert.equal(isEquivocation(a, b), true);
      assert.equal(isEquivocation(a, decodeEntry(encodeEntry(a))), false);
      assert.equal(isEquivocation(a, c), false);
      assert.equal(isEquivocation(a, d), false);
    });

    it('keeps a decoded entry equal to the created one', () => {
      const entry = createEntry(keys, alice.profile.signing, { ...base, heads: [hash(9)] });
      assert.deepEqual(decodeEntry(encodeEntry(entry)), entry);
    });

    it('uses the profile signing key, not the identity key, as author', () => {
      const entry = createEntry(keys, alice.profile.signing, base);
      assert.deepEqual(entry.author, alice.profile.signing.publicKey);
      assert.notDeepEqual(entry.author, alice.identity.publicKey);
      assert.ok(identityFromSeed(alice.identity.seed).address === alice.identity.address);
    });
  });
});
