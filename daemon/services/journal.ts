/**
 * The profile's notification journal (c3's EncryptedJournal on the profile's record store) as
 * the API server's NotificationJournal (c1's interface, typed by protocol/api/notifications.ts).
 * What comes back from disk is checked against the notification's schema at this edge; an entry
 * of a method this version does not know, or that does not match, is left out of a replay
 * (and counted in the log), never sent as it is.
 */
import { NOTIFICATIONS, isNotificationName, type Notification, type NotificationBody, type NotificationName } from '../../protocol/api/notifications.js';
import type { JournalReplay as ApiReplay } from '../api/journal.js';
import { EncryptedJournal, type JournalInit, type JournalNotification, type JsonObject } from '../journal/journal.js';
import type { Log } from '../log.js';
import type { RecordStore } from '../store/store.js';
import type { SessionJournal } from './session.js';

export interface ProfileJournalComponents {
  readonly store: RecordStore;
  readonly log: Log;
}

export class ProfileJournal implements SessionJournal {
  readonly #journal: EncryptedJournal;
  readonly #log: Log;

  constructor(components: ProfileJournalComponents, init: JournalInit = {}) {
    this.#journal = new EncryptedJournal({ store: components.store }, init);
    this.#log = components.log;
  }

  /** Opens the journal of `store` (its seq continues from the head record on disk). */
  static async open(components: ProfileJournalComponents, init: JournalInit = {}): Promise<ProfileJournal> {
    const journal = new ProfileJournal(components, init);
    await journal.#journal.start();
    return journal;
  }

  #check(n: JournalNotification): Notification | null {
    if (!isNotificationName(n.method)) return null;
    const parsed = NOTIFICATIONS[n.method].params.safeParse(n.params);
    return parsed.success ? ({ method: n.method, params: parsed.data } as Notification) : null;
  }

  async append<N extends NotificationName>(method: N, body: NotificationBody<N>): Promise<Notification> {
    const stored = await this.#journal.append(method, body as unknown as JsonObject);
    const checked = this.#check(stored);
    if (checked === null) throw new TypeError(`a ${method} notification that does not match its schema`);
    return checked;
  }

  async since(seq: number): Promise<ApiReplay> {
    const replay = await this.#journal.since(seq);
    const notifications: Notification[] = [];
    let dropped = 0;
    for (const n of replay.notifications) {
      const checked = this.#check(n);
      if (checked === null) dropped += 1;
      else notifications.push(checked);
    }
    if (dropped > 0) this.#log('journal-entries-skipped', { level: 'warn', count: dropped });
    return { notifications, missed: replay.missed, latest: replay.latest };
  }

  listen(listener: (notification: Notification) => void): () => void {
    return this.#journal.listen((n) => {
      const checked = this.#check(n);
      if (checked !== null) listener(checked);
    });
  }

  /** Writes what is queued and closes the journal (before the profile's store closes). */
  async close(): Promise<void> {
    await this.#journal.stop();
  }
}
