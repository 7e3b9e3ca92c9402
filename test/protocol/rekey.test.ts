import assert from 'node:assert/strict';
import { toHex } from '../../protocol/bytes.js';
import { ready } from '../../protocol/crypto.js';
import { BLOB_SIZES } from '../../protocol/constants.js';
import { createEntry, createGenesis, encodeEntry, entryId } from '../../protocol/entry.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { deriveEpochKeys, firstEpoch } from '../../protocol/group.js';
import { consumeKeyPackage, keyPackageBytes, openKeyPackage } from '../../protocol/key-package.js';
import {
  buildRekey,
  dutyRank,
  epochStatus,
  openRekey,
  openRekeyByPackage,
  rekeyBlobSize,
  rekeyDelayMs,
  rekeyDuty,
  rekeyEntryBytes,
  REKEY_JITTER_MS,
  REKEY_TAKEOVER_MS,
} from '../../protocol/rekey.js';
import { computeRoster, IgnoredReason, rosterEntryOf, type Roster, type RosterEntry } from '../../protocol/roster.js';
import { Prng } from '../helpers/pub-fixtures.js';
import { LogBuilder, person } from '../helpers/roster-log.js';
import { codeOf } from '../helpers/vectors.js';

/** Names of the roster's members, sorted. */
function names(b: LogBuilder, keys: readonly Uint8Array[]): string[] {
  return keys.map((k) => [...b.people.values()].find((p) => toHex(p.identity.publicKey) === toHex(k))!.name).sort();
}

function memberNames(b: LogBuilder, r: Roster): string[] {
  return names(
    b,
    r.members.map((m) => m.identityKey),
  );
}

/** Whom the key package of the roster's current epoch is sealed to (epoch 0: no package). */
function sealedTo(b: LogBuilder, r: Roster): string[] {
  const opener = b.entries.find((e) => toHex(e.id) === toHex(r.epoch.opener))!;
  assert.equal(opener.action.kind, 'remove');
  if (opener.action.kind !== 'remove') return [];
  const pkg = consumeKeyPackage(opener.action.keyPackage, b.groupId);
  return names(
    b,
    pkg.checkpoint.members.map((m) => m.identityKey),
  );
}

/** Everyone who can open the current epoch's key package with their own keys. */
function canOpen(b: LogBuilder, r: Roster): string[] {
  const opener = b.entries.find((e) => toHex(e.id) === toHex(r.epoch.opener))!;
  if (opener.action.kind !== 'remove') return [];
  const pkg = consumeKeyPackage(opener.action.keyPackage, b.groupId);
  return [...b.people.values()]
    .filter((p) => codeOf(() => openKeyPackage(pkg, { identityKey: p.identity.publicKey, dh: p.profile.dh })) === undefined)
    .map((p) => p.name)
    .sort();
}

/**
 * Posts a re-key built by rekey.ts as `admin`, for the roster of the entries it has seen
 * (`seen` of them: the first n; by default all), in that roster's epoch.
 */
function postRekey(b: LogBuilder, admin: string, removed: readonly string[] = [], heads?: readonly Uint8Array[], seen = b.entries.length): Uint8Array {
  const r = computeRoster(b.groupId, b.entries.slice(0, seen));
  const rk = buildRekey(r, { signer: b.who(admin).profile.signing, removed: removed.map((n) => b.who(n).identity.publicKey) });
  const id = b.post(admin, rk.content, { epoch: r.epoch, heads: heads ?? tips(b.entries.slice(0, seen)) });
  b.epoch = { number: r.epoch.number + 1, opener: id };
  return id;
}

/** The entries no other entry names (as prev or head): what a client names in its heads after seeing them all. */
function tips(entries: readonly RosterEntry[]): Uint8Array[] {
  const named = new Set<string>();
  for (const e of entries) {
    named.add(toHex(e.prev));
    for (const h of e.heads) named.add(toHex(h));
  }
  return entries.filter((e) => !named.has(toHex(e.id))).map((e) => e.id);
}

/** Follows the duty rule until the epoch is settled: the first-ranked admin re-keys each time. */
function settle(b: LogBuilder, limit = 4): Roster {
  for (let i = 0; i < limit; i++) {
    const r = computeRoster(b.groupId, b.entries);
    const duty = rekeyDuty(r);
    if (duty === null) return r;
    const admin = names(b, [duty.ranked[0]!])[0]!;
    postRekey(b, admin);
  }
  throw new Error('no settled epoch after the duty re-keys');
}

/** The invariant: the epoch in use is sealed to exactly the members, and every member opens it. */
function assertSettled(b: LogBuilder, r: Roster): void {
  assert.equal(epochStatus(r).settled, true);
  if (r.epoch.number === 0) return; // epoch 0 has no key package: its secret came with the invites
  assert.deepEqual(sealedTo(b, r), memberNames(b, r));
  assert.deepEqual(canOpen(b, r), memberNames(b, r));
}

/** A log where the first entry after the founder's is shifted by `k` texts (so ids, and the race's winner, vary). */
function group(k: number, admins: readonly string[], members: readonly string[]): LogBuilder {
  const b = new LogBuilder('ada');
  for (let i = 0; i < k; i++) b.text('ada');
  for (const a of admins) b.add('ada', a, 'admin');
  for (const m of members) b.add('ada', m);
  return b;
}

describe('protocol/rekey', () => {
  before(ready);

  describe('building and opening', () => {
    it('seals a fresh secret to every remaining member and no one removed, and the roster applies it', () => {
      const b = group(0, ['bo'], ['cy', 'dee']);
      const r0 = computeRoster(b.groupId, b.entries);
      const rk = buildRekey(r0, { signer: b.who('ada').profile.signing, removed: [b.who('cy').identity.publicKey] });
      assert.equal(rk.epoch, 1);
      assert.equal(rk.content.keyPackage.length, keyPackageBytes(3));
      assert.deepEqual(names(b, rk.content.removed), ['cy']);
      assert.deepEqual(names(b, rk.members.map((m) => m.identityKey)), ['ada', 'bo', 'dee']);
      const pkg = consumeKeyPackage(rk.content.keyPackage, b.groupId);
      for (const n of ['ada', 'bo', 'dee']) {
        const s = openKeyPackage(pkg, { identityKey: b.who(n).identity.publicKey, dh: b.who(n).profile.dh });
        assert.equal(toHex(s), toHex(rk.secret));
      }
      assert.equal(codeOf(() => openKeyPackage(pkg, { identityKey: b.who('cy').identity.publicKey, dh: b.who('cy').profile.dh })), ProtocolErrorCode.NOT_RECIPIENT);
      const id = b.post('ada', rk.content);
      const r1 = computeRoster(b.groupId, b.entries);
      assert.equal(toHex(r1.epoch.opener), toHex(id));
      assert.deepEqual(memberNames(b, r1), ['ada', 'bo', 'dee']);
      assert.ok(epochStatus(r1).settled);
      assert.equal(rekeyDuty(r1), null);
    });

    it('keeps the roles of the roster and uses a fresh secret each time', () => {
      const b = group(0, ['bo'], ['cy']);
      const r = computeRoster(b.groupId, b.entries);
      const x = buildRekey(r, { signer: b.who('bo').profile.signing });
      const y = buildRekey(r, { signer: b.who('bo').profile.signing });
      assert.notEqual(toHex(x.secret), toHex(y.secret));
      assert.deepEqual(
        x.keyPackage.checkpoint.members.map((m) => [names(b, [m.identityKey])[0], m.role]).sort(),
        [['ada', 'admin'], ['bo', 'admin'], ['cy', 'member']],
      );
    });

    it('refuses a re-key by a non-admin, of a non-member, or that leaves no admin', () => {
      const b = group(0, [], ['bo']);
      const r = computeRoster(b.groupId, b.entries);
      const ada = b.who('ada');
      assert.equal(codeOf(() => buildRekey(r, { signer: b.who('bo').profile.signing })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => buildRekey(r, { signer: b.who('eve').profile.signing })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => buildRekey(r, { signer: ada.profile.signing, removed: [b.who('eve').identity.publicKey] })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => buildRekey(r, { signer: ada.profile.signing, removed: [ada.identity.publicKey] })), ProtocolErrorCode.INVALID_FIELD);
    });

    it('opens my epoch keys from a real re-key entry, verified or, locked out of its epoch, by its key package', () => {
      const ada = person('ada');
      const bo = person('bo');
      const eve = person('eve');
      const genesis = createGenesis(ada.profile.signing, { certificate: ada.certificate, timestamp: 1_000, settings: { name: 'g', pubs: [], membersMayInvite: false } });
      const keys0 = deriveEpochKeys(new Uint8Array(32).fill(9), genesis.groupId, firstEpoch(genesis.groupId));
      const add = createEntry(keys0, ada.profile.signing, { seq: 2, prev: genesis.groupId, timestamp: 1_001, heads: [], content: { kind: 'add', certificate: bo.certificate } });
      const addId = entryId(add);
      const roster = computeRoster(genesis.groupId, [rosterEntryOf(genesis.entry, genesis.groupId), rosterEntryOf(add, addId)]);
      const rk = buildRekey(roster, { signer: ada.profile.signing });
      const entry = createEntry(keys0, ada.profile.signing, { seq: 3, prev: addId, timestamp: 1_002, heads: [], content: rk.content });
      const bytes = encodeEntry(entry);
      const id = entryId(bytes);
      const expected = deriveEpochKeys(rk.secret, genesis.groupId, { number: 1, opener: id });
      const mine = openRekey(entry, id, genesis.groupId, { identityKey: bo.identity.publicKey, dh: bo.profile.dh });
      assert.equal(toHex(mine.blobKey), toHex(expected.blobKey));
      assert.equal(toHex(mine.binding), toHex(expected.binding));
      assert.deepEqual(mine.epoch, { number: 1, opener: id });
      assert.equal(codeOf(() => openRekey(entry, id, genesis.groupId, { identityKey: eve.identity.publicKey, dh: eve.profile.dh })), ProtocolErrorCode.NOT_RECIPIENT);
      // the wrong dh key for my identity: the slot does not open
      assert.equal(codeOf(() => openRekey(entry, id, genesis.groupId, { identityKey: bo.identity.publicKey, dh: eve.profile.dh })), ProtocolErrorCode.UNAUTHENTIC);
      const byPackage = openRekeyByPackage(bytes, roster, { identityKey: bo.identity.publicKey, dh: bo.profile.dh });
      assert.equal(toHex(byPackage.id), toHex(id));
      assert.equal(toHex(byPackage.keys.blobKey), toHex(expected.blobKey));
      // the same package in an entry by someone else (a member, not its signer) is refused
      const wrapped = encodeEntry(createEntry(keys0, bo.profile.signing, { seq: 1, timestamp: 1_003, heads: [addId], content: rk.content }));
      assert.equal(codeOf(() => openRekeyByPackage(wrapped, roster, { identityKey: bo.identity.publicKey, dh: bo.profile.dh })), ProtocolErrorCode.UNAUTHENTIC);
      assert.equal(codeOf(() => openRekey(createEntry(keys0, bo.profile.signing, { seq: 1, timestamp: 1_003, content: rk.content }), id, genesis.groupId, { identityKey: bo.identity.publicKey, dh: bo.profile.dh })), ProtocolErrorCode.UNAUTHENTIC);
    });

    it('says which blob size class a re-key entry is padded to', () => {
      assert.equal(rekeyEntryBytes(1), 187 + 1 + 4 + 381);
      assert.equal(rekeyBlobSize(10), 5120);
      assert.equal(rekeyBlobSize(100), 20480);
      assert.equal(rekeyBlobSize(500), 65536);
      assert.equal(rekeyBlobSize(1000, 64, 16), 131072);
      for (const n of [1, 37, 38, 170, 171, 570, 1024]) assert.ok(BLOB_SIZES.includes(rekeyBlobSize(n, 0, 16)!));
    });
  });

  describe('concurrent membership changes', () => {
    it('merges two admins removing different members at once, and the winning side re-keys to the merged roster', () => {
      const winners = new Set<string>();
      for (let k = 0; k < 8; k++) {
        const b = group(k, ['bo'], ['cy', 'dee', 'eve']);
        const seen = b.entries[b.entries.length - 1]!.id;
        const n = b.entries.length;
        const x = postRekey(b, 'ada', ['cy'], [seen], n);
        const y = postRekey(b, 'bo', ['dee'], [seen], n); // bo has not seen ada's re-key
        const r = computeRoster(b.groupId, b.entries);
        const [first, second] = toHex(x) < toHex(y) ? [x, y] : [y, x];
        winners.add(toHex(first) === toHex(x) ? 'ada' : 'bo');
        assert.equal(toHex(r.epoch.opener), toHex(first));
        assert.deepEqual(r.superseded.map(toHex), [toHex(second)]);
        assert.deepEqual(memberNames(b, r), ['ada', 'bo', 'eve']);
        // the loser's removed member still holds the epoch the winner opened
        assert.deepEqual(names(b, r.exposed), [toHex(first) === toHex(x) ? 'dee' : 'cy']);
        const duty = rekeyDuty(r)!;
        assert.deepEqual(names(b, duty.ranked), ['ada', 'bo']);
        b.epoch = r.epoch;
        const settled = settle(b);
        assert.equal(settled.epoch.number, 2);
        assertSettled(b, settled);
        assert.deepEqual(canOpen(b, settled), ['ada', 'bo', 'eve'], 'neither removed member opens the epoch in use');
      }
      assert.deepEqual([...winners].sort(), ['ada', 'bo'], 'both orders were exercised');
    });

    it('of two admins removing each other, the first in order wins and the other re-key is void', () => {
      const winners = new Set<string>();
      for (let k = 0; k < 8; k++) {
        const b = group(k, ['bo'], ['cy']);
        const seen = b.entries[b.entries.length - 1]!.id;
        const n = b.entries.length;
        const x = postRekey(b, 'ada', ['bo'], [seen], n);
        const y = postRekey(b, 'bo', ['ada'], [seen], n);
        const r = computeRoster(b.groupId, b.entries);
        const adaWon = toHex(x) < toHex(y);
        winners.add(adaWon ? 'ada' : 'bo');
        assert.deepEqual(memberNames(b, r), adaWon ? ['ada', 'cy'] : ['bo', 'cy']);
        assert.deepEqual(
          r.ignored.map((i) => [toHex(i.id), i.reason]),
          [[toHex(adaWon ? y : x), IgnoredReason.NOT_MEMBER]],
        );
        assertSettled(b, r);
      }
      assert.equal(winners.size, 2);
    });

    it('never lets a lost race remove the last admin', () => {
      for (let k = 0; k < 6; k++) {
        const b = group(k, ['bo'], ['cy']);
        const seen = b.entries[b.entries.length - 1]!.id;
        const n = b.entries.length;
        const x = postRekey(b, 'ada', ['ada'], [seen], n);
        const y = postRekey(b, 'bo', ['bo'], [seen], n);
        const r = computeRoster(b.groupId, b.entries);
        const second = toHex(x) < toHex(y) ? y : x;
        assert.deepEqual(r.ignored.map((i) => [toHex(i.id), i.reason]), [[toHex(second), IgnoredReason.LAST_ADMIN]]);
        assert.equal(r.admins.length, 1);
      }
    });

    it('admits a join that raced a re-key in either order, locked out until the duty re-key seals to it', () => {
      const orders = new Set<string>();
      for (let k = 0; k < 8; k++) {
        const b = group(k, [], ['cy']);
        const inv = b.invite('ada');
        const epoch0 = b.epoch;
        const n = b.entries.length;
        const j = b.join('bo', inv, { heads: [inv] });
        const rk = postRekey(b, 'ada', ['cy'], [inv], n); // ada has not seen the join
        const r = computeRoster(b.groupId, b.entries);
        orders.add(toHex(j) < toHex(rk) ? 'join first' : 're-key first');
        assert.deepEqual(memberNames(b, r), ['ada', 'bo']);
        assert.deepEqual(names(b, r.lockedOut), ['bo']);
        assert.deepEqual(r.exposed, []);
        assert.equal(r.ignored.length, 0);
        assert.equal(r.epoch.number, 1);
        assert.deepEqual(epoch0, { number: 0, opener: b.groupId });
        const settled = settle(b);
        assertSettled(b, settled);
        assert.deepEqual(canOpen(b, settled), ['ada', 'bo']);
      }
      assert.equal(orders.size, 2);
    });

    it('admits a join posted in the epoch just closed after the re-key, citing an invite it closed', () => {
      const b = group(0, [], []);
      const inv = b.invite('ada');
      const epoch0 = b.epoch;
      const rk = postRekey(b, 'ada');
      const j = b.join('bo', inv, { heads: [rk], epoch: epoch0 });
      const r = computeRoster(b.groupId, b.entries);
      assert.deepEqual(memberNames(b, r), ['ada', 'bo']);
      assert.deepEqual(names(b, r.lockedOut), ['bo']);
      assert.equal(r.applied.some((id) => toHex(id) === toHex(j)), true);
      assertSettled(b, settle(b));
    });

    it('ignores a join two epochs late, and one citing an invite the closing re-key did not close', () => {
      const b = group(0, [], []);
      const inv = b.invite('ada');
      const epoch0 = b.epoch;
      postRekey(b, 'ada');
      const epoch1 = b.epoch;
      const late = b.join('bo', inv, { epoch: epoch0 });
      postRekey(b, 'ada');
      const j2 = b.join('cy', inv, { epoch: epoch0 });
      const j3 = b.join('dee', b.entries[1]!.id, { epoch: epoch1 });
      const r = computeRoster(b.groupId, b.entries);
      const reasons = Object.fromEntries(r.ignored.map((i) => [toHex(i.id), i.reason]));
      assert.equal(reasons[toHex(j2)], IgnoredReason.STALE_EPOCH);
      assert.equal(reasons[toHex(j3)], IgnoredReason.STALE_EPOCH);
      assert.deepEqual(memberNames(b, r), ['ada', 'bo']);
      assert.ok(r.applied.some((id) => toHex(id) === toHex(late)));
    });

    it('ignores a re-key posted two epochs back', () => {
      const b = group(0, ['bo'], ['cy']);
      const epoch0 = b.epoch;
      postRekey(b, 'ada');
      postRekey(b, 'ada');
      const old = b.rekey('bo', ['cy'], { ada: 'admin', bo: 'admin' }, { epoch: epoch0, stay: true });
      const r = computeRoster(b.groupId, b.entries);
      assert.deepEqual(r.ignored.map((i) => [toHex(i.id), i.reason]), [[toHex(old), IgnoredReason.STALE_EPOCH]]);
      assert.deepEqual(memberNames(b, r), ['ada', 'bo', 'cy']);
    });

    it('after a leave the leaver holds the epoch: the duty admin re-keys without it', () => {
      const b = group(0, ['bo'], ['cy']);
      postRekey(b, 'ada');
      b.post('cy', { kind: 'leave' });
      const r = computeRoster(b.groupId, b.entries);
      assert.deepEqual(names(b, r.exposed), ['cy']);
      assert.equal(epochStatus(r).settled, false);
      const settled = settle(b);
      assertSettled(b, settled);
      assert.ok(!canOpen(b, settled).includes('cy'));
    });

    it('converges on random races: the epoch in use is sealed to exactly the members', function () {
      this.timeout(60_000);
      const rng = new Prng(0x5e7e);
      const everyone = ['bo', 'cy', 'dee', 'eve', 'fay', 'gus'];
      for (let run = 0; run < 25; run++) {
        const b = group(rng.int(4), ['bo', 'cy'], ['dee', 'eve', 'fay']);
        const inv = b.invite('ada');
        const seen = b.entries[b.entries.length - 1]!.id;
        const epoch = b.epoch;
        const n = b.entries.length;
        // every admin, one join and one leave act at once, none having seen the others
        for (const admin of ['ada', 'bo', 'cy']) {
          if (!rng.chance(0.8)) continue;
          const victim = rng.pick(['dee', 'eve', 'fay', 'ada', 'bo', 'cy'].filter((x) => x !== admin));
          postRekey(b, admin, [victim], [seen], n);
        }
        if (rng.chance(0.6)) b.join('gus', inv, { heads: [seen], epoch });
        if (rng.chance(0.5)) b.post(rng.pick(['dee', 'eve', 'fay']), { kind: 'leave' }, { heads: [seen], epoch });
        const raced = computeRoster(b.groupId, b.entries);
        const shuffled = b.entries.map((e) => ({ e, w: rng.next32() })).sort((x, y) => x.w - y.w).map((x) => x.e);
        assert.deepEqual(memberNames(b, computeRoster(b.groupId, shuffled)), memberNames(b, raced));
        assert.ok(raced.admins.length >= 1);
        b.epoch = raced.epoch;
        const r = settle(b);
        assertSettled(b, r);
        const left = everyone.filter((n) => !memberNames(b, r).includes(n) && n !== 'gus');
        for (const n of left) assert.ok(!canOpen(b, r).includes(n), `${n} is out and cannot open the epoch in use`);
      }
    });
  });

  describe('the duty rule', () => {
    it('ranks the admins the same way from the same log, whatever the order', () => {
      const b = group(0, ['bo', 'cy', 'dee'], ['eve']);
      postRekey(b, 'ada');
      b.post('eve', { kind: 'leave' });
      const r1 = computeRoster(b.groupId, b.entries);
      const r2 = computeRoster(b.groupId, b.entries.slice().reverse());
      const d1 = rekeyDuty(r1)!;
      const d2 = rekeyDuty(r2)!;
      assert.equal(toHex(d1.trigger), toHex(d2.trigger));
      assert.deepEqual(d1.ranked.map(toHex), d2.ranked.map(toHex));
      assert.deepEqual(names(b, d1.ranked), ['ada', 'bo', 'cy', 'dee']);
      assert.equal(dutyRank(d1, d1.ranked[2]!), 2);
      assert.equal(dutyRank(d1, b.who('eve').identity.publicKey), -1);
    });

    it('changes the ranking with the state that calls for a re-key', () => {
      const firsts = new Set<string>();
      for (const leaver of ['eve', 'fay', 'gus', 'hal', 'ivy', 'jo']) {
        const b = group(0, ['bo', 'cy', 'dee'], [leaver]);
        b.post(leaver, { kind: 'leave' });
        firsts.add(toHex(rekeyDuty(computeRoster(b.groupId, b.entries))!.ranked[0]!));
      }
      assert.ok(firsts.size >= 2, 'the first admin depends on the trigger');
    });

    it('waits a jittered moment for the first admin and a takeover period more for each next one', () => {
      assert.equal(rekeyDelayMs(0, 0), 0);
      assert.ok(rekeyDelayMs(0, 0.9999) < REKEY_JITTER_MS);
      assert.equal(rekeyDelayMs(2, 0), 2 * REKEY_TAKEOVER_MS);
      assert.ok(rekeyDelayMs(1, 0.99) < rekeyDelayMs(2, 0));
      assert.throws(() => rekeyDelayMs(-1, 0), RangeError);
    });
  });
});
