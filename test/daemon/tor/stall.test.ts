/**
 * A tor that cannot reach the Tor network (here: its only directory authority is a closed port
 * on 127.0.0.1, as good as no internet) makes no bootstrap progress; the service says so once,
 * with tor's own warning, after the stall threshold (shortened here).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TorService, type TorStall } from '../../../daemon/tor/service.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { unreachableNetworkTorrc } from '../../helpers/testnet.js';

describe('daemon/tor/service when tor cannot reach the network', function () {
  this.timeout(60_000);
  let dir: string | undefined;
  let service: TorService | undefined;

  afterEach(async () => {
    await service?.stop();
    await removeDir(dir);
  });

  it('emits one stalled event, with tor\'s last warning, after the threshold without progress', async () => {
    dir = await makeTempDir('stall');
    service = new TorService({
      dataDir: join(dir, 'tor'),
      options: { mode: 'spawn', torBin: 'tor', extraConfigFile: await unreachableNetworkTorrc(dir) },
      stallTimeoutMs: 3_000,
    });
    const stalls: TorStall[] = [];
    service.addEventListener('stalled', (e) => stalls.push(e.detail));
    const started = Date.now();
    await service.start();
    const first = await service.once('stalled', { signal: AbortSignal.timeout(30_000) });
    assert.ok(Date.now() - started >= 3_000, 'not before the threshold');
    assert.ok(first.bootstrap < 100);
    assert.equal(service.status.state, 'bootstrapping');
    assert.ok(first.warning !== undefined && first.warning.length > 0, 'tor\'s warning is carried');
    assert.match(first.warning, /CONNECTREFUSED/);
    // Once per stall: no second event while nothing moves.
    await sleep(4_000);
    assert.equal(stalls.length, 1);
  });
});
