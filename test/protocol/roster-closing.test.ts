/**
 * Closing the old epoch (docs/groups.md, "Closing the old epoch"): a re-key accepts, per author,
 * the entries in its causal past; a removed member's other entries never count, whatever their
 * ids; a remaining member's old-epoch entries count until its first entry in the new epoch.
 */
import assert from 'node:assert/strict';
import { compareBytes, toHex } from '../../protocol/bytes.js';
import { ready } from '../../protocol/crypto.js';
import { computeRoster, type Roster } from '../../protocol/roster.js';
import { LogBuilder } from '../helpers/roster-log.js';

function statusOf(r: Roster, id: Uint8Array): string {
  const hex = toHex(id);
  if (r.applied.some((x) => toHex(x) === hex)) return 'applied';
  return r.ignored.find((i) => toHex(i.id) === hex)?.reason ?? (r.pending.some((x) => toHex(x) === hex) ? 'pending' : 'absent');
}

/** The same entries in another order (the roster must not care). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = xs.slice();
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('protocol/roster: closing the old epoch', () => {
  before(ready);

  it("ignores every entry a removed member posts outside the re-key's causal past, even those whose ids sort before the re-key's", () => {
    const b = new LogBuilder('ada');
    const inv = b.invite('ada');
    const jb = b.join('bo', inv);
    const jc = b.join('cy', inv, { heads: [jb] });
    const before = b.text('cy', { heads: [jc] });
    const old = b.epoch;
    const rk = b.rekey('ada', ['cy'], { ada: 'admin', bo: 'member' }, { heads: [before] });
    // cy, removed, keeps posting in epoch 0 as if it had not seen the re-key: each names only what came before it
    const attacks: Uint8Array[] = [];
    for (let i = 0; i < 24; i++) attacks.push(b.text('cy', { heads: [before], epoch: old }));
    assert.ok(attacks.some((id) => compareBytes(id, rk) < 0), 'some attack ids sort before the re-key (the old order would have applied them)');
    const after = b.text('bo', { heads: [rk] });
    for (const seed of [1, 2, 3]) {
      const r = computeRoster(b.groupId, shuffled(b.entries, seed));
      assert.equal(statusOf(r, before), 'applied', 'what the re-key had seen of cy counts');
      for (const id of attacks) assert.equal(statusOf(r, id), 'not-member');
      assert.equal(statusOf(r, after), 'applied');
      assert.equal(r.epoch.number, 1);
    }
  });

  it("accepts a remaining member's old-epoch entries concurrent with the re-key until its first entry in the new epoch, and none after", () => {
    const b = new LogBuilder('ada');
    const inv = b.invite('ada');
    const jb = b.join('bo', inv);
    const jc = b.join('cy', inv, { heads: [jb] });
    const old = b.epoch;
    const rk = b.rekey('ada', ['cy'], { ada: 'admin', bo: 'member' }, { heads: [jc] });
    const late = b.text('bo', { heads: [jc], epoch: old }); // bo had not yet seen the re-key
    const first = b.text('bo', { heads: [rk] }); // bo's first entry in epoch 1
    const stale = b.text('bo', { heads: [first], epoch: old }); // back in epoch 0 after that
    const r = computeRoster(b.groupId, b.entries);
    assert.equal(statusOf(r, late), 'applied');
    assert.equal(statusOf(r, first), 'applied');
    assert.equal(statusOf(r, stale), 'closed-epoch');
  });

  it('still resolves two admins removing each other at once: the first by id applies, the other is void', () => {
    const b = new LogBuilder('ada', { admins: ['bo'] });
    const inv = b.invite('ada');
    const jb = b.join('bo', inv);
    const jc = b.join('cy', inv, { heads: [jb] });
    const old = b.epoch;
    const ra = b.rekey('ada', ['bo'], { ada: 'admin', cy: 'member' }, { heads: [jc], stay: true });
    const rb = b.rekey('bo', ['ada'], { bo: 'admin', cy: 'member' }, { heads: [jc], epoch: old, stay: true });
    const [winner, loser] = compareBytes(ra, rb) < 0 ? [ra, rb] : [rb, ra];
    for (const seed of [1, 2]) {
      const r = computeRoster(b.groupId, shuffled(b.entries, seed));
      assert.equal(statusOf(r, winner), 'applied');
      assert.equal(statusOf(r, loser), 'not-member');
      assert.equal(toHex(r.epoch.opener), toHex(winner));
      assert.equal(r.members.length, 2);
    }
  });
});
