/**
 * PubClient.subscribe given up (timeout) against a pub that never answers it: the connection
 * is closed once the SUBSCRIBE was sent (nothing else stops the pub's pushes), and kept when the
 * request was still waiting for a slot in the in-flight window.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ready } from '../../../protocol/crypto.js';
import { PubFrameType, decodeClientFrame, encodeHello } from '../../../protocol/pub-wire.js';
import { PubClient } from '../../../daemon/pub-links/client.js';
import { PubTransportErrorCode } from '../../../daemon/pub-links/errors.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { SAMPLE_POLICY } from '../../helpers/pub-fixtures.js';

function hasCode(code: string) {
  return (err: unknown) => (err as { code?: string }).code === code;
}

describe('daemon/pub-links/client subscribe given up', function () {
  this.timeout(20_000);
  let wss: WebSocketServer | undefined;
  const clients: PubClient[] = [];

  before(async () => {
    await ready();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => {});
    if (wss) {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((r) => wss!.close(r));
      wss = undefined;
    }
  });

  /** A pub that answers hellos (maxInflight 1) and nothing else. */
  async function silentPub(): Promise<string> {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss!.once('listening', r));
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (data: Buffer) => {
        if (decodeClientFrame(new Uint8Array(data)).type === PubFrameType.HELLO_REQUEST) ws.send(encodeHello({ ...SAMPLE_POLICY, maxInflight: 1 }));
      });
    });
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  }

  async function connect(url: string): Promise<PubClient> {
    const c = await PubClient.connect(new DirectDialer(), url);
    clients.push(c);
    return c;
  }

  it('closes the connection when it gives up on a subscription it sent, failing later requests with CLOSED', async () => {
    const c = await connect(await silentPub());
    const closed = new Promise((r) => c.addEventListener('close', r, { once: true }));
    await assert.rejects(c.subscribe(0n, () => {}, { timeoutMs: 50 }), hasCode(PubTransportErrorCode.TIMEOUT));
    await closed;
    assert.equal(c.open, false);
    await assert.rejects(c.fetch(0n), hasCode(PubTransportErrorCode.CLOSED));
  });

  it('keeps the connection when the subscription given up was still waiting for a slot, and lets a new subscribe() be made', async () => {
    const c = await connect(await silentPub());
    const fetching = c.fetch(0n); // holds the only slot, never answered
    await assert.rejects(c.subscribe(0n, () => {}, { timeoutMs: 50 }), hasCode(PubTransportErrorCode.TIMEOUT));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.open, true);
    // not refused locally as a second subscription: it waits for the slot like any request
    const again = c.subscribe(0n, () => {}, { timeoutMs: 50 });
    await assert.rejects(again, hasCode(PubTransportErrorCode.TIMEOUT));
    assert.equal(c.open, true);
    await c.close();
    await assert.rejects(fetching, hasCode(PubTransportErrorCode.CLOSED));
  });
});
