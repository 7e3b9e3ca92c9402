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
 * A bare `ws` transfer: the server sends `blobs` one per binary frame as fast as the socket
 * drains; the client counts bytes. Returns elapsed ms from request to the last byte received.
 */
export async function bareWsTransfer(blobs: readonly Bytes[]): Promise<number> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => {
    ws.once('message', async () => {
      for (const blob of blobs) {
        // wait for drain like a well-behaved server so memory stays bounded
        if (ws.bufferedAmount > 4 * 1024 * 1024) {
          await new Promise<void>((resolve) => ws.send(blob, () => resolve()));
        } else {
          ws.send(blob);
        }
      }
    });
  });
  const total = blobs.reduce((n, b) => n + b.byteLength, 0);
  try {
    const ws = await openWs(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const t0 = nowMs();
    await new Promise<void>((resolve) => {
      let got = 0;
      ws.on('message', (data: Buffer) => {
        got += data.byteLength;
        if (got >= total) resolve();
      });
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
    // 0x03 || last cursor: the CHUNK records (daemon/pub/store.ts)
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
