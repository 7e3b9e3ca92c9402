/**
 * The roster of a member that joined without history, from the base its version 3 invite gives
 * (docs/groups.md, "Roster from a base"): the committed vector (test/vectors/roster-base.json)
 * and the rules around it.
 */
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { ready } from '../../protocol/crypto.js';
import { consumeEntry, consumeGenesis, decodeEntry, entryId } from '../../protocol/entry.js';
import { deriveEpochKeys } from '../../protocol/group.js';
import { consumeInvite, inviteRosterBase } from '../../protocol/invite.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { computeRoster, rosterEntryOf, type Roster, type RosterEntry } from '../../protocol/roster.js';
import type { RosterBaseVector } from '../helpers/group-vectors.js';
import { LogBuilder } from '../helpers/roster-log.js';
import { codeOf, readVectors } from '../helpers/vectors.js';

function summary(r: Roster) {
  return {
    name: r.name,
    pubs: r.pubs,
    membersMayInvite: r.membersMayInvite,
    epoch: { number: r.epoch.number, opener: toHex(r.epoch.opener) },
    members: r.members.map((m) => ({ identityKey: toHex(m.identityKey), role: m.role })),
    applied: r.applied.map(toHex),
    ignored: r.ignored.map((i) => ({ id: toHex(i.id), reason: i.reason })),
    pending: r.pending.map(toHex),
  };
}

describe('protocol/roster: from a base', () => {
  before(ready);
  const { vectors } = readVectors<{ vectors: RosterBaseVector[] }>('roster-base');

  function verified(v: RosterBaseVector): RosterEntry[] {
    const groupId = fromHex(v.groupId);
    const keys = v.epochs.map((e) => deriveEpochKeys(fromHex(e.secret), groupId, { number: e.number, opener: fromHex(e.opener) }));
    return v.entries.map((hex) => {
      const bytes = fromHex(hex);
      const entry = decodeEntry(bytes);
      if (entry.content.kind === 'genesis') return rosterEntryOf(consumeGenesis(bytes, groupId), entryId(bytes));
      const k = keys.find((x) => x.epoch.number === entry.epoch.number && toHex(x.epoch.opener) === toHex(entry.epoch.opener))!;
      return rosterEntryOf(consumeEntry(k, bytes), entryId(bytes));
    });
  }

  it('computes the committed roster from the committed invite and entries, in any order', () => {
    assert.ok(vectors.length >= 1);
    for (const v of vectors) {
      const base = inviteRosterBase(consumeInvite(v.invite))!;
      assert.ok(base !== null);
      const entries = verified(v);
      assert.deepEqual(summary(computeRoster(fromHex(v.groupId), entries, base)), v.expected, v.description);
      assert.deepEqual(summary(computeRoster(fromHex(v.groupId), entries.slice().reverse(), base)), v.expected);
      assert.equal(v.expected.pending.length, 0, 'what came before the base holds nothing back');
      assert.ok(v.expected.ignored.some((i) => i.reason === 'stale-epoch'), 'an entry before the base is ignored');
    }
  });

  it('gives no base for an invite that carries history or is of epoch 0', () => {
    const inv = readVectors<{ vectors: { text: string; certificates?: string[]; development: boolean }[] }>('invite').vectors;
    for (const v of inv.filter((x) => x.certificates === undefined)) assert.equal(inviteRosterBase(consumeInvite(v.text, { development: v.development })), null);
  });

  it('applies what comes after the base as everywhere: a join by a later invite, a removal with its closing rule', () => {
    const b = new LogBuilder('ada');
    const inv = b.invite('ada');
    b.join('bo', inv);
    b.join('cy', inv);
    const rk = b.rekey('ada', [], { ada: 'admin', bo: 'member', cy: 'member' });
    const full = computeRoster(b.groupId, b.entries);
    // the joiner holds the genesis and what comes from the re-key on
    const from = b.entries.length;
    const inv2 = b.invite('ada', { heads: [rk] });
    const jd = b.join('dee', inv2, { heads: [inv2] });
    const bo1 = b.text('bo', { heads: [rk] });
    const rk2 = b.rekey('ada', ['cy'], { ada: 'admin', bo: 'member', dee: 'member' }, { heads: [bo1, jd] });
    const late = b.text('cy', { heads: [bo1], epoch: { number: 1, opener: rk } });
    const base = {
      epoch: full.epoch,
      previous: full.epochs[0]!,
      members: full.members.map((m) => ({ certificate: m.certificate, role: m.role })),
      pubs: full.pubs,
    };
    const held = [b.entries[0]!, ...b.entries.slice(from)];
    const r = computeRoster(b.groupId, held, base);
    const everyone = computeRoster(b.groupId, b.entries);
    assert.deepEqual(r.members.map((m) => toHex(m.identityKey)), everyone.members.map((m) => toHex(m.identityKey)));
    assert.equal(everyone.members.length, 3);
    assert.equal(toHex(r.epoch.opener), toHex(rk2));
    assert.equal(r.ignored.find((i) => toHex(i.id) === toHex(late))?.reason, 'not-member');
    assert.equal(r.pending.length, 0);
  });

  it('refuses a base naming no admin, or of epoch 0', () => {
    const b = new LogBuilder('ada');
    const inv = b.invite('ada');
    b.join('bo', inv);
    b.rekey('ada', [], { ada: 'admin', bo: 'member' });
    const full = computeRoster(b.groupId, b.entries);
    const members = full.members.map((m) => ({ certificate: m.certificate, role: 'member' as const }));
    assert.equal(codeOf(() => computeRoster(b.groupId, [b.entries[0]!], { epoch: full.epoch, previous: full.epochs[0]!, members, pubs: [] })), ProtocolErrorCode.INVALID_FIELD);
    const ok = full.members.map((m) => ({ certificate: m.certificate, role: m.role }));
    assert.equal(codeOf(() => computeRoster(b.groupId, [b.entries[0]!], { epoch: full.epochs[0]!, previous: full.epochs[0]!, members: ok, pubs: [] })), ProtocolErrorCode.INVALID_FIELD);
  });
});
