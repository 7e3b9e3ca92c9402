import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { ready } from '../../protocol/crypto.js';
import { consumeEntry, consumeGenesis, decodeEntry, encodeEntry, entryId } from '../../protocol/entry.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { deriveEpochKeys } from '../../protocol/group.js';
import { dutyRanking, openRekey, openRekeyByPackage, rekeyDuty } from '../../protocol/rekey.js';
import { computeRoster, rosterEntryOf, type RosterEntry } from '../../protocol/roster.js';
import type { MembershipVectors, RaceVector } from '../helpers/membership-vectors.js';
import { codeOf, readVectors } from '../helpers/vectors.js';

const vectors = readVectors<MembershipVectors>('membership');

/** Each committed entry decoded and verified with its epoch's keys (the genesis by itself). */
function verified(v: RaceVector): RosterEntry[] {
  const groupId = fromHex(v.groupId);
  const keys = v.epochs.map((e) => deriveEpochKeys(fromHex(e.secret), groupId, { number: e.number, opener: fromHex(e.opener) }));
  return v.entries.map((hex) => {
    const bytes = fromHex(hex);
    const entry = decodeEntry(bytes);
    assert.equal(toHex(encodeEntry(entry)), hex, 'entries encode back to their bytes');
    if (entry.content.kind === 'genesis') return rosterEntryOf(consumeGenesis(bytes, groupId), entryId(bytes));
    const k = keys.find((x) => x.epoch.number === entry.epoch.number && toHex(x.epoch.opener) === toHex(entry.epoch.opener));
    assert.ok(k !== undefined, 'an entry of an epoch the vector does not name');
    return rosterEntryOf(consumeEntry(k, bytes), entryId(bytes));
  });
}

describe('membership vectors (test/vectors/membership.json)', () => {
  before(ready);

  it('computes the committed roster, duty included, at each step of each committed race, in either order', () => {
    assert.ok(vectors.races.length >= 1);
    for (const v of vectors.races) {
      const entries = verified(v);
      const name = (k: Uint8Array) => v.people.find((p) => p.identityKey === toHex(k))!.name;
      for (const s of v.snapshots) {
        for (const given of [entries.slice(0, s.entries), entries.slice(0, s.entries).reverse()]) {
          const r = computeRoster(fromHex(v.groupId), given);
          const duty = rekeyDuty(r);
          assert.deepEqual(
            {
              epoch: { number: r.epoch.number, opener: toHex(r.epoch.opener) },
              members: r.members.map((m) => ({ name: name(m.identityKey), role: m.role })),
              superseded: r.superseded.map(toHex),
              exposed: r.exposed.map(name),
              lockedOut: r.lockedOut.map(name),
              ignored: r.ignored.map((i) => ({ id: toHex(i.id), reason: i.reason })),
              duty: duty === null ? null : { trigger: toHex(duty.trigger), ranked: duty.ranked.map(name) },
            },
            s.expected,
            s.description,
          );
        }
      }
    }
  });

  it('seals the settled epoch to exactly the members: each opens it, no one removed does, and the locked-out joiner opens it from an older epoch blob', () => {
    for (const v of vectors.races) {
      const groupId = fromHex(v.groupId);
      const last = v.snapshots[v.snapshots.length - 1]!;
      assert.equal(last.expected.duty, null, 'the race ends settled');
      const opener = v.entries.map(fromHex).find((b) => toHex(entryId(b)) === last.expected.epoch.opener)!;
      const posted = decodeEntry(opener);
      const keysOfPosted = v.epochs.find((e) => e.number === posted.epoch.number && e.opener === toHex(posted.epoch.opener))!;
      const entry = consumeEntry(deriveEpochKeys(fromHex(keysOfPosted.secret), groupId, posted.epoch), opener);
      const expectedSecret = v.epochs.find((e) => e.opener === last.expected.epoch.opener)!.secret;
      const members = new Set(last.expected.members.map((m) => m.name));
      const raced = computeRoster(groupId, verified(v).slice(0, v.snapshots[0]!.entries));
      for (const p of v.people) {
        const me = { identityKey: fromHex(p.identityKey), dh: { publicKey: fromHex(p.dhPublicKey), secretKey: fromHex(p.dhSecretKey) } };
        if (members.has(p.name)) {
          const keys = openRekey(entry, entryId(opener), groupId, me);
          assert.equal(toHex(keys.secret), expectedSecret, p.name);
        } else {
          assert.equal(codeOf(() => openRekey(entry, entryId(opener), groupId, me)), ProtocolErrorCode.NOT_RECIPIENT, p.name);
        }
        if (v.snapshots[0]!.expected.lockedOut.includes(p.name)) {
          assert.equal(toHex(openRekeyByPackage(opener, raced, me).keys.secret), expectedSecret);
        }
      }
    }
  });

  it('ranks the admins for each committed duty from its raw inputs', () => {
    assert.ok(vectors.duty.length >= 3);
    for (const d of vectors.duty) {
      const got = dutyRanking({
        groupId: fromHex(d.groupId),
        epoch: { number: d.epoch.number, opener: fromHex(d.epoch.opener) },
        exposed: d.exposed.map(fromHex),
        lockedOut: d.lockedOut.map(fromHex),
        admins: d.admins.slice().reverse().map(fromHex),
      });
      assert.equal(toHex(got.trigger), d.trigger, d.description);
      assert.deepEqual(got.ranked.map(toHex), d.ranked, d.description);
    }
  });
});
