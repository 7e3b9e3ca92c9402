import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { BLOB_VERSION } from '../../../protocol/constants.js';
import { ready } from '../../../protocol/crypto.js';
import { blobHash, solvePow, verifyPow } from '../../../protocol/pow.js';
import {
  PUB_WIRE_VERSION,
  PubErrorCode,
  PubFrameType,
  decodeServerFrame,
  encodeFetch,
  encodeHelloRequest,
  encodePost,
  encodeSubscribe,
  type PubPolicy,
  type ServerFrame,
} from '../../../protocol/pub-wire.js';
import { PubClient } from '../../../daemon/pub/client.js';
import type { PubLimits } from '../../../daemon/pub/constants.js';
import { PubErrorCodes } from '../../../daemon/pub/errors.js';
import { PubServer } from '../../../daemon/pub/server.js';
import { BlobStore } from '../../../daemon/pub/store/index.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';

let serial = 0;
function freshBlob(size = 2048): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = BLOB_VERSION;
  new DataView(b.buffer).setUint32(1, ++serial);
  new DataView(b.buffer).setUint32(5, process.pid);
  return b;
}

/** A raw WebSocket to the pub that records every frame (and the close) from the first byte on. */
class RawPeer {
  readonly frames: ServerFrame[] = [];
  closeCode: number | undefined;
  readonly #waiters: Array<() => void> = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(decodeServerFrame(new Uint8Array(data)));
      this.#wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.#wake();
    });
    ws.on('error', () => {});
  }
  static open(port: number): Promise<RawPeer> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    const peer = new RawPeer(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(peer));
      ws.once('error', reject);
    });
  }
  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
  /** Resolves once `pred` holds (checked on every frame and on close). */
  async until(pred: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
  reply(requestId: number): ServerFrame | undefined {
    return this.frames.find((f) => 'requestId' in f && f.requestId === requestId && f.type !== PubFrameType.BLOB);
  }
  async replyTo(requestId: number): Promise<ServerFrame> {
    await this.until(() => this.reply(requestId) !== undefined || this.closeCode !== undefined, `a reply to ${requestId}`);
    const r = this.reply(requestId);
    assert.ok(r, `no reply to ${requestId}; closed with ${this.closeCode}`);
    return r;
  }
  get policy(): PubPolicy {
    const hello = this.frames[0];
    assert.ok(hello && hello.type === PubFrameType.HELLO);
    return hello.policy;
  }
  close(): void {
    this.ws.terminate();
  }
}

function pow(policy: PubPolicy, blob: Uint8Array): bigint {
  return solvePow(policy.powContext, blobHash(blob), policy.powDifficulty, { start: 0n, attempts: 1 << 24 })!;
}

function badPow(policy: PubPolicy, blob: Uint8Array): bigint {
  for (let n = 0n; ; n++) if (!verifyPow(policy.powContext, blobHash(blob), n, policy.powDifficulty)) return n;
}

/** Resolves once `pred` holds, checking every 20 ms for up to 10 s (generous: CI machines are slow). */
async function waitUntil(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function errorCode(frame: ServerFrame): number {
  assert.equal(frame.type, PubFrameType.ERROR, `expected an ERROR frame, got type ${frame.type}`);
  return frame.type === PubFrameType.ERROR ? frame.code : -1;
}

describe('daemon/pub/server', function () {
  this.timeout(20_000);
  let home: string;
  let server: PubServer | undefined;
  const peers: RawPeer[] = [];
  const clients: PubClient[] = [];

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'snug-pub-server-'));
  });

  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    for (const c of clients.splice(0)) await c.close().catch(() => {});
    await server?.stop();
    server = undefined;
    await rm(home, { recursive: true, force: true });
  });

  async function startPub(limits: Partial<PubLimits> = {}): Promise<number> {
    server = new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits: { powDifficulty: 8, statsIntervalMs: 0, ...limits }, log: () => {} });
    return (await server.start()).port;
  }

  async function peer(port: number): Promise<RawPeer> {
    const p = await RawPeer.open(port);
    peers.push(p);
    await p.until(() => p.frames.length > 0 || p.closeCode !== undefined, 'the hello');
    return p;
  }

  async function client(port: number): Promise<PubClient> {
    const c = await PubClient.connect(new DirectDialer(), `ws://127.0.0.1:${port}`);
    clients.push(c);
    return c;
  }

  it('greets every connection with a hello carrying its policy', async () => {
    const port = await startPub({ powDifficulty: 9, maxBlobBytes: 8192, quotaBytes: 1 << 20, retentionMs: 60_000 });
    const p = await peer(port);
    const policy = p.policy;
    assert.equal(policy.version, PUB_WIRE_VERSION);
    assert.equal(policy.powDifficulty, 9);
    assert.deepEqual(policy.blobSizes, [2048, 8192]);
    assert.equal(policy.quotaBytes, 1 << 20);
    assert.equal(policy.retentionMs, 60_000);
    assert.deepEqual(policy.powContext, server!.policy.powContext);
  });

  it('keeps its PoW context across restarts', async () => {
    const port = await startPub();
    const context = (await peer(port)).policy.powContext;
    for (const p of peers.splice(0)) p.close();
    await server!.stop();
    const port2 = await startPub();
    assert.deepEqual((await peer(port2)).policy.powContext, context);
  });

  it('stores a post with a valid proof of work and acknowledges its cursor', async () => {
    const port = await startPub();
    const p = await peer(port);
    const blob = freshBlob();
    p.ws.send(encodePost(1, pow(p.policy, blob), blob));
    const ack = await p.replyTo(1);
    assert.deepEqual(ack, { type: PubFrameType.POST_ACK, requestId: 1, cursor: 1n, duplicate: false });
    p.ws.send(encodePost(2, pow(p.policy, blob), blob));
    assert.deepEqual(await p.replyTo(2), { type: PubFrameType.POST_ACK, requestId: 2, cursor: 1n, duplicate: true });
    assert.equal(server!.stats().blobs, 1);
  });

  it('answers a bad proof of work, a bad blob size or version with a typed error and keeps serving', async () => {
    const port = await startPub();
    const p = await peer(port);
    const blob = freshBlob();
    p.ws.send(encodePost(1, badPow(p.policy, blob), blob));
    const odd = new Uint8Array(3000).fill(BLOB_VERSION);
    p.ws.send(encodePost(2, 0n, odd));
    const wrongVersion = freshBlob();
    wrongVersion[0] = BLOB_VERSION + 1;
    p.ws.send(encodePost(3, pow(p.policy, wrongVersion), wrongVersion));
    assert.equal(errorCode(await p.replyTo(1)), PubErrorCode.BAD_POW);
    assert.equal(errorCode(await p.replyTo(2)), PubErrorCode.BAD_BLOB_SIZE);
    assert.equal(errorCode(await p.replyTo(3)), PubErrorCode.BAD_BLOB_VERSION);
    p.ws.send(encodePost(4, pow(p.policy, blob), blob));
    assert.equal((await p.replyTo(4)).type, PubFrameType.POST_ACK);
    assert.equal(server!.stats().blobs, 1);
  });

  it('refuses a frame of another protocol version with REFUSE, then closes', async () => {
    const port = await startPub();
    const p = await peer(port);
    const frame = encodeFetch(1, 0n, 1);
    frame[0] = PUB_WIRE_VERSION + 1;
    p.ws.send(frame);
    await p.until(() => p.closeCode !== undefined, 'the close');
    const refuse = p.frames.find((f) => f.type === PubFrameType.REFUSE);
    assert.deepEqual(refuse, { type: PubFrameType.REFUSE, minVersion: PUB_WIRE_VERSION, maxVersion: PUB_WIRE_VERSION });
    assert.equal(p.closeCode, 1002);
  });

  it('closes a connection that sends a text frame', async () => {
    const port = await startPub();
    const p = await peer(port);
    p.ws.send('hello');
    await p.until(() => p.closeCode !== undefined, 'the close');
    assert.equal(p.closeCode, 1003);
  });

  it('answers a malformed or unknown frame with a connection-level error and a close, serving others on', async () => {
    const port = await startPub();
    const truncated = await peer(port);
    truncated.ws.send(encodeFetch(1, 0n, 1).subarray(0, 9));
    const unknown = await peer(port);
    unknown.ws.send(Uint8Array.of(PUB_WIRE_VERSION, 0x44, 0, 0, 0, 1));
    const reserved = await peer(port);
    reserved.ws.send(encodeFetch(0, 0n, 1));
    for (const [p, code] of [[truncated, PubErrorCode.MALFORMED_FRAME], [unknown, PubErrorCode.UNKNOWN_FRAME], [reserved, PubErrorCode.MALFORMED_FRAME]] as const) {
      await p.until(() => p.closeCode !== undefined, 'the close');
      const err = p.frames.find((f) => f.type === PubFrameType.ERROR);
      assert.ok(err && err.type === PubFrameType.ERROR);
      assert.equal(err.requestId, 0);
      assert.equal(err.code, code);
      assert.equal(p.closeCode, 1002);
    }
    const c = await client(port);
    assert.equal((await c.post(freshBlob())).cursor, 1n);
  });

  it('closes a connection that sends a frame above the frame limit', async () => {
    const port = await startPub({ maxBlobBytes: 2048, maxFrameBytes: 4096 });
    const p = await peer(port);
    p.ws.send(new Uint8Array(5000));
    await p.until(() => p.closeCode !== undefined, 'the close');
    assert.equal(p.closeCode, 1009);
  });

  it('rate-limits posts per connection with a retry hint, not other connections', async () => {
    const port = await startPub({ postsPerSecond: 1, postBurst: 2, powDifficulty: 0 });
    const p = await peer(port);
    for (let id = 1; id <= 3; id++) {
      const blob = freshBlob();
      p.ws.send(encodePost(id, 0n, blob));
    }
    assert.equal((await p.replyTo(1)).type, PubFrameType.POST_ACK);
    assert.equal((await p.replyTo(2)).type, PubFrameType.POST_ACK);
    const limited = await p.replyTo(3);
    assert.equal(errorCode(limited), PubErrorCode.RATE_LIMITED);
    assert.ok(limited.type === PubFrameType.ERROR && limited.retryAfterMs > 0);
    const other = await client(port);
    assert.equal((await other.post(freshBlob())).duplicate, false);
  });

  it('rate-limits fetches and subscribes per connection with a retry hint, and serves the connection again once it waits', async () => {
    const port = await startPub({ requestsPerSecond: 2, requestBurst: 3 });
    const p = await peer(port);
    // sent back to back, so that no token comes back between them however slow this machine is
    for (let id = 1; id <= 4; id++) p.ws.send(encodeFetch(id, 0n, 1));
    p.ws.send(encodeSubscribe(5, 0n));
    for (let id = 1; id <= 3; id++) assert.equal((await p.replyTo(id)).type, PubFrameType.PAGE);
    const limited = await p.replyTo(4);
    assert.equal(errorCode(limited), PubErrorCode.RATE_LIMITED);
    assert.ok(limited.type === PubFrameType.ERROR && limited.retryAfterMs > 0);
    assert.equal(errorCode(await p.replyTo(5)), PubErrorCode.RATE_LIMITED);
    await new Promise((r) => setTimeout(r, limited.type === PubFrameType.ERROR ? limited.retryAfterMs + 50 : 0));
    p.ws.send(encodeFetch(6, 0n, 1));
    assert.equal((await p.replyTo(6)).type, PubFrameType.PAGE);
    assert.equal(p.closeCode, undefined);
    // posts have their own bucket
    const other = await client(port);
    assert.equal((await other.post(freshBlob())).duplicate, false);
  });

  it('closes a connection that keeps asking for the hello', async () => {
    const port = await startPub();
    const p = await peer(port);
    for (let i = 0; i < 4; i++) p.ws.send(encodeHelloRequest());
    await p.until(() => p.frames.filter((f) => f.type === PubFrameType.HELLO).length === 5, 'five hellos');
    p.ws.send(encodeHelloRequest());
    await p.until(() => p.closeCode !== undefined, 'the close');
    assert.equal(p.closeCode, 1008);
    assert.equal(errorCode(p.frames[p.frames.length - 1]!), PubErrorCode.RATE_LIMITED);
  });

  it('turns away connections beyond the limit with a typed error, then accepts again when one leaves', async () => {
    const port = await startPub({ maxConnections: 2 });
    const a = await client(port);
    await client(port);
    await assert.rejects(PubClient.connect(new DirectDialer(), `ws://127.0.0.1:${port}`), (err: unknown) => (err as { code?: string }).code === 'ERR_PUB_TOO_MANY_CONNECTIONS');
    await a.close();
    clients.splice(clients.indexOf(a), 1);
    await waitUntil(() => server!.stats().connections === 1, 'the pub to see the closed connection go');
    await client(port);
  });

  it('answers requests by request id, pipelined', async () => {
    const port = await startPub({ powDifficulty: 0 });
    const p = await peer(port);
    const ids = [11, 7, 300, 2];
    for (const id of ids) p.ws.send(encodePost(id, 0n, freshBlob()));
    p.ws.send(encodeFetch(99, 0n, 10));
    for (const id of ids) assert.equal((await p.replyTo(id)).type, PubFrameType.POST_ACK);
    const page = await p.replyTo(99);
    assert.equal(page.type, PubFrameType.PAGE);
  });

  it('serves pages bounded by its page limits, whatever the client asks for', async () => {
    const port = await startPub({ powDifficulty: 0, maxPageBlobs: 3, postBurst: 100 });
    const c = await client(port);
    for (let i = 0; i < 7; i++) await c.post(freshBlob());
    const p = await peer(port);
    p.ws.send(encodeFetch(1, 0n, 1000 & 0xffff));
    const page = await p.replyTo(1);
    assert.ok(page.type === PubFrameType.PAGE);
    assert.deepEqual(page.blobs.map((b) => b.cursor), [1n, 2n, 3n]);
    assert.equal(page.more, true);
    p.ws.send(encodeFetch(2, 0n, 0));
    assert.equal(errorCode(await p.replyTo(2)), PubErrorCode.BAD_REQUEST);
  });

  it('answers a fetch asking for more than a page with pages back to back, in order, the last without continues', async () => {
    const port = await startPub({ powDifficulty: 0, maxPageBlobs: 3, postBurst: 100 });
    const c = await client(port);
    for (let i = 0; i < 7; i++) await c.post(freshBlob());
    const p = await peer(port);
    p.ws.send(encodeFetch(1, 0n, 1000));
    const pagesOf = (id: number) => p.frames.filter((f) => f.type === PubFrameType.PAGE && f.requestId === id);
    await p.until(() => pagesOf(1).some((f) => f.type === PubFrameType.PAGE && f.continues !== true), 'the last page');
    const pages = pagesOf(1).map((f) => (f.type === PubFrameType.PAGE ? f : assert.fail()));
    assert.deepEqual(pages.map((f) => f.blobs.map((b) => b.cursor)), [[1n, 2n, 3n], [4n, 5n, 6n], [7n]]);
    assert.deepEqual(pages.map((f) => [f.continues === true, f.more, f.next]), [[true, true, 3n], [true, true, 6n], [false, false, 7n]]);
    // a limit that ends inside a page: the last page stops at it and says more follow
    p.ws.send(encodeFetch(2, 1n, 5));
    await p.until(() => pagesOf(2).some((f) => f.type === PubFrameType.PAGE && f.continues !== true), 'the last page');
    const limited = pagesOf(2).map((f) => (f.type === PubFrameType.PAGE ? f : assert.fail()));
    assert.deepEqual(limited.map((f) => [f.blobs.map((b) => b.cursor), f.continues === true, f.more]), [[[2n, 3n, 4n], true, true], [[5n, 6n], false, true]]);
    // the client gathers the pages into one result
    const all = await c.fetch(0n, { limit: 1000 });
    assert.deepEqual(all.blobs.map((b) => b.cursor), [1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    assert.equal(all.more, false);
    assert.equal(all.next, 7n);
  });

  it('sends each new blob once, in order, to caught-up subscribers and to ones still catching up', async () => {
    const port = await startPub({ powDifficulty: 0, postBurst: 1000, postsPerSecond: 1000 });
    const poster = await client(port);
    for (let i = 0; i < 5; i++) await poster.post(freshBlob());
    const behind = await Promise.all([peer(port), peer(port)]);
    const live = await Promise.all([peer(port), peer(port), peer(port)]);
    behind.forEach((p, i) => p.ws.send(encodeSubscribe(1 + i, 0n)));
    live.forEach((p) => p.ws.send(encodeSubscribe(7, 5n)));
    for (const [i, p] of behind.entries()) await p.replyTo(1 + i);
    for (const p of live) await p.replyTo(7);
    for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 10 }, () => poster.post(freshBlob())));
    const cursorsOf = (p: RawPeer) => p.frames.flatMap((f) => (f.type === PubFrameType.BLOB ? [f.cursor] : []));
    const upTo = (from: number) => Array.from({ length: 35 - from }, (_, i) => BigInt(from + 1 + i));
    for (const p of behind) await p.until(() => cursorsOf(p).length >= 35, 'every blob');
    for (const p of live) await p.until(() => cursorsOf(p).length >= 30, 'every new blob');
    await new Promise((r) => setTimeout(r, 100)); // room for a blob sent twice to show up
    for (const p of behind) assert.deepEqual(cursorsOf(p), upTo(0));
    for (const p of live) assert.deepEqual(cursorsOf(p), upTo(5));
  });

  it('catches a subscriber that stopped reading up from the store, while serving the others', async () => {
    const port = await startPub({ powDifficulty: 0, postBurst: 1000 });
    const slow = await peer(port);
    const reader = await peer(port);
    slow.ws.send(encodeSubscribe(1, 0n));
    reader.ws.send(encodeSubscribe(1, 0n));
    await slow.replyTo(1);
    await reader.replyTo(1);
    slow.ws.pause();
    const poster = await client(port);
    // 80 x 128 KiB: far more than the pub queues for one connection (SEND_HIGH_WATER_BYTES)
    for (let i = 0; i < 80; i++) await poster.post(freshBlob(131072));
    const cursorsOf = (p: RawPeer) => p.frames.flatMap((f) => (f.type === PubFrameType.BLOB ? [f.cursor] : []));
    await reader.until(() => cursorsOf(reader).length >= 80, 'every blob at the reading subscriber');
    assert.ok(cursorsOf(slow).length < 80);
    slow.ws.resume();
    await slow.until(() => cursorsOf(slow).length >= 80, 'every blob at the slow subscriber');
    const all = Array.from({ length: 80 }, (_, i) => BigInt(i + 1));
    assert.deepEqual(cursorsOf(slow), all);
    assert.deepEqual(cursorsOf(reader), all);
  });

  it('pushes blobs posted on other connections to a subscriber without polling', async () => {
    const port = await startPub({ powDifficulty: 0 });
    const p = await peer(port);
    p.ws.send(encodeSubscribe(5, 0n));
    const sub = await p.replyTo(5);
    assert.deepEqual(sub, { type: PubFrameType.SUBSCRIBED, requestId: 5, pruned: false, start: 1n, head: 0n });
    const poster = await client(port);
    const posted = [freshBlob(), freshBlob(8192)];
    for (const b of posted) await poster.post(b);
    await p.until(() => p.frames.filter((f) => f.type === PubFrameType.BLOB).length === 2, 'two pushed blobs');
    const pushed = p.frames.filter((f) => f.type === PubFrameType.BLOB);
    assert.deepEqual(pushed.map((f) => f.type === PubFrameType.BLOB && f.cursor), [1n, 2n]);
    pushed.forEach((f, i) => assert.ok(f.type === PubFrameType.BLOB && Buffer.from(f.blob).equals(posted[i]!)));
    p.ws.send(encodeSubscribe(6, 0n));
    assert.equal(errorCode(await p.replyTo(6)), PubErrorCode.ALREADY_SUBSCRIBED);
  });

  it('answers a fetch or subscription from a pruned cursor explicitly with where the store starts', async () => {
    const port = await startPub({ powDifficulty: 0, maxBlobBytes: 2048, quotaBytes: 2 * 2048, maxPageBytes: 4096 + 12, maxFrameBytes: 4096 });
    const c = await client(port);
    for (let i = 0; i < 4; i++) await c.post(freshBlob());
    const page = await c.fetch(0n);
    assert.equal(page.pruned, true);
    assert.equal(page.start, 3n);
    assert.deepEqual(page.blobs.map((b) => b.cursor), [3n, 4n]);
    const p = await peer(port);
    p.ws.send(encodeSubscribe(1, 1n));
    const sub = await p.replyTo(1);
    assert.deepEqual(sub, { type: PubFrameType.SUBSCRIBED, requestId: 1, pruned: true, start: 3n, head: 4n });
  });

  it('prunes blobs past the retention time when it starts', async () => {
    const port = await startPub({ powDifficulty: 0 });
    const c = await client(port);
    await c.post(freshBlob());
    await c.close();
    clients.length = 0;
    await server!.stop();
    await new Promise((r) => setTimeout(r, 120));
    await startPub({ powDifficulty: 0, retentionMs: 100 });
    assert.equal(server!.stats().blobs, 0);
    assert.equal(server!.stats().start, 2n);
  });

  it('finishes posts in flight when stopped: each gets an ack or SHUTTING_DOWN, and every ack is on disk', async () => {
    const port = await startPub({ powDifficulty: 0, postBurst: 1000, maxInflight: 1000 });
    const c = await client(port);
    const posts = Array.from({ length: 200 }, () => c.post(freshBlob()).then((r) => ({ ok: true as const, cursor: r.cursor }), (err: { code?: string }) => ({ ok: false as const, code: err.code })));
    // stop as soon as the first posts are stored (polled often, so that most are still in flight)
    for (const deadline = Date.now() + 10_000; server!.stats().blobs === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 2));
    await server!.stop();
    const outcomes = await Promise.all(posts);
    const acked = outcomes.filter((o) => o.ok);
    assert.ok(acked.length > 0, 'some posts were acknowledged');
    for (const o of outcomes) if (!o.ok) assert.ok(o.code === 'ERR_PUB_SHUTTING_DOWN' || o.code === PubErrorCodes.CLOSED, `unexpected ${o.code}`);
    const store = new BlobStore({ path: join(home, 'pub', 'blobs') });
    await store.open();
    try {
      const page = await store.since(0n, 1000);
      const stored = new Set(page.blobs.map((b) => b.cursor));
      for (const o of acked) if (o.ok) assert.ok(stored.has(o.cursor), `acknowledged cursor ${o.cursor} is on disk`);
    } finally {
      await store.close();
    }
  });

  it('stops even when a client has stopped reading its pages', async () => {
    const port = await startPub({ powDifficulty: 0, postBurst: 100 });
    const c = await client(port);
    for (let i = 0; i < 24; i++) await c.post(freshBlob(131072));
    const p = await peer(port);
    p.ws.pause();
    for (let id = 1; id <= 16; id++) p.ws.send(encodeFetch(id, 0n, 100));
    await new Promise((r) => setTimeout(r, 200));
    await server!.stop();
    assert.equal(server!.stats().connections, 0);
  });

  it('fails to start with PORT_IN_USE on a taken port and HOME_UNWRITABLE on a home it cannot create', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const taken = new PubServer({ home, listen: { host: '127.0.0.1', port }, log: () => {} });
      await assert.rejects(taken.start(), (err: unknown) => (err as { code?: string }).code === PubErrorCodes.PORT_IN_USE);
      // The store it opened is closed again: another pub can use the home.
      const port2 = await startPub();
      assert.ok(port2 > 0);
    } finally {
      blocker.close();
    }
    await writeFile(join(home, 'a-file'), 'x');
    const bad = new PubServer({ home: join(home, 'a-file', 'home'), listen: { host: '127.0.0.1', port: 0 }, log: () => {} });
    await assert.rejects(bad.start(), (err: unknown) => (err as { code?: string }).code === PubErrorCodes.HOME_UNWRITABLE);
  });

  it('counts what it serves and logs no content, hashes or addresses', async () => {
    const lines: string[] = [];
    server = new PubServer({
      home,
      listen: { host: '127.0.0.1', port: 0 },
      limits: { powDifficulty: 0, statsIntervalMs: 50 },
      log: (event, fields) => lines.push(JSON.stringify({ event, ...fields })),
    });
    const { port } = await server.start();
    const c = await client(port);
    const blob = freshBlob();
    await c.post(blob);
    await c.post(blob);
    await waitUntil(() => lines.some((l) => JSON.parse(l).event === 'stats'), 'a stats line');
    const s = server.stats();
    assert.deepEqual([s.blobs, s.bytes, s.connections, s.posts, s.duplicates], [1, 2048, 1, 1, 1]);
    assert.ok(s.postsPerSecond > 0);
    assert.ok(lines.some((l) => JSON.parse(l).event === 'stats'));
    const hash = Buffer.from(blobHash(blob)).toString('hex');
    for (const line of lines) {
      assert.ok(!line.includes(hash.slice(0, 16)), 'no blob hash');
      assert.ok(!line.includes(Buffer.from(blob.subarray(0, 16)).toString('hex')), 'no content');
    }
  });

  it('refuses out-of-range limits with BAD_LIMIT', () => {
    for (const limits of [{ maxBlobBytes: 3000 }, { powDifficulty: 65 }, { quotaBytes: 100 }, { postsPerSecond: 0 }, { maxFrameBytes: 10 }]) {
      assert.throws(() => new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits }), (err: unknown) => (err as { code?: string }).code === PubErrorCodes.BAD_LIMIT);
    }
  });
});
