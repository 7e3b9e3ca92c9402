/**
 * Every pub connection GroupPubs opens goes through here: a PubClient dialled with the caller's
 * isolation key through the daemon's dialer, its socket watched (a link that receives nothing,
 * not even the pub's WebSocket ping, for IDLE_TIMEOUT_MS is cut) and tracked, so stop() can
 * cut whatever is still open.
 */
import type { WebSocket } from 'ws';
import { PubClient } from '../pub-links/client.js';
import type { Dialer } from '../transport/types.js';

export interface PubConnection {
  readonly client: PubClient;
  /** True once the idle watchdog cut it. */
  readonly idled: boolean;
  /** Closes it (the pub client's close(), then the socket is cut if it lingers). */
  close(): Promise<void>;
}

export interface ConnectorInit {
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

export class Connector {
  readonly #dialer: Dialer;
  readonly #init: ConnectorInit;
  readonly #sockets = new Set<WebSocket>();

  constructor(dialer: Dialer, init: ConnectorInit) {
    this.#dialer = dialer;
    this.#init = init;
  }

  /** Sockets open now (tests: none after stop()). */
  get open(): number {
    return this.#sockets.size;
  }

  async connect(address: string, isolationKey: string, signal: AbortSignal): Promise<PubConnection> {
    let socket: WebSocket | null = null;
    let idled = false;
    const inner = this.#dialer;
    const sockets = this.#sockets;
    const idleMs = this.#init.idleTimeoutMs;
    const watching: Dialer = {
      kind: inner.kind,
      async dial(a, options) {
        const ws = await inner.dial(a, options);
        socket = ws;
        sockets.add(ws);
        let seen = Date.now();
        const touch = () => {
          seen = Date.now();
        };
        ws.on('message', touch);
        ws.on('ping', touch);
        ws.on('pong', touch);
        const timer = setInterval(() => {
          if (Date.now() - seen < idleMs) return;
          idled = true;
          ws.terminate();
        }, Math.max(50, Math.floor(idleMs / 4)));
        timer.unref();
        const closed = () => {
          clearInterval(timer);
          sockets.delete(ws);
        };
        ws.once('close', closed);
        if (ws.readyState === ws.CLOSED) closed();
        return ws;
      },
    };
    try {
      const client = await PubClient.connect(watching, address, { signal, timeoutMs: this.#init.connectTimeoutMs, isolationKey });
      return {
        client,
        get idled() {
          return idled;
        },
        close: () => client.close(),
      };
    } catch (err) {
      (socket as WebSocket | null)?.terminate();
      throw err;
    }
  }

  /** Cuts every socket still open, and resolves once each has closed. */
  async cutAll(): Promise<void> {
    await Promise.all(
      [...this.#sockets].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.terminate();
          }),
      ),
    );
  }
}
