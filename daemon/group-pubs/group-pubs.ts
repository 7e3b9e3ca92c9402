/**
 * GroupPubs: the daemon's links to pubs for groups (implements GroupPubLinks, types.ts). The
 * groups service gives it the pubs to subscribe to and the sealed blobs to post; it hands every
 * blob a pub serves to the sink (PubBlobSink, the groups service's receive pipeline). The rules
 * (what a pub can and cannot link, cursors, rotation, retries) are in docs/daemon.md, "Pub links".
 *
 * - Receiving: one PubSubscription per pub (subscription.ts), for all groups there, from the
 *   stored cursor rounded down (cursor.ts), on its own isolation key; states connecting /
 *   catching-up / live / failing, each change a 'change' event (PubLinkStatus) that the groups
 *   service turns into pub/didChange.
 * - Posting: post(groupKey, pub, blob) on the (group, pub)'s own posting connection
 *   (posting.ts), its proof of work solved in a worker thread (pow.ts), retried with backoff and
 *   jitter until the pub accepted it or already held it. A pub down or slow delays only its own
 *   copies. Rejects only when the caller's signal aborts (ERR_GROUP_PUBS_ABORTED) or GroupPubs
 *   stops (ERR_GROUP_PUBS_STOPPED).
 * - Whatever a pub sends, it cannot crash the daemon: every failure ends in a dropped
 *   connection, a `failing` state and a retry.
 *
 * Lifecycle: construct (components, init), start(), setSubscriptions() any time, stop():
 * closes every connection, ends the worker threads, saves the cursors; nothing stays open.
 */
import { ready } from '../../protocol/crypto.js';
import { blobHash } from '../../protocol/pow.js';
import { toHex } from '../../protocol/bytes.js';
import { TypedEventTarget } from '../events.js';
import type { Log } from '../log.js';
import { PubReplyErrorCode, isPubReplyError } from '../pub-links/errors.js';
import type { RecordStore } from '../store/store.js';
import type { Dialer } from '../transport/types.js';
import { backoffDelay, pause } from './backoff.js';
import { Connector } from './connector.js';
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  CATCHUP_BUFFER_BYTES,
  CATCHUP_FETCH_BLOBS,
  CONNECT_TIMEOUT_MS,
  CURSOR_NAMESPACE,
  CURSOR_ROUND_BLOBS,
  IDLE_TIMEOUT_MS,
  LIVE_QUEUE_BYTES,
  LIVE_QUEUE_MAX,
  MAX_POW_DIFFICULTY,
  POST_JITTER_MS,
  POST_TIMEOUT_MS,
  POW_SLICE_ATTEMPTS,
  POW_WORKERS_MAX,
  RECONNECT_DELAY_MS,
  REQUEST_TIMEOUT_MS,
  ROTATE_JITTER_MS,
  ROTATE_MS,
  SAVE_EVERY_BLOBS,
  STABLE_LINK_MS,
} from './constants.js';
import { cursorCodec } from './cursor.js';
import { GroupPubsError, GroupPubsErrorCode, errorCode } from './errors.js';
import { PowSolver } from './pow.js';
import { PostingLinks } from './posting.js';
import { PubSubscription, type SubscriptionConfig } from './subscription.js';
import type { GroupPubLinks, PostOptions, PubBlobSink, PubLinkStatus } from './types.js';

export interface GroupPubsComponents {
  /** How pubs are dialled: NetworkService.pubDialer() (tor for onions; direct in development). */
  readonly dialer: Dialer;
  readonly log: Log;
  readonly sink: PubBlobSink;
  /** The unlocked profile's store, for the per-pub cursors. */
  readonly store: RecordStore;
}

/** Every default is in constants.ts. */
export interface GroupPubsInit {
  readonly cursorRoundBlobs?: number;
  readonly catchupFetchBlobs?: number;
  readonly catchupBufferBytes?: number;
  readonly saveEveryBlobs?: number;
  readonly liveQueueMax?: number;
  readonly liveQueueBytes?: number;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly postTimeoutMs?: number;
  /** The most a post waits before its first try (uniform jitter; 0: none). */
  readonly postJitterMs?: number;
  readonly idleTimeoutMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly reconnectDelayMs?: number;
  readonly stableLinkMs?: number;
  readonly rotateMs?: number;
  readonly rotateJitterMs?: number;
  readonly maxPowDifficulty?: number;
  /** Proof-of-work threads (default: cores - 1, between 1 and POW_WORKERS_MAX). */
  readonly powWorkers?: number;
  readonly powSliceAttempts?: number;
  /** Jitter source (tests may pin it). */
  readonly random?: () => number;
}

export interface GroupPubsEvents {
  /** A subscribed pub's link changed state (or its last error). */
  change: PubLinkStatus;
}

export interface PostResult {
  readonly cursor: bigint;
  readonly duplicate: boolean;
}

/** Failures after which a post keeps its connection (the pub answered; the link is fine). */
const KEEP_CONNECTION = new Set<string>([
  PubReplyErrorCode.RATE_LIMITED,
  PubReplyErrorCode.BUSY,
  PubReplyErrorCode.BAD_POW,
  PubReplyErrorCode.BAD_BLOB_SIZE,
  PubReplyErrorCode.BAD_BLOB_VERSION,
  PubReplyErrorCode.POLICY,
  PubReplyErrorCode.INTERNAL,
  GroupPubsErrorCode.POW_TOO_HARD,
  GroupPubsErrorCode.POW_FAILED,
]);

export class GroupPubs extends TypedEventTarget<GroupPubsEvents> implements GroupPubLinks {
  readonly #c: GroupPubsComponents;
  readonly #sub: SubscriptionConfig;
  readonly #postTimeoutMs: number;
  readonly #postJitterMs: number;
  readonly #maxPow: number;
  readonly #random: () => number;
  readonly #stop = new AbortController();
  readonly #connector: Connector;
  readonly #posting: PostingLinks;
  readonly #pow: PowSolver;
  readonly #subscriptions = new Map<string, PubSubscription>();
  /** Subscriptions being stopped (removed from the set), by address; stop() waits for them, and one added again starts after. */
  readonly #ending = new Map<string, Promise<void>>();
  /** Posts in flight (stop() waits for them to reject). */
  readonly #posts = new Set<Promise<unknown>>();
  #wanted: readonly string[] = [];
  #started = false;

  constructor(components: GroupPubsComponents, init: GroupPubsInit = {}) {
    super();
    this.#c = components;
    this.#random = init.random ?? Math.random;
    this.#sub = {
      cursorRoundBlobs: init.cursorRoundBlobs ?? CURSOR_ROUND_BLOBS,
      catchupFetchBlobs: init.catchupFetchBlobs ?? CATCHUP_FETCH_BLOBS,
      catchupBufferBytes: init.catchupBufferBytes ?? CATCHUP_BUFFER_BYTES,
      saveEveryBlobs: init.saveEveryBlobs ?? SAVE_EVERY_BLOBS,
      liveQueueMax: init.liveQueueMax ?? LIVE_QUEUE_MAX,
      liveQueueBytes: init.liveQueueBytes ?? LIVE_QUEUE_BYTES,
      requestTimeoutMs: init.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      backoffBaseMs: init.backoffBaseMs ?? BACKOFF_BASE_MS,
      backoffMaxMs: init.backoffMaxMs ?? BACKOFF_MAX_MS,
      reconnectDelayMs: init.reconnectDelayMs ?? RECONNECT_DELAY_MS,
      stableMs: init.stableLinkMs ?? STABLE_LINK_MS,
      random: this.#random,
    };
    this.#postTimeoutMs = init.postTimeoutMs ?? POST_TIMEOUT_MS;
    this.#postJitterMs = init.postJitterMs ?? POST_JITTER_MS;
    this.#maxPow = init.maxPowDifficulty ?? MAX_POW_DIFFICULTY;
    this.#connector = new Connector(components.dialer, {
      connectTimeoutMs: init.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      idleTimeoutMs: init.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    });
    this.#posting = new PostingLinks(
      this.#connector,
      { rotateMs: init.rotateMs ?? ROTATE_MS, rotateJitterMs: init.rotateJitterMs ?? ROTATE_JITTER_MS, random: this.#random },
      this.#stop.signal,
    );
    this.#pow = new PowSolver({
      ...(init.powWorkers !== undefined ? { workers: init.powWorkers } : {}),
      sliceAttempts: init.powSliceAttempts ?? POW_SLICE_ATTEMPTS,
      maxWorkers: POW_WORKERS_MAX,
    });
  }

  /** Starts the subscriptions set so far (and any set later). */
  async start(): Promise<void> {
    if (this.#stop.signal.aborted) throw stopped();
    await ready();
    this.#started = true;
    this.#apply();
  }

  /** Ends everything: posts in flight reject with ERR_GROUP_PUBS_STOPPED, cursors are saved, no connection or thread stays. */
  async stop(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    const subs = [...this.#subscriptions.values()];
    this.#subscriptions.clear();
    this.#posting.closeAll();
    await Promise.allSettled([...subs.map((s) => s.stop()), ...this.#ending.values(), ...this.#posts]);
    await this.#pow.close();
    await this.#connector.cutAll();
    this.#c.log('group-pubs-stopped', {});
  }

  /** Connections open now and proof-of-work threads running (tests: both 0 after stop()). */
  get resources(): { readonly sockets: number; readonly powThreads: number } {
    return { sockets: this.#connector.open, powThreads: this.#pow.threads };
  }

  setSubscriptions(pubs: readonly string[]): void {
    if (this.#stop.signal.aborted) return;
    this.#wanted = [...new Set(pubs.filter((p) => typeof p === 'string' && p.length > 0))];
    if (this.#started) this.#apply();
  }

  #apply(): void {
    const wanted = new Set(this.#wanted);
    for (const [address, sub] of [...this.#subscriptions]) {
      if (wanted.has(address)) continue;
      this.#subscriptions.delete(address);
      const ending: Promise<void> = sub.stop().finally(() => {
        if (this.#ending.get(address) === ending) this.#ending.delete(address);
      });
      this.#ending.set(address, ending);
    }
    for (const address of wanted) {
      if (this.#subscriptions.has(address)) continue;
      const sub = new PubSubscription(address, {
        connector: this.#connector,
        sink: this.#c.sink,
        cursors: this.#c.store.collection(CURSOR_NAMESPACE, cursorCodec),
        log: this.#c.log,
        config: this.#sub,
        onStatus: (status) => {
          if (this.#subscriptions.get(address) === sub) this.emit('change', status);
        },
      });
      this.#subscriptions.set(address, sub);
      this.emit('change', sub.status);
      sub.start(this.#ending.get(address)); // after the old one of this pub saved its cursor
    }
  }

  status(): PubLinkStatus[] {
    return [...this.#subscriptions.values()].map((s) => s.status);
  }

  post(groupKey: string, pub: string, blob: Uint8Array, signal?: AbortSignal, options?: PostOptions): Promise<PostResult> {
    const p = this.#post(groupKey, pub, blob, signal, options?.jitter ?? true);
    this.#posts.add(p);
    const forget = () => this.#posts.delete(p);
    p.then(forget, forget);
    return p;
  }

  async #post(groupKey: string, pub: string, blob: Uint8Array, callerSignal: AbortSignal | undefined, jitter: boolean): Promise<PostResult> {
    const op = callerSignal ? AbortSignal.any([callerSignal, this.#stop.signal]) : this.#stop.signal;
    const gaveUp = () => (this.#stop.signal.aborted ? stopped() : new GroupPubsError(GroupPubsErrorCode.ABORTED, 'the post was aborted'));
    if (op.aborted) throw gaveUp();
    await ready();
    const hash = blobHash(blob);
    /** Nonces found for this blob, by the pub's PoW context and difficulty (they survive reconnects). */
    const nonces = new Map<string, bigint>();
    if (jitter && this.#postJitterMs > 0) await pause(Math.floor(this.#random() * this.#postJitterMs), op);
    let failures = 0;
    for (;;) {
      if (op.aborted) throw gaveUp();
      const link = this.#posting.link(groupKey, pub);
      try {
        return await link.use(async (client) => {
          const { powContext, powDifficulty } = client.policy;
          if (powDifficulty > this.#maxPow) throw new GroupPubsError(GroupPubsErrorCode.POW_TOO_HARD, `the pub asks ${powDifficulty} bits of work`);
          const key = `${toHex(powContext)}/${powDifficulty}`;
          let nonce = nonces.get(key);
          if (nonce === undefined) {
            nonce = await this.#pow.solve(powContext, hash, powDifficulty, op);
            nonces.set(key, nonce);
          }
          try {
            const ack = await client.post(blob, { nonce, timeoutMs: this.#postTimeoutMs, signal: op });
            return { cursor: ack.cursor, duplicate: ack.duplicate };
          } catch (err) {
            if (isPubReplyError(err, PubReplyErrorCode.BAD_POW)) nonces.delete(key);
            throw err;
          }
        }, op);
      } catch (err) {
        if (op.aborted) throw gaveUp();
        failures += 1;
        const code = errorCode(err);
        if (!KEEP_CONNECTION.has(code)) link.drop();
        const hint = isPubReplyError(err, PubReplyErrorCode.RATE_LIMITED) ? err.retryAfterMs : 0;
        const delay = Math.max(hint, backoffDelay(failures, this.#sub.backoffBaseMs, this.#sub.backoffMaxMs, this.#random));
        this.#c.log('pub-post-retry', { code, failures, delayMs: delay });
        await pause(delay, op);
      }
    }
  }
}

function stopped(): GroupPubsError {
  return new GroupPubsError(GroupPubsErrorCode.STOPPED, 'GroupPubs stopped');
}
