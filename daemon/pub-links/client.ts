/**
 * A client of one pub over one WebSocket, dialled through a Dialer (tor or, in tests, direct).
 * It never identifies itself: it reads the pub's hello, then posts (paying the proof of work
 * itself), fetches pages and subscribes. Requests are pipelined and matched by request id.
 *
 * Cursors are bigint (u64 on the wire). `fetch(since)` returns blobs with cursor > since;
 * 0n means from the beginning.
 *
 * It checks what the pub sends (reply-checks.ts): a pub that breaks the protocol's promises
 * about cursors is dropped with PubReplyError PROTOCOL, so a hostile pub cannot stall or rewind
 * the client.
 *
 * Events (PubClientEvents): `close`, once, when the connection ends; its detail (and
 * `client.closeError`) says why when the pub or the network ended it, null after close().
 */
import createDebug from 'debug';
import type { WebSocket, RawData } from 'ws';
import { U64_MAX } from '../../protocol/bytes.js';
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
  decodeServerFrameParts,
  encodeFetch,
  encodeHelloRequest,
  encodePost,
  encodeSubscribe,
  messageBytes,
  type PageEntry,
  type PageFrame,
  type PostAckFrame,
  type PubPolicy,
  type ServerFrame,
  type SubscribedFrame,
} from '../../protocol/pub-wire.js';
import { settleWithin, type AbortErrors } from '../abort.js';
import { TypedEventTarget } from '../events.js';
import type { Dialer } from '../transport/types.js';
import { ABANDONED_MAX, CLIENT_MAX_POW_DIFFICULTY, CLOSE_TIMEOUT_MS, HELLO_TIMEOUT_MS, POW_SLICE_ATTEMPTS } from './constants.js';
import {
  PubReplyError,
  PubReplyErrorCode,
  PubTransportError,
  PubTransportErrorCode,
  isPubTransportError,
  replyErrorFromFrame,
  type PubClientError,
} from './errors.js';
import { FetchCheck, SubscriptionCheck, checkPostAck } from './reply-checks.js';

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

export interface PubClientEvents {
  /** The connection ended: why, when the pub or the network ended it; null after close(). */
  close: PubClientError | null;
}

/** The frame types a request is answered with. */
type ReplyFrame = PostAckFrame | PageFrame | SubscribedFrame;

/** What a FETCH is answered with so far, between its first PAGE and its last. */
interface FetchState {
  readonly check: FetchCheck;
  /** fetchEach's callback; without one the blobs are gathered in `blobs`. */
  readonly sink: ((blobs: readonly PubBlob[]) => void) | undefined;
  readonly blobs: PageEntry[];
  /** Some page said `pruned`. */
  pruned: boolean;
}

/**
 * One request, from the call until the last frame of its reply: waiting for a slot in the
 * pub's in-flight window (`id` 0), sent, and possibly given up (`abandoned`: the caller's
 * promise is settled, its late frames are read and dropped, its id is not used meanwhile).
 */
interface Request {
  id: number;
  readonly replyType: ReplyFrame['type'];
  readonly encode: (id: number) => Uint8Array;
  readonly resolve: (frame: ReplyFrame) => void;
  readonly reject: (err: PubClientError) => void;
  /** For a FETCH. */
  readonly fetch: FetchState | undefined;
  /** Given up after it was sent. */
  abandoned: boolean;
  /** Its last frame has come (or the connection ended). */
  done: boolean;
}

/** The one subscription a connection may have (claimed before its SUBSCRIBE is sent). */
interface Subscription {
  /** The SUBSCRIBE's request id (0 until it is sent). */
  requestId: number;
  readonly onBlob: (b: PubBlob) => void;
  readonly onPruned: SubscribeOptions['onPruned'];
  readonly check: SubscriptionCheck;
  /** Its first SUBSCRIBED has come: BLOB frames and prune notices follow. */
  started: boolean;
}

const debug = createDebug('snug:pub-links:client');

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function aborted(): PubTransportError {
  return new PubTransportError(PubTransportErrorCode.ABORTED, 'aborted');
}

function closed(message = 'the connection to the pub closed', cause?: unknown): PubTransportError {
  return new PubTransportError(PubTransportErrorCode.CLOSED, message, cause === undefined ? undefined : { cause });
}

function badReply(message: string, cause?: unknown): PubReplyError {
  return new PubReplyError(PubReplyErrorCode.BAD_REPLY, message, cause === undefined ? undefined : { cause });
}

function versionRefused(minVersion: number, maxVersion: number): PubReplyError {
  return new PubReplyError(PubReplyErrorCode.VERSION_REFUSED, `the pub speaks versions ${minVersion}..${maxVersion}`);
}

/** A cursor or nonce: a u64 bigint (POLICY otherwise), checked before a request takes an id. */
function checkU64(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new PubReplyError(PubReplyErrorCode.POLICY, `${what} is a u64 (a bigint from 0 to 2^64 - 1)`);
  }
}

/** A fetch limit: an integer from 1 to PAGE_BLOBS_MAX (POLICY otherwise). */
function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_BLOBS_MAX) {
    throw new PubReplyError(PubReplyErrorCode.POLICY, `a fetch limit is an integer from 1 to ${PAGE_BLOBS_MAX}`);
  }
}

/** Waits for the hello (or a refusal) on a freshly dialled socket; a socket that gives none is cut. */
async function awaitHello(ws: WebSocket, timeoutMs: number, signal: AbortSignal | undefined): Promise<PubPolicy> {
  const errors: AbortErrors = {
    timeout: () => new PubTransportError(PubTransportErrorCode.TIMEOUT, `no hello within ${timeoutMs} ms`),
    aborted,
  };
  try {
    return await settleWithin<PubPolicy>({ timeoutMs, ...(signal ? { signal } : {}) }, errors, (resolve, reject) => {
      const onClose = (code: number) => {
        // A pub at its connection limit closes with 1013 (its ERROR frame may have gone before we listened).
        if (code === PubCloseCode.TRY_AGAIN_LATER) return reject(replyErrorFromFrame(ErrorFrameCode.TOO_MANY_CONNECTIONS, 0));
        reject(closed('the pub closed the connection before its hello'));
      };
      const onMessage = (data: RawData, isBinary: boolean) => {
        if (!isBinary) return reject(badReply('the pub sent a text frame'));
        const bytes = messageBytes(data);
        if (bytes.length >= 2 && bytes[0] !== PUB_WIRE_VERSION && bytes[1] === PubFrameType.HELLO) {
          return reject(new PubReplyError(PubReplyErrorCode.VERSION_REFUSED, `the pub speaks protocol version ${bytes[0]}, not ${PUB_WIRE_VERSION}`));
        }
        let frame: ServerFrame;
        try {
          frame = decodeServerFrame(bytes);
        } catch (err) {
          return reject(badReply('the pub sent a frame that does not decode', err));
        }
        if (frame.type === PubFrameType.HELLO) return resolve(frame.policy);
        if (frame.type === PubFrameType.REFUSE) return reject(versionRefused(frame.minVersion, frame.maxVersion));
        if (frame.type === PubFrameType.ERROR) return reject(replyErrorFromFrame(frame.code, frame.retryAfterMs));
        reject(badReply('the pub did not start with a hello'));
      };
      ws.on('message', onMessage);
      ws.once('close', onClose);
      // The dialer hands the socket over after it opened: the unsolicited hello may be gone.
      ws.send(encodeHelloRequest(), () => {});
      return () => {
        ws.off('message', onMessage);
        ws.off('close', onClose);
      };
    });
  } catch (err) {
    ws.terminate();
    throw err;
  }
}

export class PubClient extends TypedEventTarget<PubClientEvents> {
  readonly policy: PubPolicy;
  readonly #ws: WebSocket;
  /**
   * Requests sent whose last reply frame has not come, given up or not, in the order sent: the
   * pub counts each against its maxInflight until it has answered, so no more are sent at once.
   */
  readonly #sent = new Map<number, Request>();
  /** Requests waiting for a slot in the in-flight window, in call order. */
  readonly #waiting: Request[] = [];
  /** Requests in #sent given up (at most ABANDONED_MAX). */
  #abandoned = 0;
  #nextId = 1;
  #subscription: Subscription | null = null;
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
    // Messages as their fragments: a PAGE arrives as its header and runs of entries, decoded in
    // place (decodeServerFrameParts) instead of joined into one more copy first.
    ws.binaryType = 'fragments';
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

  /** Drops the link: `err` becomes the close error (unless one is known already). */
  #fail(err: PubClientError): void {
    this.#closeError ??= err;
    this.#ws.terminate();
    this.#onClose();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = this.#closeError ?? closed();
    for (const r of [...this.#sent.values(), ...this.#waiting.splice(0)]) this.#end(r, err);
    this.#sent.clear();
    this.#abandoned = 0;
    this.#subscription = null;
    this.emit('close', this.#closeError);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closed) return;
    if (!isBinary) return this.#fail(badReply('the pub sent a text frame'));
    let frame: ServerFrame;
    try {
      frame = Array.isArray(data) ? decodeServerFrameParts(data) : decodeServerFrame(messageBytes(data));
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return this.#fail(badReply('the pub sent a frame that does not decode', err));
    }
    try {
      this.#onFrame(frame);
    } catch (err) {
      if (!(err instanceof PubReplyError)) throw err;
      this.#fail(err);
    }
  }

  /** One decoded frame; throws PubReplyError for one that breaks the protocol (the link is then dropped). */
  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case PubFrameType.HELLO:
        return; // the answer to our HELLO_REQUEST when the unsolicited hello was seen too
      case PubFrameType.REFUSE:
        throw versionRefused(frame.minVersion, frame.maxVersion);
      case PubFrameType.ERROR:
        if (frame.requestId === 0) {
          // Connection-level: the pub closes next.
          this.#closeError ??= replyErrorFromFrame(frame.code, frame.retryAfterMs);
          return;
        }
        return this.#finish(this.#answering(frame.requestId), replyErrorFromFrame(frame.code, frame.retryAfterMs));
      case PubFrameType.BLOB: {
        const sub = this.#subscription;
        if (!sub || sub.requestId !== frame.requestId || !sub.started) throw badReply('the pub pushed a blob for no subscription');
        sub.check.blob(frame.cursor);
        try {
          sub.onBlob({ cursor: frame.cursor, blob: frame.blob });
        } catch (err) {
          debug('a subscription callback threw: %s', err instanceof Error ? err.message : String(err));
        }
        return;
      }
      case PubFrameType.SUBSCRIBED: {
        const sub = this.#subscription;
        if (sub && sub.requestId === frame.requestId && sub.started) {
          // A later SUBSCRIBED: blobs not delivered yet were pruned.
          sub.check.subscribed(frame);
          sub.onPruned?.({ start: frame.start, head: frame.head });
          return;
        }
        const request = this.#answering(frame.requestId, PubFrameType.SUBSCRIBED);
        if (sub && sub.requestId === frame.requestId) {
          sub.check.subscribed(frame);
          // Blobs may follow in the same socket read: mark the subscription live right away.
          sub.started = true;
          if (frame.pruned) sub.onPruned?.({ start: frame.start, head: frame.head });
        }
        return this.#finish(request, frame);
      }
      case PubFrameType.PAGE:
        return this.#onPage(frame);
      case PubFrameType.POST_ACK: {
        const request = this.#answering(frame.requestId, PubFrameType.POST_ACK);
        checkPostAck(frame);
        return this.#finish(request, frame);
      }
    }
  }

  /** The sent request a frame answers (of `type`, when the frame is a reply): a frame for no request breaks the protocol. */
  #answering(id: number, type?: ReplyFrame['type']): Request {
    const request = this.#sent.get(id);
    if (!request) throw badReply('the pub answered a request that was not made');
    if (type !== undefined && request.replyType !== type) throw badReply('the pub answered with the wrong frame type');
    return request;
  }

  /** A PAGE: one of several answering a FETCH (gathered until the last, or handed on), or the only one. */
  #onPage(frame: PageFrame): void {
    const request = this.#answering(frame.requestId);
    const state = request.fetch;
    if (!state) throw badReply('the pub answered a request that was not made');
    state.check.page(frame);
    state.pruned ||= frame.pruned;
    if (!request.abandoned) {
      if (state.sink) state.sink(frame.blobs);
      else for (const b of frame.blobs) state.blobs.push(b);
    }
    if (frame.continues === true) return;
    const { continues: _continues, ...last } = frame;
    this.#finish(request, { ...last, blobs: state.blobs, pruned: state.pruned });
  }

  /** The last frame of a request's reply has come: its slot in the in-flight window is free. */
  #finish(request: Request, outcome: ReplyFrame | PubClientError): void {
    this.#sent.delete(request.id);
    if (request.abandoned) this.#abandoned -= 1;
    this.#end(request, outcome);
    this.#sendWaiting();
  }

  /** Settles a request's caller (unless it gave up already). */
  #end(request: Request, outcome: ReplyFrame | PubClientError): void {
    if (request.done) return;
    request.done = true;
    if (request.abandoned) return;
    if (outcome instanceof Error) request.reject(outcome);
    else request.resolve(outcome);
  }

  #sendWaiting(): void {
    while (this.#waiting.length > 0 && this.#sent.size < this.policy.maxInflight) this.#send(this.#waiting.shift()!);
  }

  #send(request: Request): void {
    const id = this.#allocateId();
    const frame = request.encode(id); // before the request takes the id and a slot
    request.id = id;
    this.#sent.set(id, request);
    this.#ws.send(frame, (err) => {
      if (err) request.reject(closed('the connection to the pub closed', err));
    });
  }

  /**
   * The caller gave up (timeout, abort) or was answered. A request still waiting is dropped; one
   * sent and not answered is abandoned: the pub still counts it, so it keeps its slot and its id
   * until its last frame comes, which is then dropped.
   */
  #giveUp(request: Request): void {
    if (request.done) return;
    if (request.id === 0) {
      const at = this.#waiting.indexOf(request);
      if (at >= 0) this.#waiting.splice(at, 1);
      request.done = true;
      return;
    }
    request.abandoned = true;
    this.#abandoned += 1;
    if (this.#abandoned > ABANDONED_MAX) {
      // A pub that answers none of them: forget the oldest (its reply would now fail the connection).
      for (const oldest of this.#sent.values()) {
        if (!oldest.abandoned) continue;
        this.#finish(oldest, closed());
        break;
      }
    }
  }

  #allocateId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id >= REQUEST_ID_MAX ? 1 : id + 1;
      if (!this.#sent.has(id) && this.#subscription?.requestId !== id) return id;
    }
  }

  /**
   * Sends a request and resolves with its reply (of the type `replyType`), or rejects with the
   * pub's error. At most the pub's maxInflight requests are out at once (more would be answered
   * BUSY); the rest wait their turn here, in call order. `timeoutMs` and `signal` count from
   * the call, the wait included.
   */
  #request<F extends ReplyFrame>(
    replyType: F['type'],
    encode: (id: number) => Uint8Array,
    options: RequestOptions,
    fetch?: FetchState,
  ): Promise<F> {
    if (this.#closed) return Promise.reject(this.#closeError ?? closed('the connection to the pub is closed'));
    const errors: AbortErrors = {
      timeout: () => new PubTransportError(PubTransportErrorCode.TIMEOUT, `no reply within ${options.timeoutMs} ms`),
      aborted,
    };
    return settleWithin<F>(options, errors, (resolve, reject) => {
      const request: Request = {
        id: 0,
        replyType,
        encode,
        resolve: (frame) => resolve(frame as F), // #answering checked the frame is of replyType
        reject,
        fetch,
        abandoned: false,
        done: false,
      };
      if (this.#waiting.length === 0 && this.#sent.size < this.policy.maxInflight) this.#send(request);
      else this.#waiting.push(request);
      return () => this.#giveUp(request);
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
    if (options.nonce !== undefined) checkU64(options.nonce, 'a nonce');
    const nonce = options.nonce ?? (await this.solve(blob, options));
    const ack = await this.#request<PostAckFrame>(PubFrameType.POST_ACK, (id) => encodePost(id, nonce, blob), options);
    return { cursor: ack.cursor, duplicate: ack.duplicate };
  }

  /** One FETCH, its pages gathered (no `sink`) or handed to `sink` as they arrive. */
  #fetch(since: bigint, limit: number, sink: FetchState['sink'], options: RequestOptions): Promise<PageFrame> {
    checkU64(since, 'a cursor');
    checkLimit(limit);
    const state: FetchState = { check: new FetchCheck(since, limit), sink, blobs: [], pruned: false };
    return this.#request<PageFrame>(PubFrameType.PAGE, (id) => encodeFetch(id, since, limit), options, state);
  }

  /**
   * Blobs with cursor > `since`: at most `limit` (default: the pub's maxPageBlobs; at most
   * 65535). A limit above the pub's page limits is answered by several pages streamed back to
   * back, returned here as one result.
   */
  async fetch(since: bigint, options: RequestOptions & { limit?: number } = {}): Promise<FetchResult> {
    const page = await this.#fetch(since, options.limit ?? this.policy.maxPageBlobs, undefined, options);
    return { blobs: [...page.blobs], next: page.next, more: page.more, pruned: page.pruned, start: page.start, head: page.head };
  }

  /**
   * Like fetch(), but hands each page's blobs to `onBlobs` as the page arrives instead of
   * gathering them, so a catch-up of up to `limit` (65,535) blobs holds one page at a time.
   * The blobs are views into the page: copy what you keep. If `onBlobs` throws, the rest of the
   * answer is read and dropped and the fetch rejects with that error.
   */
  async fetchEach(since: bigint, onBlobs: (blobs: readonly PubBlob[]) => void, options: RequestOptions & { limit?: number } = {}): Promise<FetchSummary> {
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
    const page = await this.#fetch(since, options.limit ?? this.policy.maxPageBlobs, sink, options);
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
    checkU64(since, 'a cursor');
    if (this.#subscription) throw new PubReplyError(PubReplyErrorCode.POLICY, 'this connection already has a subscription');
    // Claimed now, not when the request leaves (it may wait for a slot): a second subscribe()
    // meanwhile is refused. Request id 0 matches no frame until then.
    const sub: Subscription = { requestId: 0, onBlob, onPruned: options.onPruned, check: new SubscriptionCheck(since), started: false };
    this.#subscription = sub;
    try {
      const frame = await this.#request<SubscribedFrame>(
        PubFrameType.SUBSCRIBED,
        (id) => {
          sub.requestId = id;
          return encodeSubscribe(id, since);
        },
        options,
      );
      return { pruned: frame.pruned, start: frame.start, head: frame.head };
    } catch (err) {
      if (this.#subscription === sub) this.#subscription = null;
      if (sub.requestId !== 0 && (isPubTransportError(err, PubTransportErrorCode.TIMEOUT) || isPubTransportError(err, PubTransportErrorCode.ABORTED))) {
        // Given up after it was sent: the pub may hold the subscription and push every new blob
        // to a client that drops them, and the protocol has no way to cancel it. Dropping the
        // link is the only way to stop that (and to subscribe again, on a new connection).
        this.#fail(closed('closed after giving up on a subscription the pub may hold'));
      }
      throw err;
    }
  }

  /** Closes the connection; pending requests fail with CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const ended = this.once('close');
    const timer = setTimeout(() => this.#ws.terminate(), CLOSE_TIMEOUT_MS);
    this.#ws.close(1000);
    await ended;
    clearTimeout(timer);
  }
}
