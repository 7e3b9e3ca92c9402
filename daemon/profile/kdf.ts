/**
 * Key derivation from a passphrase (docs/profile.md, "Key derivation"):
 *
 *   passphrase bytes = UTF-8(NFC(passphrase))
 *   KEK              = Argon2id13(out 32, passphrase bytes, salt [16], opsLimit, memLimit)
 *
 * Argon2id runs in a worker thread (./kdf-worker.ts), never on the event loop.
 */
import { Worker } from 'node:worker_threads';
import { isWellFormedText, utf8Encode } from '../../protocol/bytes.js';
import { ARGON2ID_SALT_BYTES, XCHACHA_KEY_BYTES, wipe } from '../../protocol/crypto.js';
import { KDF_MEM_MAX, KDF_MEM_MIN, KDF_OPS_MAX, KDF_OPS_MIN, PASSPHRASE_MAX_BYTES, type KdfParams } from './constants.js';
import { ProfileError, ProfileErrorCode } from './errors.js';
import type { KdfReply, KdfRequest } from './kdf-worker.js';

/** True when `p` is within the bounds docs/profile.md gives (integers; memory a multiple of 1 KiB). */
export function isValidKdfParams(p: KdfParams): boolean {
  return (
    Number.isSafeInteger(p.opsLimit) && p.opsLimit >= KDF_OPS_MIN && p.opsLimit <= KDF_OPS_MAX &&
    Number.isSafeInteger(p.memLimit) && p.memLimit >= KDF_MEM_MIN && p.memLimit <= KDF_MEM_MAX && p.memLimit % 1024 === 0
  );
}

export function checkKdfParams(p: KdfParams): KdfParams {
  if (!isValidKdfParams(p)) {
    throw new ProfileError(ProfileErrorCode.BAD_KDF_PARAMS, `Argon2id needs opsLimit ${KDF_OPS_MIN}..${KDF_OPS_MAX} and memLimit ${KDF_MEM_MIN}..${KDF_MEM_MAX} (a multiple of 1024)`);
  }
  return { opsLimit: p.opsLimit, memLimit: p.memLimit };
}

/**
 * A passphrase as the bytes the KDF takes: NFC-normalised (so the same passphrase typed on
 * another system, composed differently, still opens the profile), then UTF-8. The caller owns
 * the result and must wipe it (deriveKek does). Empty, too long or ill-formed: ERR_PROFILE_BAD_INPUT.
 */
export function passphraseBytes(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string' || passphrase.length === 0 || !isWellFormedText(passphrase)) {
    throw new ProfileError(ProfileErrorCode.BAD_INPUT, 'a passphrase is non-empty, well-formed text');
  }
  const bytes = utf8Encode(passphrase.normalize('NFC'));
  if (bytes.length > PASSPHRASE_MAX_BYTES) {
    wipe(bytes);
    throw new ProfileError(ProfileErrorCode.BAD_INPUT, `a passphrase is at most ${PASSPHRASE_MAX_BYTES} bytes`);
  }
  return bytes;
}

/**
 * Derives the 32-byte key-encryption key in a worker. Takes ownership of `passphrase`: its
 * buffer is transferred to the worker (detached here) and wiped there; this copy is wiped too
 * if the worker cannot take it.
 */
export async function deriveKek(passphrase: Uint8Array, salt: Uint8Array, params: KdfParams): Promise<Uint8Array> {
  checkKdfParams(params);
  if (salt.length !== ARGON2ID_SALT_BYTES) throw new ProfileError(ProfileErrorCode.BAD_KDF_PARAMS, `an Argon2id salt is ${ARGON2ID_SALT_BYTES} bytes`);
  // a buffer of its own, so the transfer detaches exactly these bytes and nothing else
  const own = passphrase.byteOffset === 0 && passphrase.byteLength === passphrase.buffer.byteLength ? passphrase : passphrase.slice();
  if (own !== passphrase) wipe(passphrase);
  const request: KdfRequest = { passphrase: own, salt: salt.slice(), opsLimit: params.opsLimit, memLimit: params.memLimit, outLen: XCHACHA_KEY_BYTES };
  let worker: Worker;
  try {
    worker = new Worker(new URL('./kdf-worker.js', import.meta.url), {
      workerData: request,
      transferList: [own.buffer as ArrayBuffer],
    });
  } catch (err) {
    wipe(own);
    throw new ProfileError(ProfileErrorCode.KDF_FAILED, 'cannot start the key derivation worker', { cause: err });
  }
  try {
    const reply = await new Promise<KdfReply>((resolve, reject) => {
      worker.once('message', (m: KdfReply) => resolve(m));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the key derivation worker exited with ${code}`)));
    });
    if (!reply.ok) throw new Error(reply.message);
    if (!(reply.key instanceof Uint8Array) || reply.key.length !== XCHACHA_KEY_BYTES) throw new Error('the key derivation worker returned no key');
    return reply.key;
  } catch (err) {
    throw new ProfileError(ProfileErrorCode.KDF_FAILED, 'the key derivation failed', { cause: err });
  } finally {
    void worker.terminate();
  }
}
