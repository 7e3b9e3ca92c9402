import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOB_SIZE_STANDARD, BLOB_VERSION } from '../../../protocol/constants.js';
import { ready } from '../../../protocol/crypto.js';
import { PubClient } from '../../../daemon/pub-links/client.js';
import { PubServer } from '../../../daemon/pub/server.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';

/** Sockets the pub holds beyond maxConnections (HANDSHAKE_SOCKETS_MAX in server.ts). */
const HANDSHAKE_SOCKETS = 64;

function blob(n: number): Uint8Array {
  const b = new Uint8Array(BLOB_SIZE_STANDARD);
  b[0] = BLOB_VERSION;
  new DataView(b.buffer).setUint32(1, n);
  new DataView(b.buffer).setUint32(5, process.pid);
  return b;
}

/** A TCP socket that sends the start of an HTTP request and never finishes it. */
function halfRequest(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write('GET / HTTP/1.1\r\nHost: pub\r\nUpgrade: websocket\r\n');
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

describe('daemon/pub/server sockets', function () {
  this.timeout(30_000);
  let home: string;
  let server: PubServer | undefined;
  const sockets: Socket[] = [];

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'snug-pub-sockets-'));
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server?.stop();
    server = undefined;
    await rm(home, { recursive: true, force: true });
  });

  it('holds at most maxConnections plus the handshake allowance of sockets, closing half-open requests past it, and serves again once they go', async () => {
    server = new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits: { maxConnections: 4, powDifficulty: 0, statsIntervalMs: 0 }, log: () => {} });
    const { port } = await server.start();
    const cap = 4 + HANDSHAKE_SOCKETS;
    const opened = [];
    for (let i = 0; i < cap + 40; i++) {
      const h = await halfRequest(port);
      sockets.push(h.socket);
      opened.push(h);
    }
    // Every socket past the cap is closed by the pub as it is accepted: well before the
    // handshake timeout (10 s) would close it.
    const past = Promise.all(opened.slice(cap).map((h) => h.closed)).then(() => true);
    const late = new Promise<false>((r) => setTimeout(() => r(false), 5_000).unref());
    assert.equal(await Promise.race([past, late]), true, 'the sockets past the cap were closed at once');
    let open = 0;
    for (const h of opened) if (!h.socket.destroyed) open += 1;
    assert.ok(open <= cap, `${open} sockets held, more than ${cap}`);
    for (const s of sockets.splice(0)) s.destroy();
    // The held ones are released; a well-behaved client gets in and posts.
    let client: PubClient | undefined;
    for (let i = 0; i < 100 && client === undefined; i++) {
      client = await PubClient.connect(new DirectDialer(), `ws://127.0.0.1:${port}`).catch(() => undefined);
      if (client === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(client, 'a client connects once the half-open sockets are gone');
    try {
      assert.equal((await client.post(blob(1))).cursor, 1n);
    } finally {
      await client.close();
    }
  });
});
