/**
 * Writes test/vectors/profile-header.json and profile-record.json from fixed inputs. Run by
 * hand after a deliberate format change
 * (`npx tsc -p tsconfig.json && node dist/test/vectors/generate-profile.js`); the tests only read
 * the files and never regenerate them. Layouts: docs/profile.md.
 */
import { toHex, utf8Encode } from '../../protocol/bytes.js';
import { createCertificate, encodeCertificate, profileKeysFromSeeds } from '../../protocol/certificate.js';
import { argon2id, blake2b, ready } from '../../protocol/crypto.js';
import { identityFromSeed } from '../../protocol/identity.js';
import { wrapHeader } from '../../daemon/profile/header.js';
import { passphraseBytes } from '../../daemon/profile/kdf.js';
import { PROFILE_NAMESPACE, PROFILE_RECORD_ID, profileRecordCodec } from '../../daemon/profile/record.js';
import { deriveStoreKeys, namespaceTag, sealRecord, storageKey } from '../../daemon/store/format.js';
import { writeVectors } from '../helpers/vectors.js';
import type { ProfileHeaderVectors, ProfileRecordVectors } from '../helpers/profile-vectors.js';

/** Deterministic bytes from a name, so inputs are reproducible and unremarkable. */
function fixed(name: string, n = 32): Uint8Array {
  return blake2b(n, utf8Encode(`snug test vector ${name}`));
}

async function main(): Promise<void> {
  await ready();
  const kdf = { opsLimit: 2, memLimit: 64 * 1024 };
  const passphrase = 'correct horse battery staple';
  const salt = fixed('profile salt', 16);
  const nonce = fixed('profile header nonce', 24);
  const dataKey = fixed('profile data key');
  const kek = argon2id(32, passphraseBytes(passphrase), salt, kdf.opsLimit, kdf.memLimit);
  const header = wrapHeader(kek, dataKey, kdf, salt, nonce);
  const keys = deriveStoreKeys(dataKey);
  const headerVectors: ProfileHeaderVectors = {
    description: 'docs/profile.md, "Header" and "Key derivation": KEK = Argon2id(UTF-8(NFC(passphrase)), salt, opsLimit, memLimit); the header wraps dataKey under KEK',
    passphrase,
    wrongPassphrase: 'correct horse battery stapler',
    opsLimit: kdf.opsLimit,
    memLimit: kdf.memLimit,
    salt: toHex(salt),
    nonce: toHex(nonce),
    dataKey: toHex(dataKey),
    kek: toHex(kek),
    header: toHex(header),
    storeKeys: { seal: toHex(keys.seal), namespace: toHex(keys.namespace), id: toHex(keys.id) },
  };
  writeVectors('profile-header', headerVectors);

  const records: ProfileRecordVectors['records'] = [];
  const addRecord = (description: string, namespace: string, id: Uint8Array, value: Uint8Array, nonceName: string) => {
    const key = storageKey(keys, namespace, id);
    const n = fixed(nonceName, 24);
    records.push({
      description, namespace, id: toHex(id), value: toHex(value), nonce: toHex(n),
      namespaceTag: toHex(namespaceTag(keys, namespace)), storageKey: toHex(key), sealed: toHex(sealRecord(keys, key, id, value, n)),
    });
  };
  addRecord('a short record: namespace "contacts", id "alice" (UTF-8)', 'contacts', utf8Encode('alice'), utf8Encode('hello, alice'), 'record nonce 1');
  addRecord('an empty id and a value of exactly one padding block less the lengths', 'notes', new Uint8Array(0), fixed('value 58', 58), 'record nonce 2');

  const identity = identityFromSeed(fixed('profile identity seed'));
  const signingSeed = fixed('profile signing seed');
  const dhSeed = fixed('profile dh seed');
  const profileKeys = profileKeysFromSeeds(signingSeed, dhSeed);
  const created = 1_764_547_200_000;
  const cert = createCertificate(identity, { signingKey: profileKeys.signing.publicKey, dhKey: profileKeys.dh.publicKey }, created);
  const profile = {
    created,
    identitySeed: identity.seed,
    signingSeed,
    dhSecretKey: profileKeys.dh.secretKey,
    certificate: encodeCertificate(cert),
    name: 'Alice',
  };
  const profileValue = profileRecordCodec.encode(profile);
  addRecord('the profile record (namespace "profile", id "profile")', PROFILE_NAMESPACE, PROFILE_RECORD_ID, profileValue, 'record nonce 3');
  const recordVectors: ProfileRecordVectors = {
    description: 'docs/profile.md, "Records": storage keys and sealed values under the header vector\'s data key',
    dataKey: toHex(dataKey),
    records,
    profile: {
      created, identitySeed: toHex(identity.seed), signingSeed: toHex(signingSeed), dhSecretKey: toHex(profileKeys.dh.secretKey),
      certificate: toHex(profile.certificate), name: profile.name, address: identity.address, encoding: toHex(profileValue),
    },
  };
  writeVectors('profile-record', recordVectors);
}

void main();
