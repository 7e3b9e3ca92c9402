import assert from 'node:assert/strict';
import { utf8Encode } from '../../../protocol/bytes.js';
import { argon2id, ready } from '../../../protocol/crypto.js';
import { DEVELOPMENT_KDF } from '../../../daemon/profile/constants.js';
import { isProfileError, ProfileErrorCode } from '../../../daemon/profile/errors.js';
import { deriveKek, passphraseBytes } from '../../../daemon/profile/kdf.js';

describe('the passphrase key derivation', () => {
  before(ready);

  it('derives in a worker exactly the Argon2id key of protocol/crypto.ts', async () => {
    const salt = new Uint8Array(16).fill(7);
    const want = argon2id(32, utf8Encode('pw'), salt, 2, 64 * 1024);
    assert.deepEqual(await deriveKek(utf8Encode('pw'), salt, { opsLimit: 2, memLimit: 64 * 1024 }), want);
  });

  it('takes the passphrase bytes away from the caller: transferred (detached) or wiped', async () => {
    const own = utf8Encode('secret');
    await deriveKek(own, new Uint8Array(16), DEVELOPMENT_KDF);
    assert.equal(own.length, 0, 'the buffer was transferred to the worker');
    const backing = new Uint8Array(16).fill(0x41);
    const view = backing.subarray(4, 10);
    await deriveKek(view, new Uint8Array(16), DEVELOPMENT_KDF);
    assert.deepEqual([...backing.subarray(4, 10)], [0, 0, 0, 0, 0, 0], 'a view into a larger buffer is wiped');
  });

  it('refuses parameters outside the bounds before starting a worker (ERR_PROFILE_BAD_KDF_PARAMS)', async () => {
    // 2 GiB is more than libsodium's WebAssembly build runs; 1 GiB (SENSITIVE) is the bound
    for (const kdf of [{ opsLimit: 1, memLimit: 2 * 1024 * 1024 * 1024 }, { opsLimit: 65, memLimit: 8192 }]) {
      await assert.rejects(deriveKek(utf8Encode('pw'), new Uint8Array(16), kdf), (err: unknown) => isProfileError(err, ProfileErrorCode.BAD_KDF_PARAMS));
    }
    await assert.rejects(deriveKek(utf8Encode('pw'), new Uint8Array(15), DEVELOPMENT_KDF), (err: unknown) => isProfileError(err, ProfileErrorCode.BAD_KDF_PARAMS));
  });

  it('encodes passphrases as UTF-8 of their NFC form', () => {
    assert.deepEqual(passphraseBytes('e\u0301'), Uint8Array.of(0xc3, 0xa9));
  });
});
