import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { blobHash, checkBlobShape, consumeBlob, openBlob, sealBlob, sealBlobWithNonce } from '../../protocol/blob.js';
import { createCertificate, generateProfileKeys } from '../../protocol/certificate.js';
import { BLOB_OVERHEAD_BYTES, BLOB_SIZE_LONG, BLOB_SIZE_STANDARD, BLOB_SIZES, BLOB_VERSION, ENTRY_HEADS_MAX, TEXT_MAX_BYTES } from '../../protocol/constants.js';
import { aeadEncrypt, blake2b, ready } from '../../protocol/crypto.js';
import { createEntry, createGenesis, encodeEntry, entryId } from '../../protocol/entry.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { deriveEpochKeys, generateEpochSecret, type EpochKeys } from '../../protocol/group.js';
import { generateIdentity } from '../../protocol/identity.js';
import { pad } from '../../protocol/padding.js';
import { codeOf, readVectors, type BlobVector } from '../helpers/vectors.js';

const hash = (n: number) => blake2b(32, Uint8Array.of(n));

describe('protocol/blob', () => {
  before(ready);

  describe('test vectors', () => {
    const { vectors } = readVectors<{ vectors: BlobVector[] }>('blob');

    it('seals each committed entry with its nonce into the committed blob and hash', () => {
      assert.ok(vectors.length >= 3);
      for (const v of vectors) {
        const blob = sealBlobWithNonce({ blobKey: fromHex(v.blobKey) }, fromHex(v.entry), fromHex(v.nonce));
        assert.equal(blob.length, v.size, v.description);
        assert.equal(toHex(blob), v.blob, v.description);
        assert.equal(toHex(blobHash(blob)), v.blobHash, v.description);
      }
    });

    it('opens each committed blob to the committed entry', () => {
      for (const v of vectors) {
        const opened = openBlob({ blobKey: fromHex(v.blobKey) }, fromHex(v.blob));
        assert.ok(opened !== null);
        assert.equal(toHex(opened), v.entry);
      }
    });
  });

  describe('behaviour', () => {
    let keys: EpochKeys;
    const alice = () => signing;
    let signing: ReturnType<typeof generateProfileKeys>['signing'];
    before(() => {
      keys = deriveEpochKeys(generateEpochSecret(), hash(1), { number: 3, opener: hash(2) });
      signing = generateProfileKeys().signing;
    });

    function entryBytes(text: string, heads = 0): Uint8Array {
      const hs = Array.from({ length: heads }, (_, i) => hash(100 + i));
      return encodeEntry(createEntry(keys, alice(), { seq: 1, timestamp: Date.now(), heads: hs, content: { kind: 'text', text } }));
    }

    it('uses only the fixed sizes, the smallest that fits', () => {
      assert.equal(sealBlob(keys, entryBytes('a')).length, BLOB_SIZES[0]);
      assert.equal(sealBlob(keys, entryBytes('a'.repeat(6000))).length, BLOB_SIZE_LONG);
      assert.equal(sealBlob(keys, entryBytes('a'.repeat(TEXT_MAX_BYTES), ENTRY_HEADS_MAX)).length, BLOB_SIZE_LONG);
    });

    it('opens its own blob and returns null under another epoch or group', () => {
      const entry = entryBytes('hello');
      const blob = sealBlob(keys, entry);
      assert.deepEqual(openBlob(keys, blob), entry);
      const otherEpoch = deriveEpochKeys(keys.secret, hash(1), { number: 3, opener: hash(3) });
      assert.equal(openBlob(otherEpoch, blob), null);
      assert.equal(consumeBlob(deriveEpochKeys(generateEpochSecret(), hash(1), keys.epoch), blob), null);
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

    it('rejects a blob whose length is not one of the sizes, and the old sizes', () => {
      assert.equal(codeOf(() => openBlob(keys, new Uint8Array(100))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => openBlob(keys, new Uint8Array(2048))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => openBlob(keys, new Uint8Array(8192))), ProtocolErrorCode.MALFORMED);
      assert.equal(codeOf(() => openBlob(keys, new Uint8Array(BLOB_SIZE_STANDARD + 1))), ProtocolErrorCode.MALFORMED);
      assert.equal(codeOf(() => openBlob(keys, new Uint8Array(131073))), ProtocolErrorCode.OVERSIZED);
    });

    it('rejects a blob with another version byte (the v1 blob included)', () => {
      const blob = sealBlob(keys, entryBytes('hello'));
      for (const version of [0x01, 0x03]) {
        blob[0] = version;
        assert.equal(codeOf(() => checkBlobShape(blob)), ProtocolErrorCode.UNSUPPORTED_VERSION);
        assert.equal(codeOf(() => openBlob(keys, blob)), ProtocolErrorCode.UNSUPPORTED_VERSION);
      }
    });

    function authentic(padded: Uint8Array, ad = BLOB_VERSION): Uint8Array {
      const nonce = new Uint8Array(24);
      return Uint8Array.of(BLOB_VERSION, ...nonce, ...aeadEncrypt(padded, Uint8Array.of(ad), nonce, keys.blobKey));
    }

    it('rejects an authentic blob whose padding is not all zero', () => {
      const padded = pad(entryBytes('hello'), BLOB_SIZE_STANDARD - BLOB_OVERHEAD_BYTES);
      padded[padded.length - 1] = 1;
      assert.equal(codeOf(() => openBlob(keys, authentic(padded))), ProtocolErrorCode.NON_CANONICAL);
    });

    it('rejects an authentic blob larger than its entry needs', () => {
      const padded = pad(entryBytes('hello'), BLOB_SIZE_LONG - BLOB_OVERHEAD_BYTES);
      assert.equal(codeOf(() => openBlob(keys, authentic(padded))), ProtocolErrorCode.NON_CANONICAL);
    });

    it('returns null for a blob sealed with another version in the additional data', () => {
      const padded = pad(entryBytes('hello'), BLOB_SIZE_STANDARD - BLOB_OVERHEAD_BYTES);
      assert.equal(openBlob(keys, authentic(padded, 0x01)), null);
    });

    it('consumes a blob into its verified entry, and a genesis blob in epoch 0 of its group', () => {
      const entry = createEntry(keys, alice(), { seq: 1, timestamp: 5, content: { kind: 'text', text: 'hey' } });
      const got = consumeBlob(keys, sealBlob(keys, encodeEntry(entry)));
      assert.ok(got !== null);
      assert.equal(toHex(entryId(got)), toHex(entryId(entry)));
      const identity = generateIdentity();
      const profile = generateProfileKeys();
      const cert = createCertificate(identity, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, 1);
      const g = createGenesis(profile.signing, { certificate: cert, timestamp: 2, settings: { name: 'g', pubs: [], membersMayInvite: false } });
      const k0 = deriveEpochKeys(generateEpochSecret(), g.groupId, g.epoch);
      assert.equal(consumeBlob(k0, sealBlob(k0, g.encoding))?.content.kind, 'genesis');
    });

    it('refuses a nonce that is not 24 bytes', () => {
      assert.equal(codeOf(() => sealBlobWithNonce(keys, entryBytes('a'), new Uint8Array(12))), ProtocolErrorCode.INVALID_FIELD);
    });
  });
});
