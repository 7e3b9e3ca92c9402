import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { BLOB_SIZE_LONG, BLOB_SIZE_STANDARD, BLOB_VERSION } from '../../../protocol/constants.js';
import { ready } from '../../../protocol/crypto.js';
import { blobHash, leadingZeroBits, powDigest, verifyPow } from '../../../protocol/pow.js';
import { PubFrameType, encodeHello, encodePage, encodeRefuse, PUB_WIRE_VERSION, type FetchFrame, type PubPolicy } from '../../../protocol/pub-wire.js';
import { SAMPLE_POLICY, scriptedPub, type ScriptedPub } from '../../helpers/pub-fixtures.js';
import { PubClient, type PubBlob } from '../../../daemon/pub-links/client.js';
import type { PubLimits } from '../../../daemon/pub/constants.js';
import { PubReplyErrorCode, PubTransportErrorCode } from '../../../daemon/pub-links/errors.js';
import { PubServer } from '../../../daemon/pub/server.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';

let serial = 0;
function freshBlob(size = BLOB_SIZE_STANDARD): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = BLOB_VERSION;
  new DataView(b.buffer).setUint32(1, ++serial);
  new DataView(b.buffer).setUint32(5, process.pid);
  return b;
}

function hasCode(code: string) {
  return (err: unknown) => (err as { code?: string }).code === code;
}

async function waitFor(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('daemon/pub-links/client', function () {
  this.timeout(20_000);
  const dialer = new DirectDialer();
  let home: string;
  let server: PubServer | undefined;
  let address: string;
  const clients: PubClient[] = [];
  const fakes: WebSocketServer[] = [];
  const scripted: ScriptedPub[] = [];

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'snug-pub-client-'));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => {});
    for (const f of fakes.splice(0)) {
      for (const ws of f.clients) ws.terminate();
      await new Promise((r) => f.close(r));
    }
    for (const p of scripted.splice(0)) await p.close();
    await server?.stop();
    server = undefined;
    await rm(home, { recursive: true, force: true });
  });

  async function startPub(limits: Partial<PubLimits> = {}): Promise<void> {
    server = new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits: { powDifficulty: 8, statsIntervalMs: 0, ...limits }, log: () => {} });
    const { port } = await server.start();
    address = `ws://127.0.0.1:${port}`;
  }

  async function connect(): Promise<PubClient> {
    const c = await PubClient.connect(dialer, address);
    clients.push(c);
    return c;
  }

  /** A WebSocket server that is not a snug pub of this version: it greets with `greeting`. */
  async function fakePub(greeting: Uint8Array | null): Promise<string> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    fakes.push(wss);
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      if (greeting) ws.on('message', () => ws.send(greeting));
    });
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  }

  /** A scripted pub (pub-fixtures) that hands each FETCH to `onFetch`; other requests go unanswered. */
  async function fetchPub(policy: PubPolicy, onFetch: (frame: FetchFrame, send: (frame: Uint8Array) => void) => void): Promise<string> {
    const pub = await scriptedPub(policy, (frame, send) => {
      if (frame.type === PubFrameType.FETCH) onFetch(frame, send);
    });
    scripted.push(pub);
    return pub.url;
  }

  it('drops a late reply to a request it gave up on, keeps the connection, and does not reuse its id meanwhile', async () => {
    const fetchIds: number[] = [];
    const url = await fetchPub(SAMPLE_POLICY, (frame, send) => {
      fetchIds.push(frame.requestId);
      const page = (continues: boolean) => encodePage({ requestId: frame.requestId, more: continues, pruned: false, start: 1n, next: 0n, head: 1n, blobs: [], ...(continues ? { continues } : {}) });
      // the first fetch is answered late, in two pages; the others at once
      if (fetchIds.length === 1) setTimeout(() => { send(page(true)); send(page(false)); }, 300);
      else send(page(false));
    });
    const c = await PubClient.connect(new DirectDialer(), url);
    await assert.rejects(c.fetch(0n, { timeoutMs: 50 }), hasCode(PubTransportErrorCode.TIMEOUT));
    const second = await c.fetch(0n);
    assert.equal(second.blobs.length, 0);
    await new Promise((r) => setTimeout(r, 400)); // the late pages arrive and are dropped
    assert.equal(c.open, true);
    const third = await c.fetch(0n);
    assert.equal(third.more, false);
    assert.equal(new Set(fetchIds).size, 3, 'no id reused while its reply could still come');
  });

  it('never has more requests out than the pub\'s maxInflight, and sends the rest in call order as answers come', async () => {
    let out = 0;
    let most = 0;
    const order: bigint[] = [];
    const url = await fetchPub({ ...SAMPLE_POLICY, maxInflight: 3 }, (frame, send) => {
      out += 1;
      most = Math.max(most, out);
      order.push(frame.since);
      // answered slowly, in two pages, so the window stays full
      setTimeout(() => {
        const page = (continues: boolean) => encodePage({ requestId: frame.requestId, more: continues, pruned: false, start: 1n, next: frame.since, head: frame.since + 1n, blobs: [], ...(continues ? { continues } : {}) });
        send(page(true));
        setTimeout(() => {
          out -= 1;
          send(page(false));
        }, 5);
      }, 20);
    });
    const c = await PubClient.connect(new DirectDialer(), url);
    clients.push(c);
    const pages = await Promise.all(Array.from({ length: 12 }, (_, i) => c.fetch(BigInt(i))));
    assert.deepEqual(pages.map((p) => p.next), Array.from({ length: 12 }, (_, i) => BigInt(i)));
    assert.equal(most, 3);
    assert.deepEqual(order, Array.from({ length: 12 }, (_, i) => BigInt(i)));
  });

  it('times out a request still waiting for a slot without sending it, and counts an abandoned request until its reply comes', async () => {
    const seen: bigint[] = [];
    let answer: (() => void) | undefined;
    const url = await fetchPub({ ...SAMPLE_POLICY, maxInflight: 1 }, (frame, send) => {
      seen.push(frame.since);
      const reply = () => send(encodePage({ requestId: frame.requestId, more: false, pruned: false, start: 1n, next: frame.since, head: 0n, blobs: [] }));
      if (frame.since === 1n) answer = reply; // held back
      else reply();
    });
    const c = await PubClient.connect(new DirectDialer(), url);
    clients.push(c);
    const first = c.fetch(1n, { timeoutMs: 100 });
    await assert.rejects(c.fetch(2n, { timeoutMs: 50 }), hasCode(PubTransportErrorCode.TIMEOUT));
    await assert.rejects(first, hasCode(PubTransportErrorCode.TIMEOUT));
    // The first is abandoned but the pub still counts it: the next waits for its late reply.
    const third = c.fetch(3n);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(seen, [1n]);
    answer!();
    assert.equal((await third).next, 3n);
    assert.deepEqual(seen, [1n, 3n]);
  });

  it('refuses a cursor or nonce that is not a u64 with POLICY before sending anything, and keeps the connection', async () => {
    const fetched: bigint[] = [];
    const url = await fetchPub(SAMPLE_POLICY, (frame, send) => {
      fetched.push(frame.since);
      send(encodePage({ requestId: frame.requestId, more: false, pruned: false, start: 1n, next: frame.since, head: frame.since, blobs: [] }));
    });
    const c = await PubClient.connect(new DirectDialer(), url);
    clients.push(c);
    for (const since of [-1n, 2n ** 64n]) {
      await assert.rejects(c.fetch(since), hasCode(PubReplyErrorCode.POLICY));
      await assert.rejects(c.fetchEach(since, () => {}), hasCode(PubReplyErrorCode.POLICY));
      await assert.rejects(c.subscribe(since, () => {}), hasCode(PubReplyErrorCode.POLICY));
    }
    await assert.rejects(c.post(freshBlob(), { nonce: -1n }), hasCode(PubReplyErrorCode.POLICY));
    assert.equal((await c.fetch(3n)).next, 3n);
    assert.deepEqual(fetched, [3n]);
    assert.equal(c.open, true);
  });

  it('learns the policy from the hello and pays the proof of work it asks for', async () => {
    await startPub({ powDifficulty: 12 });
    const c = await connect();
    assert.equal(c.policy.powDifficulty, 12);
    const blob = freshBlob();
    const nonce = await c.solve(blob);
    assert.ok(leadingZeroBits(powDigest(c.policy.powContext, blobHash(blob), nonce)) >= 12);
    assert.deepEqual(await c.post(blob), { cursor: 1n, duplicate: false });
    assert.deepEqual(await c.post(blob), { cursor: 1n, duplicate: true });
  });

  it('pipelines more posts than the pub takes in flight, and gets each its own cursor', async () => {
    await startPub({ postBurst: 100, maxInflight: 4 });
    const c = await connect();
    const results = await Promise.all(Array.from({ length: 30 }, () => c.post(freshBlob())));
    assert.deepEqual(new Set(results.map((r) => r.cursor)).size, 30);
  });

  it('fetches everything since a cursor page by page', async () => {
    await startPub({ postBurst: 100 });
    const c = await connect();
    const posted: Uint8Array[] = [];
    for (let i = 0; i < 12; i++) {
      const b = freshBlob(i % 3 === 0 ? BLOB_SIZE_LONG : BLOB_SIZE_STANDARD);
      posted.push(b);
      await c.post(b);
    }
    const got: PubBlob[] = [];
    let since = 0n;
    let pages = 0;
    for (;;) {
      const page = await c.fetch(since, { limit: 5 });
      got.push(...page.blobs);
      since = page.next;
      pages += 1;
      assert.equal(page.pruned, false);
      if (!page.more) break;
    }
    assert.equal(pages, 3);
    assert.deepEqual(got.map((b) => b.cursor), Array.from({ length: 12 }, (_, i) => BigInt(i + 1)));
    got.forEach((b, i) => assert.deepEqual(b.blob, posted[i]));
    assert.equal((await c.fetch(12n)).blobs.length, 0);
  });

  it('subscribes: first what it missed, then each new blob as it is posted, in order', async () => {
    await startPub({ postBurst: 100 });
    const poster = await connect();
    await poster.post(freshBlob());
    await poster.post(freshBlob());
    const reader = await connect();
    const seen: bigint[] = [];
    const result = await reader.subscribe(1n, (b) => seen.push(b.cursor));
    assert.deepEqual(result, { pruned: false, start: 1n, head: 2n });
    for (let i = 0; i < 5; i++) await poster.post(freshBlob());
    await waitFor(() => seen.length === 6, 'six pushed blobs');
    assert.deepEqual(seen, [2n, 3n, 4n, 5n, 6n, 7n]);
    await assert.rejects(reader.subscribe(0n, () => {}), hasCode(PubReplyErrorCode.POLICY));
  });

  it('reports blobs pruned before they were delivered to a subscription', async () => {
    await startPub({ maxBlobBytes: BLOB_SIZE_STANDARD, quotaBytes: 2 * BLOB_SIZE_STANDARD, maxFrameBytes: 2 * BLOB_SIZE_STANDARD, maxPageBytes: 2 * BLOB_SIZE_STANDARD + 12 });
    const c = await connect();
    for (let i = 0; i < 3; i++) await c.post(freshBlob());
    const reader = await connect();
    const pruned: bigint[] = [];
    const seen: bigint[] = [];
    const r = await reader.subscribe(0n, (b) => seen.push(b.cursor), { onPruned: (info) => pruned.push(info.start) });
    assert.equal(r.pruned, true);
    assert.deepEqual(pruned, [2n]);
    await waitFor(() => seen.length === 2, 'the blobs still stored');
    assert.deepEqual(seen, [2n, 3n]);
    assert.deepEqual(pruned, [2n], 'one notice for one prune');
  });

  it('rejects with the pub error codes: rate limited with a retry hint, a bad proof of work', async () => {
    await startPub({ postsPerSecond: 1, postBurst: 1, powDifficulty: 16 });
    const c = await connect();
    const blob = freshBlob();
    const good = await c.solve(blob);
    let bad = 0n;
    while (verifyPow(c.policy.powContext, blobHash(blob), bad, 16)) bad += 1n;
    // both sent at once: with one post a second, a pause of a second between them on a slow
    // machine would give the second post a fresh token
    await Promise.all([
      assert.rejects(c.post(blob, { nonce: bad }), hasCode('ERR_PUB_BAD_POW')),
      assert.rejects(c.post(blob, { nonce: good }), (err: unknown) => {
        const e = err as { code?: string; retryAfterMs?: number };
        return e.code === 'ERR_PUB_RATE_LIMITED' && (e.retryAfterMs ?? 0) > 0;
      }),
    ]);
  });

  it('refuses a blob the pub does not take before spending any work', async () => {
    await startPub({ maxBlobBytes: BLOB_SIZE_STANDARD, powDifficulty: 40 });
    const c = await connect();
    await assert.rejects(c.post(freshBlob(BLOB_SIZE_LONG)), hasCode(PubReplyErrorCode.POLICY));
  });

  it('stops solving when aborted', async () => {
    await startPub({ powDifficulty: 40 });
    const c = await connect();
    await assert.rejects(c.post(freshBlob(), { signal: AbortSignal.timeout(100), maxPowDifficulty: 64 }), hasCode(PubTransportErrorCode.ABORTED));
  });

  it('refuses to spend more work than it allows on one post', async () => {
    await startPub({ powDifficulty: 40 });
    const c = await connect();
    await assert.rejects(c.post(freshBlob()), hasCode(PubReplyErrorCode.POLICY));
  });

  it('fails pending requests with CLOSED when the connection ends, and later ones too', async () => {
    await startPub({ powDifficulty: 0 });
    const c = await connect();
    let closed = false;
    c.addEventListener('close', () => (closed = true));
    const blob = freshBlob();
    await server!.stop();
    server = undefined;
    await waitFor(() => closed, 'the close event');
    assert.equal(c.open, false);
    await assert.rejects(c.post(blob), hasCode(PubTransportErrorCode.CLOSED));
    await assert.rejects(c.fetch(0n), hasCode(PubTransportErrorCode.CLOSED));
  });

  it('refuses a pub that speaks another version', async () => {
    const refusing = await fakePub(encodeRefuse(2, 3));
    await assert.rejects(PubClient.connect(dialer, refusing), hasCode(PubReplyErrorCode.VERSION_REFUSED));
    const hello = encodeHello({
      version: PUB_WIRE_VERSION,
      powContext: new Uint8Array(32),
      powDifficulty: 0,
      blobSizes: [BLOB_SIZE_STANDARD],
      maxFrameBytes: 2 * BLOB_SIZE_STANDARD,
      maxPageBlobs: 1,
      maxPageBytes: 2 * BLOB_SIZE_STANDARD,
      postsPerSecond: 1,
      postBurst: 1,
      maxInflight: 1,
      quotaBytes: 2 * BLOB_SIZE_STANDARD,
      retentionMs: 0,
      maxConnections: 1,
    });
    hello[0] = PUB_WIRE_VERSION + 1;
    const newer = await fakePub(hello);
    await assert.rejects(PubClient.connect(dialer, newer), hasCode(PubReplyErrorCode.VERSION_REFUSED));
  });

  it('gives up on a server that never says hello', async () => {
    const silent = await fakePub(null);
    await assert.rejects(PubClient.connect(dialer, silent, { timeoutMs: 300 }), hasCode(PubTransportErrorCode.TIMEOUT));
  });

  it('treats garbage from the server as a bad reply', async () => {
    const garbage = await fakePub(Uint8Array.of(PUB_WIRE_VERSION, 0x01, 0x00));
    await assert.rejects(PubClient.connect(dialer, garbage), hasCode(PubReplyErrorCode.BAD_REPLY));
  });
});
