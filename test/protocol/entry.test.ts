import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { ENTRY_HEADS_MAX, TEXT_MAX_BYTES } from '../../protocol/constants.js';
import { blake2b, ready } from '../../protocol/crypto.js';
import {
  consumeEntry,
  createEntry,
  decodeEntry,
  encodeEntry,
  entryId,
  isEquivocation,
  verifyEntry,
  type Entry,
  type EntryInit,
} from '../../protocol/entry.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { deriveGroupKeys, generateGroupSecret, type GroupKeys } from '../../protocol/group.js';
import { generateIdentity, identityFromSeed, type Identity } from '../../protocol/identity.js';
import { codeOf, contentFromJson, contentToJson, readVectors, type EntryVector } from '../helpers/vectors.js';

function hash(n: number): Uint8Array {
  return blake2b(32, Uint8Array.of(n));
}

describe('protocol/entry', () => {
  before(ready);

  describe('test vectors', () => {
    const { vectors } = readVectors<{ vectors: EntryVector[] }>('entry');

    it('creates the committed signature, encoding and id from each vector input', () => {
      assert.ok(vectors.length >= 6);
      for (const v of vectors) {
        const keys = deriveGroupKeys(fromHex(v.groupSecret));
        const author = identityFromSeed(fromHex(v.authorSeed));
        assert.equal(toHex(author.publicKey), v.author);
        const entry = createEntry(keys, author, {
          seq: v.seq,
          prev: fromHex(v.prev),
          timestamp: v.timestamp,
          heads: v.heads.map(fromHex),
          content: contentFromJson(v.content),
        });
        const encoding = encodeEntry(entry);
        assert.equal(toHex(entry.signature), v.signature, v.description);
        assert.equal(toHex(encoding), v.encoding, v.description);
        assert.equal(toHex(entryId(encoding)), v.id, v.description);
        const signedPart = v.encoding.slice(0, v.encoding.length - 128);
        assert.ok(v.signedMessage.endsWith(signedPart));
      }
    });

    it('decodes each committed encoding back to the vector inputs and verifies it', () => {
      for (const v of vectors) {
        const keys = deriveGroupKeys(fromHex(v.groupSecret));
        const entry = consumeEntry(keys, fromHex(v.encoding));
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
  });

  describe('behaviour', () => {
    let keys: GroupKeys;
    let alice: Identity;
    before(() => {
      keys = deriveGroupKeys(generateGroupSecret());
      alice = generateIdentity();
    });
    const base: EntryInit = { seq: 1, timestamp: 1_700_000_000_000, content: { kind: 'text', text: 'hi' } };

    function encoded(init: Partial<EntryInit> = {}): Uint8Array {
      return encodeEntry(createEntry(keys, alice, { ...base, ...init }));
    }

    it('verifies in its own group and not in another group', () => {
      const entry = createEntry(keys, alice, base);
      assert.equal(verifyEntry(keys, entry), true);
      const other = deriveGroupKeys(generateGroupSecret());
      assert.equal(verifyEntry(other, entry), false);
      assert.equal(codeOf(() => consumeEntry(other, encodeEntry(entry))), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('rejects an entry whose signature does not verify', () => {
      const bytes = encoded();
      bytes[bytes.length - 1]! ^= 1;
      assert.equal(codeOf(() => consumeEntry(keys, bytes)), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('rejects an entry whose signed fields were altered', () => {
      const bytes = encoded();
      bytes[bytes.length - 65]! ^= 1; // last byte of the text
      assert.equal(codeOf(() => consumeEntry(keys, bytes)), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('sorts and deduplicates the heads it is given', () => {
      const entry = createEntry(keys, alice, { ...base, heads: [hash(3), hash(1), hash(3), hash(2)] });
      const sorted = [hash(1), hash(2), hash(3)].map(toHex).sort();
      assert.deepEqual(entry.heads.map(toHex), sorted);
    });

    it('rejects unsorted or duplicate heads in an encoding as non-canonical', () => {
      const bytes = encoded({ heads: [hash(1), hash(2)] });
      const headsAt = 1 + 1 + 32 + 8 + 32 + 8 + 1;
      const swapped = bytes.slice();
      swapped.set(bytes.subarray(headsAt + 32, headsAt + 64), headsAt);
      swapped.set(bytes.subarray(headsAt, headsAt + 32), headsAt + 32);
      assert.equal(codeOf(() => decodeEntry(swapped)), ProtocolErrorCode.NON_CANONICAL);
      const duplicated = bytes.slice();
      duplicated.set(bytes.subarray(headsAt, headsAt + 32), headsAt + 32);
      assert.equal(codeOf(() => decodeEntry(duplicated)), ProtocolErrorCode.NON_CANONICAL);
    });

    it('refuses more than the maximum number of heads', () => {
      const heads = Array.from({ length: ENTRY_HEADS_MAX + 1 }, (_, i) => hash(i));
      assert.equal(codeOf(() => encoded({ heads })), ProtocolErrorCode.INVALID_FIELD);
      const bytes = encoded({ heads: heads.slice(0, ENTRY_HEADS_MAX) });
      bytes[1 + 1 + 32 + 8 + 32 + 8] = ENTRY_HEADS_MAX + 1;
      assert.equal(codeOf(() => decodeEntry(bytes)), ProtocolErrorCode.INVALID_FIELD);
    });

    it('requires a zero prev exactly for the first entry of an author', () => {
      assert.equal(codeOf(() => encoded({ seq: 1, prev: hash(1) })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => encoded({ seq: 2 })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => encoded({ seq: 0 })), ProtocolErrorCode.INVALID_FIELD);
      assert.doesNotThrow(() => encoded({ seq: 2, prev: hash(1) }));
    });

    it('rejects truncated input and trailing bytes', () => {
      const bytes = encoded();
      for (const n of [0, 1, 2, 40, bytes.length - 65, bytes.length - 1]) {
        assert.equal(codeOf(() => decodeEntry(bytes.subarray(0, n))), ProtocolErrorCode.TRUNCATED, `length ${n}`);
      }
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      assert.equal(codeOf(() => decodeEntry(longer)), ProtocolErrorCode.OVERSIZED);
    });

    it('rejects an unknown version and an unknown kind', () => {
      const bytes = encoded();
      const v2 = bytes.slice();
      v2[0] = 2;
      assert.equal(codeOf(() => decodeEntry(v2)), ProtocolErrorCode.UNSUPPORTED_VERSION);
      for (const kind of [0, 6, 255]) {
        const k = bytes.slice();
        k[1] = kind;
        assert.equal(codeOf(() => decodeEntry(k)), ProtocolErrorCode.INVALID_FIELD);
      }
    });

    it('rejects text that is not valid UTF-8', () => {
      const bytes = encoded({ content: { kind: 'text', text: 'ab' } });
      bytes[bytes.length - 66] = 0xff;
      assert.equal(codeOf(() => decodeEntry(bytes)), ProtocolErrorCode.INVALID_FIELD);
    });

    it('refuses empty text, text over the maximum and text with lone surrogates', () => {
      assert.equal(codeOf(() => encoded({ content: { kind: 'text', text: '' } })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => encoded({ content: { kind: 'text', text: 'a'.repeat(TEXT_MAX_BYTES + 1) } })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => encoded({ content: { kind: 'text', text: 'a\ud800' } })), ProtocolErrorCode.INVALID_FIELD);
      assert.doesNotThrow(() => encoded({ content: { kind: 'text', text: 'a'.repeat(TEXT_MAX_BYTES) } }));
    });

    it('rejects a body length above the maximum before reading it', () => {
      const bytes = encoded();
      const lenAt = bytes.length - 64 - 2 - 4;
      bytes.set([0x7f, 0xff, 0xff, 0xff], lenAt);
      assert.equal(codeOf(() => decodeEntry(bytes)), ProtocolErrorCode.OVERSIZED);
    });

    it('rejects an entry whose author key is a small-order point as unauthentic', () => {
      const bytes = encoded();
      bytes.fill(0, 2, 34);
      bytes[2] = 1; // the neutral element: any "signature" would be easy to forge under it
      assert.equal(codeOf(() => consumeEntry(keys, bytes)), ProtocolErrorCode.UNAUTHENTIC);
      assert.equal(verifyEntry(keys, decodeEntry(bytes)), false);
    });

    it('round-trips every kind of content', () => {
      const contents: EntryInit['content'][] = [
        { kind: 'reply', target: hash(1), text: 'yes' },
        { kind: 'reaction', target: hash(2), reaction: '👍' },
        { kind: 'reaction', target: hash(2), reaction: '' },
        { kind: 'edit', target: hash(3), text: 'fixed' },
        { kind: 'membership', op: 'remove', member: generateIdentity().publicKey },
      ];
      for (const content of contents) {
        const entry = createEntry(keys, alice, { ...base, content });
        const back = consumeEntry(keys, encodeEntry(entry));
        assert.deepEqual(contentToJson(back.content), contentToJson(content));
      }
    });

    it('detects two different entries with one author and sequence number as equivocation', () => {
      const a = createEntry(keys, alice, base);
      const b = createEntry(keys, alice, { ...base, content: { kind: 'text', text: 'other' } });
      const c = createEntry(keys, alice, { ...base, seq: 2, prev: entryId(a) });
      const d = createEntry(keys, generateIdentity(), base);
      assert.equal(isEquivocation(a, b), true);
      assert.equal(isEquivocation(a, a), false);
      assert.equal(isEquivocation(a, decodeEntry(encodeEntry(a))), false);
      assert.equal(isEquivocation(a, c), false);
      assert.equal(isEquivocation(a, d), false);
    });

    it('gives different entries different ids', () => {
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++) ids.add(toHex(entryId(createEntry(keys, alice, { ...base, timestamp: i }))));
      assert.equal(ids.size, 20);
    });

    it('keeps a decoded entry equal to the created one', () => {
      const entry: Entry = createEntry(keys, alice, { ...base, heads: [hash(9)] });
      assert.deepEqual(decodeEntry(encodeEntry(entry)), entry);
    });
  });
});
