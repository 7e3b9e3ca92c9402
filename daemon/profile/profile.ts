/**
 * The profile: an ed25519 identity (its onion address is the user's address), the profile's
 * own signing and X25519 keys certified by it, a name, and the encrypted record store, all
 * under one passphrase (docs/profile.md).
 *
 * On disk, in the profile's directory (mode 0700):
 *   header    110 bytes: KDF parameters, salt, and the data key wrapped under the passphrase
 *   records/  LevelDB: sealed records under keyed-hash keys (daemon/store/), the profile
 *             record among them
 *
 * The header is the commit point of create(): the records are written (synced) first, the
 * header last, atomically. A directory with records but no header is a create that did not
 * finish; the next create() clears it. changePassphrase() replaces only the header, atomically,
 * so after a crash the profile opens with the old passphrase or the new one.
 *
 * One operation at a time: create, unlock, lock and changePassphrase queue behind each other.
 *
 * While unlocked the service holds the data key, the identity, the profile keys and the open
 * store; lock() closes the store and wipes every one of them in place. The UnlockedProfile
 * handed out shares those arrays: a caller must not keep copies of the secrets.
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Certificate, type ProfileKeys, createCertificate, encodeCertificate, generateProfileKeys } from '../../protocol/certificate.js';
import { ARGON2ID_SALT_BYTES, constantTimeEqual, randomBytes, wipe } from '../../protocol/crypto.js';
import { type Identity, type OnionAddress, generateIdentity } from '../../protocol/identity.js';
import { TypedEventTarget } from '../events.js';
import { isStoreError } from '../store/errors.js';
import { RecordStore } from '../store/store.js';
import { writeFileAtomic, tempPathOf } from './atomic-file.js';
import {
  DEFAULT_KDF,
  FAILURE_DELAY_BASE_MS,
  FAILURE_DELAY_MAX_MS,
  HEADER_FILE,
  RECORDS_DIR,
  type KdfParams,
} from './constants.js';
import { ProfileError, ProfileErrorCode } from './errors.js';
import { DATA_KEY_BYTES, type Header, decodeHeader, unwrapDataKey, wrapHeader } from './header.js';
import { checkKdfParams, deriveKek, passphraseBytes } from './kdf.js';
import { PROFILE_NAMESPACE, PROFILE_RECORD_ID, type ProfileRecord, checkName, openProfileRecord, profileRecordCodec } from './record.js';

export interface UnlockedProfile {
  readonly address: OnionAddress;
  readonly name: string;
  /** The identity: its seed is what tor's ADD_ONION needs (protocol/identity.ts torExpandedSecretKey). */
  readonly identity: Identity;
  readonly keys: ProfileKeys;
  readonly certificate: Certificate;
  readonly certificateBytes: Uint8Array;
  /** When the profile was created (ms). */
  readonly created: number;
  /** The profile's encrypted record store; closed by lock(). */
  readonly store: RecordStore;
  /** The KDF parameters of the header the profile was opened with. */
  readonly kdf: KdfParams;
}

export type ProfileState = 'absent' | 'locked' | 'unlocked';

export interface ProfileEvents {
  /** The profile was created or unlocked. */
  unlock: UnlockedProfile;
  /** The profile was locked: every key it held is wiped. */
  lock: undefined;
}

export interface ProfileInit {
  /** The profile's directory (created 0700, with any missing parents, by create()). */
  readonly dir: string;
  /**
   * Argon2id cost of the headers create() and changePassphrase() write (unlock() uses the
   * header's own). Default DEFAULT_KDF; DEVELOPMENT_KDF is for tests only and the daemon
   * accepts it only in development mode.
   */
  readonly kdf?: KdfParams;
  /** The wrong-passphrase delay (constants.ts); tests shorten it. */
  readonly failureDelayBaseMs?: number;
  readonly failureDelayMaxMs?: number;
  /** The clock of the certificate time (ms). */
  readonly now?: () => number;
}

export interface OperationOptions {
  readonly signal?: AbortSignal;
}

export function headerPath(dir: string): string {
  return join(dir, HEADER_FILE);
}

export function recordsPath(dir: string): string {
  return join(dir, RECORDS_DIR);
}

/** True when `dir` holds a profile (its header); a directory left by an unfinished create does not. */
export async function profileExists(dir: string): Promise<boolean> {
  try {
    return (await stat(headerPath(dir))).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ProfileError(ProfileErrorCode.IO, 'cannot read the profile directory', { cause: err });
  }
}

async function readHeader(dir: string): Promise<Header> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(headerPath(dir)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ProfileError(ProfileErrorCode.NO_PROFILE, 'there is no profile here');
    throw new ProfileError(ProfileErrorCode.IO, 'cannot read the profile header', { cause: err });
  }
  return decodeHeader(bytes);
}

function ioError(what: string, err: unknown): unknown {
  if (err instanceof ProfileError || isStoreError(err)) return err;
  return new ProfileError(ProfileErrorCode.IO, `cannot ${what}`, { cause: err });
}

interface Open {
  readonly profile: UnlockedProfile;
  readonly dataKey: Uint8Array;
}

function wipeOpen(open: Open): void {
  wipe(open.dataKey);
  const p = open.profile;
  wipe(p.identity.seed);
  wipe(p.identity.secretKey);
  wipe(p.keys.signing.secretKey);
  wipe(p.keys.dh.secretKey);
}

function wipeRecord(r: ProfileRecord): void {
  wipe(r.identitySeed);
  wipe(r.signingSeed);
  wipe(r.dhSecretKey);
}

export class ProfileService extends TypedEventTarget<ProfileEvents> {
  readonly dir: string;
  readonly #kdf: KdfParams;
  readonly #delayBase: number;
  readonly #delayMax: number;
  readonly #now: () => number;
  #open: Open | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #failures = 0;
  #notBefore = 0;

  constructor(_components: Record<string, never>, init: ProfileInit) {
    super();
    this.dir = init.dir;
    this.#kdf = checkKdfParams(init.kdf ?? DEFAULT_KDF);
    this.#delayBase = init.failureDelayBaseMs ?? FAILURE_DELAY_BASE_MS;
    this.#delayMax = init.failureDelayMaxMs ?? FAILURE_DELAY_MAX_MS;
    this.#now = init.now ?? Date.now;
  }

  /** The KDF parameters new headers get. */
  get kdf(): KdfParams {
    return this.#kdf;
  }

  async start(): Promise<void> {}

  /** Locks the profile (wiping its keys). */
  async stop(): Promise<void> {
    await this.lock();
  }

  /** The unlocked profile, or null while locked or absent. */
  get unlocked(): UnlockedProfile | null {
    return this.#open?.profile ?? null;
  }

  /** The unlocked profile, or ERR_LOCKED. */
  requireUnlocked(): UnlockedProfile {
    if (this.#open === null) throw new ProfileError(ProfileErrorCode.LOCKED, 'the profile is locked');
    return this.#open.profile;
  }

  async state(): Promise<ProfileState> {
    if (this.#open !== null) return 'unlocked';
    return (await profileExists(this.dir)) ? 'locked' : 'absent';
  }

  /** Consecutive wrong passphrases since the last right one. */
  get failures(): number {
    return this.#failures;
  }

  /** The delay the next attempt waits after `failures` consecutive failures (ms). */
  failureDelay(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(this.#delayMax, this.#delayBase * 2 ** Math.min(failures - 1, 30));
  }

  #serial<T>(op: () => Promise<T>, options: OperationOptions): Promise<T> {
    const run = this.#queue.then(() => {
      if (options.signal?.aborted) throw new ProfileError(ProfileErrorCode.ABORTED, 'aborted before it started');
      return op();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #waitForTurn(options: OperationOptions): Promise<void> {
    const wait = this.#notBefore - Date.now();
    if (wait <= 0) return;
    try {
      await sleep(wait, undefined, { signal: options.signal });
    } catch (err) {
      throw new ProfileError(ProfileErrorCode.ABORTED, 'aborted while waiting after a wrong passphrase', { cause: err });
    }
  }

  /** Derives the KEK for `header` and unwraps the data key; a miss counts as a failure. */
  async #unwrap(header: Header, passphrase: Uint8Array, options: OperationOptions): Promise<Uint8Array> {
    try {
      await this.#waitForTurn(options);
    } catch (err) {
      wipe(passphrase);
      throw err;
    }
    const kek = await deriveKek(passphrase, header.salt, header.kdf);
    const dataKey = unwrapDataKey(header, kek);
    wipe(kek);
    if (dataKey === null) {
      this.#failures += 1;
      this.#notBefore = Date.now() + this.failureDelay(this.#failures);
      throw new ProfileError(ProfileErrorCode.BAD_PASSPHRASE, 'wrong passphrase');
    }
    this.#failures = 0;
    this.#notBefore = 0;
    return dataKey;
  }

  /**
   * Creates the profile and leaves it unlocked: ERR_PROFILE_EXISTS when there is one (or one is
   * open). The name and passphrase are checked first (ERR_PROFILE_BAD_INPUT).
   */
  create(params: { readonly name: string; readonly passphrase: string }, options: OperationOptions = {}): Promise<UnlockedProfile> {
    return this.#serial(() => this.#create(params, options), options);
  }

  async #create(params: { readonly name: string; readonly passphrase: string }, _options: OperationOptions): Promise<UnlockedProfile> {
    const name = checkName(params.name);
    if (this.#open !== null) throw new ProfileError(ProfileErrorCode.PROFILE_EXISTS, 'a profile is open');
    const passphrase = passphraseBytes(params.passphrase);
    let store: RecordStore | undefined;
    let dataKey: Uint8Array | undefined;
    try {
      if (await profileExists(this.dir)) throw new ProfileError(ProfileErrorCode.PROFILE_EXISTS, 'a profile exists here');
      try {
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        // what an unfinished create left behind: records under a key nobody has
        await rm(recordsPath(this.dir), { recursive: true, force: true });
        await rm(tempPathOf(headerPath(this.dir)), { force: true });
      } catch (err) {
        throw ioError('prepare the profile directory', err);
      }
      const salt = randomBytes(ARGON2ID_SALT_BYTES);
      const kek = await deriveKek(passphrase, salt, this.#kdf);
      dataKey = randomBytes(DATA_KEY_BYTES);
      const identity = generateIdentity();
      const keys = generateProfileKeys();
      const created = this.#now();
      const certificate = createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, created);
      const certificateBytes = encodeCertificate(certificate);
      store = await RecordStore.open(recordsPath(this.dir), dataKey);
      const record: ProfileRecord = {
        created,
        identitySeed: identity.seed,
        signingSeed: keys.signing.secretKey.subarray(0, 32),
        dhSecretKey: keys.dh.secretKey,
        certificate: certificateBytes,
        name,
      };
      await store.collection(PROFILE_NAMESPACE, profileRecordCodec).put(PROFILE_RECORD_ID, record);
      const header = wrapHeader(kek, dataKey, this.#kdf, salt);
      wipe(kek);
      try {
        await writeFileAtomic(headerPath(this.dir), header); // the commit point
      } catch (err) {
        throw ioError('write the profile header', err);
      }
      const profile: UnlockedProfile = {
        address: identity.address, name, identity, keys, certificate, certificateBytes, created, store, kdf: this.#kdf,
      };
      this.#open = { profile, dataKey };
      this.emit('unlock', profile);
      return profile;
    } catch (err) {
      wipe(passphrase);
      if (dataKey !== undefined) wipe(dataKey);
      if (store !== undefined) {
        await store.close().catch(() => undefined);
        if (!(await profileExists(this.dir).catch(() => true))) await rm(recordsPath(this.dir), { recursive: true, force: true }).catch(() => undefined);
      }
      throw err;
    }
  }

  /**
   * Unlocks the profile: ERR_NO_PROFILE, ERR_BAD_PASSPHRASE (after the full KDF cost, and after
   * the delay earlier failures imposed), ERR_PROFILE_CORRUPT. Unlocking an unlocked profile
   * checks the passphrase and returns the open profile.
   */
  unlock(passphrase: string, options: OperationOptions = {}): Promise<UnlockedProfile> {
    return this.#serial(() => this.#unlock(passphrase, options), options);
  }

  async #unlock(passphraseText: string, options: OperationOptions): Promise<UnlockedProfile> {
    const passphrase = passphraseBytes(passphraseText);
    let header: Header;
    try {
      header = await readHeader(this.dir);
    } catch (err) {
      wipe(passphrase);
      throw err;
    }
    const dataKey = await this.#unwrap(header, passphrase, options);
    if (this.#open !== null) {
      const same = constantTimeEqual(dataKey, this.#open.dataKey);
      wipe(dataKey);
      if (!same) throw new ProfileError(ProfileErrorCode.PROFILE_CORRUPT, 'the header changed under the open profile');
      return this.#open.profile;
    }
    let store: RecordStore | undefined;
    let record: ProfileRecord | undefined;
    try {
      store = await RecordStore.open(recordsPath(this.dir), dataKey);
      try {
        record = await store.collection(PROFILE_NAMESPACE, profileRecordCodec).get(PROFILE_RECORD_ID);
      } catch (err) {
        if (isStoreError(err) && err.code !== 'ERR_STORE_CLOSED' && err.code !== 'ERR_STORE_IO') {
          throw new ProfileError(ProfileErrorCode.PROFILE_CORRUPT, 'the profile record does not open', { cause: err });
        }
        throw err;
      }
      if (record === undefined) throw new ProfileError(ProfileErrorCode.PROFILE_CORRUPT, 'the profile record is missing');
      const secrets = openProfileRecord(record);
      const profile: UnlockedProfile = {
        address: secrets.identity.address,
        name: record.name,
        identity: secrets.identity,
        keys: secrets.keys,
        certificate: secrets.certificate,
        certificateBytes: secrets.certificateBytes,
        created: record.created,
        store,
        kdf: header.kdf,
      };
      this.#open = { profile, dataKey };
      this.emit('unlock', profile);
      return profile;
    } catch (err) {
      wipe(dataKey);
      await store?.close().catch(() => undefined);
      throw err;
    } finally {
      if (record !== undefined) wipeRecord(record);
    }
  }

  /** Closes the store (after its writes in flight) and wipes every key. Idempotent. */
  lock(options: OperationOptions = {}): Promise<void> {
    return this.#serial(async () => {
      const open = this.#open;
      if (open === null) return;
      this.#open = null;
      try {
        await open.profile.store.close();
      } finally {
        wipeOpen(open);
        this.emit('lock');
      }
    }, options);
  }

  /**
   * Re-wraps the data key under `newPassphrase` (with a new salt and the service's KDF
   * parameters) and replaces the header atomically; no record is re-encrypted. Works locked or
   * unlocked (the API allows it only unlocked). ERR_BAD_PASSPHRASE when `passphrase` is wrong.
   */
  changePassphrase(passphrase: string, newPassphrase: string, options: OperationOptions = {}): Promise<void> {
    return this.#serial(() => this.#changePassphrase(passphrase, newPassphrase, options), options);
  }

  async #changePassphrase(oldText: string, newText: string, options: OperationOptions): Promise<void> {
    const oldBytes = passphraseBytes(oldText);
    let newBytes: Uint8Array;
    try {
      newBytes = passphraseBytes(newText);
    } catch (err) {
      wipe(oldBytes);
      throw err;
    }
    let dataKey: Uint8Array | undefined;
    try {
      let header: Header;
      try {
        header = await readHeader(this.dir);
      } catch (err) {
        wipe(oldBytes);
        throw err;
      }
      dataKey = await this.#unwrap(header, oldBytes, options);
      if (this.#open !== null && !constantTimeEqual(dataKey, this.#open.dataKey)) {
        throw new ProfileError(ProfileErrorCode.PROFILE_CORRUPT, 'the header changed under the open profile');
      }
      const salt = randomBytes(ARGON2ID_SALT_BYTES);
      const kek = await deriveKek(newBytes, salt, this.#kdf);
      const next = wrapHeader(kek, dataKey, this.#kdf, salt);
      wipe(kek);
      try {
        await writeFileAtomic(headerPath(this.dir), next);
      } catch (err) {
        throw ioError('write the profile header', err);
      }
    } finally {
      wipe(newBytes); // a no-op once deriveKek has taken it
      if (dataKey !== undefined) wipe(dataKey);
    }
  }
}
