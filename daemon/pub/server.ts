/**
 * The pub server: a WebSocket server (binary frames of protocol/pub-wire.ts) in front of the
 * BlobStore. It knows nothing of groups or users: connections are anonymous, nothing it logs
 * names a connection or a blob, and it logs no content, hashes or addresses.
 *
 * It listens, accepts and counts connections (each one a Connection, connection.ts, which
 * answers its frames), fans new blobs out to live subscribers, prunes, logs stats, and stops
 * gracefully.
 *
 * Events (PubServerEvents): `failed`, when a store write failed and the pub stopped itself.
 */
import { mkdir, access, statfs, constants as fsConstants } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import createDebug from 'debug';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorFrameCode, PubCloseCode, encodeBlob, encodeError, encodeHello, errorFrameName, type PubPolicy } from '../../protocol/pub-wire.js';
import { TypedEventTarget } from '../events.js';
import { Connection, type ConnectionHost } from './connection.js';
import { PING_INTERVAL_MS, PUB_DIR, STORE_DIR, type PubLimits } from './constants.js';
import { PubError, PubErrorCode } from './errors.js';
import { policyFrom, resolveLimits } from './policy.js';
import { RateMeter } from './rate-meter.js';
import { BlobStore, type StoredBlob } from './store/index.js';

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
/** Time a connection has to close when the pub stops before it is cut (ms). */
const STOP_GRACE_MS = 2_000;

export interface PubServerEvents {
  /** A write to the store failed and the pub stopped itself (STORE_FAILED). */
  failed: PubError;
}

export class PubServer extends TypedEventTarget<PubServerEvents> {
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
  readonly #failed: Promise<PubError> = this.once('failed');
  /** What every Connection knows of this pub. */
  readonly #host: ConnectionHost;

  constructor(init: PubServerInit) {
    super();
    this.limits = resolveLimits(init.limits);
    this.#home = init.home;
    this.#listen = init.listen;
    this.#log = init.log ?? debugLog;
    const server = this;
    this.#host = {
      limits: this.limits,
      get policy() {
        return server.policy;
      },
      get store() {
        return server.store;
      },
      get stopping() {
        return server.#stopping;
      },
      rejected: (code) => this.#countRejected(code),
      posted: (duplicate) => this.#countPost(duplicate),
      track: (work) => this.#track(work),
      storeFailed: (err, options) => this.#storeFailed(err, options),
      closed: (conn) => {
        this.#connections.delete(conn);
      },
    };
  }

  /** The policy announced in every hello (available once started). */
  get policy(): PubPolicy {
    if (!this.#policy) throw new PubError(PubErrorCode.STORE_CLOSED, 'the pub is not started');
    return this.#policy;
  }

  /** The store (available once started). */
  get store(): BlobStore {
    if (!this.#store) throw new PubError(PubErrorCode.STORE_CLOSED, 'the pub is not started');
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
      throw new PubError(PubErrorCode.HOME_UNWRITABLE, `cannot write the pub's home ${this.#home}`, { cause: err });
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
      store.addEventListener('append', (event) => this.#fanOut(event.detail));
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
          reject(new PubError(PubErrorCode.PORT_IN_USE, `${this.#listen.host}:${this.#listen.port} is already in use`, { cause: err }));
        } else {
          reject(new PubError(PubErrorCode.LISTEN_FAILED, `cannot listen on ${this.#listen.host}:${this.#listen.port} (${err.code ?? 'error'})`, { cause: err }));
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

  #accept(ws: WebSocket, req: IncomingMessage): void {
    ws.on('error', () => {}); // e.g. an oversized frame: ws closes the socket with 1009 itself
    if (this.#stopping) {
      ws.close(PubCloseCode.GOING_AWAY);
      return;
    }
    if (this.#connections.size >= this.limits.maxConnections) {
      this.#countRejected(ErrorFrameCode.TOO_MANY_CONNECTIONS);
      ws.send(encodeError(0, ErrorFrameCode.TOO_MANY_CONNECTIONS));
      ws.close(PubCloseCode.TRY_AGAIN_LATER, 'too many connections');
      return;
    }
    this.#connections.add(new Connection(this.#host, ws, req.socket));
    ws.send(encodeHello(this.policy));
  }

  #ping(): void {
    for (const conn of this.#connections) conn.ping();
  }

  /** Keeps track of a post so stop() can wait for it to reach the disk and be acknowledged. */
  #track(work: Promise<void>): void {
    const p = work.catch(() => {});
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  #countRejected(code: ErrorFrameCode): void {
    const name = errorFrameName(code);
    this.#rejected[name] = (this.#rejected[name] ?? 0) + 1;
  }

  #countPost(duplicate: boolean): void {
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
  #storeFailed(err: unknown, options: { fatal: boolean }): void {
    if (this.#stopping) return;
    const code = storeErrorCode(err);
    if (code === PubErrorCode.STORE_CLOSED) return;
    this.#storeErrors += 1;
    // BAD_BLOB is the caller's mistake, not the store's (the server checks blobs first).
    if (options.fatal && code !== PubErrorCode.BAD_BLOB) {
      this.#log('store-failed', { code });
      this.emit('failed', new PubError(PubErrorCode.STORE_FAILED, `a write to the store failed (${code}); the pub stopped`, { cause: err }));
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
      this.#storeFailed(err, { fatal: true });
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
    const closing = [...this.#connections].map((conn) => conn.stop(STOP_GRACE_MS));
    await Promise.all(closing);
    await this.#closeListener();
    const store = this.#store;
    await store?.close();
    this.#log('stopped', { blobs: store?.stats().blobs ?? 0 });
    this.#store = undefined;
    this.#address = undefined;
  }
}
