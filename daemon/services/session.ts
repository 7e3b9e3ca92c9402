/**
 * SessionService: what changes when the profile is created, unlocked or locked. Unlocking (or
 * creating) opens the profile (daemon/profile), opens its notification journal and hands it to
 * the API server, and takes the daemon online (NetworkService: tor, the onion service). Locking
 * does the reverse, in reverse order, and the profile wipes its keys. While unlocked, changes of
 * tor's bootstrap and the onion service's state become `tor/didProgress` notifications.
 *
 * One transition at a time: calls queue behind each other.
 */
import { ApiError, type ApiErrorName } from '../../protocol/api/errors.js';
import type { OnionAddress } from '../../protocol/identity.js';
import type { ApiServer } from '../api/server.js';
import type { NotificationJournal } from '../api/journal.js';
import type { Log } from '../log.js';
import { isBelowDefaultKdf } from '../profile/constants.js';
import { isProfileError, ProfileErrorCode } from '../profile/errors.js';
import type { ProfileService, UnlockedProfile } from '../profile/profile.js';
import type { NetworkService, NetworkStatus } from './network.js';

/** A journal the session opens on unlock and closes on lock. */
export interface SessionJournal extends NotificationJournal {
  close(): Promise<void>;
}

/**
 * A service that lives while the profile is unlocked (contacts and peer links): online() after
 * the journal and the network are up, offline() before they go down, in reverse order.
 */
export interface SessionParticipant {
  online(profile: UnlockedProfile, journal: NotificationJournal): Promise<void>;
  offline(): Promise<void>;
}

export interface SessionComponents {
  readonly profile: ProfileService;
  readonly network: NetworkService;
  readonly api: ApiServer;
  readonly log: Log;
  /** Opens the unlocked profile's journal. */
  readonly openJournal: (profile: UnlockedProfile) => Promise<SessionJournal>;
  /** Started in order after the network goes online, stopped in reverse before it goes offline. */
  readonly participants?: readonly SessionParticipant[];
}

export interface SessionInit {
  /** Development mode: a profile whose KDF cost is below the default is expected, not warned about. */
  readonly development: boolean;
}

/** The API's answer for a profile error: the same stable name where the API has one. */
const API_NAMES: Partial<Record<string, ApiErrorName>> = {
  [ProfileErrorCode.NO_PROFILE]: 'ERR_NO_PROFILE',
  [ProfileErrorCode.PROFILE_EXISTS]: 'ERR_PROFILE_EXISTS',
  [ProfileErrorCode.BAD_PASSPHRASE]: 'ERR_BAD_PASSPHRASE',
  [ProfileErrorCode.LOCKED]: 'ERR_LOCKED',
  [ProfileErrorCode.BAD_INPUT]: 'ERR_INVALID_PARAMS',
};

export class SessionService {
  readonly #c: SessionComponents;
  readonly #development: boolean;
  #journal: SessionJournal | null = null;
  readonly #participants: SessionParticipant[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #last = '';
  #summary = '';
  readonly #onChange = (e: CustomEvent<NetworkStatus>) => this.#publish(e.detail);
  readonly #onProgress = (e: CustomEvent<{ summary: string }>) => {
    this.#summary = e.detail.summary;
  };

  constructor(components: SessionComponents, init: SessionInit) {
    this.#c = components;
    this.#development = init.development;
  }

  async start(): Promise<void> {
    this.#c.network.addEventListener('progress', this.#onProgress);
    this.#c.network.addEventListener('change', this.#onChange);
    this.#c.api.setJournal(null, (await this.#c.profile.state()) === 'absent' ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
  }

  /** Locks the profile if it is open. */
  async stop(): Promise<void> {
    this.#c.network.removeEventListener('change', this.#onChange);
    this.#c.network.removeEventListener('progress', this.#onProgress);
    await this.#serial(() => this.#lock());
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      throw this.#apiError(err);
    });
  }

  #apiError(err: unknown): unknown {
    if (err instanceof ApiError) return err;
    if (isProfileError(err)) {
      const name = API_NAMES[err.code];
      if (name !== undefined) return new ApiError(name);
      this.#c.log('profile-error', { level: 'warn', code: err.code });
    }
    return err;
  }

  create(name: string, passphrase: string): Promise<OnionAddress> {
    return this.#serial(async () => {
      const profile = await this.#c.profile.create({ name, passphrase });
      this.#c.log('profile-created', {});
      await this.#online(profile);
      return profile.address;
    });
  }

  unlock(passphrase: string): Promise<OnionAddress> {
    return this.#serial(async () => {
      const wasOpen = this.#c.profile.unlocked !== null;
      const started = Date.now();
      let profile: UnlockedProfile;
      try {
        profile = await this.#c.profile.unlock(passphrase);
      } catch (err) {
        if (isProfileError(err, ProfileErrorCode.BAD_PASSPHRASE)) this.#c.log('unlock-refused', { failures: this.#c.profile.failures });
        throw err;
      }
      if (!wasOpen) {
        this.#c.log('profile-unlocked', { ms: Date.now() - started });
        if (!this.#development && isBelowDefaultKdf(profile.kdf)) {
          this.#c.log('weak-kdf', { level: 'warn', message: 'this profile was made with the development KDF cost: change its passphrase to re-wrap it at full cost' });
        }
        await this.#online(profile);
      }
      return profile.address;
    });
  }

  lock(): Promise<void> {
    return this.#serial(async () => {
      if (this.#c.profile.unlocked === null) {
        if ((await this.#c.profile.state()) === 'absent') throw new ApiError('ERR_NO_PROFILE');
        return;
      }
      await this.#lock();
    });
  }

  changePassphrase(passphrase: string, newPassphrase: string): Promise<void> {
    return this.#serial(async () => {
      if (this.#c.profile.unlocked === null) {
        throw new ApiError((await this.#c.profile.state()) === 'absent' ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
      }
      await this.#c.profile.changePassphrase(passphrase, newPassphrase);
      this.#c.log('passphrase-changed', {});
    });
  }

  /** Journal, API, network; if any of them fails the profile is locked again (no half-open state). */
  async #online(profile: UnlockedProfile): Promise<void> {
    try {
      const journal = await this.#c.openJournal(profile);
      this.#journal = journal;
      this.#last = '';
      this.#c.api.setJournal(journal);
      await this.#c.network.online(profile.identity.seed);
      for (const p of this.#c.participants ?? []) {
        await p.online(profile, journal);
        this.#participants.push(p);
      }
    } catch (err) {
      this.#c.log('online-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') });
      await this.#lock().catch(() => undefined);
      throw err;
    }
  }

  async #lock(): Promise<void> {
    if (this.#c.profile.unlocked === null) return;
    const journal = this.#journal;
    this.#journal = null;
    this.#c.api.setJournal(null, 'ERR_LOCKED');
    while (this.#participants.length > 0) {
      await this.#participants.pop()!.offline().catch((err: unknown) => this.#c.log('offline-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
    }
    await this.#c.network.offline();
    await journal?.close().catch((err: unknown) => this.#c.log('journal-close-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
    await this.#c.profile.lock();
    this.#c.log('profile-locked', {});
  }

  /** A tor/didProgress notification when bootstrap, tor's state or the onion's state changed. */
  #publish(status: NetworkStatus): void {
    const journal = this.#journal;
    if (journal === null || status.transport !== 'tor') return;
    const key = `${status.bootstrap}/${status.state}/${status.onion}`;
    if (key === this.#last) return;
    this.#last = key;
    const summary = this.#summary.slice(0, 256);
    journal
      .append('tor/didProgress', { bootstrap: status.bootstrap, state: status.state, onion: status.onion, ...(summary ? { summary } : {}) })
      .catch((err: unknown) => this.#c.log('journal-append-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
  }
}
