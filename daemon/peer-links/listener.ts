/**
 * PeerListener: the local WebSocket server that the identity's onion service (virtual port 80)
 * forwards to, on 127.0.0.1 and a free port. Connections go to the handler given to serve()
 * (the link manager, while the profile is unlocked); without one every connection gets a
 * clean, versioned refusal (close code PEER_REFUSAL_CLOSE_CODE, reason `snug-peer/N ...`). In
 * development (direct transport) peers dial it as ws://127.0.0.1:PORT.
 */
import type { AddressInfo } from 'node:net';
import debugFactory from 'debug';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  PEER_CLOSE_GRACE_MS,
  PEER_MAX_CONNECTIONS,
  PEER_MAX_PAYLOAD,
  PEER_REFUSAL_CLOSE_CODE,
  PEER_REFUSAL_REASON,
} from './constants.js';

const log = debugFactory('snug:daemon:peer-links');

export interface PeerListenerInit {
  /** Loopback host to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: a free one). */
  readonly port?: number;
  readonly maxConnections?: number;
}

export class PeerListener {
  readonly #host: string;
  readonly #port: number;
  readonly #maxConnections: number;
  #server: WebSocketServer | null = null;
  #port_: number | null = null;
  readonly #sockets = new Set<WebSocket>();
  #handler: ((ws: WebSocket) => void) | null = null;

  constructor(_components: Record<string, never>, init: PeerListenerInit = {}) {
    this.#host = init.host ?? '127.0.0.1';
    this.#port = init.port ?? 0;
    this.#maxConnections = init.maxConnections ?? PEER_MAX_CONNECTIONS;
  }

  /** The port listened on, while started. */
  get port(): number | null {
    return this.#port_;
  }

  /** ws://HOST:PORT (the direct transport's address of this daemon), while started. */
  get url(): string | null {
    return this.#port_ === null ? null : `ws://${this.#host}:${this.#port_}`;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const server = new WebSocketServer({
      host: this.#host,
      port: this.#port,
      maxPayload: PEER_MAX_PAYLOAD,
      perMessageDeflate: false,
      verifyClient: () => this.#sockets.size < this.#maxConnections,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.on('error', (err) => log('listener error: %s', err.message));
    server.on('connection', (ws) => this.#connection(ws));
    this.#server = server;
    this.#port_ = (server.address() as AddressInfo).port;
    log('listening on port %d', this.#port_);
  }

  /** Hands every new connection to `handler` (null: refuse them). */
  serve(handler: ((ws: WebSocket) => void) | null): void {
    this.#handler = handler;
  }

  #connection(ws: WebSocket): void {
    const handler = this.#handler;
    if (handler === null) return this.#refuse(ws);
    this.#sockets.add(ws);
    ws.once('close', () => this.#sockets.delete(ws));
    ws.on('error', () => {});
    try {
      handler(ws);
    } catch (err) {
      log('peer connection handler failed: %s', (err as Error).message);
      ws.terminate();
    }
  }

  #refuse(ws: WebSocket): void {
    this.#sockets.add(ws);
    ws.on('error', () => {});
    const timer = setTimeout(() => ws.terminate(), PEER_CLOSE_GRACE_MS);
    timer.unref();
    ws.once('close', () => {
      clearTimeout(timer);
      this.#sockets.delete(ws);
    });
    log('refusing a peer connection (%s)', PEER_REFUSAL_REASON);
    ws.close(PEER_REFUSAL_CLOSE_CODE, PEER_REFUSAL_REASON);
  }

  /** Closes the listener and every connection. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    this.#port_ = null;
    if (!server) return;
    for (const ws of this.#sockets) ws.terminate();
    this.#sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
