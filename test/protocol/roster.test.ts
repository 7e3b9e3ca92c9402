import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { consumeEntry, consumeGenesis, decodeEntry, entryId } from '../../protocol/entry.js';
import { deriveEpochKeys } from '../../protocol/group.js';
import { GROUP_MEMBERS_MAX, type Role } from '../../protocol/checkpoint.js';
import { ready } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { createKeyPackage, encodeKeyPackage } from '../../protocol/key-package.js';
import { computeRoster, IgnoredReason, rosterEntryOf, rosterOrder, type Roster, type RosterEntry } from '../../protocol/roster.js';
import { Prng } from '../helpers/pub-fixtures.js';
import { LogBuilder } from '../helpers/roster-log.js';
import type { RosterVector } from '../helpers/group-vectors.js';
import { codeOf, readVectors } from '../helpers/vectors.js';

interface Case {
  readonly title: string;
  /** Options of the genesis ('ada' founds the group). */
  readonly genesis?: { admins?: string[]; membersMayInvite?: boolean };
  /** Builds the log; returns labelled entry ids that `expect` refers to. */
  readonly build: (b: LogBuilder) => Record<string, Uint8Array>;
  readonly members: Readonly<Record<string, Role>>;
  readonly epoch?: number;
  /** label -> reason; every other entry is applied (or pending when listed there). */
  readonly ignored?: Readonly<Record<string, IgnoredReason>>;
  readonly pending?: readonly string[];
  readonly check?: (r: Roster, b: LogBuilder, ids: Record<string, Uint8Array>) => void;
}

const PEOPLE = ['ada', 'bo', 'cy', 'dee', 'eve'];

const cases: Case[] = [
  {
    title: 'the genesis makes its admins the only members, in epoch 0',
    build: () => ({}),
    members: { ada: 'admin' },
    epoch: 0,
  },
  {
    title: 'an admin the genesis names is awaited until a certificate of theirs arrives',
    genesis: { admins: ['dee'] },
    build: () => ({}),
    members: { ada: 'admin' },
    check: (r, b) => assert.deepEqual(r.awaitingAdmins.map(toHex), [b.key('dee')]),
  },
  {
    title: 'an admin the genesis names becomes an admin on joining or being added',
    genesis: { admins: ['dee', 'eve'] },
    build: (b) => {
      const inv = b.invite('ada');
      return { inv, j: b.join('dee', inv), a: b.add('ada', 'eve'), b: b.add('ada', 'bo') };
    },
    members: { ada: 'admin', bo: 'member', dee: 'admin', eve: 'admin' },
    check: (r) => assert.equal(r.awaitingAdmins.length, 0),
  },
  {
    title: 'a re-key forgets the admins the genesis named who have not arrived',
    genesis: { admins: ['dee'] },
    build: (b) => {
      const rk = b.rekey('ada', [], { ada: 'admin' });
      const inv = b.invite('ada');
      return { rk, inv, j: b.join('dee', inv) };
    },
    members: { ada: 'admin', dee: 'member' },
    epoch: 1,
  },
  {
    title: 'a join citing an admin invite makes the joiner a member',
    build: (b) => ({ inv: b.invite('ada'), j: b.join('bo', b.entries[b.entries.length - 1]!.id) }),
    members: { ada: 'admin', bo: 'member' },
  },
  {
    title: 'a join citing no invite entry is ignored',
    build: (b) => ({ t: b.text('ada'), j: b.join('bo', b.entries[1]!.id) }),
    members: { ada: 'admin' },
    ignored: { j: IgnoredReason.NO_INVITE },
  },
  {
    title: 'a join citing an invite that is not in the log waits as pending',
    build: (b) => ({ j: b.join('bo', new Uint8Array(32).fill(7)) }),
    members: { ada: 'admin' },
    pending: ['j'],
  },
  {
    title: 'an invite of one use admits one join; the second is ignored',
    build: (b) => {
      const inv = b.invite('ada', { uses: 1 });
      return { inv, j1: b.join('bo', inv), j2: b.join('cy', inv) };
    },
    members: { ada: 'admin', bo: 'member' },
    ignored: { j2: IgnoredReason.INVITE_USED_UP },
  },
  {
    title: 'a join after the invite expires is ignored',
    build: (b) => {
      const inv = b.invite('ada', { expires: 1_000 });
      return { inv, j: b.join('bo', inv, { timestamp: 1_001 }) };
    },
    members: { ada: 'admin' },
    ignored: { j: IgnoredReason.INVITE_EXPIRED },
  },
  {
    title: 'a member may not invite unless the genesis allows it',
    build: (b) => {
      const inv = b.invite('ada');
      const j = b.join('bo', inv);
      const inv2 = b.invite('bo');
      return { inv, j, inv2, j2: b.join('cy', inv2) };
    },
    members: { ada: 'admin', bo: 'member' },
    ignored: { inv2: IgnoredReason.NOT_ADMIN, j2: IgnoredReason.NO_INVITE },
  },
  {
    title: 'a member may invite when the genesis allows it',
    genesis: { membersMayInvite: true },
    build: (b) => {
      const inv = b.invite('ada');
      const j = b.join('bo', inv);
      const inv2 = b.invite('bo');
      return { inv, j, inv2, j2: b.join('cy', inv2) };
    },
    members: { ada: 'admin', bo: 'member', cy: 'member' },
  },
  {
    title: 'a non-member cannot post, invite or add',
    build: (b) => ({ t: b.text('eve'), inv: b.invite('eve'), add: b.add('eve', 'dee') }),
    members: { ada: 'admin' },
    ignored: { t: IgnoredReason.NOT_MEMBER, inv: IgnoredReason.NOT_MEMBER, add: IgnoredReason.NOT_MEMBER },
  },
  {
    title: 'an admin adds members; a member may not add',
    build: (b) => ({ a1: b.add('ada', 'bo'), a2: b.add('ada', 'cy', 'admin'), a3: b.add('bo', 'dee') }),
    members: { ada: 'admin', bo: 'member', cy: 'admin' },
    ignored: { a3: IgnoredReason.NOT_ADMIN },
  },
  {
    title: 'adding someone already a member is ignored',
    build: (b) => ({ a1: b.add('ada', 'bo'), a2: b.add('ada', 'bo') }),
    members: { ada: 'admin', bo: 'member' },
    ignored: { a2: IgnoredReason.ALREADY_MEMBER },
  },
  {
    title: 'a join signed by another key than its certificate names is ignored',
    build: (b) => {
      const inv = b.invite('ada');
      return { inv, j: b.post('bo', { kind: 'join', invite: inv, certificate: b.who('cy').certificate }) };
    },
    members: { ada: 'admin' },
    ignored: { j: IgnoredReason.BAD_CERTIFICATE },
  },
  {
    title: 'a certificate that does not verify is refused',
    build: (b) => {
      const cert = b.who('bo').certificate;
      const forged = { ...cert, signature: cert.signature.map((x, i) => (i === 0 ? x ^ 1 : x)) };
      return { a: b.post('ada', { kind: 'add', certificate: forged }) };
    },
    members: { ada: 'admin' },
    ignored: { a: IgnoredReason.BAD_CERTIFICATE },
  },
  {
    title: 'an admin sets roles; a member may not; the last admin cannot step down',
    build: (b) => ({
      a: b.add('ada', 'bo'),
      r1: b.post('bo', { kind: 'role', member: b.who('bo').identity.publicKey, role: 'admin' }),
      r2: b.post('ada', { kind: 'role', member: b.who('ada').identity.publicKey, role: 'member' }),
      r3: b.post('ada', { kind: 'role', member: b.who('bo').identity.publicKey, role: 'admin' }),
      r4: b.post('ada', { kind: 'role', member: b.who('ada').identity.publicKey, role: 'member' }),
      r5: b.post('bo', { kind: 'role', member: b.who('cy').identity.publicKey, role: 'admin' }),
    }),
    members: { ada: 'member', bo: 'admin' },
    ignored: { r1: IgnoredReason.NOT_ADMIN, r2: IgnoredReason.LAST_ADMIN, r5: IgnoredReason.NO_SUCH_MEMBER },
  },
  {
    title: 'a member leaves; the last admin may not; a leaver can no longer post',
    build: (b) => ({ a: b.add('ada', 'bo'), l1: b.post('ada', { kind: 'leave' }), l2: b.post('bo', { kind: 'leave' }), t: b.text('bo') }),
    members: { ada: 'admin' },
    ignored: { l1: IgnoredReason.LAST_ADMIN, t: IgnoredReason.NOT_MEMBER },
  },
  {
    title: 'an admin sets the pubs and hides entries; a member may do neither',
    build: (b) => {
      const a = b.add('ada', 'bo');
      const t = b.text('bo');
      return {
        a,
        t,
        p1: b.post('ada', { kind: 'pubs', pubs: ['ws://127.0.0.1:9'] }),
        p2: b.post('bo', { kind: 'pubs', pubs: [] }),
        h1: b.post('ada', { kind: 'hide', target: t }),
        h2: b.post('bo', { kind: 'hide', target: a }),
      };
    },
    members: { ada: 'admin', bo: 'member' },
    ignored: { p2: IgnoredReason.NOT_ADMIN, h2: IgnoredReason.NOT_ADMIN },
    check: (r, _b, ids) => {
      assert.deepEqual(r.pubs, ['ws://127.0.0.1:9']);
      assert.deepEqual(r.hidden.map(toHex), [toHex(ids.t!)]);
    },
  },
  {
    title: 'a remove-and-re-key drops the removed member and opens epoch 1 named by its id',
    build: (b) => ({ a1: b.add('ada', 'bo'), a2: b.add('ada', 'cy'), rk: b.rekey('ada', ['bo'], { ada: 'admin', cy: 'member' }), t: b.text('bo') }),
    members: { ada: 'admin', cy: 'member' },
    epoch: 1,
    ignored: { t: IgnoredReason.NOT_MEMBER },
    check: (r, _b, ids) => {
      assert.equal(toHex(r.epoch.opener), toHex(ids.rk!));
      assert.deepEqual(r.epochs.map((e) => e.number), [0, 1]);
    },
  },
  {
    title: 'a re-key by a member, or with a checkpoint signed by someone else, is ignored',
    build: (b) => ({
      a1: b.add('ada', 'bo'),
      a2: b.add('ada', 'cy', 'admin'),
      rk1: b.rekey('bo', ['cy'], { ada: 'admin', bo: 'member' }, { stay: true }),
      rk2: b.rekey('ada', ['bo'], { ada: 'admin', cy: 'admin' }, { stay: true, signer: 'cy' }),
    }),
    members: { ada: 'admin', bo: 'member', cy: 'admin' },
    epoch: 0,
    ignored: { rk1: IgnoredReason.NOT_ADMIN, rk2: IgnoredReason.BAD_KEY_PACKAGE },
  },
  {
    title: 'a re-key whose checkpoint names a non-member, changes a role or keeps a removed member is ignored',
    build: (b) => ({
      a1: b.add('ada', 'bo'),
      rk1: b.rekey('ada', [], { ada: 'admin', bo: 'member', eve: 'member' }, { stay: true }),
      rk2: b.rekey('ada', [], { ada: 'admin', bo: 'admin' }, { stay: true }),
      rk3: b.rekey('ada', ['bo'], { ada: 'admin', bo: 'member' }, { stay: true }),
    }),
    members: { ada: 'admin', bo: 'member' },
    epoch: 0,
    ignored: { rk1: IgnoredReason.BAD_CHECKPOINT, rk2: IgnoredReason.BAD_CHECKPOINT, rk3: IgnoredReason.BAD_CHECKPOINT },
  },
  {
    title: 'a re-key whose key package does not decode or verify is ignored',
    build: (b) => ({
      a1: b.add('ada', 'bo'),
      rk1: b.rekey('ada', ['bo'], { ada: 'admin' }, { stay: true, keyPackageBytes: Uint8Array.of(1, 2, 3) }),
      rk2: b.rekey('ada', ['bo'], { ada: 'admin' }, { stay: true, keyPackageBytes: flipLast(b, { ada: 'admin' }) }),
    }),
    members: { ada: 'admin', bo: 'member' },
    epoch: 0,
    ignored: { rk1: IgnoredReason.BAD_KEY_PACKAGE, rk2: IgnoredReason.BAD_KEY_PACKAGE },
  },
  {
    title: 'an admin may re-key themselves out when another admin stays',
    build: (b) => ({ a1: b.add('ada', 'bo', 'admin'), rk: b.rekey('ada', ['ada'], { bo: 'admin' }), t: b.text('ada') }),
    members: { bo: 'admin' },
    epoch: 1,
    ignored: { t: IgnoredReason.NOT_MEMBER },
  },
  {
    title: 'a re-key that does not follow the current epoch is ignored',
    build: (b) => {
      const a1 = b.add('ada', 'bo');
      const rk1 = b.rekey('ada', [], { ada: 'admin', bo: 'member' });
      // built against epoch 0 again, posted in epoch 1
      const rk2 = b.rekey('ada', ['bo'], { ada: 'admin' }, { previous: { number: 0, opener: b.groupId }, stay: true });
      return { a1, rk1, rk2 };
    },
    members: { ada: 'admin', bo: 'member' },
    epoch: 1,
    ignored: { rk2: IgnoredReason.BAD_KEY_PACKAGE },
  },
  {
    title: 'roster changes posted in an old epoch are ignored; content of an old epoch is not',
    build: (b) => {
      const a1 = b.add('ada', 'bo', 'admin');
      const old = b.epoch;
      const rk = b.rekey('ada', [], { ada: 'admin', bo: 'admin' });
      return { a1, rk, add: b.add('bo', 'cy', 'member', { epoch: old }), t: b.text('bo', { epoch: old }) };
    },
    members: { ada: 'admin', bo: 'admin' },
    epoch: 1,
    ignored: { add: IgnoredReason.STALE_EPOCH },
  },
  {
    title: 'a re-key closes open invites',
    build: (b) => {
      const inv = b.invite('ada');
      const rk = b.rekey('ada', [], { ada: 'admin' });
      return { inv, rk, j: b.join('bo', inv) };
    },
    members: { ada: 'admin' },
    epoch: 1,
    ignored: { j: IgnoredReason.NO_INVITE },
    check: (r) => assert.equal(r.invites.length, 0),
  },
  {
    title: 'a member who joined concurrently with a re-key that did not name them stays a member, locked out of the new epoch',
    build: (b) => {
      const inv = b.invite('ada');
      // bo joins having seen the invite; ada re-keys having seen only the invite too
      const j = b.join('bo', inv, { heads: [inv] });
      const rk = b.rekey('ada', [], { ada: 'admin' }, { heads: [inv] });
      return { inv, j, rk };
    },
    members: { ada: 'admin', bo: 'member' },
    epoch: 1,
    check: (r, b) => {
      assert.deepEqual(r.lockedOut.map(toHex), [b.key('bo')]);
      assert.deepEqual(r.dropped, []);
      assert.deepEqual(r.exposed, []);
    },
  },
  {
    title: 'of two concurrent re-keys the one with the smaller id opens the epoch; the other is superseded',
    build: (b) => {
      b.add('ada', 'bo', 'admin');
      const a = b.entries[b.entries.length - 1]!.id; // the role change making bo an admin
      const x = b.rekey('ada', [], { ada: 'admin', bo: 'admin' }, { heads: [a], stay: true });
      const y = b.rekey('bo', [], { ada: 'admin', bo: 'admin' }, { heads: [a], stay: true });
      const [first, second] = toHex(x) < toHex(y) ? [x, y] : [y, x];
      return { a, first, second };
    },
    members: { ada: 'admin', bo: 'admin' },
    epoch: 1,
    check: (r, _b, ids) => {
      assert.equal(toHex(r.epoch.opener), toHex(ids.first!));
      assert.deepEqual(r.superseded.map(toHex), [toHex(ids.second!)]);
    },
  },
  {
    title: 'a second entry of one author and seq is equivocation and is ignored',
    build: (b) => {
      const a = b.add('ada', 'bo');
      const t = b.text('bo');
      const e = b.post('bo', { kind: 'leave' }, { seq: 1 });
      return { a, t, e };
    },
    members: { ada: 'admin', bo: 'member' },
    ignored: { e: IgnoredReason.EQUIVOCATION },
    check: (r, b) => assert.deepEqual(r.equivocators.map(toHex), [toHex(b.who('bo').profile.signing.publicKey)]),
  },
  {
    title: 'another genesis entry is ignored',
    build: (b) => ({
      g: b.post('ada', { kind: 'genesis', certificate: b.who('ada').certificate, settings: { name: 'x', pubs: [], membersMayInvite: true }, admins: [b.who('ada').identity.publicKey] }),
    }),
    members: { ada: 'admin' },
    ignored: { g: IgnoredReason.NOT_GENESIS },
  },
];

describe('protocol/roster', () => {
  before(ready);

  describe('test vectors', () => {
    const { vectors } = readVectors<{ vectors: RosterVector[] }>('roster');

    /** Decodes and verifies each committed entry (genesis, or with its epoch's keys) for the roster. */
    function verified(v: RosterVector): RosterEntry[] {
      const groupId = fromHex(v.groupId);
      const keys = v.epochs.map((e) => deriveEpochKeys(fromHex(e.secret), groupId, { number: e.number, opener: fromHex(e.opener) }));
      return v.entries.map((hex) => {
        const bytes = fromHex(hex);
        const entry = decodeEntry(bytes);
        if (entry.content.kind === 'genesis') return rosterEntryOf(consumeGenesis(bytes, groupId), entryId(bytes));
        const k = keys.find((x) => x.epoch.number === entry.epoch.number && toHex(x.epoch.opener) === toHex(entry.epoch.opener));
        assert.ok(k !== undefined, 'an entry of an epoch the vector does not name');
        return rosterEntryOf(consumeEntry(k, bytes), entryId(bytes));
      });
    }

    it('computes the committed roster from each committed log of real entries', () => {
      assert.ok(vectors.length >= 1);
      for (const v of vectors) {
        const r = computeRoster(fromHex(v.groupId), verified(v));
        assert.deepEqual(
          {
            name: r.name,
            pubs: r.pubs,
            membersMayInvite: r.membersMayInvite,
            epoch: { number: r.epoch.number, opener: toHex(r.epoch.opener) },
            members: r.members.map((m) => ({ identityKey: toHex(m.identityKey), role: m.role })),
            applied: r.applied.map(toHex),
            ignored: r.ignored.map((i) => ({ id: toHex(i.id), reason: i.reason })),
            pending: r.pending.map(toHex),
          },
          v.expected,
          v.description,
        );
        assert.ok(v.expected.ignored.length >= 1 && v.expected.epoch.number >= 1, 'the vector exercises a re-key and an ignored entry');
      }
    });

    it('computes the same roster from the log in reverse', () => {
      for (const v of vectors) {
        const entries = verified(v);
        const a = computeRoster(fromHex(v.groupId), entries);
        const b = computeRoster(fromHex(v.groupId), entries.slice().reverse());
        assert.deepEqual(summarize(b), summarize(a));
      }
    });

    it('names the current epoch after the re-key entry that opened it', () => {
      for (const v of vectors) {
        const r = computeRoster(fromHex(v.groupId), verified(v));
        const last = v.epochs[v.epochs.length - 1]!;
        assert.equal(toHex(r.epoch.opener), last.opener);
        const opener = decodeEntry(fromHex(v.entries.find((hex) => toHex(entryId(fromHex(hex))) === last.opener)!));
        assert.equal(opener.content.kind, 'remove');
      }
    });
  });

  describe('authority rules', () => {
    for (const c of cases) {
      it(c.title, () => {
        const b = new LogBuilder('ada', c.genesis ?? {});
        const ids = c.build(b);
        const r = computeRoster(b.groupId, b.entries);
        const got: Record<string, Role> = {};
        for (const name of PEOPLE) {
          const m = r.members.find((x) => toHex(x.identityKey) === b.key(name));
          if (m !== undefined) got[name] = m.role;
        }
        assert.deepEqual(got, c.members);
        assert.deepEqual(r.admins.map(toHex), r.members.filter((m) => m.role === 'admin').map((m) => toHex(m.identityKey)));
        if (c.epoch !== undefined) assert.equal(r.epoch.number, c.epoch);
        const label = new Map(Object.entries(ids).map(([k, v]) => [toHex(v), k]));
        const ignored: Record<string, string> = {};
        for (const i of r.ignored) ignored[label.get(toHex(i.id)) ?? toHex(i.id)] = i.reason;
        assert.deepEqual(ignored, c.ignored ?? {});
        assert.deepEqual(r.pending.map((p) => label.get(toHex(p))), c.pending ?? []);
        assert.equal(r.applied.length + r.ignored.length + r.pending.length, b.entries.length);
        c.check?.(r, b, ids);
      });
    }
  });

  describe('order', () => {
    it('computes the same roster whatever order the entries are given in', () => {
      const b = new LogBuilder('ada');
      const inv = b.invite('ada');
      b.join('bo', inv);
      b.add('ada', 'cy', 'admin');
      b.rekey('cy', ['bo'], { ada: 'admin', cy: 'admin' });
      b.text('ada');
      const j = b.invite('cy');
      b.join('dee', j);
      const reference = JSON.stringify(summarize(computeRoster(b.groupId, b.entries)));
      let shuffled = b.entries.slice();
      for (let k = 0; k < 20; k++) {
        shuffled = shuffled.map((e, i) => ({ e, w: (i * 7919 + k * 104729) % 97 })).sort((x, y) => x.w - y.w).map((x) => x.e);
        assert.equal(JSON.stringify(summarize(computeRoster(b.groupId, shuffled))), reference);
      }
      assert.equal(JSON.stringify(summarize(computeRoster(b.groupId, [...b.entries, ...b.entries]))), reference);
    });

    it('orders after prev, heads and a join\'s invite, ties by the smaller id', () => {
      const b = new LogBuilder('ada');
      const x = b.text('ada', { heads: [] });
      const y = b.add('ada', 'bo', 'member', { heads: [] });
      const z = b.text('bo', { heads: [] });
      const { order } = rosterOrder(b.entries);
      const pos = (id: Uint8Array) => order.findIndex((e) => toHex(e.id) === toHex(id));
      assert.ok(pos(b.groupId) < pos(x)); // prev chain of ada
      assert.ok(pos(x) < pos(y));
      // bo's text has no dependency on ada's add: it comes first if its id is smaller
      assert.equal(pos(z) < pos(x), toHex(z) < toHex(x));
    });

    it('leaves an entry pending until its dependencies arrive, with everything after it', () => {
      const b = new LogBuilder('ada');
      const t1 = b.text('ada');
      const t2 = b.text('ada');
      const t3 = b.text('ada');
      const without = b.entries.filter((e) => toHex(e.id) !== toHex(t1));
      const r = computeRoster(b.groupId, without);
      assert.deepEqual(r.pending.map(toHex).sort(), [t2, t3].map(toHex).sort());
      assert.equal(computeRoster(b.groupId, b.entries).pending.length, 0);
    });
  });

  describe('bounds and robustness', () => {
    it('refuses a join or add beyond GROUP_MEMBERS_MAX members, so that a re-key stays possible', function () {
      this.timeout(60_000);
      const b = new LogBuilder('ada');
      for (let i = 1; i < GROUP_MEMBERS_MAX; i++) b.add('ada', `m${i}`);
      const over = b.add('ada', 'one too many');
      const inv = b.invite('ada');
      const j = b.join('another one', inv);
      const r = computeRoster(b.groupId, b.entries);
      assert.equal(r.members.length, GROUP_MEMBERS_MAX);
      assert.deepEqual(
        r.ignored.map((i) => [toHex(i.id), i.reason]),
        [
          [toHex(over), IgnoredReason.GROUP_FULL],
          [toHex(j), IgnoredReason.GROUP_FULL],
        ],
      );
    });

    it('applies, ignores or holds back every entry of random logs, and the same set gives the same roster', function () {
      this.timeout(60_000);
      const rng = new Prng(0x0b2_0005);
      const names = ['ada', 'bo', 'cy', 'dee', 'eve'];
      const seen: Record<string, number> = {};
      let rekeys = 0;
      for (let run = 0; run < 60; run++) {
        const b = new LogBuilder('ada', { membersMayInvite: rng.chance(0.5), admins: rng.chance(0.3) ? ['bo'] : [] });
        const ids: Uint8Array[] = [b.groupId];
        for (let k = 0; k < 25; k++) {
          // Mostly act as someone the roster so far admits, in its current epoch, so that the
          // rules are reached beyond 'not-member'.
          const now = computeRoster(b.groupId, b.entries);
          b.epoch = now.epoch;
          const current = names.filter((n) => now.members.some((m) => toHex(m.identityKey) === b.key(n)));
          const roleOf = (n: string) => now.members.find((m) => toHex(m.identityKey) === b.key(n))?.role ?? 'member';
          const who = current.length > 0 && rng.chance(0.8) ? rng.pick(current) : rng.pick(names);
          const other = rng.pick(names);
          const heads = rng.chance(0.8) ? undefined : [rng.pick(ids)];
          const o = { heads, ...(rng.chance(0.05) ? { seq: 1 + rng.int(3) } : {}) };
          const kind = rng.int(10);
          let id: Uint8Array;
          if (kind === 0) id = b.invite(who, { ...o, uses: rng.int(3) });
          else if (kind === 1) id = b.join(rng.pick(names), now.invites.length > 0 && rng.chance(0.8) ? rng.pick(now.invites).id : rng.pick(ids), o);
          else if (kind === 2) id = b.add(who, other, rng.chance(0.3) ? 'admin' : 'member', o);
          else if (kind === 3) id = b.role(who, other, rng.chance(0.5) ? 'admin' : 'member', o);
          else if (kind === 4) id = b.post(who, { kind: 'leave' }, o);
          else if (kind === 5) {
            const pool = [...new Set([who, ...(rng.chance(0.8) ? current : names)])];
            const keep = Object.fromEntries(pool.filter((n) => n === who || rng.chance(0.6)).map((n) => [n, n === who ? 'admin' : rng.chance(0.9) ? roleOf(n) : 'admin'] as const));
            id = b.rekey(who, names.filter((n) => !(n in keep) && rng.chance(0.5)), keep, { ...o, stay: true });
          } else if (kind === 6) id = b.post(who, { kind: 'hide', target: rng.pick(ids) }, o);
          else if (kind === 7) id = b.post(who, { kind: 'pubs', pubs: [] }, o);
          else id = b.text(who, o);
          ids.push(id);
        }
        const r = computeRoster(b.groupId, b.entries);
        assert.equal(r.applied.length + r.ignored.length + r.pending.length, new Set(b.entries.map((e) => toHex(e.id))).size);
        assert.ok(r.admins.length >= 1, 'a roster always has an admin');
        assert.ok(r.members.length >= 1);
        const shuffled = b.entries.map((e) => ({ e, w: rng.next32() })).sort((x, y) => x.w - y.w).map((x) => x.e);
        assert.deepEqual(summarize(computeRoster(b.groupId, shuffled)), summarize(r));
        for (const i of r.ignored) seen[i.reason] = (seen[i.reason] ?? 0) + 1;
        rekeys += r.epoch.number;
      }
      // the logs reached most rules, re-keys included
      assert.ok(rekeys >= 10, `only ${rekeys} re-keys applied`);
      assert.ok(Object.keys(seen).length >= 8, `reasons seen: ${Object.keys(seen).join(', ')}`);
    });
  });

  describe('the genesis', () => {
    it('is required and must be the group\'s own', () => {
      const b = new LogBuilder('ada');
      assert.equal(codeOf(() => computeRoster(b.groupId, b.entries.slice(1))), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => computeRoster(new Uint8Array(32).fill(1), b.entries)), ProtocolErrorCode.INVALID_FIELD);
    });

    it('must be authored by one of the admins it names', () => {
      const b = new LogBuilder('ada');
      const g = b.entries[0]!;
      const byEve: RosterEntry = { ...g, author: b.who('eve').profile.signing.publicKey };
      assert.equal(codeOf(() => computeRoster(b.groupId, [byEve])), ProtocolErrorCode.INVALID_FIELD);
    });

    it('gives the name, the pubs and the invite policy', () => {
      const b = new LogBuilder('ada', { name: 'Stammtisch', pubs: ['ws://127.0.0.1:7'], membersMayInvite: true });
      const r = computeRoster(b.groupId, b.entries);
      assert.equal(r.name, 'Stammtisch');
      assert.deepEqual(r.pubs, ['ws://127.0.0.1:7']);
      assert.equal(r.membersMayInvite, true);
    });
  });
});

/** A correctly made key package for `members` of the next epoch, its signature broken. */
function flipLast(b: LogBuilder, members: Readonly<Record<string, Role>>): Uint8Array {
  const pkg = encodeKeyPackage(
    createKeyPackage(
      {
        groupId: b.groupId,
        epoch: b.epoch.number + 1,
        previous: b.epoch,
        members: Object.entries(members).map(([n, role]) => ({ identityKey: b.who(n).identity.publicKey, dhKey: b.who(n).profile.dh.publicKey, role })),
        secret: new Uint8Array(32).fill(3),
      },
      b.who('ada').profile.signing,
    ),
  );
  pkg[pkg.length - 1]! ^= 1;
  return pkg;
}

function summarize(r: Roster): unknown {
  return {
    members: r.members.map((m) => [toHex(m.identityKey), m.role]),
    epoch: [r.epoch.number, toHex(r.epoch.opener)],
    applied: r.applied.map(toHex),
    ignored: r.ignored.map((i) => [toHex(i.id), i.reason]),
    pending: r.pending.map(toHex),
  };
}
