import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { toHex } from '../../../../protocol/bytes.js';
import { ready } from '../../../../protocol/crypto.js';
import { buildRekey, rekeyDuty } from '../../../../protocol/rekey.js';
import { computeRoster } from '../../../../protocol/roster.js';
import { RekeyScheduler } from '../../../../daemon/groups/membership/duty.js';
import { LogBuilder } from '../../../helpers/roster-log.js';

/** 40 ms per rank, no jitter: fast and ordered. */
const delayMs = (rank: number) => 40 * rank + 5;

function groupWithLeave(): LogBuilder {
  const b = new LogBuilder('ada');
  b.add('ada', 'bo', 'admin');
  b.add('ada', 'cy', 'admin');
  b.add('ada', 'dee');
  b.post('dee', { kind: 'leave' });
  return b;
}

describe('daemon/groups/membership/duty', () => {
  before(ready);

  it('has the first-ranked admin re-key once after a leave, and the others only wait', async () => {
    const b = groupWithLeave();
    const r = computeRoster(b.groupId, b.entries);
    const duty = rekeyDuty(r)!;
    const fired: string[] = [];
    const schedulers = ['ada', 'bo', 'cy', 'dee'].map(
      (n) =>
        [
          n,
          new RekeyScheduler({
            delayMs,
            rekey: async (groupId, trigger) => {
              assert.equal(trigger, toHex(duty.trigger));
              assert.equal(groupId, 'g');
              fired.push(n);
              // it re-keys: every scheduler sees the settled roster
              const rk = buildRekey(computeRoster(b.groupId, b.entries), { signer: b.who(n).profile.signing });
              b.post(n, rk.content);
              const settled = computeRoster(b.groupId, b.entries);
              for (const [m, s] of schedulers) s.update('g', settled, b.who(m).identity.publicKey);
            },
          }),
        ] as const,
    );
    for (const [n, s] of schedulers) s.update('g', r, b.who(n).identity.publicKey);
    assert.equal(schedulers.find(([n]) => n === 'dee')![1].pendingTrigger('g'), null, 'the leaver has no duty');
    await sleep(200);
    const first = ['ada', 'bo', 'cy'].find((n) => toHex(b.who(n).identity.publicKey) === toHex(duty.ranked[0]!));
    assert.deepEqual(fired, [first]);
    assert.equal(rekeyDuty(computeRoster(b.groupId, b.entries)), null);
    for (const [, s] of schedulers) assert.equal(s.pendingTrigger('g'), null);
  });

  it('lets the next admin take over when the first does not re-key', async () => {
    const b = groupWithLeave();
    const r = computeRoster(b.groupId, b.entries);
    const duty = rekeyDuty(r)!;
    const fired: string[] = [];
    const schedulers = duty.ranked.slice(1).map((key) => {
      const n = ['ada', 'bo', 'cy'].find((x) => toHex(b.who(x).identity.publicKey) === toHex(key))!;
      const s = new RekeyScheduler({
        delayMs,
        rekey: async () => {
          fired.push(n);
        },
      });
      s.update('g', r, key);
      return s;
    });
    await sleep(150);
    assert.equal(fired.length, 2, 'ranks 1 and 2 took over in turn (rank 0 is offline)');
    assert.equal(toHex(b.who(fired[0]!).identity.publicKey), toHex(duty.ranked[1]!));
    for (const s of schedulers) s.stop();
  });

  it('drops the timer when the state it was set for is gone, and retries a failed re-key later', async () => {
    const b = groupWithLeave();
    const r = computeRoster(b.groupId, b.entries);
    const duty = rekeyDuty(r)!;
    let calls = 0;
    const s = new RekeyScheduler({
      delayMs,
      rekey: async () => {
        calls++;
        if (calls === 1) throw new Error('no pub accepted it');
      },
      onError: () => undefined,
    });
    s.update('g', r, duty.ranked[0]!);
    await sleep(120);
    assert.equal(calls, 2, 'failed once, retried one takeover period later');
    // a new unsettled state, then settled before the timer: nothing fires
    const s2 = new RekeyScheduler({
      delayMs: () => 60,
      rekey: async () => {
        calls += 100;
      },
    });
    s2.update('g', r, duty.ranked[0]!);
    assert.notEqual(s2.pendingTrigger('g'), null);
    const rk = buildRekey(r, { signer: b.who('ada').profile.signing });
    b.post('ada', rk.content);
    s2.update('g', computeRoster(b.groupId, b.entries), duty.ranked[0]!);
    assert.equal(s2.pendingTrigger('g'), null);
    await sleep(100);
    assert.equal(calls, 2);
    s.stop();
  });
});
