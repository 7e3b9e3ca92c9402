/**
 * A client of one pub over one WebSocket, dialled through a Dialer (tor or, in tests, direct).
 * It never identifies itself: it reads the pub's hello, then posts (paying the proof of work
 * itself), fetches pages and subscribes. Requests are pipelined and matched by request id.
 *
 * Cursors are bigint (u64 on the wire). `fetch(since)` returns blobs with cursor > since;
 * 0n means from the beginning.
 *
 * Events: `close` (the connection ended; `client.closeError` says why when it was not close()).
 */
import createDebug from 'debug';
import type { WebSocket, RawData } from 'ws';
import { ready } from '../../protocol/crypto.js';
import { isProtocolError } from '../../protocol/errors.js';
import { POW_NONCE_MAX, blobHash, solvePow } from '../../protocol/pow.js';
import {
  PAGE_BLOBS_MAX,
  PUB_WIRE_VERSION,
  ErrorFrameCode,
  PubCloseCode,
  PubFrameType,
  REQUEST_ID_MAX,
  checkBlob,
  decodeServerFrame,
  encodeFetch,
  encodeHelloRequest,
  encodePost,
  encodeSubscribe,
  messageBytes,
  type PageEntry,
  type PageFrame,
  type PubPolicy,
  type ServerFrame,
} from '../../protocol/pub-wire.js';
import type { Dialer } from '../transport/types.js';
import { ABANDONED_MAX, CLIENT_MAX_POW_DIFFICULTY, HELLO_TIMEOUT_MS, POW_SLICE_ATTEMPTS } from './constants.js';
import {
  PubReplyError,
  PubReplyErrorCode,
  PubTransportError,
  PubTransportErrorCode,
  isPubTransportError,
  replyErrorFromFrame,
  type PubClientError,
} from './errors.js';

export interface PubConnectOptions {
  readonly signal?: AbortSignal;
  /** Time allowed to dial and receive the hello (ms). */
  readonly timeoutMs?: number;
  /** Passed to the dialer: connections with different keys never share a tor circuit. */
  readonly isolationKey?: string;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /**
   * Time allowed for the reply (ms), counted from the call: it includes any wait for a free
   * slot in the pub's in-flight window. Default: until the connection closes.
   */
  readonly timeoutMs?: number;
}

export interface PostOptions extends RequestOptions {
  /** A nonce already found for this blob at this pub (skips the proof-of-work search). */
  readonly nonce?: bigint;
  /** The most work (bits) this post may cost; a pub asking more is refused with POLICY. */
  readonly maxPowDifficulty?: number;
}

export interface PubBlob {
  readonly cursor: bigint;
  readonly blob: Uint8Array;
}

/** What a fetchEach() ends with: how many blobs it handed over, and where to go on. */
export type FetchSummary = Omit<FetchResult, 'blobs'> & { readonly count: number };

export interface FetchResult {
  readonly blobs: PubBlob[];
  /** Cursor to fetch since next. */
  readonly next: bigint;
  /** More blobs follow `next`. */
  readonly more: boolean;
  /** Blobs after `since` were pruned: some may have been missed; the store now starts at `start`. */
  readonly pruned: boolean;
  readonly start: bigint;
  /** Last cursor the pub has assigned. */
  readonly head: bigint;
}

export interface SubscribeOptions extends RequestOptions {
  /**
   * Called when blobs the subscription had not delivered yet were pruned (before or during the
   * subscription); the stream resumes at `start`.
   */
  readonly onPruned?: (info: { start: bigint; head: bigint }) => void;
}

export interface SubscribeResult {
  /** Blobs after `since` had already been pruned (the stream starts at `start`). */
  readonly pruned: boolean;
  readonly start: bigint;
  readonly head: bigint;
}

interface Pending {
  readonly type: number;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (err: unknown) => void;
}


const debug = createDebug('snug:pub:client');


function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function aborted(): PubClientError {
  return new PubTransportError(PubTransportErrorCode.ABORTED, 'aborted');
}

/** Waits for the hello (or a refusal) on a freshly dialled socket. */
function awaitHello(ws: WebSocket, timeoutMs: number, signal?: AbortSignal): Promise<PubPolicy> {
  return new Promise((resolve, reject) => {
    const finish = (err: PubClientError | null, policy?: PubPolicy) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      if (err) {
        ws.terminate();
        reject(err);
      } else resolve(policy!);
    };
    const onAbort = () => finish(aborted());
    const onClose = (code: number) => {
      // A pub at its connection limit closes with 1013 (its ERROR frame may have gone before we listened).
      if (code === PubCloseCode.TRY_AGAIN_LATER) return finish(replyErrorFromFrame(ErrorFrameCode.TOO_MANY_CONNECTIONS, 0));
      finish(new PubTransportError(PubTransportErrorCode.CLOSED, 'the pub closed the connection before its hello'));
    };
    const onMessage = (data: RawData, isBinary: boolean) => {
      if (!isBinary) return finish(new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub sent a text frame'));
      const bytes = messageBytes(data);
      if (bytes.length >= 2 && bytes[0] !== PUB_WIRE_VERSION && bytes[1] === PubFrameType.HELLO) {
        return finish(new PubReplyError(PubReplyErrorCode.VERSION_REFUSED, `the pub speaks protocol version ${bytes[0]}, not ${PUB_WIRE_VERSION}`));
      }
      let frame: ServerFrame;
      try {
        frame = decodeServerFrame(bytes);
      } catch (err) {
        return finish(new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub sent a frame that does not decode', { cause: err }));
      }
      if (frame.type === PubFrameType.HELLO) return finish(null, frame.policy);
      if (frame.type === PubFrameType.REFUSE) {
        return finish(new PubReplyError(PubReplyErrorCode.VERSION_REFUSED, `the pub speaks versions ${frame.minVersion}..${frame.maxVersion}`));
      }
      if (frame.type === PubFrameType.ERROR) return finish(replyErrorFromFrame(frame.code, frame.retryAfterMs));
      return finish(new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub did not start with a hello'));
    };
    const timer = setTimeout(() => finish(new PubTransportError(PubTransportErrorCode.TIMEOUT, `no hello within ${timeoutMs} ms`)), timeoutMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('message', onMessage);
    ws.once('close', onClose);
    // The dialer hands the socket over after it opened: the unsolicited hello may be gone.
    ws.send(encodeHelloRequest(), () => {});
  });
}

export class PubClient extends EventTarget {
  readonly policy: PubPolicy;
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, Pending>();
  /**
   * A FETCH answered by several pages, between its first page and its last: the blobs gathered
   * (or, for fetchEach, handed over: `sink`), how many, whether any page said `pruned`.
   */
  readonly #partial = new Map<number, { blobs: PageEntry[]; count: number; pruned: boolean }>();
  /**
   * Requests given up (timeout, abort) whose replies may still come: they are read and dropped,
   * and their ids not used again until the last of them arrives. At most ABANDONED_MAX.
   */
  readonly #abandoned = new Set<number>();
  /** fetchEach's callbacks, by request id. */
  readonly #sinks = new Map<number, (blobs: readonly PubBlob[]) => void>();
  readonly #fetchLimits = new Map<number, number>();
  /**
   * Requests sent whose last reply frame has not arrived, abandoned or not: the pub counts each
   * against its maxInflight until it has answered, so no more than that are sent at once.
   */
  readonly #outstanding = new Set<number>();
  /** Requests waiting for a slot in the in-flight window, in call order. */
  readonly #waiting: { start: () => void; fail: (err: PubClientError) => void }[] = [];
  #nextId = 1;
  #subscription: { requestId: number; onBlob: (b: PubBlob) => void; onPruned?: SubscribeOptions['onPruned']; started: boolean } | null = null;
  #closeError: PubClientError | null = null;
  #closed = false;

  /** Dials `address`, waits for the pub's hello, and returns a client bound to its policy. */
  static async connect(dialer: Dialer, address: string, options: PubConnectOptions = {}): Promise<PubClient> {
    await ready(); // posting hashes blobs and solves proofs of work with libsodium
    const timeoutMs = options.timeoutMs ?? HELLO_TIMEOUT_MS;
    const started = Date.now();
    const ws = await dialer.dial(address, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.isolationKey ? { isolationKey: options.isolationKey } : {}),
      timeoutMs,
    });
    ws.on('error', () => {}); // errors surface as 'close'
    const policy = await awaitHello(ws, Math.max(1, timeoutMs - (Date.now() - started)), options.signal);
    return new PubClient(ws, policy);
  }

  private constructor(ws: WebSocket, policy: PubPolicy) {
    super();
    this.#ws = ws;
    this.policy = policy;
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('close', () => this.#onClose());
    if (ws.readyState !== ws.OPEN) queueMicrotask(() => this.#onClose());
  }

  /** True until the connection ends. */
  get open(): boolean {
    return !this.#closed;
  }

  /** Why the connection ended, when the pub or the network ended it. */
  get closeError(): PubClientError | null {
    return this.#closeError;
  }

  #fail(err: PubClientError): void {
    this.#closeError ??= err;
    this.#ws.terminate();
    this.#onClose();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = this.#closeError ?? new PubTransportError(PubTransportErrorCode.CLOSED, 'the connection to the pub closed');
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    for (const w of this.#waiting.splice(0)) w.fail(err);
    this.#outstanding.clear();
    this.#partial.clear();
    this.#sinks.clear();
    this.#fetchLimits.clear();
    this.#subscription = null;
    this.dispatchEvent(new Event('close'));
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closed) return;
    if (!isBinary) return this.#fail(new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub sent a text frame'));
    let frame: ServerFrame;
    try {
      frame = decodeServerFrame(messageBytes(data));
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return this.#fail(new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub sent a frame that does not decode', { cause: err }));
    }
    if (this.#dropAbandoned(frame)) return;
    switch (frame.type) {
      case PubFrameType.HELLO:
        return; // the answer to our HELLO_REQUEST when the unsolicited hello was seen too
      case PubFrameType.REFUSE:
        return this.#fail(new PubReplyError(PubReplyErrorCode.VERSION_REFUSED, `the pub speaks versions ${frame.minVersion}..${frame.maxVersion}`));
      case PubFrameType.ERROR:
        if (frame.requestId === 0) {
          // Connection-level: the pub closes next.
          this.#closeError ??= replyErrorFromFrame(frame.code, frame.retryAfterMs);
          return;
        }
        return this.#settle(frame.requestId, frame, replyErrorFromFrame(frame.code, frame.retryAfterMs));
      case PubFrameType.BLOB: {
        const sub = this.#subscription;
        if (!sub || sub.requestId !== frame.requestId || !sub.started) {
          return this.#fail(new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub pushed a blob for no subscription'));
        }
        try {
          sub.onBlob({ cursor: frame.cursor, blob: frame.blob });
        } catch (err) {
          debug('a subscription callback threw: %s', err instanceof Error ? err.message : String(err));
        }
        return;
      }
      case PubFrameType.PAGE:
        return this.#onPage(frame);
      case PubFrameType.SUBSCRIBED: {
        const sub = this.#subscription;
        if (sub && sub.requestId === frame.requestId) {
          // Blobs may follow in the same socket read: mark the subscription live right away.
          if (sub.started || frame.pruned) sub.onPruned?.({ start: frame.start, head: frame.head });
          if (sub.started) return;
          sub.started = true;
        }
        return this.#settle(frame.requestId, frame);
      }
      default:
        return this.#settle(frame.requestId, frame);
    }
  }

  /** A PAGE: one of several answering a FETCH (gathered until the last, or handed on), or the only one. */
  #onPage(frame: PageFrame): void {
    const id = frame.requestId;
    const limit = this.#fetchLimits.get(id);
    const partial = this.#partial.get(id);
    if (limit === undefined || this.#pending.get(id)?.type !== PubFrameType.PAGE) {
      return this.#fail(new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub answered a request that was not made'));
    }
    const count = (partial?.count ?? 0) + frame.blobs.length;
    if (count > limit) return this.#fail(new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub sent more blobs than asked for'));
    const sink = this.#sinks.get(id);
    const blobs = partial ? partial.blobs : [];
    if (sink) sink(frame.blobs);
    else for (const b of frame.blobs) blobs.push(b);
    const pruned = (partial?.pruned ?? false) || frame.pruned;
    if (frame.continues === true) {
      this.#partial.set(id, { blobs, count, pruned });
      return;
    }
    this.#partial.delete(id);
    this.#fetchLimits.delete(id);
    const { continues: _continues, ...last } = frame;
    this.#settle(id, { ...last, blobs, pruned });
  }

  /** The pub has answered request `id` in full: its slot in the in-flight window is free. */
  #answered(id: number): void {
    if (!this.#outstanding.delete(id)) return;
    while (this.#waiting.length > 0 && this.#outstanding.size < this.policy.maxInflight) this.#waiting.shift()!.start();
  }

  #settle(requestId: number, frame: ServerFrame, error?: PubClientError): void {
    this.#answered(requestId);
    this.#partial.delete(requestId);
    this.#fetchLimits.delete(requestId);
    this.#sinks.delete(requestId);
    const p = this.#pending.get(requestId);
    if (!p) return this.#fail(new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub answered a request that was not made'));
    if (!error && frame.type !== p.type) {
      return this.#fail(new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub answered with the wrong frame type'));
    }
    this.#pending.delete(requestId);
    if (error) p.reject(error);
    else p.resolve(frame);
  }

  #abandon(id: number): void {
    this.#abandoned.add(id);
    if (this.#abandoned.size > ABANDONED_MAX) {
      // A pub that answers none of them: forget the oldest (its reply would now fail the connection).
      const oldest = this.#abandoned.values().next().value;
      if (oldest !== undefined) {
        this.#abandoned.delete(oldest);
        this.#answered(oldest);
      }
    }
  }

  /**
   * A frame answering a request given up: dropped. The id is free again after its last frame
   * (a POST_ACK, an ERROR, a PAGE that does not continue); a subscription's stay abandoned.
   */
  #dropAbandoned(frame: ServerFrame): boolean {
    if (!('requestId' in frame) || frame.requestId === 0 || !this.#abandoned.has(frame.requestId)) return false;
    const last =
      frame.type === PubFrameType.POST_ACK || frame.type === PubFrameType.ERROR || (frame.type === PubFrameType.PAGE && frame.continues !== true);
    if (last) this.#abandoned.delete(frame.requestId);
    if (last || frame.type === PubFrameType.SUBSCRIBED) this.#answered(frame.requestId);
    return true;
  }

  #allocateId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id >= REQUEST_ID_MAX ? 1 : id + 1;
      if (!this.#pending.has(id) && !this.#abandoned.has(id) && this.#subscription?.requestId !== id) return id;
    }
  }

  /**
   * Sends a request frame and resolves with the reply of type `replyType`. At most the pub's
   * maxInflight requests are out at once (more would be answered BUSY); the rest wait their
   * turn here, in call order.
   */
  #request<F extends ServerFrame>(replyType: F['type'], build: (id: number) => Uint8Array, options: RequestOptions): Promise<F> {
    if (this.#closed) return Promise.reject(this.#closeError ?? new PubTransportError(PubTransportErrorCode.CLOSED, 'the connection to the pub is closed'));
    if (options.signal?.aborted) return Promise.reject(aborted());
    return new Promise<F>((resolve, reject) => {
      let id = 0;
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const rejectIt = (err: unknown) => {
        cleanup();
        reject(err);
      };
      const waiting = { start: () => send(), fail: rejectIt };
      const giveUp = (err: PubClientError) => {
        if (id === 0) {
          const at = this.#waiting.indexOf(waiting);
          if (at >= 0) this.#waiting.splice(at, 1);
        } else if (this.#pending.get(id)?.reject === rejectIt) {
          // The reply may still come; it is then read and dropped.
          this.#pending.delete(id);
          this.#partial.delete(id);
          this.#fetchLimits.delete(id);
          this.#sinks.delete(id);
          this.#abandon(id);
        }
        rejectIt(err);
      };
      const onAbort = () => giveUp(aborted());
      const send = () => {
        id = this.#allocateId();
        this.#pending.set(id, {
          type: replyType,
          resolve: (f) => {
            cleanup();
            resolve(f as F);
          },
          reject: rejectIt,
        });
        this.#outstanding.add(id);
        this.#ws.send(build(id), (err) => {
          if (err) giveUp(new PubTransportError(PubTransportErrorCode.CLOSED, 'the connection to the pub closed', { cause: err }));
        });
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => giveUp(new PubTransportError(PubTransportErrorCode.TIMEOUT, `no reply within ${options.timeoutMs} ms`)), options.timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (this.#waiting.length === 0 && this.#outstanding.size < this.policy.maxInflight) send();
      else this.#waiting.push(waiting);
    });
  }

  /** Finds a nonce proving the pub's difficulty for `blob`, yielding to the event loop between slices. */
  async solve(blob: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<bigint> {
    const hash = blobHash(blob);
    let start = 0n;
    for (;;) {
      if (options.signal?.aborted) throw aborted();
      const nonce = solvePow(this.policy.powContext, hash, this.policy.powDifficulty, { start, attempts: POW_SLICE_ATTEMPTS });
      if (nonce !== null) return nonce;
      start += BigInt(POW_SLICE_ATTEMPTS);
      if (start > POW_NONCE_MAX) throw new PubReplyError(PubReplyErrorCode.POLICY, 'no proof of work found');
      await yieldToLoop();
    }
  }

  /**
   * Posts one blob (computing the proof of work unless `options.nonce` is given) and resolves
   * with its cursor once the pub has it on disk. Rejects with the pub's error code
   * (ERR_PUB_RATE_LIMITED carries `retryAfterMs`), or POLICY when the blob does not fit the
   * pub's sizes.
   */
  async post(blob: Uint8Array, options: PostOptions = {}): Promise<{ cursor: bigint; duplicate: boolean }> {
    if (checkBlob(blob, this.policy.blobSizes) !== null) {
      throw new PubReplyError(PubReplyErrorCode.POLICY, `this pub takes blobs of ${this.policy.blobSizes.join(', ')} bytes starting with the blob version`);
    }
    const maxDifficulty = options.maxPowDifficulty ?? CLIENT_MAX_POW_DIFFICULTY;
    if (options.nonce === undefined && this.policy.powDifficulty > maxDifficulty) {
      throw new PubReplyError(PubReplyErrorCode.POLICY, `this pub asks for ${this.policy.powDifficulty} bits of work, more than ${maxDifficulty}`);
    }
    const nonce = options.nonce ?? (await this.solve(blob, options));
    const ack = await this.#request<Extract<ServerFrame, { type: typeof PubFrameType.POST_ACK }>>(
      PubFrameType.POST_ACK,
      (id) => encodePost(id, nonce, blob),
      options,
    );
    return { cursor: ack.cursor, duplicate: ack.duplicate };
  }

  /**
   * Blobs with cursor > `since`: at most `limit` (default: the pub's maxPageBlobs; at most
   * 65535). A limit above the pub's page limits is answered by several pages streamed back to
   * back, returned here as one result.
   */
  async fetch(since: bigint, options: RequestOptions & { limit?: number } = {}): Promise<FetchResult> {
    const limit = options.limit ?? this.policy.maxPageBlobs;
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_BLOBS_MAX) {
      throw new PubReplyError(PubReplyErrorCode.POLICY, `a fetch limit is an integer from 1 to ${PAGE_BLOBS_MAX}`);
    }
    const page = await this.#request<Extract<ServerFrame, { type: typeof PubFrameType.PAGE }>>(
      PubFrameType.PAGE,
      (id) => {
        this.#fetchLimits.set(id, limit);
        return encodeFetch(id, since, limit);
      },
      options,
    );
    return { blobs: [...page.blobs], next: page.next, more: page.more, pruned: page.pruned, start: page.start, head: page.head };
  }

  /**
   * Like fetch(), but hands each page's blobs to `onBlobs` as the page arrives instead of
   * gathering them, so a catch-up of up to `limit` (65,535) blobs holds one page at a time.
   * The blobs are views into the page: copy what you keep. If `onBlobs` throws, the rest of the
   * answer is read and dropped and the fetch rejects with that error.
   */
  async fetchEach(since: bigint, onBlobs: (blobs: readonly PubBlob[]) => void, options: RequestOptions & { limit?: number } = {}): Promise<FetchSummary> {
    const limit = options.limit ?? this.policy.maxPageBlobs;
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_BLOBS_MAX) {
      throw new PubReplyError(PubReplyErrorCode.POLICY, `a fetch limit is an integer from 1 to ${PAGE_BLOBS_MAX}`);
    }
    let count = 0;
    let failed: { error: unknown } | undefined;
    const sink = (blobs: readonly PubBlob[]): void => {
      count += blobs.length;
      if (failed) return;
      try {
        onBlobs(blobs);
      } catch (error) {
        failed = { error };
      }
    };
    const page = await this.#request<Extract<ServerFrame, { type: typeof PubFrameType.PAGE }>>(
      PubFrameType.PAGE,
      (id) => {
        this.#fetchLimits.set(id, limit);
        this.#sinks.set(id, sink);
        return encodeFetch(id, since, limit);
      },
      options,
    );
    if (failed) throw failed.error;
    return { count, next: page.next, more: page.more, pruned: page.pruned, start: page.start, head: page.head };
  }

  /**
   * Subscribes: the pub pushes every blob after `since`, then each new one as it arrives,
   * calling `onBlob` in cursor order. One subscription per connection. A subscribe() given up
   * (timeoutMs, signal) after it was sent closes the connection: nothing else stops the pub's
   * pushes.
   */
  async subscribe(since: bigint, onBlob: (b: PubBlob) => void, options: SubscribeOptions = {}): Promise<SubscribeResult> {
    if (this.#subscription) throw new PubReplyError(PubReplyErrorCode.POLICY, 'this connection already has a subscription');
    // Claimed now, not when the request leaves (it may wait for a slot): a second subscribe()
    // meanwhile is refused. Request id 0 matches no frame until then.
    const sub = { requestId: 0, onBlob, onPruned: options.onPruned, started: false };
    this.#subscription = sub;
    const reply = this.#request<Extract<ServerFrame, { type: typeof PubFrameType.SUBSCRIBED }>>(
      PubFrameType.SUBSCRIBED,
      (id) => {
        sub.requestId = id;
        return encodeSubscribe(id, since);
      },
      options,
    );
    try {
      const frame = await reply;
      return { pruned: frame.pruned, start: frame.start, head: frame.head };
    } catch (err) {
      if (this.#subscription === sub) this.#subscription = null;
      if (sub.requestId !== 0 && (isPubTransportError(err, PubTransportErrorCode.TIMEOUT) || isPubTransportError(err, PubTransportErrorCode.ABORTED))) {
        // Given up after it was sent: the pub may hold the subscription and push every new blob
        // to a client that drops them, and the protocol has no way to cancel it. Closing is
        // the only way to stop that (and to subscribe again, on a new connection).
        this.#closeError ??= new PubTransportError(PubTransportErrorCode.CLOSED, 'closed after giving up on a subscription the pub may hold');
        void this.close();
      }
      throw err;
    }
  }

  /** Closes the connection; pending requests fail with CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#ws.terminate();
      }, 2_000);
      this.addEventListener(
        'close',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
      this.#ws.close(1000);
    });
  }
}

