/**
 * The notification journal, on the profile's encrypted store (docs/profile.md, "The
 * notification journal"). Every notification the daemon sends gets a `seq` here; a subscriber
 * that reconnects with `since` gets what it missed, and is told how many it can no longer get.
 * It follows the rules of c1's NotificationJournal (daemon/api/journal.ts): append, since,
 * listen, with the notification `{method, params: {...body, seq}}`.
 *
 * - append(method, body) assigns the next seq at once (1, 2, 3, ...) and queues the entry.
 *   Queued entries are written in one synced batch per commit (group commit: appends that arrive
 *   while a batch is on its way go into the next). Only once its batch is on disk are the
 *   listeners called and the append's promise resolved, and is the notification visible to
 *   since(). So nobody ever sees a seq that a crash could hand out again, and a seq survives
 *   restarts because the head record (next seq) is written in the same batch as the entries.
 * - Retention: the latest JOURNAL_KEEP_COUNT (10,000) are always kept, and everything younger
 *   than JOURNAL_KEEP_MS (24 h), up to JOURNAL_MAX_COUNT (100,000). Older entries are deleted
 *   oldest first, in the commits' batches.
 * - since(seq) returns the notifications after `seq`, `missed`: how many notifications after
 *   `seq` were pruned (so are lost to this caller), and `latest`.
 *
 * Seq while locked: the journal lives in the encrypted store, so it exists only while the
 * profile is unlocked. While locked there is no journal (append and since are
 * ERR_JOURNAL_CLOSED), no data key, and nothing to number: event/subscribe is ERR_LOCKED, and
 * locking ends subscriptions, so no subscriber can miss a seq. After the next unlock the seq
 * continues from the head record; no counter is ever kept in plaintext.
 *
 * A live subscriber: listen() first, then since(), then deliver the replay followed by live
 * notifications with a seq above the last one replayed (since() reads the committed state as
 * of the call, so nothing falls between the two).
 */
import { TypedEventTarget } from '../events.js';
import { StoreErrorCode, isStoreError } from '../store/errors.js';
import type { Collection, RecordStore } from '../store/store.js';
import {
  JOURNAL_KEEP_COUNT,
  JOURNAL_KEEP_MS,
  JOURNAL_MAX_COUNT,
  JOURNAL_METHOD_MAX_BYTES,
  JOURNAL_PARAMS_MAX_BYTES,
  JOURNAL_PRUNE_PER_COMMIT,
  JOURNAL_SINCE_LIMIT,
} from './constants.js';
import {
  type EncodedEntry,
  JOURNAL_HEAD_ID,
  JOURNAL_HEAD_NAMESPACE,
  JOURNAL_NAMESPACE,
  type JournalHead,
  type JsonObject,
  isJsonObject,
  journalEntryCodec,
  journalHeadCodec,
  seqId,
} from './codec.js';
import { JournalError, JournalErrorCode } from './errors.js';

export type { JsonObject } from './codec.js';

/** A notification as the API sends it (without `jsonrpc`): its params carry its seq. */
export interface JournalNotification {
  readonly method: string;
  readonly params: JsonObject & { readonly seq: number };
}

export interface JournalReplay {
  /** The notifications after the caller's seq, oldest first. */
  readonly notifications: JournalNotification[];
  /** How many notifications after the caller's seq are no longer in the journal. */
  readonly missed: number;
  /** The newest seq on disk (0 when none ever). */
  readonly latest: number;
}

export type JournalListener = (notification: JournalNotification) => void;

export interface JournalEvents {
  /**
   * A commit failed (its notifications were dropped unseen, their appends reject, their seqs
   * are reused), or an entry on disk did not open and was skipped.
   */
  error: unknown;
}

export interface JournalComponents {
  readonly store: RecordStore;
}

export interface JournalInit {
  readonly keepCount?: number;
  readonly keepMs?: number;
  readonly maxCount?: number;
  readonly now?: () => number;
}

const utf8 = new TextEncoder();

export class EncryptedJournal extends TypedEventTarget<JournalEvents> {
  readonly #entries: Collection<EncodedEntry>;
  readonly #head: Collection<JournalHead>;
  readonly #keepCount: number;
  readonly #keepMs: number;
  readonly #maxCount: number;
  readonly #now: () => number;
  #started = false;
  /** Oldest seq held on disk (committed). */
  #first = 1;
  /** The seq after the last committed one. */
  #committed = 1;
  /** The seq the next append gets. */
  #next = 1;
  /** The time of the entry #first, once read. */
  #firstTime: number | undefined;
  #pending: Pending[] = [];
  readonly #listeners = new Set<JournalListener>();
  #writing: Promise<void> | null = null;

  constructor(components: JournalComponents, init: JournalInit = {}) {
    super();
    this.#entries = components.store.collection(JOURNAL_NAMESPACE, journalEntryCodec);
    this.#head = components.store.collection(JOURNAL_HEAD_NAMESPACE, journalHeadCodec);
    this.#keepCount = init.keepCount ?? JOURNAL_KEEP_COUNT;
    this.#keepMs = init.keepMs ?? JOURNAL_KEEP_MS;
    this.#maxCount = Math.max(init.maxCount ?? JOURNAL_MAX_COUNT, this.#keepCount);
    this.#now = init.now ?? Date.now;
  }

  /** Reads the head record (a new journal starts at seq 1). */
  async start(): Promise<void> {
    if (this.#started) return;
    const head = await this.#head.get(JOURNAL_HEAD_ID);
    const { first, next } = head ?? { first: 1, next: 1 };
    this.#first = first;
    this.#committed = next;
    this.#next = next;
    this.#firstTime = undefined;
    this.#started = true;
  }

  /** Writes what is queued, then closes the journal (appends afterwards are ERR_JOURNAL_CLOSED). */
  async stop(): Promise<void> {
    if (!this.#started) return;
    await this.flush().catch(() => undefined);
    this.#started = false;
  }

  /** The seq of the last notification on disk (0 for none yet). */
  get lastSeq(): number {
    return this.#committed - 1;
  }

  /** Oldest seq the journal still holds (lastSeq + 1 when it holds none). */
  get firstSeq(): number {
    return this.#first;
  }

  #closed(): JournalError {
    return new JournalError(JournalErrorCode.CLOSED, 'the journal is closed (the profile is locked)');
  }

  /**
   * Calls `listener` with each notification appended from now on, once it is on disk, in seq
   * order. A listener that throws does not stop the others or the append. Returns the unsubscribe.
   */
  listen(listener: JournalListener): () => void {
    const entry: JournalListener = (n) => listener(n); // one function may be registered twice
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /**
   * Numbers and queues a notification; resolves with it (its params with `seq`) once it is on
   * disk and the listeners have seen it. `body` is a JSON object without `seq`, serialised now
   * (later changes to it are not journaled). The seq is taken synchronously: appends resolve
   * in the order they were called.
   */
  append(method: string, body: JsonObject): Promise<JournalNotification> {
    try {
      const entry = this.#entry(method, body);
      return new Promise((resolve, reject) => {
        this.#pending.push({ entry, resolve, reject });
        if (this.#writing === null) this.#writing = this.#commitLoop();
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #entry(method: string, params: JsonObject): EncodedEntry {
    if (!this.#started) throw this.#closed();
    if (typeof method !== 'string' || method.length === 0 || utf8.encode(method).length > JOURNAL_METHOD_MAX_BYTES) {
      throw new JournalError(JournalErrorCode.BAD_NOTIFICATION, `a method is 1..${JOURNAL_METHOD_MAX_BYTES} bytes`);
    }
    if (!isJsonObject(params)) throw new JournalError(JournalErrorCode.BAD_NOTIFICATION, 'params are a JSON object');
    if (Object.prototype.hasOwnProperty.call(params, 'seq')) throw new JournalError(JournalErrorCode.BAD_NOTIFICATION, 'the journal assigns seq');
    let paramsJson: string;
    try {
      paramsJson = JSON.stringify(params);
    } catch (err) {
      throw new JournalError(JournalErrorCode.BAD_NOTIFICATION, 'params do not serialise to JSON', { cause: err });
    }
    if (utf8.encode(paramsJson).length > JOURNAL_PARAMS_MAX_BYTES) {
      throw new JournalError(JournalErrorCode.BAD_NOTIFICATION, `params are at most ${JOURNAL_PARAMS_MAX_BYTES} bytes of JSON`);
    }
    return { seq: this.#next++, time: this.#now(), method, params: JSON.parse(paramsJson) as JsonObject, paramsJson };
  }

  /** Resolves when every notification appended so far is on disk (rejects if a commit failed). */
  async flush(): Promise<void> {
    while (this.#writing !== null) await this.#writing;
    if (this.#failure !== undefined) {
      const err = this.#failure;
      this.#failure = undefined;
      throw err;
    }
  }

  #failure: unknown;

  async #commitLoop(): Promise<void> {
    try {
      await null; // let the appends of this turn join the first batch
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0);
        try {
          await this.#commit(batch.map((p) => p.entry));
        } catch (err) {
          // nobody saw these seqs: drop the batch and whatever queued behind it, reuse the seqs
          const dropped = [...batch, ...this.#pending.splice(0)];
          this.#next = this.#committed;
          this.#failure = err;
          for (const p of dropped) p.reject(err);
          this.emit('error', err);
          return;
        }
        for (const p of batch) {
          const n = notificationOf(p.entry);
          for (const listener of [...this.#listeners]) {
            try {
              listener(n);
            } catch {
              // one listener's fault is its own
            }
          }
          p.resolve(n);
        }
      }
    } finally {
      this.#writing = null;
    }
  }

  async #commit(batch: readonly EncodedEntry[]): Promise<void> {
    const last = batch[batch.length - 1]!;
    const next = last.seq + 1;
    const ops = batch.map((e) => this.#entries.putOp(seqId(e.seq), e));
    let first = this.#first;
    let firstTime = this.#firstTime;
    const cutoff = this.#now() - this.#keepMs;
    let pruned = 0;
    while (next - first > this.#keepCount && pruned < JOURNAL_PRUNE_PER_COMMIT) {
      if (next - first <= this.#maxCount) {
        if (firstTime === undefined) {
          const oldest = first < this.#committed ? await this.#readOne(first) : batch.find((e) => e.seq === first);
          firstTime = oldest?.time ?? -Infinity; // a missing or unreadable entry is pruned
        }
        if (firstTime >= cutoff) break;
      }
      ops.push(this.#entries.delOp(seqId(first)));
      first += 1;
      firstTime = undefined;
      pruned += 1;
    }
    ops.push(this.#head.putOp(JOURNAL_HEAD_ID, { first, next }));
    await this.#entries.store.batch(ops);
    this.#first = first;
    this.#firstTime = firstTime;
    this.#committed = next;
  }

  /**
   * The entry `seq`, or undefined when it is gone or does not open or decode (an entry damaged
   * on disk is skipped and counted as missed, and pruned in its turn, rather than blocking every
   * replay and every commit after it).
   */
  async #readOne(seq: number): Promise<EncodedEntry | undefined> {
    try {
      return await this.#entries.get(seqId(seq));
    } catch (err) {
      if (isUnreadable(err)) {
        this.emit('error', err);
        return undefined;
      }
      throw err;
    }
  }

  /**
   * The notifications after `seq` (at most `limit`, oldest first) and how many after `seq` are
   * gone. A `seq` at or above lastSeq gives none and misses none.
   */
  async since(seq: number, options: { limit?: number } = {}): Promise<JournalReplay> {
    if (!this.#started) throw this.#closed();
    if (!Number.isSafeInteger(seq) || seq < 0) throw new JournalError(JournalErrorCode.BAD_SEQ, 'since is a non-negative integer');
    const limit = options.limit ?? JOURNAL_SINCE_LIMIT;
    // the committed state as of this call
    const first = this.#first;
    const end = this.#committed;
    const latest = end - 1;
    if (seq + 1 >= end) return { notifications: [], missed: 0, latest };
    const from = Math.max(seq + 1, first);
    let missed = from - (seq + 1);
    const to = Math.min(end, from + Math.max(0, limit));
    const notifications: JournalNotification[] = [];
    const CHUNK = 512;
    for (let s = from; s < to; s += CHUNK) {
      const ids: Uint8Array[] = [];
      for (let q = s; q < Math.min(to, s + CHUNK); q++) ids.push(seqId(q));
      let got: (EncodedEntry | undefined)[];
      try {
        got = await this.#entries.getMany(ids);
      } catch (err) {
        if (!isUnreadable(err)) throw err;
        got = [];
        for (let q = 0; q < ids.length; q++) got.push(await this.#readOne(s + q));
      }
      for (let i = 0; i < got.length; i++) {
        const e = got[i];
        if (e === undefined) {
          missed += 1; // pruned while we read, or unreadable
          continue;
        }
        if (e.seq !== s + i) throw new JournalError(JournalErrorCode.CORRUPT, 'a journal entry under another seq');
        notifications.push(notificationOf(e));
      }
    }
    return { notifications, missed, latest };
  }
}

interface Pending {
  readonly entry: EncodedEntry;
  readonly resolve: (n: JournalNotification) => void;
  readonly reject: (err: unknown) => void;
}

function isUnreadable(err: unknown): boolean {
  return isStoreError(err, StoreErrorCode.CORRUPT) || isStoreError(err, StoreErrorCode.RECORD_INVALID);
}

function notificationOf(e: EncodedEntry): JournalNotification {
  return { method: e.method, params: { ...e.params, seq: e.seq } };
}
