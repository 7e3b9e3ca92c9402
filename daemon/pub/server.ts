/**
 * The pub server: a WebSocket server (binary frames of protocol/pub-wire.ts) in front of the
 * BlobStore. It knows nothing of groups or users: connections are anonymous, nothing it logs
 * names a connection or a blob, and it logs no content, hashes or addresses.
 *
 * Per connection: HELLO first; then POST / FETCH / SUBSCRIBE requests, answered by request id
 * and possibly out of order. Bad frames get a typed ERROR frame (request-level errors keep the
 * connection; connection-level ones close it), a frame of another version gets REFUSE and a
 * close, a text frame a close (1003), a frame above maxFrameBytes a close (1009).
 */
import { mkdir, access, statfs, constants as fsConstants } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import createDebug from 'debug';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { isProtocolError } from '../../protocol/errors.js';
import { blobHash, verifyPow } from '../../protocol/pow.js';
import {
  PUB_WIRE_VERSION,
  PubErrorCode,
  PubFrameType,
  checkBlob,
  decodeClientFrame,
  encodeBlob,
  isClientFrameType,
  encodeError,
  encodeHello,
  encodePageHead,
  encodePostAck,
  encodeRefuse,
  encodeSubscribed,
  type ClientFrame,
  type FetchFrame,
  type PostFrame,
  type PubPolicy,
  type SubscribeFrame,
} from '../../protocol/pub-wire.js';
import { HELLO_REQUESTS_MAX, PING_INTERVAL_MS, PUB_DIR, PUMP_PAGE_BLOBS, PUMP_PAGE_BYTES, SEND_HIGH_WATER_BYTES, STORE_DIR, type PubLimits } from './constants.js';
import { rawDataBytes } from './ws.js';
import { PubError, PubErrorCodes } from './errors.js';
import { TokenBucket, policyFrom, resolveLimits } from './policy.js';
import { AppendEvent, BlobStore, type BlobReader, type EntriesPage, type SincePage, type StoredBlob } from './store/index.js';

const debug = createDebug('snug:pub');

/** A structured log sink: one event with flat, content-free fields. */
export type PubLog = (event: string, fields?: Readonly<Record<string, string | number | boolean>>) => void;

/** A loggable code for a store error: ours, LevelDB's (e.g. LEVEL_IO_ERROR), or ERR_STORE. */
function storeErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'ERR_STORE';
}

/** The default sink: the `snug:pub` debug namespace. */
export const debugLog: PubLog = (event, fields = {}) => debug('%s %o', event, fields);

export interface PubServerInit {
  /** The pub's home; the store lives in HOME/pub/blobs. */
  readonly home: string;
  /** Where to listen; port 0 picks a free port. */
  readonly listen: { readonly host: string; readonly port: number };
  readonly limits?: Partial<PubLimits>;
  readonly log?: PubLog;
}

export interface PubStats {
  readonly blobs: number;
  readonly bytes: number;
  readonly connections: number;
  readonly subscriptions: number;
  /** Posts stored (new or duplicate) per second over the last 10 s. */
  readonly postsPerSecond: number;
  /** Posts stored since start (new blobs). */
  readonly posts: number;
  /** Posts answered as duplicates since start. */
  readonly duplicates: number;
  /** Requests and connections refused since start, by error name. */
  readonly rejected: Readonly<Record<string, number>>;
  /** First cursor the store can still hold, and the last assigned. */
  readonly start: bigint;
  readonly head: bigint;
}

/** Close codes the pub uses. */
export const PubCloseCode = {
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  POLICY_VIOLATION: 1008,
  TRY_AGAIN_LATER: 1013,
} as const;

const RATE_WINDOW_SECONDS = 10;
/**
 * Sockets the HTTP server holds beyond maxConnections: room for handshakes in progress, and for
 * answering a connection over the limit with TOO_MANY_CONNECTIONS. Sockets past it are closed
 * as they are accepted, so half-open requests cannot use up the process's file descriptors.
 */
const HANDSHAKE_SOCKETS_MAX = 64;
/** A failed store read is logged at most this often (ms); the stats line counts them all. */
const STORE_ERROR_LOG_MS = 10_000;
/** Time a socket has to send its whole upgrade request (ms). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** How often the HTTP server looks for sockets past that time (ms). */
const HANDSHAKE_CHECK_INTERVAL_MS = 1_000;
/** Bytes a BLOB frame adds to its blob: header, request id, cursor, length. */
const BLOB_FRAME_OVERHEAD_BYTES = 2 + 4 + 8 + 4;

/** Counts events per second over a sliding window. */
class RateMeter {
  readonly #buckets = new Map<number, number>();
  add(n = 1): void {
    const s = Math.floor(Date.now() / 1000);
    this.#buckets.set(s, (this.#buckets.get(s) ?? 0) + n);
    for (const k of this.#buckets.keys()) if (k <= s - RATE_WINDOW_SECONDS) this.#buckets.delete(k);
  }
  perSecond(): number {
    const s = Math.floor(Date.now() / 1000);
    let total = 0;
    for (const [k, v] of this.#buckets) if (k > s - RATE_WINDOW_SECONDS) total += v;
    return total / RATE_WINDOW_SECONDS;
  }
}

function errorName(code: PubErrorCode): string {
  return Object.entries(PubErrorCode).find(([, v]) => v === code)?.[0] ?? String(code);
}

/** One client connection. Anonymous: it carries no identifier and is never logged. */
class Connection {
  readonly ws: WebSocket;
  readonly #server: PubServer;
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
  closed = false;
  alive = true;

  constructor(server: PubServer, ws: WebSocket, limits: PubLimits) {
    this.#server = server;
    this.ws = ws;
    this.#bucket = new TokenBucket(limits.postsPerSecond, limits.postBurst);
    this.#requests = new TokenBucket(limits.requestsPerSecond, limits.requestBurst);
  }

  get subscribed(): boolean {
    return this.#subscription !== null;
  }

  /** Sends a frame without waiting; a peer that does not read is dropped. */
  send(frame: Uint8Array): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > SEND_HIGH_WATER_BYTES * 4) {
      this.terminate();
      return;
    }
    this.ws.send(frame);
  }

  /**
   * Sends one frame made of `parts` as a fragmented WebSocket message (so a page read from the
   * store is never copied into one buffer), the fragments back to back with nothing between
   * them. With `wait`, or when the bytes queued for sending are above the high-water mark,
   * resolves once the last fragment is handed to the socket. False if the connection is gone.
   */
  sendParts(parts: readonly Uint8Array[], wait: boolean): Promise<boolean> {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return Promise.resolve(false);
    if (this.ws.bufferedAmount > SEND_HIGH_WATER_BYTES * 4) {
      this.terminate();
      return Promise.resolve(false);
    }
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) this.ws.send(parts[i]!, { binary: true, fin: false });
    if (!wait && this.ws.bufferedAmount <= SEND_HIGH_WATER_BYTES) {
      this.ws.send(parts[last]!, { binary: true, fin: true });
      return Promise.resolve(!this.closed);
    }
    return new Promise((resolve) => this.ws.send(parts[last]!, { binary: true, fin: true }, (err) => resolve(!err && !this.closed)));
  }

  /** Sends a frame and resolves once it is handed to the socket (false if the connection is gone). */
  sendAndWait(frame: Uint8Array): Promise<boolean> {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => this.ws.send(frame, (err) => resolve(!err && !this.closed)));
  }

  /**
   * Sends frames back to back; waits (for the last one to reach the socket) only when the bytes
   * queued for sending are above the high-water mark. False if the connection is gone.
   */
  async sendPaced(frames: readonly Uint8Array[]): Promise<boolean> {
    const last = frames.length - 1;
    for (let i = 0; i < last; i++) this.send(frames[i]!);
    const final = frames[last];
    if (final === undefined || this.closed) return !this.closed;
    if (this.ws.bufferedAmount + final.length <= SEND_HIGH_WATER_BYTES) {
      this.send(final);
      return !this.closed;
    }
    return this.sendAndWait(final);
  }

  error(requestId: number, code: PubErrorCode, retryAfterMs = 0): void {
    this.#server.countRejected(code);
    this.send(encodeError(requestId, code, retryAfterMs));
  }

  /** A connection-level error: the ERROR frame, then a close. */
  fatal(code: PubErrorCode, closeCode: number = PubCloseCode.PROTOCOL_ERROR): void {
    this.error(0, code);
    this.close(closeCode);
  }

  close(code: number, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
    this.#server.connectionGone(this);
  }

  terminate(): void {
    this.closed = true;
    this.ws.terminate();
    this.#server.connectionGone(this);
  }

  onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) {
      this.#server.countRejected(PubErrorCode.MALFORMED_FRAME);
      this.close(PubCloseCode.UNSUPPORTED_DATA, 'binary frames only');
      return;
    }
    const bytes = rawDataBytes(data);
    if (bytes.length > 0 && bytes[0] !== PUB_WIRE_VERSION) {
      this.#server.countRejected(PubErrorCode.MALFORMED_FRAME);
      this.send(encodeRefuse());
      this.close(PubCloseCode.PROTOCOL_ERROR, 'unsupported version');
      return;
    }
    let frame: ClientFrame;
    try {
      frame = decodeClientFrame(bytes, { maxBytes: this.#server.limits.maxFrameBytes });
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      const type = bytes[1];
      let code: PubErrorCode = PubErrorCode.MALFORMED_FRAME;
      if (bytes.length > this.#server.limits.maxFrameBytes) code = PubErrorCode.FRAME_TOO_LARGE;
      else if (type !== undefined && !isClientFrameType(type)) code = PubErrorCode.UNKNOWN_FRAME;
      this.fatal(code);
      return;
    }
    if (frame.type === PubFrameType.HELLO_REQUEST) {
      this.#helloRequests += 1;
      if (this.#helloRequests > HELLO_REQUESTS_MAX) return this.fatal(PubErrorCode.RATE_LIMITED, PubCloseCode.POLICY_VIOLATION);
      this.send(encodeHello(this.#server.policy));
      return;
    }
    if (frame.requestId === 0) {
      this.fatal(PubErrorCode.MALFORMED_FRAME);
      return;
    }
    if (this.#server.stopping) {
      this.error(frame.requestId, PubErrorCode.SHUTTING_DOWN);
      return;
    }
    const limits = this.#server.limits;
    if (frame.type !== PubFrameType.POST) {
      const wait = this.#requests.take();
      if (wait > 0) {
        this.error(frame.requestId, PubErrorCode.RATE_LIMITED, wait);
        return;
      }
    }
    if (this.#inflight >= limits.maxInflight) {
      this.error(frame.requestId, PubErrorCode.BUSY);
      return;
    }
    this.#inflight += 1;
    if (this.#inflight >= limits.maxInflight) this.ws.pause();
    const done = () => {
      this.#inflight -= 1;
      if (this.#inflight < limits.maxInflight && !this.closed) this.ws.resume();
    };
    switch (frame.type) {
      case PubFrameType.POST:
        // Posts run concurrently (they meet in the store's group commit); stop() waits for them.
        this.#server.trackWrite(this.#post(frame).finally(done));
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
    const server = this.#server;
    const wait = this.#bucket.take();
    if (wait > 0) return this.error(frame.requestId, PubErrorCode.RATE_LIMITED, wait);
    const bad = checkBlob(frame.blob, server.policy.blobSizes);
    if (bad !== null) return this.error(frame.requestId, bad);
    const policy = server.policy;
    const hash = blobHash(frame.blob);
    if (!verifyPow(policy.powContext, hash, frame.nonce, policy.powDifficulty)) {
      return this.error(frame.requestId, PubErrorCode.BAD_POW);
    }
    let result;
    try {
      result = await server.store.put(frame.blob, { hash });
    } catch (err) {
      const code = server.stopping ? PubErrorCode.SHUTTING_DOWN : PubErrorCode.INTERNAL;
      server.storeFailed(err, { fatal: true });
      return this.error(frame.requestId, code);
    }
    server.countPost(result.duplicate);
    this.send(encodePostAck(frame.requestId, result.cursor, result.duplicate));
  }

  /**
   * Answers a FETCH: one PAGE, or, for a limit above maxPageBlobs, pages back to back (all but
   * the last flagged `continues`) read from one store iterator, pausing while the socket's send
   * queue is above its high-water mark: a client that stops reading costs at most that.
   */
  async #fetch(frame: FetchFrame): Promise<void> {
    if (frame.limit === 0) return this.error(frame.requestId, PubErrorCode.BAD_REQUEST);
    const server = this.#server;
    const limits = server.limits;
    let reader: BlobReader | undefined;
    // The next page is read while the current one is sent (LevelDB reads run off the event loop).
    let reading: Promise<EntriesPage> | undefined;
    let sent = 0;
    try {
      reader = server.store.reader(frame.since, { streaming: frame.limit > limits.maxPageBlobs });
      reading = reader.nextEntries(Math.min(frame.limit, limits.maxPageBlobs), limits.maxPageBytes);
      for (;;) {
        const { runs, count, bytes: _bytes, ...head } = await reading;
        reading = undefined;
        sent += count;
        const continues = head.more && count > 0 && sent < frame.limit;
        const parts = [encodePageHead({ requestId: frame.requestId, ...head, continues }, count, runs), ...runs];
        if (!continues) {
          await this.sendParts(parts, true);
          return;
        }
        reading = reader.nextEntries(Math.min(frame.limit - sent, limits.maxPageBlobs), limits.maxPageBytes);
        if (!(await this.sendParts(parts, false))) return;
      }
    } catch (err) {
      server.storeFailed(err, { fatal: false });
      return this.error(frame.requestId, server.stopping ? PubErrorCode.SHUTTING_DOWN : PubErrorCode.INTERNAL);
    } finally {
      await reading?.catch(() => {});
      await reader?.close().catch(() => {});
    }
  }

  async #subscribe(frame: SubscribeFrame): Promise<void> {
    if (this.#subscription !== null) return this.error(frame.requestId, PubErrorCode.ALREADY_SUBSCRIBED);
    const stats = this.#server.store.stats();
    const pruned = frame.since + 1n < stats.start;
    this.#subscription = { requestId: frame.requestId, cursor: frame.since, live: false, told: pruned ? stats.start : 0n };
    this.send(encodeSubscribed(frame.requestId, pruned, stats.start, stats.head));
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
    if (!sub || !sub.live || this.closed) return;
    const first = blobs[0];
    const last = blobs[blobs.length - 1];
    if (first === undefined || last === undefined || last.cursor <= sub.cursor) return;
    if (first.cursor !== sub.cursor + 1n || this.ws.bufferedAmount + bytes > SEND_HIGH_WATER_BYTES) {
      sub.live = false;
      void this.#pump();
      return;
    }
    for (const f of framesFor(sub.requestId)) this.send(f);
    sub.cursor = last.cursor;
  }

  /**
   * Pushes the blobs after the subscription's cursor from the store, page after page on one
   * reader, until the subscriber has everything stored; from then on deliverLive sends new blobs.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    const server = this.#server;
    const limits = server.limits;
    const pageBlobs = Math.min(limits.maxPageBlobs, PUMP_PAGE_BLOBS);
    const pageBytes = Math.min(limits.maxPageBytes, PUMP_PAGE_BYTES);
    let reader: BlobReader | undefined;
    let reading: Promise<SincePage> | undefined;
    try {
      while (!this.closed && !server.stopping && this.#subscription) {
        const sub = this.#subscription;
        if (reading === undefined && sub.cursor >= server.store.stats().head) {
          // Caught up: from here on every new blob comes through deliverLive (no await between
          // this check and the switch, so none is missed).
          sub.live = true;
          return;
        }
        reader ??= server.store.reader(sub.cursor, { streaming: true });
        const page = await (reading ?? reader.next(pageBlobs, pageBytes));
        reading = undefined;
        if (page.pruned && page.start > sub.told) {
          // Blobs this subscriber had not received yet were pruned: say so, never skip silently
          // (once per prune: the SUBSCRIBED answer may have said so already).
          sub.told = page.start;
          this.send(encodeSubscribed(sub.requestId, true, page.start, page.head));
        }
        sub.cursor = page.next;
        // Read the next page while this one is sent, when more are known to follow.
        if (page.more) reading = reader.next(pageBlobs, pageBytes);
        if (!(await this.sendPaced(page.blobs.map((b) => encodeBlob(sub.requestId, b.cursor, b.blob))))) return;
      }
    } catch (err) {
      if (!this.closed && !server.stopping) {
        server.storeFailed(err, { fatal: false });
        this.fatal(PubErrorCode.INTERNAL, PubCloseCode.GOING_AWAY);
      }
    } finally {
      this.#pumping = false;
      const r = reader;
      if (r) void (reading ?? Promise.resolve()).catch(() => {}).then(() => r.close()).catch(() => {});
    }
  }
}

export class PubServer extends EventTarget {
  readonly limits: PubLimits;
  readonly #home: string;
  readonly #listen: { readonly host: string; readonly port: number };
  readonly #log: PubLog;
  #store: BlobStore | undefined;
  #policy: PubPolicy | undefined;
  #http: Server | undefined;
  #wss: WebSocketServer | undefined;
  readonly #connections = new Set<Connection>();
  readonly #inflight = new Set<Promise<void>>();
  #abort: AbortController | undefined;
  #timers: NodeJS.Timeout[] = [];
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #address: { host: string; port: number } | undefined;
  #posts = 0;
  #duplicates = 0;
  readonly #rate = new RateMeter();
  readonly #rejected: Record<string, number> = {};
  #storeErrors = 0;
  #storeErrorLoggedAt = -Infinity;
  #resolveFailed: (err: PubError) => void = () => {};
  readonly #failed = new Promise<PubError>((resolve) => {
    this.#resolveFailed = resolve;
  });

  constructor(init: PubServerInit) {
    super();
    this.limits = resolveLimits(init.limits);
    this.#home = init.home;
    this.#listen = init.listen;
    this.#log = init.log ?? debugLog;
  }

  /** The policy announced in every hello (available once started). */
  get policy(): PubPolicy {
    if (!this.#policy) throw new PubError(PubErrorCodes.STORE_CLOSED, 'the pub is not started');
    return this.#policy;
  }

  /** The store (available once started). */
  get store(): BlobStore {
    if (!this.#store) throw new PubError(PubErrorCodes.STORE_CLOSED, 'the pub is not started');
    return this.#store;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Where the pub listens, once started. */
  get address(): { host: string; port: number } | undefined {
    return this.#address;
  }

  /** Sends new blobs to every caught-up subscriber, each BLOB frame encoded once per request id. */
  #fanOut(blobs: readonly StoredBlob[]): void {
    let bytes = 0;
    for (const b of blobs) bytes += b.blob.length + BLOB_FRAME_OVERHEAD_BYTES;
    const frames = new Map<number, Uint8Array[]>();
    const framesFor = (requestId: number): Uint8Array[] => {
      let f = frames.get(requestId);
      if (f === undefined) {
        f = blobs.map((b) => encodeBlob(requestId, b.cursor, b.blob));
        frames.set(requestId, f);
      }
      return f;
    };
    for (const conn of this.#connections) conn.deliverLive(blobs, bytes, framesFor);
  }

  /** Opens the store (pruning it), listens, and resolves with the address listened on. */
  async start(options: { signal?: AbortSignal } = {}): Promise<{ host: string; port: number }> {
    if (this.#address) return this.#address;
    options.signal?.throwIfAborted();
    const dir = join(this.#home, PUB_DIR);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await access(dir, fsConstants.W_OK);
    } catch (err) {
      throw new PubError(PubErrorCodes.HOME_UNWRITABLE, `cannot write the pub's home ${this.#home}`, { cause: err });
    }
    const store = new BlobStore({
      path: join(dir, STORE_DIR),
      quotaBytes: this.limits.quotaBytes,
      retentionMs: this.limits.retentionMs,
      blobSizes: policyFrom(this.limits, new Uint8Array(32)).blobSizes,
    });
    await store.open();
    this.#store = store;
    this.#stopping = false;
    this.#stopped = undefined;
    try {
      await this.#prune('open');
      this.#policy = policyFrom(this.limits, store.powContext);
      store.addEventListener('append', (event) => {
        if (event instanceof AppendEvent) this.#fanOut(event.blobs);
      });
      this.#address = await this.#listenOn();
    } catch (err) {
      await this.#closeListener();
      await store.close().catch(() => {});
      this.#store = undefined;
      throw err;
    }
    this.#abort = new AbortController();
    this.#timers.push(setInterval(() => void this.#prune('retention'), this.limits.pruneIntervalMs));
    if (this.limits.statsIntervalMs > 0) {
      this.#timers.push(setInterval(() => this.#logStats(), this.limits.statsIntervalMs));
    }
    this.#timers.push(setInterval(() => this.#ping(), PING_INTERVAL_MS));
    for (const t of this.#timers) t.unref();
    options.signal?.addEventListener('abort', () => void this.stop(), { once: true, signal: this.#abort.signal });
    const s = store.stats();
    await this.#checkDiskSpace(dir, s.bytes);
    this.#log('listening', { host: this.#address.host, port: this.#address.port, blobs: s.blobs, bytes: s.bytes, powDifficulty: this.limits.powDifficulty });
    return this.#address;
  }

  /**
   * Warns when the disk cannot hold the quota: the pub would fill it and stop (STORE_FAILED)
   * before pruning ever made room. Not an error: the operator may free space later.
   */
  async #checkDiskSpace(dir: string, storedBytes: number): Promise<void> {
    try {
      const fs = await statfs(dir);
      const freeBytes = fs.bavail * fs.bsize;
      if (storedBytes + freeBytes < this.limits.quotaBytes) {
        this.#log('quota-exceeds-disk', { quotaBytes: this.limits.quotaBytes, storedBytes, freeBytes });
      }
    } catch {
      // statfs is not supported everywhere; the check is advice only.
    }
  }

  async #listenOn(): Promise<{ host: string; port: number }> {
    const http = createServer({ headersTimeout: HANDSHAKE_TIMEOUT_MS, requestTimeout: HANDSHAKE_TIMEOUT_MS, connectionsCheckingInterval: HANDSHAKE_CHECK_INTERVAL_MS }, (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end('snug pub: WebSocket only\n');
    });
    http.on('clientError', (_err, socket) => socket.destroy());
    // Upgraded WebSockets stay counted by the server, so this caps every socket the pub holds.
    http.maxConnections = this.limits.maxConnections + HANDSHAKE_SOCKETS_MAX;
    this.#http = http;
    const wss = new WebSocketServer({
      server: http,
      maxPayload: this.limits.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    wss.on('error', () => {}); // listen errors are taken from the http server below
    wss.on('connection', (ws, req) => this.#accept(ws, req));
    this.#wss = wss;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        http.off('listening', onListening);
        if (err.code === 'EADDRINUSE') {
          reject(new PubError(PubErrorCodes.PORT_IN_USE, `${this.#listen.host}:${this.#listen.port} is already in use`, { cause: err }));
        } else {
          reject(new PubError(PubErrorCodes.LISTEN_FAILED, `cannot listen on ${this.#listen.host}:${this.#listen.port} (${err.code ?? 'error'})`, { cause: err }));
        }
      };
      const onListening = () => {
        http.off('error', onError);
        resolve();
      };
      http.once('error', onError);
      http.once('listening', onListening);
      http.listen({ host: this.#listen.host, port: this.#listen.port });
    });
    const a = http.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  #accept(ws: WebSocket, _req: IncomingMessage): void {
    ws.on('error', () => {}); // e.g. an oversized frame: ws closes the socket with 1009 itself
    if (this.#stopping) {
      ws.close(PubCloseCode.GOING_AWAY);
      return;
    }
    if (this.#connections.size >= this.limits.maxConnections) {
      this.countRejected(PubErrorCode.TOO_MANY_CONNECTIONS);
      ws.send(encodeError(0, PubErrorCode.TOO_MANY_CONNECTIONS));
      ws.close(PubCloseCode.TRY_AGAIN_LATER, 'too many connections');
      return;
    }
    const conn = new Connection(this, ws, this.limits);
    this.#connections.add(conn);
    ws.on('message', (data, isBinary) => {
      try {
        conn.onMessage(data, isBinary);
      } catch {
        conn.fatal(PubErrorCode.INTERNAL, PubCloseCode.GOING_AWAY);
      }
    });
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('close', () => {
      conn.closed = true;
      this.connectionGone(conn);
    });
    ws.send(encodeHello(this.policy));
  }

  #ping(): void {
    for (const conn of this.#connections) {
      if (!conn.alive) {
        conn.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  /** Called by a connection once it is closed. */
  connectionGone(conn: Connection): void {
    this.#connections.delete(conn);
  }

  /** Keeps track of a post so stop() can wait for it to reach the disk and be acknowledged. */
  trackWrite(work: Promise<void>): void {
    const p = work.catch(() => {});
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  countRejected(code: PubErrorCode): void {
    const name = errorName(code);
    this.#rejected[name] = (this.#rejected[name] ?? 0) + 1;
  }

  countPost(duplicate: boolean): void {
    if (duplicate) this.#duplicates += 1;
    else this.#posts += 1;
    this.#rate.add();
  }

  /** Resolves with the error if the store failed and the pub stopped itself (see STORE_FAILED). */
  get failed(): Promise<PubError> {
    return this.#failed;
  }

  /**
   * A store operation failed. A failed write (`fatal`: a post, a prune) leaves LevelDB refusing
   * every later write, so the pub logs it once and stops itself; `failed` then resolves. A
   * failed read is answered INTERNAL and logged, at most once every STORE_ERROR_LOG_MS (the
   * stats line counts them all), so a failing disk cannot flood the log.
   */
  storeFailed(err: unknown, options: { fatal: boolean }): void {
    if (this.#stopping) return;
    const code = storeErrorCode(err);
    if (code === PubErrorCodes.STORE_CLOSED) return;
    this.#storeErrors += 1;
    // BAD_BLOB is the caller's mistake, not the store's (the server checks blobs first).
    if (options.fatal && code !== PubErrorCodes.BAD_BLOB) {
      this.#log('store-failed', { code });
      this.#resolveFailed(new PubError(PubErrorCodes.STORE_FAILED, `a write to the store failed (${code}); the pub stopped`, { cause: err }));
      void this.stop();
      return;
    }
    const now = Date.now();
    if (now - this.#storeErrorLoggedAt < STORE_ERROR_LOG_MS) return;
    this.#storeErrorLoggedAt = now;
    this.#log('store-error', { code, storeErrors: this.#storeErrors });
  }

  async #prune(reason: 'open' | 'retention'): Promise<void> {
    const store = this.#store;
    if (!store || !store.isOpen) return;
    try {
      const r = await store.prune();
      if (r.removed > 0) this.#log('pruned', { reason, blobs: r.removed, bytes: r.bytes });
    } catch (err) {
      if (reason === 'open') throw err;
      this.storeFailed(err, { fatal: true });
    }
  }

  stats(): PubStats {
    const s = this.#store?.stats() ?? { blobs: 0, bytes: 0, start: 1n, head: 0n };
    let subscriptions = 0;
    for (const c of this.#connections) if (c.subscribed) subscriptions += 1;
    return {
      blobs: s.blobs,
      bytes: s.bytes,
      connections: this.#connections.size,
      subscriptions,
      postsPerSecond: this.#rate.perSecond(),
      posts: this.#posts,
      duplicates: this.#duplicates,
      rejected: { ...this.#rejected },
      start: s.start,
      head: s.head,
    };
  }

  #logStats(): void {
    const s = this.stats();
    const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
    const mem = process.memoryUsage();
    this.#log('stats', {
      blobs: s.blobs,
      bytes: s.bytes,
      connections: s.connections,
      subscriptions: s.subscriptions,
      postsPerSecond: Math.round(s.postsPerSecond * 10) / 10,
      posts: s.posts,
      duplicates: s.duplicates,
      rejected,
      storeErrors: this.#storeErrors,
      rssBytes: mem.rss,
      heapBytes: mem.heapUsed,
      externalBytes: mem.external,
    });
  }

  async #closeListener(): Promise<void> {
    const http = this.#http;
    const wss = this.#wss;
    this.#http = undefined;
    this.#wss = undefined;
    wss?.close();
    if (http) {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
  }

  /**
   * Graceful stop: stops accepting, answers new requests SHUTTING_DOWN, waits for every request
   * already being carried out (posts reach the disk and are acknowledged), closes every
   * connection (1001) and the store.
   */
  stop(): Promise<void> {
    if (!this.#store) return Promise.resolve();
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    this.#abort?.abort();
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    // No new connections from here on.
    this.#http?.close();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    const closing = [...this.#connections].map(
      (conn) =>
        new Promise<void>((resolve) => {
          if (conn.ws.readyState === conn.ws.CLOSED) return resolve();
          const timer = setTimeout(() => {
            conn.ws.terminate();
            resolve();
          }, 2_000);
          conn.ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          conn.close(PubCloseCode.GOING_AWAY, 'pub stopping');
        }),
    );
    await Promise.all(closing);
    await this.#closeListener();
    const store = this.#store;
    await store?.close();
    this.#log('stopped', { blobs: store?.stats().blobs ?? 0 });
    this.#store = undefined;
    this.#address = undefined;
  }
}
