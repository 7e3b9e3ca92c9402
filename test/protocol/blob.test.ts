import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { blobHash, checkBlobShape, consumeBlob, openBlob, sealBlob, sealBlobWithNonce } from '../../protocol/blob.js';
import { BLOB_OVERHEAD_BYTES, BLOB_SIZES, BLOB_VERSION, ENTRY_HEADS_MAX } from '../../protocol/constants.js';
import { aeadEncrypt, blake2b, ready } from '../../protocol/crypto.js';
import { createEntry, encodeEntry, entryId } from '../../protocol/entry.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { deriveGroupKeys, generateGroupSecret, type GroupKeys } from '../../protocol/group.js';
import { generateIdentity, type Identity } from '../../protocol/identity.js';
import { pad } from '../../protocol/padding.js';
import { codeOf, readVectors, type BlobVector } from '../helpers/vectors.js';

describe('protocol/blob', () => {
  before(ready);

  describe('test vectors', () => {
    const { vectors } = readVectors<{ vectors: BlobVector[] }>('blob');

    it('seals each committed entry with its nonce into the committed blob and hash', () => {
      assert.ok(vectors.length >= 3);
      for (const v of vectors) {
        const keys = deriveGroupKeys(fromHex(v.groupSecret));
        const blob = sealBlobWithNonce(keys, fromHex(v.entry), fromHex(v.nonce));
        assert.equal(blob.length, v.size, v.description);
        assert.equal(toHex(blob), v.blob, v.description);
        assert.equal(toHex(blobHash(blob)), v.blobHash, v.description);
      }
    });

    it('opens each committed blob to the committed entry', () => {
      for (const v of vectors) {
        const keys = deriveGroupKeys(fromHex(v.groupSecret));
        const opened = openBlob(keys, fromHex(v.blob));
        assert.ok(opened !== null);
        assert.equal(toHex(opened), v.entry);
        assert.ok(consumeBlob(keys, fromHex(v.blob)) !== null);
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

    function entryBytes(text: string, heads = 0): Uint8Array {
      const hs = Array.from({ length: heads }, (_, i) => blake2b(32, Uint8Array.of(i)));
      return encodeEntry(createEntry(keys, alice, { seq: 1, timestamp: Date.now(), heads: hs, content: { kind: 'text', text } }));
    }

    it('puts a text of 1000 UTF-8 bytes with the most heads into the smallest blob', () => {
      for (const text of ['x'.repeat(1000), 'ü'.repeat(500), '😀'.repeat(250)]) {
        const blob = sealBlob(keys, entryBytes(text, ENTRY_HEADS_MAX));
        assert.equal(blob.length, 2048);
      }
    });

    it('holds up to 1340 bytes of text with 16 heads, and 1852 with none, in the smallest blob', () => {
      assert.equal(sealBlob(keys, entryBytes('a'.repeat(1340), ENTRY_HEADS_MAX)).length, 2048);
      assert.equal(sealBlob(keys, entryBytes('a'.repeat(1341), ENTRY_HEADS_MAX)).length, 8192);
      assert.equal(sealBlob(keys, entryBytes('a'.repeat(1852))).length, 2048);
      assert.equal(sealBlob(keys, entryBytes('a'.repeat(1853))).length, 8192);
    });

    it('uses only the fixed sizes, the smallest that fits', () => {
      assert.equal(sealBlob(keys, entryBytes('a')).length, BLOB_SIZES[0]);
      assert.equal(sealBlob(keys, entryBytes('a'.repeat(3000))).length, 8192);
      assert.equal(sealBlob(keys, entryBytes('a'.repeat(20000))).length, 32768);
      assert.equal(sealBlob(keys, entryBytes('a'.repeat(65536), ENTRY_HEADS_MAX)).length, 131072);
    });

    it('opens its own blob and returns null for another group', () => {
      const entry = entryBytes('hello');
      const blob = sealBlob(keys, entry);
      assert.deepEqual(openBlob(keys, blob), entry);
      assert.equal(openBlob(deriveGroupKeys(generateGroupSecret()), blob), null);
      assert.equal(consumeBlob(deriveGroupKeys(generateGroupSecret()), blob), null);
    });

    it('returns null for any flipped bit in nonce, ciphertext or tag', () => {
      const blob = sealBlob(keys, entryBytes('hello'));
      for (const i of [1, 24, 25, 1000, blob.length - 1]) {
        const bad = blob.slice();
        bad[i]! ^= 0x10;
        assert.equal(openBlob(keys, bad), null, `byte ${i}`);
      }
    });

    it('uses a fresh nonce each time, so sealing twice gives different blobs and hashes', () => {
      const entry = entryBytes('hello');
      assert.notEqual(toHex(blobHash(sealBlob(keys, entry))), toHex(blobHash(sealBlob(keys, entry))));
    });

    it('rejects a blob whose length is not one of the sizes', () => {
      assert.equal(codeOf(() => openBlob(keys, new Uint8Array(100))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => openBlob(keys, new Uint8Array(2049))), ProtocolErrorCode.MALFORMED);
      assert.equal(codeOf(() => openBlob(keys, new Uint8Array(131073))), ProtocolErrorCode.OVERSIZED);
    });

    it('rejects a blob with an unknown version byte', () => {
      const blob = sealBlob(keys, entryBytes('hello'));
      blob[0] = BLOB_VERSION + 1;
      assert.equal(codeOf(() => checkBlobShape(blob)), ProtocolErrorCode.UNSUPPORTED_VERSION);
      assert.equal(codeOf(() => openBlob(keys, blob)), ProtocolErrorCode.UNSUPPORTED_VERSION);
    });

    it('rejects an authentic blob whose padding is not all zero', () => {
      const nonce = new Uint8Array(24);
      const padded = pad(entryBytes('hello'), 2048 - BLOB_OVERHEAD_BYTES);
      padded[padded.length - 1] = 1;
      const blob = Uint8Array.of(BLOB_VERSION, ...nonce, ...aeadEncrypt(padded, Uint8Array.of(BLOB_VERSION), nonce, keys.blobKey));
      assert.equal(codeOf(() => openBlob(keys, blob)), ProtocolErrorCode.NON_CANONICAL);
    });

    it('rejects an authentic blob larger than its entry needs', () => {
      const nonce = new Uint8Array(24);
      const padded = pad(entryBytes('hello'), 8192 - BLOB_OVERHEAD_BYTES);
      const blob = Uint8Array.of(BLOB_VERSION, ...nonce, ...aeadEncrypt(padded, Uint8Array.of(BLOB_VERSION), nonce, keys.blobKey));
      assert.equal(codeOf(() => openBlob(keys, blob)), ProtocolErrorCode.NON_CANONICAL);
    });

    it('rejects an authentic blob sealed with a different version in the additional data', () => {
      const nonce = new Uint8Array(24);
      const padded = pad(entryBytes('hello'), 2048 - BLOB_OVERHEAD_BYTES);
      const blob = Uint8Array.of(BLOB_VERSION, ...nonce, ...aeadEncrypt(padded, Uint8Array.of(0x02), nonce, keys.blobKey));
      assert.equal(openBlob(keys, blob), null);
    });

    it('consumes a blob into its verified entry', () => {
      const entry = createEntry(keys, alice, { seq: 1, timestamp: 5, content: { kind: 'text', text: 'hey' } });
      const got = consumeBlob(keys, sealBlob(keys, encodeEntry(entry)));
      assert.ok(got !== null);
      assert.equal(toHex(entryId(got)), toHex(entryId(entry)));
    });

    it('refuses a nonce that is not 24 bytes', () => {
      assert.equal(codeOf(() => sealBlobWithNonce(keys, entryBytes('a'), new Uint8Array(12))), ProtocolErrorCode.INVALID_FIELD);
    });
  });
});
