/**
 * Helpers for the tests and the bench of daemon/group-pubs: a Dialer wrapper that records what
 * is dialled (address, isolation key) and every frame the client sends on each socket (the real
 * dial still happens, through the wrapped dialer), a PubBlobSink that records what it is handed,
 * pubs in this process on loopback, and a real RecordStore.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import type { PubBlobSink } from '../../daemon/group-pubs/types.js';
import type { PubLimits } from '../../daemon/pub/constants.js';
import { PubServer } from '../../daemon/pub/server.js';
import { RecordStore } from '../../daemon/store/store.js';
import type { DialOptions, Dialer } from '../../daemon/transport/types.js';
import { bytesEqual } from '../../protocol/bytes.js';
import { decodeClientFrame, type ClientFrame } from '../../protocol/pub-wire.js';

export interface DialRecord {
  readonly address: string;
  readonly isolationKey: string | undefined;
  /** Frames the client sent on this socket, decoded, in order. */
  readonly sent: ClientFrame[];
  readonly socket: WebSocket;
}

/** Records every dial and what is sent on it; dials through `inner`. */
export class RecordingDialer implements Dialer {
  readonly kind: 'direct' | 'tor';
  readonly dials: DialRecord[] = [];
  readonly #inner: Dialer;

  constructor(inner: Dialer) {
    this.#inner = inner;
    this.kind = inner.kind;
  }

  async dial(address: string, options?: DialOptions): Promise<WebSocket> {
    const ws = await this.#inner.dial(address, options);
    const record: DialRecord = { address, isolationKey: options?.isolationKey, sent: [], socket: ws };
    this.dials.push(record);
    const send = ws.send.bind(ws) as (data: Uint8Array, cb?: (err?: Error) => void) => void;
    (ws as unknown as { send: (data: Uint8Array, cb?: (err?: Error) => void) => void }).send = (data, cb) => {
      try {
        record.sent.push(decodeClientFrame(new Uint8Array(data)));
      } catch {
        // not a pub frame: recorded as nothing
      }
      send(data, cb);
    };
    return ws;
  }

  /** Dials of `address`. */
  to(address: string): DialRecord[] {
    return this.dials.filter((d) => d.address === address);
  }

  /** Dials of `address` that sent a frame of `type` (the subscription's sockets send FETCH/SUBSCRIBE, posting ones POST). */
  sending(address: string, type: ClientFrame['type']): DialRecord[] {
    return this.to(address).filter((d) => d.sent.some((f) => f.type === type));
  }
}

/** A sink that records every blob and prune notice, optionally slow or failing. */
export class RecordingSink implements PubBlobSink {
  readonly blobs: { pub: string; blob: Uint8Array }[] = [];
  readonly pruneNotices: { pub: string; start: bigint; head: bigint }[] = [];
  /** Time each blobReceived takes (ms). */
  delayMs = 0;
  /** When set, blobReceived rejects with it. */
  failWith: Error | null = null;
  #waiters: (() => void)[] = [];

  async blobReceived(pub: string, blob: Uint8Array): Promise<void> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failWith) throw this.failWith;
    this.blobs.push({ pub, blob: blob.slice() });
    this.#wake();
  }

  async pruned(pub: string, info: { readonly start: bigint; readonly head: bigint }): Promise<void> {
    this.pruneNotices.push({ pub, ...info });
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Blobs received from `pub`. */
  from(pub: string): Uint8Array[] {
    return this.blobs.filter((b) => b.pub === pub).map((b) => b.blob);
  }

  has(pub: string, blob: Uint8Array): boolean {
    return this.from(pub).some((b) => bytesEqual(b, blob));
  }

  /** Resolves when `pred` holds (checked on each delivery), or rejects after `ms`. */
  async until(pred: () => boolean, ms = 10_000, what = 'the sink'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** A pub in this process on 127.0.0.1 (port 0: any free one). */
export async function startLoopbackPub(home: string, limits: Partial<PubLimits>, port = 0): Promise<{ server: PubServer; address: string; port: number }> {
  const server = new PubServer({ home, listen: { host: '127.0.0.1', port }, limits });
  const at = await server.start();
  return { server, address: `ws://127.0.0.1:${at.port}`, port: at.port };
}

/** A real encrypted RecordStore in `dir` under a random data key (or `key`, to reopen it). */
export async function openRecordStore(dir: string, key: Uint8Array = randomBytes(32)): Promise<{ store: RecordStore; key: Uint8Array }> {
  return { store: await RecordStore.open(join(dir, 'records'), key), key };
}

/** Polls `pred` every 10 ms until it holds, or throws after `ms`. */
export async function waitUntil(pred: () => boolean, ms = 10_000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
