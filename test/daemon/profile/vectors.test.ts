import assert from 'node:assert/strict';
import { fromHex, toHex, utf8Encode } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { decodeHeader, unwrapDataKey, wrapHeader } from '../../../daemon/profile/header.js';
import { deriveKek, passphraseBytes } from '../../../daemon/profile/kdf.js';
import { openProfileRecord, profileRecordCodec } from '../../../daemon/profile/record.js';
import { isStoreError, StoreErrorCode } from '../../../daemon/store/errors.js';
import { deriveStoreKeys, namespaceTag, openRecord, sealRecord, storageKey } from '../../../daemon/store/format.js';
import type { ProfileHeaderVectors, ProfileRecordVectors } from '../../helpers/profile-vectors.js';
import { readVectors } from '../../helpers/vectors.js';

describe('the profile format test vectors', () => {
  const h = readVectors<ProfileHeaderVectors>('profile-header');
  const r = readVectors<ProfileRecordVectors>('profile-record');
  before(ready);

  it('derives the KEK from the passphrase in the worker', async () => {
    const kek = await deriveKek(passphraseBytes(h.passphrase), fromHex(h.salt), { opsLimit: h.opsLimit, memLimit: h.memLimit });
    assert.equal(toHex(kek), h.kek);
  });

  it('writes the header byte for byte from its inputs', () => {
    const header = wrapHeader(fromHex(h.kek), fromHex(h.dataKey), { opsLimit: h.opsLimit, memLimit: h.memLimit }, fromHex(h.salt), fromHex(h.nonce));
    assert.equal(toHex(header), h.header);
  });

  it('reads the header back into its fields and unwraps the data key with the KEK only', async () => {
    const header = decodeHeader(fromHex(h.header));
    assert.deepEqual(header.kdf, { opsLimit: h.opsLimit, memLimit: h.memLimit });
    assert.equal(toHex(header.salt), h.salt);
    assert.equal(toHex(header.nonce), h.nonce);
    assert.equal(toHex(unwrapDataKey(header, fromHex(h.kek))!), h.dataKey);
    const wrong = await deriveKek(passphraseBytes(h.wrongPassphrase), header.salt, header.kdf);
    assert.equal(unwrapDataKey(header, wrong), null);
  });

  it('derives the store keys from the data key', () => {
    const keys = deriveStoreKeys(fromHex(h.dataKey));
    assert.deepEqual({ seal: toHex(keys.seal), namespace: toHex(keys.namespace), id: toHex(keys.id) }, h.storeKeys);
  });

  for (const v of r.records) {
    it(`seals and opens the record vector: ${v.description}`, () => {
      const keys = deriveStoreKeys(fromHex(r.dataKey));
      const key = storageKey(keys, v.namespace, fromHex(v.id));
      assert.equal(toHex(namespaceTag(keys, v.namespace)), v.namespaceTag);
      assert.equal(toHex(key), v.storageKey);
      assert.equal(toHex(sealRecord(keys, key, fromHex(v.id), fromHex(v.value), fromHex(v.nonce))), v.sealed);
      const opened = openRecord(keys, fromHex(v.storageKey), fromHex(v.sealed));
      assert.equal(toHex(opened.id), v.id);
      assert.equal(toHex(opened.value), v.value);
    });
  }

  it('refuses a vector record under the other vector record\'s key', () => {
    const keys = deriveStoreKeys(fromHex(r.dataKey));
    const [a, b] = r.records;
    assert.throws(() => openRecord(keys, fromHex(b!.storageKey), fromHex(a!.sealed)), (err: unknown) => isStoreError(err, StoreErrorCode.CORRUPT));
  });

  it('encodes and decodes the profile record vector, whose certificate names its keys', () => {
    const p = r.profile;
    const fields = {
      created: p.created, identitySeed: fromHex(p.identitySeed), signingSeed: fromHex(p.signingSeed),
      dhSecretKey: fromHex(p.dhSecretKey), certificate: fromHex(p.certificate), name: p.name,
    };
    assert.equal(toHex(profileRecordCodec.encode(fields)), p.encoding);
    const decoded = profileRecordCodec.decode(fromHex(p.encoding));
    assert.deepEqual(decoded, fields);
    assert.equal(openProfileRecord(decoded).identity.address, p.address);
    const profileVector = r.records.find((x) => x.namespace === 'profile')!;
    assert.equal(profileVector.value, p.encoding);
    assert.equal(profileVector.id, toHex(utf8Encode('profile')));
  });
});
