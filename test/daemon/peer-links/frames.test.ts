import assert from 'node:assert/strict';
import { ready } from '../../../protocol/crypto.js';
import { checkRequestPow, decodePeerFrame, encodePeerFrame, solveRequestPow, type PeerFrame } from '../../../daemon/peer-links/frames.js';
import { RequestLimiter } from '../../../daemon/peer-links/rate-limit.js';
import { backoffDelay, dialOrder } from '../../../daemon/peer-links/manager.js';
import type { OnionAddress } from '../../../protocol/identity.js';

describe('daemon/peer-links frames, limits and dial order', () => {
  before(ready);

  it('decodes every frame it encodes, and refuses another version, an unknown type and trailing bytes', () => {
    const frames: PeerFrame[] = [
      { type: 'contactRequest', name: 'alice', message: 'hi\nthere', nonce: 12345678901234n },
      { type: 'contactRequest', name: null, message: null, nonce: 0n },
      { type: 'contactAccept' },
      { type: 'reply' },
      { type: 'ping' },
      { type: 'pong' },
    ];
    for (const f of frames) assert.deepEqual(decodePeerFrame(encodePeerFrame(f)), f);
    const reply = encodePeerFrame({ type: 'reply' });
    assert.deepEqual([...reply], [1, 3], 'the uniform reply is two fixed bytes');
    assert.throws(() => decodePeerFrame(Uint8Array.of(2, 3)), (e: unknown) => (e as { code?: string }).code === 'ERR_UNSUPPORTED_VERSION');
    assert.throws(() => decodePeerFrame(Uint8Array.of(1, 0x7f)));
    assert.throws(() => decodePeerFrame(Uint8Array.of(1, 3, 0)));
    assert.throws(() => decodePeerFrame(new Uint8Array(0)));
  });

  it('binds the proof of work of a request to the handshake', async () => {
    const hh = new Uint8Array(64).fill(1);
    const nonce = await solveRequestPow(hh, 10);
    assert.ok(checkRequestPow(hh, nonce, 10));
    const other = new Uint8Array(64).fill(2);
    // a nonce good for one handshake is good for another only by chance (2^-10); try a few
    let reused = 0;
    for (let i = 0; i < 8; i++) if (checkRequestPow(other.fill(i + 2), nonce, 10)) reused += 1;
    assert.ok(reused <= 1);
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
