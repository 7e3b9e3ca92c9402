/**
 * Bare baselines measured beside the pub in the same run: what a plain `ws` server and LevelDB
 * (or a plain socket) do with the same bytes and the same durability, with none of the pub's
 * protocol, checks or bookkeeping. The pub's figures are printed as a ratio to these.
 */
import type { AddressInfo } from 'node:net';
import { Level } from 'level';
import { WebSocket, WebSocketServer } from 'ws';
import { runPool, nowMs } from './stats.js';

type Bytes = Uint8Array;

/** How the bare ingest server makes each post durable before acknowledging it. */
export type SyncMode =
  /** One `put(..., { sync: true })` per post, acknowledged when it resolves. */
  | 'per-post'
  /** Posts that arrive while a synced write is in flight go together in the next synced batch. */
  | 'group-commit';

function cursorKey(cursor: bigint): Buffer {
  const key = Buffer.alloc(8);
  key.writeBigUInt64BE(cursor);
  return key;
}

/**
 * A bare `ws` server that writes each binary message into LevelDB under an increasing 8-byte
 * cursor and answers with that cursor (8 bytes) once the write is synced.
 */
export class BareIngestServer {
  readonly #dir: string;
  readonly #mode: SyncMode;
  #db: Level<Buffer, Buffer> | undefined;
  #wss: WebSocketServer | undefined;
  #cursor = 0n;
  #pending: Array<{ key: Buffer; value: Buffer; ack: () => void }> = [];
  #writing = false;

  constructor(init: { dir: string; mode: SyncMode }) {
    this.#dir = init.dir;
    this.#mode = init.mode;
  }

  async start(): Promise<string> {
    this.#db = new Level<Buffer, Buffer>(this.#dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await this.#db.open();
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 256 * 1024 });
    this.#wss = wss;
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (!isBinary || !Buffer.isBuffer(data)) return void ws.close(1003);
        this.#cursor += 1n;
        const cursor = this.#cursor;
        const ack = () => ws.send(cursorKey(cursor));
        this.#write(cursorKey(cursor), data, ack);
      });
    });
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  }

  #write(key: Buffer, value: Buffer, ack: () => void): void {
    const db = this.#db!;
    if (this.#mode === 'per-post') {
      db.put(key, value, { sync: true }).then(ack, () => {});
      return;
    }
    this.#pending.push({ key, value, ack });
    if (!this.#writing) void this.#flush();
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    while (this.#pending.length > 0) {
      const group = this.#pending;
      this.#pending = [];
      await this.#db!.batch(group.map((p) => ({ type: 'put' as const, key: p.key, value: p.value })), { sync: true });
      for (const p of group) p.ack();
    }
    this.#writing = false;
  }

  async stop(): Promise<void> {
    const wss = this.#wss;
    if (wss) {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
    await this.#db?.close();
  }
}

function openWs(address: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(address, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * Posts `blobs` to a BareIngestServer from `clients` connections, each waiting for the ack of
 * its post before sending the next (as a PubClient does). Returns the elapsed milliseconds.
 */
export async function bareIngest(address: string, blobs: readonly Bytes[], clients: number): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: clients }, () => openWs(address)));
  const waiters = sockets.map(() => [] as Array<() => void>);
  sockets.forEach((ws, w) => ws.on('message', () => waiters[w]!.shift()?.()));
  const t0 = nowMs();
  await runPool(blobs.length, clients, (i, w) => new Promise<void>((resolve) => {
    waiters[w]!.push(resolve);
    sockets[w]!.send(blobs[i]!);
  }));
  const elapsed = nowMs() - t0;
  for (const ws of sockets) ws.close();
  return elapsed;
}

/**
 * A bare `ws` transfer, one message per blob: the server sends `blobs` one per binary message
 * as fast as the socket drains; the client counts bytes. Returns elapsed ms from request to the last byte received.
 */
export async function bareWsTransfer(blobs: readonly Bytes[]): Promise<number> {
  const total = blobs.reduce((n, b) => n + b.byteLength, 0);
  return transferFrom(blobs, (ws, resolve) => {
    let got = 0;
    ws.on('message', (data: Buffer) => {
      got += data.byteLength;
      if (got >= total) resolve();
    });
  });
}

/** Bytes before each blob in a page-framed message: cursor u64 || length u32, as in a PAGE. */
export const PAGED_ENTRY_OVERHEAD_BYTES = 12;

/**
 * `blobs` laid out as the pub lays out its pages: one buffer per page of `pageSizes[i]` blobs
 * (the page sizes the pub actually sent), each blob preceded by its cursor (u64) and its length
 * (u32). Built before timing: the bare server serves them from memory.
 */
export function encodePagedMessages(blobs: readonly Bytes[], pageSizes: readonly number[]): Buffer[] {
  const messages: Buffer[] = [];
  let i = 0;
  for (const size of pageSizes) {
    const page = blobs.slice(i, i + size);
    const buf = Buffer.allocUnsafe(page.reduce((n, b) => n + PAGED_ENTRY_OVERHEAD_BYTES + b.byteLength, 0));
    let pos = 0;
    for (const b of page) {
      i += 1;
      buf.writeBigUInt64BE(BigInt(i), pos);
      buf.writeUInt32BE(b.byteLength, pos + 8);
      buf.set(b, pos + PAGED_ENTRY_OVERHEAD_BYTES);
      pos += PAGED_ENTRY_OVERHEAD_BYTES + b.byteLength;
    }
    messages.push(buf);
  }
  if (i !== blobs.length) throw new Error(`page sizes cover ${i} of ${blobs.length} blobs`);
  return messages;
}

/**
 * A bare `ws` transfer framed like the pub's catch-up: the server sends `messages`
 * (encodePagedMessages: one binary message per page, the blobs length-prefixed inside) as fast
 * as the socket drains; the client walks each message entry by entry, taking a view of each
 * blob and counting its length, as a PubClient does with a PAGE. Returns elapsed ms from request
 * to the last blob received; throws if the blobs or bytes walked are not `blobs` / `bytes`.
 */
export async function barePagedWsTransfer(messages: readonly Buffer[], blobs: number, bytes: number): Promise<number> {
  return transferFrom(messages, (ws, resolve, reject) => {
    let gotBlobs = 0;
    let gotBytes = 0;
    ws.on('message', (data: Buffer) => {
      for (let pos = 0; pos < data.length;) {
        const len = data.readUInt32BE(pos + 8);
        const start = pos + PAGED_ENTRY_OVERHEAD_BYTES;
        const blob = data.subarray(start, start + len);
        gotBytes += blob.byteLength;
        gotBlobs += 1;
        pos = start + len;
      }
      if (gotBlobs < blobs) return;
      if (gotBytes === bytes && gotBlobs === blobs) resolve();
      else reject(new Error(`paged transfer walked ${gotBlobs} blobs / ${gotBytes} bytes, expected ${blobs} / ${bytes}`));
    });
  });
}

/**
 * Serves `messages` from memory on a bare loopback `ws` server once the client asks, waiting for
 * the socket to drain above 4 MiB queued; `receive` installs the client's handler. Returns the
 * ms from the request to `receive`'s resolve.
 */
async function transferFrom(
  messages: readonly Bytes[],
  receive: (ws: WebSocket, resolve: () => void, reject: (err: Error) => void) => void,
): Promise<number> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => {
    ws.once('message', async () => {
      for (const message of messages) {
        // wait for drain like a well-behaved server so memory stays bounded
        if (ws.bufferedAmount > 4 * 1024 * 1024) {
          await new Promise<void>((resolve) => ws.send(message, () => resolve()));
        } else {
          ws.send(message);
        }
      }
    });
  });
  try {
    const ws = await openWs(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const t0 = nowMs();
    await new Promise<void>((resolve, reject) => {
      receive(ws, resolve, reject);
      ws.send('go');
    });
    const elapsed = nowMs() - t0;
    ws.close();
    return elapsed;
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
}

/**
 * A WebSocket server for the transport benches: echoes binary frames, and answers the text
 * frame `bulk:N` with N bytes in 64 KiB frames followed by the text frame `done`. Served on
 * loopback and, for the Tor benches, behind an onion service too.
 */
export async function startEchoServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 1024 * 1024 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', async (data: Buffer, isBinary) => {
      if (isBinary) return void ws.send(data);
      const m = /^bulk:(\d+)$/.exec(data.toString('utf8'));
      if (!m) return;
      let left = Number(m[1]);
      while (left > 0 && ws.readyState === WebSocket.OPEN) {
        const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= part.length;
        if (ws.bufferedAmount > 1024 * 1024) await new Promise<void>((resolve) => ws.send(part, () => resolve()));
        else ws.send(part);
      }
      ws.send('done');
    });
  });
  return {
    port: (wss.address() as AddressInfo).port,
    stop: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** Round trips of `size`-byte binary frames on an open echo socket; returns each in ms. */
export async function echoRoundTrips(ws: WebSocket, count: number, size = 64): Promise<number[]> {
  const payload = Buffer.alloc(size, 0x42);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = nowMs();
    await new Promise<void>((resolve) => {
      ws.once('message', () => resolve());
      ws.send(payload);
    });
    samples.push(nowMs() - t0);
  }
  return samples;
}

/** Asks an echo server for `bytes` bytes and returns the elapsed ms until `done`. */
export async function bulkDownload(ws: WebSocket, bytes: number): Promise<number> {
  const t0 = nowMs();
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (isBinary) got += data.byteLength;
      else {
        ws.off('message', onMessage);
        if (got === bytes) resolve();
        else reject(new Error(`bulk transfer delivered ${got} of ${bytes} bytes`));
      }
    };
    ws.on('message', onMessage);
    ws.send(`bulk:${bytes}`);
  });
  return nowMs() - t0;
}

/** Opens a plain loopback WebSocket (the baseline beside an onion one). */
export { openWs };

/**
 * The store's own ceiling: reads every chunk record of the pub's log database at `dir` (closed)
 * with one classic-level iterator (1 MiB read-ahead, `nextv` of 4), touching nothing but the
 * value lengths. Returns elapsed ms, the record bytes read and the number of records.
 */
export async function rawLevelIteration(dir: string): Promise<{ ms: number; bytes: number; records: number }> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false });
  await db.open();
  try {
    const t0 = nowMs();
    let bytes = 0;
    let records = 0;
    // 0x03 || last cursor: the CHUNK records (daemon/pub/store/README.md)
    const it = db.iterator({ gte: Uint8Array.of(0x03), lt: Uint8Array.of(0x04), highWaterMarkBytes: 1024 * 1024 });
    try {
      for (;;) {
        const entries = await it.nextv(4);
        if (entries.length === 0) break;
        for (const [, value] of entries) bytes += value.byteLength;
        records += entries.length;
      }
    } finally {
      await it.close();
    }
    return { ms: nowMs() - t0, bytes, records };
  } finally {
    await db.close();
  }
}
