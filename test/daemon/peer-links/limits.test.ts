import assert from 'node:assert/strict';
import { ready } from '../../../protocol/crypto.js';
import { RequestLimiter } from '../../../daemon/peer-links/rate-limit.js';
import { backoffDelay, dialOrder, fitUtf8 } from '../../../daemon/peer-links/manager.js';
import type { OnionAddress } from '../../../protocol/identity.js';

describe('daemon/peer-links limits, backoff and dial order', () => {
  before(ready);

  it('cuts a proposed name or message to the protocol\'s byte limit at a code point', () => {
    assert.equal(fitUtf8('abc', 64), 'abc');
    assert.equal(fitUtf8('é'.repeat(40), 64), 'é'.repeat(32));
    assert.equal(fitUtf8('a' + '😀'.repeat(20), 9), 'a😀😀');
  });

  it('limits requests per address and in total, and refills over time', () => {
    let now = 0;
    const l = new RequestLimiter({ perAddressBurst: 2, perAddressPeriodMs: 1000, totalBurst: 3, totalPeriodMs: 1000, maxAddresses: 10, now: () => now });
    assert.deepEqual([l.take('a'), l.take('a'), l.take('a')], [true, true, false]);
    assert.deepEqual([l.take('b'), l.take('c')], [true, false], 'the total bucket is empty');
    now += 1000;
    assert.deepEqual([l.take('a'), l.take('c')], [true, true]);
  });

  it('backs off exponentially with jitter between half and the whole step, up to the cap', () => {
    assert.equal(backoffDelay(1, 1000, 60_000, () => 1), 1000);
    assert.equal(backoffDelay(1, 1000, 60_000, () => 0), 500);
    assert.equal(backoffDelay(4, 1000, 60_000, () => 1), 8000);
    assert.equal(backoffDelay(40, 1000, 60_000, () => 1), 60_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(3, 1000, 60_000);
      assert.ok(d >= 2000 && d <= 4000, String(d));
    }
  });

  it('dials the most recently reachable first and the never reached last', () => {
    const t = (address: string, lastSeen: number | null) => ({ address: address as OnionAddress, intent: 'link' as const, lastSeen });
    const sorted = [t('a', null), t('b', 5), t('c', 9), t('d', null), t('e', 1)].sort(dialOrder).map((x) => x.address);
    assert.deepEqual(sorted, ['c', 'b', 'e', 'a', 'd']);
  });
});
