/**
 * The loopback dialer and the WebSocket opening both dialers share (websocket.ts): open, refused,
 * timed out, aborted, each a DialError with its code.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { DialError, DialErrorCode } from '../../../daemon/transport/types.js';

function isDialError(code: DialErrorCode) {
  return (err: unknown) => err instanceof DialError && err.code === code;
}

describe('daemon/transport/direct', () => {
  const dialer = new DirectDialer();

  it('opens a WebSocket to a loopback server', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    try {
      const ws = await dialer.dial(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
      assert.equal(ws.readyState, ws.OPEN);
      ws.terminate();
    } finally {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });

  it('rejects an address that is not ws:// on loopback with ERR_BAD_ADDRESS', async () => {
    for (const address of ['ws://10.0.0.1:80', 'http://127.0.0.1:80', 'ws://127.0.0.1:0', 'ws://127.0.0.1:70000', `${'a'.repeat(56)}.onion`]) {
      await assert.rejects(dialer.dial(address), isDialError(DialErrorCode.BAD_ADDRESS), address);
    }
  });

  describe('against a TCP server', () => {
    let server: Server;
    let port: number;
    const held: Socket[] = [];

    before(async () => {
      // Takes the connection and never answers the upgrade.
      server = createServer((socket) => {
        socket.on('error', () => {});
        held.push(socket);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });

    after(async () => {
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('fails with ERR_DIAL_TIMEOUT when the upgrade is not answered in time', async () => {
      await assert.rejects(dialer.dial(`ws://127.0.0.1:${port}/`, { timeoutMs: 200 }), isDialError(DialErrorCode.TIMEOUT));
    });

    it('fails with ERR_DIAL_ABORTED when the caller aborts, and at once for a signal already aborted', async () => {
      await assert.rejects(dialer.dial(`ws://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(100), timeoutMs: 10_000 }), isDialError(DialErrorCode.ABORTED));
      await assert.rejects(dialer.dial(`ws://127.0.0.1:${port}/`, { signal: AbortSignal.abort() }), isDialError(DialErrorCode.ABORTED));
    });
  });

  it('fails with ERR_DIAL_FAILED when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await assert.rejects(dialer.dial(`ws://127.0.0.1:${port}/`), isDialError(DialErrorCode.FAILED));
  });
});
