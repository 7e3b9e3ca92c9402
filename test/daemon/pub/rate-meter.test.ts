import assert from 'node:assert/strict';
import { RATE_WINDOW_SECONDS, RateMeter } from '../../../daemon/pub/rate-meter.js';

describe('daemon/pub/rate-meter', () => {
  it('averages the events of the last window over its seconds', () => {
    let now = 1_000_000;
    const meter = new RateMeter(() => now);
    assert.equal(meter.perSecond(), 0);
    meter.add();
    meter.add(4);
    now += 3_000;
    meter.add(5);
    assert.equal(meter.perSecond(), 10 / RATE_WINDOW_SECONDS);
  });

  it('forgets events once they are a whole window old', () => {
    let now = 5_000_000;
    const meter = new RateMeter(() => now);
    meter.add(7);
    now += (RATE_WINDOW_SECONDS - 1) * 1000;
    assert.equal(meter.perSecond(), 7 / RATE_WINDOW_SECONDS);
    now += 1000;
    assert.equal(meter.perSecond(), 0);
    meter.add(2);
    assert.equal(meter.perSecond(), 2 / RATE_WINDOW_SECONDS);
  });
});
