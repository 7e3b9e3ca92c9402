/**
 * One client connection of the pub: HELLO first; then POST / FETCH / SUBSCRIBE requests,
 * answered by request id and possibly out of order. Bad frames get a typed ERROR frame
 * (request-level errors keep the connection; connection-level ones close it), a frame of
 * another version gets REFUSE and a close, a text frame a close (1003), a frame above
 * maxFrameBytes a close (1009, by the WebSocket layer).
 *
 * A connection knows the pub that accepted it only through ConnectionHost: the limits and the
 * policy, the store, whether the pub is stopping, and where to report what it did.
 */
import type { WebSocket, RawData } from 'ws';
import { isProtocolError } from '../../protocol/errors.js';
import { blobHash, verifyPow } from '../../protocol/pow.js';
import {
  PUB_WIRE_VERSION,
  ErrorFrameCode,
  PubCloseCode,
  PubFrameType,
  checkBlob,
  decodeClientFrame,
  encodeBlobFrames,
  encodeError,
  encodeHello,
  encodePageHead,
  encodePostAck,
  encodeRefuse,
  encodeSubscribed,
  isClientFrameType,
  messageBytes,
  type ClientFrame,
  type FetchFrame,
  type PostFrame,
  type PubPolicy,
  type SubscribeFrame,
} from '../../protocol/pub-wire.js';
import { HELLO_REQUESTS_MAX, PUMP_PAGE_BLOBS, PUMP_PAGE_BYTES, SEND_HIGH_WATER_BYTES, type PubLimits } from './constants.js';
import { TokenBucket } from './policy.js';
import type { BlobReader, BlobStore, EntriesPage, StoredBlob } from './store/index.js';

/** What a connection needs from the pub that accepted it (PubServer gives every connection one). */
export interface ConnectionHost {
  readonly limits: PubLimits;
  /** The policy every hello announces. */
  readonly policy: PubPolicy;
  readonly store: Pick<BlobStore, 'put' | 'reader' | 'stats'>;
  /** The pub is stopping: new requests are answered SHUTTING_DOWN. */
  readonly stopping: boolean;
  /** A request or the connection was refused with `code` (the stats count them). */
  rejected(code: ErrorFrameCode): void;
  /** A post was stored (`duplicate`: the blob was there already). */
  posted(duplicate: boolean): void;
  /** Work stop() waits for: a post, until it is on disk and acknowledged. */
  track(work: Promise<void>): void;
  /** A store operation failed (`fatal`: a write; the pub stops itself). */
  storeFailed(err: unknown, options: { fatal: boolean }): void;
  /** The connection is closed. */
  closed(conn: Connection): void;
}

/**
 * The socket under a connection's WebSocket (the upgrade request's `socket`), corked while a
 * burst of frames is handed to `ws`, so that a page's fragments or a run of BLOB frames leave in
 * one write instead of one system call per frame.
 */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** One client connection. Anonymous: it carries no identifier and is never logged. */
export class Connection {
  readonly #ws: WebSocket;
  readonly #socket: Corkable | undefined;
  readonly #host: ConnectionHost;
  readonly #bucket: TokenBucket;
  /** FETCH and SUBSCRIBE requests (posts have #bucket). */
  readonly #requests: TokenBucket;
  #helloRequests = 0;
  #inflight = 0;
  #fetchChain: Promise<void> = Promise.resolve();
  /** `live`: caught up, so new blobs are sent from the post's memory without reading the store. */
  /** `told`: the store start the subscriber was last told of in a SUBSCRIBED that said pruned. */
  #subscription: { requestId: number; cursor: bigint; live: boolean; told: bigint } | null = null;
  #pumping = false;
  #closed = false;
  /** A pong came since the last ping. */
  #alive = true;

  /**
   * Serves `ws` for `host` (the PubServer that accepted it): frames in, answers out. `socket`,
   * the socket under `ws`, is corked around bursts of frames (see Corkable).
   */
  constructor(host: ConnectionHost, ws: WebSocket, socket?: Corkable) {
    this.#host = host;
    this.#ws = ws;
    this.#socket = socket;
    const limits = host.limits;
    this.#bucket = new TokenBucket(limits.postsPerSecond, limits.postBurst);
    this.#requests = new TokenBucket(limits.requestsPerSecond, limits.requestBurst);
    ws.on('message', (data, isBinary) => {
      try {
        this.#onMessage(data, isBinary);
      } catch {
        this.#fatal(ErrorFrameCode.INTERNAL, PubCloseCode.GOING_AWAY);
      }
    });
    ws.on('pong', () => {
      this.#alive = true;
    });
    ws.on('close', () => {
      this.#closed = true;
      this.#host.closed(this);
    });
  }

  /** Pings the peer; one that did not answer the last ping is cut. */
  ping(): void {
    if (!this.#alive) return this.#terminate();
    this.#alive = false;
    this.#ws.ping();
  }

  /** Closes with 1001 and resolves once the socket is closed (cut after `graceMs`). */
  stop(graceMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#ws.readyState === this.#ws.CLOSED) return resolve();
      const timer = setTimeout(() => {
        this.#ws.terminate();
        resolve();
      }, graceMs);
      this.#ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#close(PubCloseCode.GOING_AWAY, 'pub stopping');
    });
  }

  get subscribed(): boolean {
    return this.#subscription !== null;
  }

  /** Sends a frame without waiting; a peer that does not read is dropped. */
  #send(frame: Uint8Array): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    if (this.#ws.bufferedAmount > SEND_HIGH_WATER_BYTES * 4) {
      this.#terminate();
      return;
    }
    this.#ws.send(frame);
  }

  /**
   * Sends one frame made of `parts` as a fragmented WebSocket message (so a page read from the
   * store is never copied into one buffer), the fragments back to back with nothing between
   * them. With `wait`, or when the bytes queued for sending are above the high-water mark,
   * resolves once the last fragment is handed to the socket. False if the connection is gone.
   */
  #sendParts(parts: readonly Uint8Array[], wait: boolean): Promise<boolean> {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return Promise.resolve(false);
    if (this.#ws.bufferedAmount > SEND_HIGH_WATER_BYTES * 4) {
      this.#terminate();
      return Promise.resolve(false);
    }
    const last = parts.length - 1;
    this.#socket?.cork();
    try {
      for (let i = 0; i < last; i++) this.#ws.send(parts[i]!, { binary: true, fin: false });
      if (!wait && this.#ws.bufferedAmount <= SEND_HIGH_WATER_BYTES) {
        this.#ws.send(parts[last]!, { binary: true, fin: true });
        return Promise.resolve(!this.#closed);
      }
      return new Promise((resolve) => this.#ws.send(parts[last]!, { binary: true, fin: true }, (err) => resolve(!err && !this.#closed)));
    } finally {
      this.#socket?.uncork();
    }
  }

  /** Sends a frame and resolves once it is handed to the socket (false if the connection is gone). */
  #sendAndWait(frame: Uint8Array): Promise<boolean> {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => this.#ws.send(frame, (err) => resolve(!err && !this.#closed)));
  }

  /**
   * Sends frames back to back; waits (for the last one to reach the socket) only when the bytes
   * queued for sending are above the high-water mark. False if the connection is gone.
   */
  async #sendPaced(frames: readonly Uint8Array[]): Promise<boolean> {
    const last = frames.length - 1;
    const final = frames[last];
    this.#socket?.cork();
    try {
      for (let i = 0; i < last; i++) this.#send(frames[i]!);
      if (final === undefined || this.#closed) return !this.#closed;
      if (this.#ws.bufferedAmount + final.length <= SEND_HIGH_WATER_BYTES) {
        this.#send(final);
        return !this.#closed;
      }
      return this.#sendAndWait(final);
    } finally {
      this.#socket?.uncork();
    }
  }

  #error(requestId: number, code: ErrorFrameCode, retryAfterMs = 0): void {
    this.#host.rejected(code);
    this.#send(encodeError(requestId, code, retryAfterMs));
  }

  /** A connection-level error: the ERROR frame, then a close. */
  #fatal(code: ErrorFrameCode, closeCode: number = PubCloseCode.PROTOCOL_ERROR): void {
    this.#error(0, code);
    this.#close(closeCode);
  }

  #close(code: number, reason = ''): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ws.close(code, reason);
    this.#host.closed(this);
  }

  #terminate(): void {
    this.#closed = true;
    this.#ws.terminate();
    this.#host.closed(this);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closed) return;
    if (!isBinary) {
      this.#host.rejected(ErrorFrameCode.MALFORMED_FRAME);
      this.#close(PubCloseCode.UNSUPPORTED_DATA, 'binary frames only');
      return;
    }
    const bytes = messageBytes(data);
    if (bytes.length > 0 && bytes[0] !== PUB_WIRE_VERSION) {
      this.#host.rejected(ErrorFrameCode.MALFORMED_FRAME);
      this.#send(encodeRefuse());
      this.#close(PubCloseCode.PROTOCOL_ERROR, 'unsupported version');
      return;
    }
    let frame: ClientFrame;
    try {
      frame = decodeClientFrame(bytes, { maxBytes: this.#host.limits.maxFrameBytes });
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      const type = bytes[1];
      let code: ErrorFrameCode = ErrorFrameCode.MALFORMED_FRAME;
      if (bytes.length > this.#host.limits.maxFrameBytes) code = ErrorFrameCode.FRAME_TOO_LARGE;
      else if (type !== undefined && !isClientFrameType(type)) code = ErrorFrameCode.UNKNOWN_FRAME;
      this.#fatal(code);
      return;
    }
    if (frame.type === PubFrameType.HELLO_REQUEST) {
      this.#helloRequests += 1;
      if (this.#helloRequests > HELLO_REQUESTS_MAX) return this.#fatal(ErrorFrameCode.RATE_LIMITED, PubCloseCode.POLICY_VIOLATION);
      this.#send(encodeHello(this.#host.policy));
      return;
    }
    if (frame.requestId === 0) {
      this.#fatal(ErrorFrameCode.MALFORMED_FRAME);
      return;
    }
    if (this.#host.stopping) {
      this.#error(frame.requestId, ErrorFrameCode.SHUTTING_DOWN);
      return;
    }
    const limits = this.#host.limits;
    if (frame.type !== PubFrameType.POST) {
      const wait = this.#requests.take();
      if (wait > 0) {
        this.#error(frame.requestId, ErrorFrameCode.RATE_LIMITED, wait);
        return;
      }
    }
    if (this.#inflight >= limits.maxInflight) {
      this.#error(frame.requestId, ErrorFrameCode.BUSY);
      return;
    }
    this.#inflight += 1;
    if (this.#inflight >= limits.maxInflight) this.#ws.pause();
    const done = () => {
      this.#inflight -= 1;
      if (this.#inflight < limits.maxInflight && !this.#closed) this.#ws.resume();
    };
    switch (frame.type) {
      case PubFrameType.POST:
        // Posts run concurrently (they meet in the store's group commit); stop() waits for them.
        this.#host.track(this.#post(frame).finally(done));
        break;
      case PubFrameType.FETCH: {
        // Fetches run one at a time per connection, so a client that does not read holds at
        // most one page in the pub's memory.
        const work = this.#fetchChain.then(() => this.#fetch(frame));
        this.#fetchChain = work.catch(() => {});
        void work.catch(() => {}).finally(done);
        break;
      }
      case PubFrameType.SUBSCRIBE:
        void this.#subscribe(frame).catch(() => {}).finally(done);
        break;
    }
  }

  async #post(frame: PostFrame): Promise<void> {
    const host = this.#host;
    const wait = this.#bucket.take();
    if (wait > 0) return this.#error(frame.requestId, ErrorFrameCode.RATE_LIMITED, wait);
    const bad = checkBlob(frame.blob, host.policy.blobSizes);
    if (bad !== null) return this.#error(frame.requestId, bad);
    const policy = host.policy;
    const hash = blobHash(frame.blob);
    if (!verifyPow(policy.powContext, hash, frame.nonce, policy.powDifficulty)) {
      return this.#error(frame.requestId, ErrorFrameCode.BAD_POW);
    }
    let result;
    try {
      result = await host.store.put(frame.blob, { hash });
    } catch (err) {
      const code = host.stopping ? ErrorFrameCode.SHUTTING_DOWN : ErrorFrameCode.INTERNAL;
      host.storeFailed(err, { fatal: true });
      return this.#error(frame.requestId, code);
    }
    host.posted(result.duplicate);
    this.#send(encodePostAck(frame.requestId, result.cursor, result.duplicate));
  }

  /**
   * Answers a FETCH: one PAGE, or, for a limit above maxPageBlobs, pages back to back (all but
   * the last flagged `continues`) read from one store iterator, pausing while the socket's send
   * queue is above its high-water mark: a client that stops reading costs at most that.
   */
  async #fetch(frame: FetchFrame): Promise<void> {
    if (frame.limit === 0) return this.#error(frame.requestId, ErrorFrameCode.BAD_REQUEST);
    const host = this.#host;
    const limits = host.limits;
    let reader: BlobReader | undefined;
    // The next page is read while the current one is sent (LevelDB reads run off the event loop).
    let reading: Promise<EntriesPage> | undefined;
    let sent = 0;
    try {
      reader = host.store.reader(frame.since, { streaming: frame.limit > limits.maxPageBlobs });
      reading = reader.nextEntries(Math.min(frame.limit, limits.maxPageBlobs), limits.maxPageBytes);
      for (;;) {
        const { runs, count, bytes: _bytes, ...head } = await reading;
        reading = undefined;
        sent += count;
        const continues = head.more && count > 0 && sent < frame.limit;
        const parts = [encodePageHead({ requestId: frame.requestId, ...head, continues }, count, runs), ...runs];
        if (!continues) {
          await this.#sendParts(parts, true);
          return;
        }
        reading = reader.nextEntries(Math.min(frame.limit - sent, limits.maxPageBlobs), limits.maxPageBytes);
        if (!(await this.#sendParts(parts, false))) return;
      }
    } catch (err) {
      host.storeFailed(err, { fatal: false });
      return this.#error(frame.requestId, host.stopping ? ErrorFrameCode.SHUTTING_DOWN : ErrorFrameCode.INTERNAL);
    } finally {
      await reading?.catch(() => {});
      await reader?.close().catch(() => {});
    }
  }

  async #subscribe(frame: SubscribeFrame): Promise<void> {
    if (this.#subscription !== null) return this.#error(frame.requestId, ErrorFrameCode.ALREADY_SUBSCRIBED);
    const stats = this.#host.store.stats();
    const pruned = frame.since + 1n < stats.start;
    this.#subscription = { requestId: frame.requestId, cursor: frame.since, live: false, told: pruned ? stats.start : 0n };
    this.#send(encodeSubscribed(frame.requestId, pruned, stats.start, stats.head));
    // The pump runs until the subscriber is caught up; it is not a request in flight.
    void this.#pump();
  }

  /**
   * New blobs were stored (`blobs`, consecutive cursors). A caught-up subscriber gets them
   * straight away, as frames encoded once for every subscriber with the same request id
   * (`framesFor`); one that is behind, or whose socket is backed up, reads from the store.
   */
  deliverLive(blobs: readonly StoredBlob[], bytes: number, framesFor: (requestId: number) => readonly Uint8Array[]): void {
    const sub = this.#subscription;
    if (!sub || !sub.live || this.#closed) return;
    const first = blobs[0];
    const last = blobs[blobs.length - 1];
    if (first === undefined || last === undefined || last.cursor <= sub.cursor) return;
    if (first.cursor !== sub.cursor + 1n || this.#ws.bufferedAmount + bytes > SEND_HIGH_WATER_BYTES) {
      sub.live = false;
      void this.#pump();
      return;
    }
    this.#socket?.cork();
    for (const f of framesFor(sub.requestId)) this.#send(f);
    this.#socket?.uncork();
    sub.cursor = last.cursor;
  }

  /**
   * Pushes the blobs after the subscription's cursor from the store, page after page on one
   * reader, until the subscriber has everything stored; from then on deliverLive sends new blobs.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    const host = this.#host;
    const limits = host.limits;
    const pageBlobs = Math.min(limits.maxPageBlobs, PUMP_PAGE_BLOBS);
    const pageBytes = Math.min(limits.maxPageBytes, PUMP_PAGE_BYTES);
    let reader: BlobReader | undefined;
    let reading: Promise<EntriesPage> | undefined;
    try {
      while (!this.#closed && !host.stopping && this.#subscription) {
        const sub = this.#subscription;
        if (reading === undefined && sub.cursor >= host.store.stats().head) {
          // Caught up: from here on every new blob comes through deliverLive (no await between
          // this check and the switch, so none is missed).
          sub.live = true;
          return;
        }
        reader ??= host.store.reader(sub.cursor, { streaming: true });
        const page = await (reading ?? reader.nextEntries(pageBlobs, pageBytes));
        reading = undefined;
        if (page.pruned && page.start > sub.told) {
          // Blobs this subscriber had not received yet were pruned: say so, never skip silently
          // (once per prune: the SUBSCRIBED answer may have said so already).
          sub.told = page.start;
          this.#send(encodeSubscribed(sub.requestId, true, page.start, page.head));
        }
        sub.cursor = page.next;
        // Read the next page while this one is sent, when more are known to follow.
        if (page.more) reading = reader.nextEntries(pageBlobs, pageBytes);
        if (!(await this.#sendPaced(encodeBlobFrames(sub.requestId, page.runs, page.count)))) return;
      }
    } catch (err) {
      if (!this.#closed && !host.stopping) {
        host.storeFailed(err, { fatal: false });
        this.#fatal(ErrorFrameCode.INTERNAL, PubCloseCode.GOING_AWAY);
      }
    } finally {
      this.#pumping = false;
      const r = reader;
      if (r) void (reading ?? Promise.resolve()).catch(() => {}).then(() => r.close()).catch(() => {});
    }
  }
}
