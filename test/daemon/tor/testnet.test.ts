import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTorError, TorErrorCode } from '../../../daemon/tor/errors.js';
import { freePorts, startTestNetwork } from '../../../daemon/tor/testnet.js';
import { sharedTestNetwork } from '../../helpers/testnet.js';

describe('daemon/tor/testnet', function () {
  this.timeout(60_000);

  it('gives clients the test-network settings and one DirAuthority line per authority', async () => {
    const network = await sharedTestNetwork();
    const lines = network.clientTorrcLines();
    for (const setting of ['TestingTorNetwork 1', 'VanguardsLiteEnabled 0', 'Schedulers Vanilla', 'ClientUseIPv6 0']) {
      assert.ok(lines.includes(setting), setting);
    }
    const authorities = lines.filter((l) => l.startsWith('DirAuthority '));
    assert.equal(authorities.length, 5);
    for (const line of authorities) {
      assert.match(line, /^DirAuthority \S+ orport=\d+ no-v2 v3ident=[0-9A-F]{40} 127\.0\.0\.1:\d+ [0-9A-F]{40}$/);
    }
    const nicks = new Set(authorities.map((l) => l.split(' ')[1]));
    assert.equal(nicks.size, 5);
  });

  it('picks distinct free ports', async () => {
    const ports = await freePorts(10);
    assert.equal(new Set(ports).size, 10);
    for (const p of ports) assert.ok(p > 0 && p < 65536);
  });

  it('fails with the typed not-found error when tor is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snug-testnet-notor-'));
    try {
      await assert.rejects(startTestNetwork({ dir, torBin: join(dir, 'no-such-tor') }), (err: unknown) => isTorError(err, TorErrorCode.NOT_FOUND));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
