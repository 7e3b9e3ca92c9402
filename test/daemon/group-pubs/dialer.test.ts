import assert from 'node:assert/strict';
import { ready } from '../../../protocol/crypto.js';
import { identityFromSeed } from '../../../protocol/identity.js';
import { PubDialer } from '../../../daemon/group-pubs/dialer.js';
import { GroupPubsErrorCode } from '../../../daemon/group-pubs/errors.js';
import { NetworkService } from '../../../daemon/services/network.js';
import { freePorts } from '../../../daemon/tor/testnet.js';
import { TorDialer } from '../../../daemon/transport/tor.js';
import { DialErrorCode } from '../../../daemon/transport/types.js';
import { startEchoServer, type EchoServer } from '../../helpers/testnet.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

let ONION = '';

function hasCode(code: string) {
  return (err: unknown) => (err as { code?: string }).code === code;
}

describe('daemon/group-pubs/dialer (pubDialer)', () => {
  before(async () => {
    await ready();
    ONION = identityFromSeed(new Uint8Array(32).fill(7)).address;
  });
  let echo: EchoServer | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await echo?.close();
    echo = undefined;
    await removeDir(dir);
    dir = undefined;
  });

  it('sends onion pubs to tor and refuses loopback pubs outside development', async () => {
    // a real tor dialer whose SOCKS port has nothing behind it: reaching it at all shows the routing
    const tor = new TorDialer({ socks: { host: '127.0.0.1', port: (await freePorts(1))[0]! }, timeoutMs: 2_000 });
    const d = new PubDialer({ tor, development: false });
    assert.equal(d.kind, 'tor');
    await assert.rejects(d.dial(ONION, { isolationKey: 'k1' }), hasCode(DialErrorCode.FAILED));
    await assert.rejects(d.dial(`ws://${ONION}/`), hasCode(DialErrorCode.FAILED));
    await assert.rejects(d.dial('ws://127.0.0.1:9'), hasCode(GroupPubsErrorCode.DEVELOPMENT_ONLY));
    await assert.rejects(d.dial('wss://example.com/'), hasCode(DialErrorCode.BAD_ADDRESS));
    await assert.rejects(d.dial('ws://10.0.0.1:80'), hasCode(DialErrorCode.BAD_ADDRESS));
  });

  it('dials loopback pubs directly in development, and refuses onion pubs without tor', async () => {
    echo = await startEchoServer();
    const d = new PubDialer({ tor: null, development: true });
    assert.equal(d.kind, 'direct');
    const ws = await d.dial(`ws://127.0.0.1:${echo.port}`);
    ws.close();
    await assert.rejects(d.dial(ONION), hasCode(GroupPubsErrorCode.NO_TOR));
  });

  it('NetworkService.pubDialer: loopback pubs on the direct transport; on the tor transport only in development', async () => {
    echo = await startEchoServer();
    dir = await makeTempDir('pub-dialer');
    const log = () => {};
    const direct = new NetworkService({ log }, { transport: 'direct' });
    (await direct.pubDialer().dial(`ws://127.0.0.1:${echo.port}`)).close();
    await assert.rejects(direct.pubDialer().dial(ONION), hasCode(GroupPubsErrorCode.NO_TOR));
    const tor = { mode: 'spawn', torBin: 'tor' } as const;
    const production = new NetworkService({ log }, { transport: 'tor', tor, torDir: dir });
    assert.equal(production.pubDialer().kind, 'tor');
    await assert.rejects(production.pubDialer().dial(`ws://127.0.0.1:${echo.port}`), hasCode(GroupPubsErrorCode.DEVELOPMENT_ONLY));
    const development = new NetworkService({ log }, { transport: 'tor', tor, torDir: dir, development: true });
    (await development.pubDialer().dial(`ws://127.0.0.1:${echo.port}`)).close();
  });
});
