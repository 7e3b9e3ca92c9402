import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { PEER_PROTOCOL_VERSION, PEER_REFUSAL_CLOSE_CODE } from '../../../daemon/peer-links/constants.js';
import { PeerListener } from '../../../daemon/peer-links/listener.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
}

describe('daemon/peer-links/listener', () => {
  let listener: PeerListener | undefined;
  afterEach(async () => {
    await listener?.stop();
    listener = undefined;
  });

  it('listens on 127.0.0.1 and a free port, named by its ws:// url', async () => {
    listener = new PeerListener({});
    assert.equal(listener.url, null);
    await listener.start();
    assert.match(listener.url ?? '', /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(listener.url, `ws://127.0.0.1:${listener.port}`);
  });

  it('closes every connection with the versioned refusal', async () => {
    listener = new PeerListener({});
    await listener.start();
    const ws = await new DirectDialer().dial(listener.url!);
    const { code, reason } = await closed(ws);
    assert.equal(code, PEER_REFUSAL_CLOSE_CODE);
    assert.equal(reason.split(' ')[0], `snug-peer/${PEER_PROTOCOL_VERSION}`);
  });

  it('hands connections to the handler given to serve(), and refuses them again after serve(null)', async () => {
    listener = new PeerListener({});
    await listener.start();
    const served: unknown[] = [];
    listener.serve((ws) => {
      served.push(ws);
      ws.on('message', (d) => ws.send(`served ${String(d)}`));
    });
    const ws = await new DirectDialer().dial(listener.url!);
    const first = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send('hi'); // the dialler speaks first (daemon/transport/types.ts)
    assert.equal(await first, 'served hi');
    assert.equal(served.length, 1);
    ws.terminate();
    listener.serve(null);
    const again = await new DirectDialer().dial(listener.url!);
    assert.equal((await closed(again)).code, PEER_REFUSAL_CLOSE_CODE);
    assert.equal(served.length, 1);
  });

  it('refuses connections beyond its limit at the upgrade', async () => {
    listener = new PeerListener({}, { maxConnections: 0 });
    await listener.start();
    await assert.rejects(new DirectDialer().dial(listener.url!), (err: unknown) => (err as { code?: string }).code === 'ERR_DIAL_FAILED');
  });

  it('stops listening on stop (a dial is refused) and can stop twice', async () => {
    listener = new PeerListener({});
    await listener.start();
    const url = listener.url!;
    await listener.stop();
    await listener.stop();
    assert.equal(listener.url, null);
    await assert.rejects(new DirectDialer().dial(url), (err: unknown) => (err as { code?: string }).code === 'ERR_DIAL_FAILED');
  });
});
