/**
 * A Connection on its own, without a PubServer: a real WebSocket on 127.0.0.1 and a real
 * BlobStore in a temp dir, behind a ConnectionHost that records what the connection reports
 * (posts, refusals, work to wait for, its close). What a client sees over the wire is
 * server.test.ts's; this checks the seam between a connection and the pub that accepted it.
 */
import { BLOB_SIZE_STANDARD } from '../../../protocol/constants.js';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { ready } from '../../../protocol/crypto.js';
import {
  ErrorFrameCode,
  PubCloseCode,
  PubFrameType,
  decodeServerFrame,
  encodeFetch,
  encodeHelloRequest,
  encodePost,
  type ServerFrame,
} from '../../../protocol/pub-wire.js';
import { Connection, type ConnectionHost } from '../../../daemon/pub/connection.js';
import { policyFrom, resolveLimits } from '../../../daemon/pub/policy.js';
import { BlobStore } from '../../../daemon/pub/store/index.js';
import { filledBlob, makeTempDir, removeDir } from '../../helpers/pub-fixtures.js';

/** A host that records every report, over a real store. */
interface RecordingHost extends ConnectionHost {
  stopping: boolean;
  readonly rejectedCodes: ErrorFrameCode[];
  readonly posts: boolean[];
  readonly tracked: Promise<void>[];
  readonly closedConnections: Connection[];
}

function recordingHost(store: BlobStore): RecordingHost {
  const limits = resolveLimits({ powDifficulty: 0 });
  const host: RecordingHost = {
    limits,
    policy: policyFrom(limits, store.powContext),
    store,
    stopping: false,
    rejectedCodes: [],
    posts: [],
    tracked: [],
    closedConnections: [],
    rejected: (code) => void host.rejectedCodes.push(code),
    posted: (duplicate) => void host.posts.push(duplicate),
    track: (work) => void host.tracked.push(work),
    storeFailed: (err) => {
      throw err;
    },
    closed: (conn) => void host.closedConnections.push(conn),
  };
  return host;
}

/** A raw client socket that collects the frames it receives. */
interface Peer {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[];
  /** The next frame answering `requestId` (or the next frame at all for 0). */
  next(requestId?: number): Promise<ServerFrame>;
  readonly closed: Promise<number>;
}

describe('daemon/pub/connection', function () {
  this.timeout(20_000);
  let dir: string;
  let store: BlobStore;
  let host: RecordingHost;
  let wss: WebSocketServer;
  let connections: Connection[];
  const peers: WebSocket[] = [];

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    dir = await makeTempDir('pub-connection');
    store = new BlobStore({ path: join(dir, 'blobs') });
    await store.open();
    host = recordingHost(store);
    connections = [];
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      connections.push(new Connection(host, ws));
    });
  });

  afterEach(async () => {
    for (const ws of peers.splice(0)) ws.terminate();
    for (const ws of wss.clients) ws.terminate();
    await new Promise((r) => wss.close(r));
    await Promise.allSettled(host.tracked);
    await store.close();
    await removeDir(dir);
  });

  async function peer(): Promise<Peer> {
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    peers.push(ws);
    const frames: ServerFrame[] = [];
    const waiting: Array<{ id: number; resolve: (f: ServerFrame) => void }> = [];
    ws.on('message', (data: Buffer) => {
      const frame = decodeServerFrame(new Uint8Array(data));
      frames.push(frame);
      const id = 'requestId' in frame ? frame.requestId : 0;
      const at = waiting.findIndex((w) => w.id === 0 || w.id === id);
      if (at >= 0) waiting.splice(at, 1)[0]!.resolve(frame);
    });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    await new Promise((r) => ws.once('open', r));
    return { ws, frames, closed, next: (id = 0) => new Promise((resolve) => waiting.push({ id, resolve })) };
  }

  it('answers a HELLO_REQUEST with the host\'s policy', async () => {
    const p = await peer();
    const hello = p.next();
    p.ws.send(encodeHelloRequest());
    const frame = await hello;
    assert.equal(frame.type, PubFrameType.HELLO);
    assert.deepEqual(frame.type === PubFrameType.HELLO && frame.policy, host.policy);
  });

  it('stores a post in the host\'s store, reports it (a duplicate as one) and hands the work to the host to wait for', async () => {
    const p = await peer();
    const blob = filledBlob(BLOB_SIZE_STANDARD, 0x11);
    for (const id of [1, 2]) {
      const reply = p.next(id);
      p.ws.send(encodePost(id, 0n, blob));
      const ack = await reply;
      assert.equal(ack.type, PubFrameType.POST_ACK);
      assert.equal(ack.type === PubFrameType.POST_ACK && ack.cursor, 1n);
    }
    await Promise.all(host.tracked);
    assert.deepEqual(host.posts, [false, true]);
    assert.equal(host.tracked.length, 2);
    assert.equal(store.stats().blobs, 1);
  });

  it('reports each request it refuses to the host by its ERROR frame code', async () => {
    const p = await peer();
    const badSize = p.next(1);
    p.ws.send(encodePost(1, 0n, filledBlob(BLOB_SIZE_STANDARD - 1)));
    const zeroLimit = p.next(2);
    p.ws.send(encodeFetch(2, 0n, 0));
    for (const [reply, code] of [[await badSize, ErrorFrameCode.BAD_BLOB_SIZE], [await zeroLimit, ErrorFrameCode.BAD_REQUEST]] as const) {
      assert.ok(reply.type === PubFrameType.ERROR && reply.code === code, `expected ERROR ${code}`);
    }
    assert.deepEqual(host.rejectedCodes, [ErrorFrameCode.BAD_BLOB_SIZE, ErrorFrameCode.BAD_REQUEST]);
    assert.deepEqual(host.posts, []);
  });

  it('answers SHUTTING_DOWN once its host is stopping, and stores nothing', async () => {
    const p = await peer();
    host.stopping = true;
    const reply = p.next(1);
    p.ws.send(encodePost(1, 0n, filledBlob()));
    const frame = await reply;
    assert.ok(frame.type === PubFrameType.ERROR && frame.code === ErrorFrameCode.SHUTTING_DOWN);
    assert.deepEqual(host.rejectedCodes, [ErrorFrameCode.SHUTTING_DOWN]);
    assert.equal(store.stats().blobs, 0);
  });

  it('tells its host once it is closed, by the peer or by stop()', async () => {
    const a = await peer();
    const b = await peer();
    while (connections.length < 2) await new Promise((r) => setTimeout(r, 5));
    a.ws.close();
    await a.closed;
    while (host.closedConnections.length < 1) await new Promise((r) => setTimeout(r, 5));
    assert.equal(host.closedConnections[0], connections[0]);
    await connections[1]!.stop(2_000);
    assert.equal(await b.closed, PubCloseCode.GOING_AWAY);
    assert.ok(host.closedConnections.includes(connections[1]!));
  });
});
