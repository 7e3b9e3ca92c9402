/**
 * One pub's subscription: the single connection through which this member reads a pub, for
 * all of its groups there (the pub sends every blob to everyone, so it reveals no group).
 *
 * A connection, on an isolation key of its own (fresh per connection), goes:
 * - connecting: dialled, waiting for the hello;
 * - catching-up: FETCHes from `cursorSince(saved cursor)` (rounded down: cursor.ts), one FETCH
 *   ahead while the sink handles the current one's blobs; blobs at or below the saved cursor
 *   (the re-read part) are skipped; the cursor is saved after each FETCH's blobs are handled
 *   (a sink that takes runs is handed the next FETCH's run while it still handles the previous
 *   one, at most two outstanding; the cursor moves past a run only once it and every run before
 *   it were handled);
 * - live: SUBSCRIBE from where the fetches ended; pushed blobs queue (at most LIVE_QUEUE_MAX
 *   blobs and LIVE_QUEUE_BYTES, else the link is dropped and catches up again by fetching) and go to the sink in
 *   cursor order, each run queued meanwhile (up to saveEveryBlobs) at once when the sink takes runs
 *   (PubBlobSink.blobsReceived), else one at a time; the cursor is saved whenever the queue drains
 *   (and every page-worth).
 * While catching up, each FETCH's blobs go to the sink as one run the same way.
 * Any failure (dial, a reply that fails the client's checks, garbage, a timeout, an idle link,
 * the sink rejecting) drops the connection: queued blobs are dropped with it (they are read
 * again from the saved cursor), the state becomes `failing` with the error's code, and the
 * link is dialled again after a backoff with jitter (a short one after a link that was live
 * for a while).
 *
 * A pub's `pruned` answer reaches the sink only when blobs after the *saved* cursor were pruned
 * (`start - 1 > cursor`): the rounded-down re-read part may be pruned without anything missed.
 * A pub whose head is below the saved cursor has lost or replaced its store: the cursor goes
 * back to 0 and everything is read again (the sink dedupes).
 */
import { randomBytes } from 'node:crypto';
import type { Log } from '../log.js';
import type { PubBlob, PubClient } from '../pub-links/client.js';
import { PubTransportError, PubTransportErrorCode } from '../pub-links/errors.js';
import { PAGE_BLOBS_MAX } from '../../protocol/pub-wire.js';
import type { Collection } from '../store/store.js';
import type { PubBlobSink, PubLinkState, PubLinkStatus } from './types.js';
import { backoffDelay, pause } from './backoff.js';
import type { Connector, PubConnection } from './connector.js';
import { cursorSince } from './cursor.js';
import { GroupPubsError, GroupPubsErrorCode, errorCode } from './errors.js';

export interface SubscriptionConfig {
  readonly cursorRoundBlobs: number;
  readonly catchupFetchBlobs: number;
  readonly catchupBufferBytes: number;
  /** The cursor is saved at least every this many live blobs. */
  readonly saveEveryBlobs: number;
  readonly liveQueueMax: number;
  readonly liveQueueBytes: number;
  readonly requestTimeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly reconnectDelayMs: number;
  /** A link live at least this long counts as healthy: its drop is retried after reconnectDelayMs. */
  readonly stableMs: number;
  readonly random: () => number;
}

export interface SubscriptionDeps {
  readonly connector: Connector;
  readonly sink: PubBlobSink;
  readonly cursors: Collection<bigint>;
  readonly log: Log;
  readonly config: SubscriptionConfig;
  readonly onStatus: (status: PubLinkStatus) => void;
}

type Item = { readonly kind: 'blob'; readonly blob: PubBlob } | { readonly kind: 'pruned'; readonly start: bigint; readonly head: bigint };

const utf8 = new TextEncoder();

export class PubSubscription {
  readonly address: string;
  readonly #d: SubscriptionDeps;
  readonly #stop = new AbortController();
  #state: PubLinkState = 'connecting';
  #lastError: string | null = null;
  /** The last cursor the sink handled (everything up to it). */
  #cursor = 0n;
  /** The last cursor written to the store. */
  #saved = 0n;
  #saving: Promise<void> = Promise.resolve();
  #conn: PubConnection | null = null;
  #running: Promise<void> | null = null;

  constructor(address: string, deps: SubscriptionDeps) {
    this.address = address;
    this.#d = deps;
  }

  get status(): PubLinkStatus {
    return { address: this.address, state: this.#state, lastError: this.#lastError };
  }

  /** The last cursor handled (tests, diagnostics). */
  get cursor(): bigint {
    return this.#cursor;
  }

  /** Starts the link (after `after`: the previous subscription to this pub, still ending). */
  start(after?: Promise<void>): void {
    this.#running ??= (after ?? Promise.resolve())
      .then(() => this.#run())
      .catch((err: unknown) => {
        // #run handles every failure of a link itself; this is a bug, logged, never a crash.
        this.#d.log('pub-link-ended', { level: 'warn', code: errorCode(err) });
      });
  }

  /** Ends the link: the blob being handled finishes, the cursor is saved, the connection is closed. */
  async stop(): Promise<void> {
    this.#stop.abort();
    const conn = this.#conn;
    if (conn) await conn.close().catch(() => {});
    await this.#running;
  }

  #set(state: PubLinkState, lastError: string | null): void {
    if (state === this.#state && lastError === this.#lastError) return;
    this.#state = state;
    this.#lastError = lastError;
    this.#d.log('pub-link-state', { state, ...(lastError ? { code: lastError } : {}) });
    if (!this.#stop.signal.aborted) this.#d.onStatus(this.status);
  }

  get #id(): Uint8Array {
    return utf8.encode(this.address);
  }

  async #load(): Promise<void> {
    try {
      const stored = await this.#d.cursors.get(this.#id);
      this.#cursor = this.#saved = stored ?? 0n;
    } catch (err) {
      this.#d.log('pub-cursor-unreadable', { level: 'warn', code: errorCode(err) });
      this.#cursor = this.#saved = 0n;
    }
  }

  /** Writes the cursor if it moved (one write at a time; a failed write is retried by the next). */
  #save(): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      const cursor = this.#cursor;
      if (cursor === this.#saved) return;
      try {
        await this.#d.cursors.put(this.#id, cursor);
        this.#saved = cursor;
      } catch (err) {
        this.#d.log('pub-cursor-save-failed', { level: 'warn', code: errorCode(err) });
      }
    });
    return this.#saving;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    const c = this.#d.config;
    await this.#load();
    let failures = 0;
    while (!signal.aborted) {
      let liveSince: number | null = null;
      let failure: unknown = null;
      try {
        this.#set(failures === 0 ? 'connecting' : 'failing', this.#lastError);
        const conn = await this.#d.connector.connect(this.address, randomBytes(16).toString('hex'), signal);
        this.#conn = conn;
        if (signal.aborted) break;
        this.#set('catching-up', null);
        const from = await this.#catchUp(conn.client);
        await this.#live(conn, from, () => {
          liveSince = Date.now();
        });
      } catch (err) {
        failure = this.#conn?.idled ? new GroupPubsError(GroupPubsErrorCode.IDLE, 'the pub sent nothing for too long') : err;
      } finally {
        const conn = this.#conn;
        this.#conn = null;
        await conn?.close().catch(() => {});
        await this.#save();
      }
      if (signal.aborted) break;
      const wasStable = liveSince !== null && Date.now() - liveSince >= c.stableMs;
      failures = wasStable ? 1 : failures + 1;
      this.#set('failing', errorCode(failure));
      const delay = wasStable ? backoffDelay(1, c.reconnectDelayMs, c.reconnectDelayMs, c.random) : backoffDelay(failures, c.backoffBaseMs, c.backoffMaxMs, c.random);
      await pause(delay, signal);
    }
    await this.#saving;
  }

  /**
   * Hands a run of blobs (in cursor order) to the sink at once when it takes runs
   * (PubBlobSink.blobsReceived), else one at a time; blobs at or below the cursor are skipped.
   * The cursor moves past the run only once the sink handled all of it.
   */
  async #handleRun(run: readonly PubBlob[]): Promise<void> {
    const sink = this.#d.sink;
    if (sink.blobsReceived === undefined) {
      for (const blob of run) await this.#handle({ kind: 'blob', blob });
      return;
    }
    const last = await this.#sinkRun(run);
    if (last !== null && last > this.#cursor) this.#cursor = last;
  }

  /**
   * Hands a run to a sink that takes runs, without moving the cursor: resolves to the cursor of
   * the run's last blob once the sink handled all of it (null: nothing of it was new), so that a
   * catch-up can hand the next run while the sink still stores this one and move the cursor in
   * order. Rejects with SINK_FAILED.
   */
  async #sinkRun(run: readonly PubBlob[]): Promise<bigint | null> {
    const fresh = run.filter((b) => b.cursor > this.#cursor); // the rest: read before (the rounded-down part)
    if (fresh.length === 0) return null;
    try {
      const sink = this.#d.sink;
      if (fresh.length === 1) await sink.blobReceived(this.address, fresh[0]!.blob);
      else await sink.blobsReceived!(this.address, fresh.map((b) => b.blob));
    } catch (err) {
      throw new GroupPubsError(GroupPubsErrorCode.SINK_FAILED, 'the sink failed to handle what the pub sent', { cause: err });
    }
    return fresh[fresh.length - 1]!.cursor;
  }

  /** Calls the sink, turning its failure into SINK_FAILED. */
  async #handle(item: Item): Promise<void> {
    try {
      if (item.kind === 'pruned') {
        if (item.start - 1n <= this.#cursor) return; // only the re-read part was pruned
        await this.#d.sink.pruned(this.address, { start: item.start, head: item.head });
        this.#cursor = item.start - 1n;
        return;
      }
      if (item.blob.cursor <= this.#cursor) return; // read before: the rounded-down part
      await this.#d.sink.blobReceived(this.address, item.blob.blob);
      this.#cursor = item.blob.cursor;
    } catch (err) {
      throw new GroupPubsError(GroupPubsErrorCode.SINK_FAILED, 'the sink failed to handle what the pub sent', { cause: err });
    }
  }

  /**
   * Fetches from the rounded-down cursor until no more follow; returns where to subscribe from.
   * Each FETCH asks up to `catchupFetchBlobs` (the pub streams them as several pages); the blobs
   * are copied as they arrive up to `catchupBufferBytes` (the rest of that answer is dropped and
   * asked again by the next FETCH), so a pub of large blobs cannot make a catch-up hold more.
   * The next FETCH is sent before the sink is handed the current one's blobs.
   */
  async #catchUp(client: PubClient): Promise<bigint> {
    const c = this.#d.config;
    const signal = this.#stop.signal;
    const limit = Math.max(1, Math.min(PAGE_BLOBS_MAX, c.catchupFetchBlobs));
    const fetch = (since: bigint) => {
      const blobs: PubBlob[] = [];
      let bytes = 0;
      let truncated = false;
      const take = (page: readonly PubBlob[]) => {
        for (const b of page) {
          if (truncated || bytes >= c.catchupBufferBytes) {
            truncated = true;
            return;
          }
          blobs.push({ cursor: b.cursor, blob: b.blob.slice() });
          bytes += b.blob.length;
        }
      };
      const p = client.fetchEach(since, take, { limit, timeoutMs: c.requestTimeoutMs, signal }).then((summary) => ({ summary, blobs, truncated }));
      p.catch(() => {}); // awaited below (or dropped with the connection)
      return p;
    };
    let pending = fetch(cursorSince(this.#cursor, c.cursorRoundBlobs));
    let first = true;
    // A sink that takes runs is handed the next run while it still stores the previous one (at
    // most two outstanding: it opens and verifies one while it writes the other); the cursor
    // moves past a run, and is saved, only once that run and every one before it were handled.
    const overlap = this.#d.sink.blobsReceived !== undefined;
    let previous: Promise<bigint | null> | null = null;
    const settle = async () => {
      if (previous === null) return;
      const p = previous;
      previous = null;
      const last = await p;
      if (last !== null && last > this.#cursor) this.#cursor = last;
      await this.#save();
    };
    try {
      for (;;) {
        const { summary, blobs, truncated } = await pending;
        if (first && summary.head < this.#cursor) {
          // The pub's log ends before where we were: it lost or replaced its store. Read it all again.
          this.#d.log('pub-cursor-reset', { level: 'warn' });
          this.#cursor = 0n;
          await this.#save();
          pending = fetch(0n);
          first = false;
          continue;
        }
        first = false;
        const more = summary.more || truncated;
        if (more) pending = fetch(truncated ? blobs[blobs.length - 1]!.cursor : summary.next);
        if (summary.pruned) {
          await settle();
          await this.#handle({ kind: 'pruned', start: summary.start, head: summary.head });
        }
        if (signal.aborted) throw aborted();
        if (overlap) {
          const run = this.#sinkRun(blobs);
          run.catch(() => {}); // settled in order below
          await settle();
          previous = run;
        } else {
          await this.#handleRun(blobs);
          await this.#save();
        }
        if (!more) {
          await settle();
          // Nothing stored between the last blob handled and `next` (an empty last page may say so).
          if (summary.next > this.#cursor) this.#cursor = summary.next;
          return this.#cursor;
        }
      }
    } finally {
      // a failure drops the connection: a run still with the sink is waited for, not counted
      if (previous !== null) await (previous as Promise<bigint | null>).catch(() => null);
    }
  }

  /** Subscribes from `from` and hands what is pushed to the sink until the connection ends (always rejects). */
  async #live(conn: PubConnection, from: bigint, wentLive: () => void): Promise<never> {
    const c = this.#d.config;
    const client = conn.client;
    const queue: Item[] = [];
    let queuedBytes = 0;
    let failed: unknown = null;
    let pumping: Promise<void> | null = null;
    let liveAt: bigint | null = null;
    const fail = (err: unknown) => {
      failed ??= err;
      queue.length = 0;
      queuedBytes = 0;
      void client.close();
    };
    const checkLive = () => {
      if (liveAt !== null && this.#cursor >= liveAt && this.#state === 'catching-up') {
        this.#set('live', null);
        wentLive();
      }
    };
    const pump = async () => {
      while (queue.length > 0 && failed === null) {
        // a pruned answer alone; else the run of blobs queued (at most a save's worth) at once
        const head = queue[0]!;
        const run: PubBlob[] = [];
        if (head.kind === 'pruned') queue.shift();
        else {
          while (run.length < c.saveEveryBlobs && queue.length > 0 && queue[0]!.kind === 'blob') {
            const item = queue.shift() as Extract<Item, { kind: 'blob' }>;
            queuedBytes -= item.blob.blob.length;
            run.push(item.blob);
          }
        }
        try {
          if (head.kind === 'pruned') await this.#handle(head);
          else await this.#handleRun(run);
        } catch (err) {
          return fail(err);
        }
        checkLive();
        if (run.length >= c.saveEveryBlobs) void this.#save();
      }
      void this.#save();
    };
    const kick = () => {
      if (pumping !== null || failed !== null || queue.length === 0) return;
      pumping = pump().finally(() => {
        pumping = null;
        kick(); // items pushed while the pump was ending
      });
    };
    const push = (item: Item) => {
      if (failed !== null) return;
      const bytes = item.kind === 'blob' ? item.blob.blob.length : 0;
      if (queue.length >= c.liveQueueMax || queuedBytes + bytes > c.liveQueueBytes) {
        return fail(new GroupPubsError(GroupPubsErrorCode.SINK_BEHIND, 'the pub pushed more than the sink took'));
      }
      queue.push(item);
      queuedBytes += bytes;
      kick();
    };
    const closed = new Promise<void>((resolve) => {
      if (!client.open) return resolve();
      client.addEventListener('close', () => resolve(), { once: true });
    });
    try {
      const sub = await client.subscribe(from, (b) => push({ kind: 'blob', blob: { cursor: b.cursor, blob: b.blob.slice() } }), {
        onPruned: (info) => push({ kind: 'pruned', start: info.start, head: info.head }),
        timeoutMs: c.requestTimeoutMs,
        signal: this.#stop.signal,
      });
      liveAt = sub.head;
      checkLive();
      await closed;
    } catch (err) {
      fail(err);
    }
    queue.length = 0;
    await pumping;
    throw failed ?? client.closeError ?? new PubTransportError(PubTransportErrorCode.CLOSED, 'the pub closed the connection');
  }
}

function aborted(): GroupPubsError {
  return new GroupPubsError(GroupPubsErrorCode.STOPPED, 'stopped');
}
