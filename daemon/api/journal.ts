/**
 * The notification journal the API server reads for `event/subscribe`: a bounded record of
 * recent notifications, each with a `seq` one above the previous (surviving restarts), and a
 * live feed of new ones. The server replays `since(seq)` and then follows `listen`, with no
 * gap and no duplicate across the switch (it listens first, reads, then drops live ones whose
 * seq it already replayed).
 *
 * Implementations: MemoryJournal here (tests, and a daemon that keeps nothing across restarts);
 * the encrypted on-disk one in daemon/journal/ (c3). Both must pass the same rules:
 * - `append` assigns seq = latest + 1 and calls every listener with the stored notification,
 *   in seq order, once per notification, before (or when) its promise resolves. For a durable
 *   journal the listeners run after the write is durable.
 * - `since(s)` resolves with the notifications whose seq is > s, ascending, and `missed`: how
 *   many of the seqs s+1 .. (first held - 1) the journal no longer holds (0 when it holds them
 *   all, or s >= latest). `latest` is the newest seq (0 when none ever).
 * - A listener that throws does not stop the others or the append.
 */
import type { Notification, NotificationBody, NotificationName, NotificationParams } from '../../protocol/api/notifications.js';

export interface JournalReplay {
  readonly notifications: readonly Notification[];
  readonly missed: number;
  readonly latest: number;
}

export type JournalListener = (notification: Notification) => void;

export interface NotificationJournal {
  append<N extends NotificationName>(method: N, body: NotificationBody<N>): Promise<Notification>;
  since(seq: number): Promise<JournalReplay>;
  /** Calls `listener` for each notification appended from now on; returns the unsubscribe. */
  listen(listener: JournalListener): () => void;
}

/** How many notifications a MemoryJournal holds unless told otherwise (issue 10: at least 10,000). */
export const MEMORY_JOURNAL_MAX_ENTRIES = 10_000;

export interface MemoryJournalInit {
  /** The most notifications held; older ones are dropped (and counted as `missed`). */
  readonly maxEntries?: number;
  /** The seq of the newest notification before this journal (a journal resumed elsewhere). */
  readonly latest?: number;
}

/** An in-memory NotificationJournal: the reference implementation of the rules above. */
export class MemoryJournal implements NotificationJournal {
  readonly #max: number;
  // entries[head..] are held; the dropped prefix is cut off in one go once it is long (O(1) per append)
  #entries: Notification[] = [];
  #head = 0;
  readonly #listeners = new Set<JournalListener>();
  #latest: number;

  constructor(init: MemoryJournalInit = {}) {
    this.#max = init.maxEntries ?? MEMORY_JOURNAL_MAX_ENTRIES;
    if (!Number.isSafeInteger(this.#max) || this.#max < 1) throw new RangeError('maxEntries must be a positive integer');
    this.#latest = init.latest ?? 0;
  }

  get latest(): number {
    return this.#latest;
  }

  append<N extends NotificationName>(method: N, body: NotificationBody<N>): Promise<Notification> {
    this.#latest += 1;
    const notification = { method, params: { ...body, seq: this.#latest } as NotificationParams<N> } as Notification;
    this.#entries.push(notification);
    if (this.#entries.length - this.#head > this.#max) this.#head = this.#entries.length - this.#max;
    if (this.#head >= this.#max) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(notification);
      } catch {
        // one listener's fault is its own
      }
    }
    return Promise.resolve(notification);
  }

  since(seq: number): Promise<JournalReplay> {
    const first = this.#entries[this.#head]?.params.seq ?? this.#latest + 1;
    const missed = seq >= this.#latest ? 0 : Math.max(0, first - 1 - seq);
    // seqs are consecutive, so the first to send is at a known index
    const from = this.#head + Math.max(0, Math.min(this.#entries.length - this.#head, seq + 1 - first));
    const notifications = this.#entries.slice(from);
    return Promise.resolve({ notifications, missed, latest: this.#latest });
  }

  listen(listener: JournalListener): () => void {
    // a wrapper, so one listener function can be registered twice and removed once each
    const entry: JournalListener = (n) => listener(n);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }
}
