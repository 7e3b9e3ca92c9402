/**
 * The local API server: JSON-RPC 2.0, one JSON object per line, on a Unix socket in the
 * directory it is given (the daemon's home; the daemon owns the home and its one-daemon lock,
 * this server owns the socket file). A service in the STYLE.md sense: built from
 * `(components, init)`, start()/stop().
 *
 * Handlers are registered per method, typed by the descriptors in protocol/api/, before or after
 * start(). `event/subscribe` (from the journal) and `rpc.discover` (the OpenRPC document) are
 * served here; every other method is the daemon's (c2). A method without a handler is -32601.
 *
 *   const server = new ApiServer({ journal }, { directory: home });
 *   server.handle('daemon/status', async (params, ctx) => ({ ... }));
 *   await server.start();
 */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import debug from 'debug';
import type { MethodDescriptor, ParamsOutput, ResultInput } from '../../protocol/api/descriptor.js';
import { ApiError } from '../../protocol/api/errors.js';
import { METHODS, eventSubscribe, rpcDiscover, type MethodName, type Methods } from '../../protocol/api/methods.js';
import { openRpcDocument } from '../../protocol/api/openrpc.js';
import { VERSION } from '../version.js';
import { ApiConnection } from './connection.js';
import {
  MAX_BATCH,
  MAX_CONNECTIONS,
  MAX_IN_FLIGHT,
  MAX_LINE_BYTES,
  MAX_SUBSCRIBER_BACKLOG_BYTES,
  OUTPUT_HIGH_WATER_BYTES,
  SOCKET_NAME,
  STALE_PROBE_TIMEOUT_MS,
  STOP_GRACE_MS,
} from './constants.js';
import { errorResponse } from './envelope.js';
import type { NotificationJournal } from './journal.js';
import { Router, type ApiLog, type HandlerContext } from './router.js';
import { checkSocketPath, clearStaleSocket, listenUnix, removeOwnSocket } from './socket.js';

export type { HandlerContext, ApiLog } from './router.js';

/** The methods the daemon serves through handlers (the server serves the rest itself). */
export type HandledMethodName = Exclude<MethodName, typeof eventSubscribe.method | typeof rpcDiscover.method>;

/** A handler for descriptor D: validated params in, its result out; throw ApiError to answer an error. */
export type Handler<D extends MethodDescriptor> = (params: ParamsOutput<D>, ctx: HandlerContext) => Promise<ResultInput<D>>;

export type Handlers = { readonly [M in HandledMethodName]?: Handler<Methods[M]> };

/** Why event/subscribe cannot be served now (no journal): the profile is locked, or there is none. */
export type JournalUnavailable = 'ERR_LOCKED' | 'ERR_NO_PROFILE';

export interface ApiServerComponents {
  /** The journal event/subscribe reads; null (or absent) while there is none (locked). */
  readonly journal?: NotificationJournal | null;
  readonly log?: ApiLog;
}

export interface ApiServerInit {
  /** The directory the socket goes in (it must exist; the server does not create or chmod it). */
  readonly directory: string;
  /** The socket's file name (default SOCKET_NAME). */
  readonly socketName?: string;
  readonly maxConnections?: number;
  readonly maxLineBytes?: number;
  readonly maxInFlight?: number;
  readonly maxBatch?: number;
  readonly maxSubscriberBacklogBytes?: number;
  readonly maxOutputBytes?: number;
  readonly staleProbeTimeoutMs?: number;
  readonly stopGraceMs?: number;
  /** The version in the OpenRPC document (default: the package's). */
  readonly version?: string;
}

const debugLog = debug('snug:daemon:api');
const defaultLog: ApiLog = (event, fields = {}) => debugLog('%s %o', event, fields);

export class ApiServer {
  readonly socketPath: string;
  readonly #router: Router;
  readonly #log: ApiLog;
  readonly #init: Required<Omit<ApiServerInit, 'directory' | 'socketName' | 'version'>>;
  readonly #version: string;
  readonly #connections = new Set<ApiConnection>();
  readonly #byId = new Map<number, ApiConnection>();
  #journal: NotificationJournal | null;
  #journalUnavailable: JournalUnavailable = 'ERR_LOCKED';
  #server: Server | null = null;
  #ino: number | null = null;
  #nextId = 1;
  #stopping = false;
  #controller: AbortController | null = null;

  constructor(components: ApiServerComponents, init: ApiServerInit) {
    this.#log = components.log ?? defaultLog;
    this.#journal = components.journal ?? null;
    this.socketPath = join(init.directory, init.socketName ?? SOCKET_NAME);
    this.#version = init.version ?? VERSION;
    this.#init = {
      maxConnections: init.maxConnections ?? MAX_CONNECTIONS,
      maxLineBytes: init.maxLineBytes ?? MAX_LINE_BYTES,
      maxInFlight: init.maxInFlight ?? MAX_IN_FLIGHT,
      maxBatch: init.maxBatch ?? MAX_BATCH,
      maxSubscriberBacklogBytes: init.maxSubscriberBacklogBytes ?? MAX_SUBSCRIBER_BACKLOG_BYTES,
      maxOutputBytes: init.maxOutputBytes ?? OUTPUT_HIGH_WATER_BYTES,
      staleProbeTimeoutMs: init.staleProbeTimeoutMs ?? STALE_PROBE_TIMEOUT_MS,
      stopGraceMs: init.stopGraceMs ?? STOP_GRACE_MS,
    };
    this.#router = new Router(this.#log);
    this.#router.register(eventSubscribe, async (params, ctx) => this.#subscribe(params as ParamsOutput<typeof eventSubscribe>, ctx));
    const document = openRpcDocument(this.#version);
    this.#router.register(rpcDiscover, async () => document);
  }

  /** Registers the handler of `method` (a name or its descriptor); once per method. */
  handle<M extends HandledMethodName>(method: M | Methods[M], handler: Handler<Methods[M]>): this {
    const name: string = typeof method === 'string' ? method : method.method;
    const descriptor: MethodDescriptor | undefined = Object.prototype.hasOwnProperty.call(METHODS, name) ? METHODS[name as MethodName] : undefined;
    if (descriptor === undefined || name === eventSubscribe.method || name === rpcDiscover.method) {
      throw new TypeError(`no handled method ${name}`);
    }
    this.#router.register(descriptor, handler as (params: unknown, ctx: HandlerContext) => Promise<unknown>);
    return this;
  }

  /** Registers several handlers at once. */
  handleAll(handlers: Handlers): this {
    for (const [name, handler] of Object.entries(handlers)) {
      if (handler !== undefined) this.handle(name as HandledMethodName, handler as Handler<Methods[HandledMethodName]>);
    }
    return this;
  }

  /**
   * Sets the journal event/subscribe reads (on unlock), or none (on lock, with the error
   * subscribers then get). Connections subscribed to the previous journal are closed; they
   * resubscribe with `since` and lose nothing.
   */
  setJournal(journal: NotificationJournal | null, unavailable: JournalUnavailable = 'ERR_LOCKED'): void {
    this.#journalUnavailable = unavailable;
    if (journal === this.#journal) return;
    this.#journal = journal;
    for (const c of this.#connections) if (c.subscribed) c.end();
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  get listening(): boolean {
    return this.#server !== null;
  }

  /**
   * Listens on the socket. A stale socket (nothing answers) is replaced; a live one rejects
   * with ApiError ERR_DAEMON_RUNNING and is left alone.
   */
  async start(): Promise<void> {
    if (this.#server !== null) return;
    checkSocketPath(this.socketPath);
    this.#stopping = false;
    this.#controller = new AbortController();
    await clearStaleSocket(this.socketPath, this.#init.staleProbeTimeoutMs);
    const server = createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
    server.on('error', (err) => this.#log('api-server-error', { error: err.name }));
    this.#ino = await listenUnix(server, this.socketPath);
    this.#server = server;
    this.#log('api-listening', { connections: this.#init.maxConnections });
  }

  /**
   * Stops: no new connections or requests (ERR_SHUTTING_DOWN), handlers' signals aborted,
   * running handlers given stopGraceMs to answer, answers flushed, connections closed, socket
   * file removed (only if it is still ours).
   */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    this.#stopping = true;
    this.#controller?.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of this.#connections) c.abort();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.#init.stopGraceMs).unref());
    await Promise.race([Promise.all([...this.#connections].map((c) => c.whenIdle())), grace]);
    await Promise.all(
      [...this.#connections].map(async (c) => {
        c.end();
        // a client that does not read what is left gets a short while, then the socket goes
        const t = setTimeout(() => c.destroy(), 500);
        await c.closed;
        clearTimeout(t);
      }),
    );
    await closed;
    if (this.#ino !== null) await removeOwnSocket(this.socketPath, this.#ino);
    this.#ino = null;
    this.#log('api-stopped');
  }

  #accept(socket: Socket): void {
    const id = this.#nextId++;
    const connection = new ApiConnection(id, socket, {
      router: this.#router,
      log: this.#log,
      stopping: () => this.#stopping,
      limits: {
        maxLineBytes: this.#init.maxLineBytes,
        maxInFlight: this.#init.maxInFlight,
        maxBatch: this.#init.maxBatch,
        maxBacklogBytes: this.#init.maxSubscriberBacklogBytes,
        maxOutputBytes: this.#init.maxOutputBytes,
      },
      onClose: (c) => {
        this.#connections.delete(c);
        this.#byId.delete(c.id);
      },
    });
    if (this.#stopping) {
      connection.refuse(errorResponse(null, 'ERR_SHUTTING_DOWN'));
      return;
    }
    if (this.#connections.size >= this.#init.maxConnections) {
      this.#log('api-connection-refused', { connections: this.#connections.size });
      connection.refuse(errorResponse(null, 'ERR_TOO_MANY_CONNECTIONS', undefined, { max: this.#init.maxConnections }));
      return;
    }
    this.#connections.add(connection);
    this.#byId.set(id, connection);
  }

  async #subscribe(params: ParamsOutput<typeof eventSubscribe>, ctx: HandlerContext): Promise<ResultInput<typeof eventSubscribe>> {
    const journal = this.#journal;
    if (journal === null) throw new ApiError(this.#journalUnavailable);
    const connection = this.#byId.get(ctx.connectionId);
    if (connection === undefined) throw new ApiError('ERR_SHUTTING_DOWN');
    return connection.subscribe(journal, params.since, ctx);
  }
}
