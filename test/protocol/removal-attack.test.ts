/**
 * A removed member attacking the group from the pubs, in real entries and blobs: it keeps every
 * key it had and trial-decrypts every blob with all of them (test/helpers/attacker.ts).
 */
import assert from 'node:assert/strict';
import { toHex } from '../../protocol/bytes.js';
import { sealBlob } from '../../protocol/blob.js';
import { ready } from '../../protocol/crypto.js';
import { createEntry, createGenesis, encodeEntry, entryId, type Entry, type EntryContent } from '../../protocol/entry.js';
import { deriveEpochKeys, firstEpoch, type EpochKeys } from '../../protocol/group.js';
import { buildRekey, openRekey, rekeyDuty } from '../../protocol/rekey.js';
import { computeRoster, rosterEntryOf, type Roster, type RosterEntry } from '../../protocol/roster.js';
import { readAsAttacker, textsRead } from '../helpers/attacker.js';
import { person, type Person } from '../helpers/roster-log.js';

/** A group in real entries, every entry also sealed into a blob under its epoch's key (what the pubs hold). */
class Group {
  readonly groupId: Uint8Array;
  readonly blobs: Uint8Array[] = [];
  readonly log: RosterEntry[] = [];
  private readonly chains = new Map<string, { seq: number; prev: Uint8Array }>();
  private time = 1_767_225_600_000;
  private tips: Uint8Array[] = [];

  readonly keys0: EpochKeys;

  constructor(readonly founder: Person) {
    const g = createGenesis(founder.profile.signing, { certificate: founder.certificate, timestamp: this.time, settings: { name: 'g', pubs: [], membersMayInvite: false } });
    this.groupId = g.groupId;
    this.keys0 = deriveEpochKeys(new Uint8Array(32).fill(0x42), g.groupId, firstEpoch(g.groupId));
    this.log.push(rosterEntryOf(g.entry, g.groupId));
    this.blobs.push(sealBlob(this.keys0, g.encoding));
    this.chains.set(founder.name, { seq: 1, prev: g.groupId });
    this.tips = [g.groupId];
  }

  roster(): Roster {
    return computeRoster(this.groupId, this.log);
  }

  post(who: Person, keys: EpochKeys, content: EntryContent, heads: Uint8Array[] = this.tips): { entry: Entry; id: Uint8Array } {
    const chain = this.chains.get(who.name) ?? { seq: 0, prev: new Uint8Array(32) };
    const entry = createEntry(keys, who.profile.signing, { seq: chain.seq + 1, prev: chain.prev, timestamp: (this.time += 1000), heads: heads.filter((h) => toHex(h) !== toHex(chain.prev)), content });
    const bytes = encodeEntry(entry);
    const id = entryId(bytes);
    this.chains.set(who.name, { seq: chain.seq + 1, prev: id });
    this.log.push(rosterEntryOf(entry, id));
    this.blobs.push(sealBlob(keys, bytes));
    this.tips = [id];
    return { entry, id };
  }

  /** `admin` re-keys the roster it sees, removing `removed`; returns the new epoch's keys (as `admin` opens them). */
  rekey(admin: Person, keys: EpochKeys, removed: Person[], seen: RosterEntry[] = this.log, heads?: Uint8Array[]): EpochKeys {
    const rk = buildRekey(computeRoster(this.groupId, seen), { signer: admin.profile.signing, removed: removed.map((p) => p.identity.publicKey) });
    const { entry, id } = this.post(admin, keys, rk.content, heads);
    return openRekey(entry, id, this.groupId, { identityKey: admin.identity.publicKey, dh: admin.profile.dh });
  }
}

function attacker(g: Group, who: Person, epochs: EpochKeys[]) {
  return readAsAttacker(g.blobs, { groupId: g.groupId, identityKey: who.identity.publicKey, dh: who.profile.dh, epochs });
}

describe('a removed member attacking from the pubs', () => {
  let ada: Person, bo: Person, cy: Person, dee: Person;
  before(async () => {
    await ready();
    [ada, bo, cy, dee] = ['ada', 'bo', 'cy', 'dee'].map(person) as [Person, Person, Person, Person];
  });

  it('reads everything up to its removal and nothing sent after it, across two further re-keys, with every key it had', () => {
    const g = new Group(ada);
    const k0 = g.keys0;
    g.post(ada, k0, { kind: 'add', certificate: bo.certificate });
    g.post(ada, k0, { kind: 'add', certificate: cy.certificate });
    g.post(cy, k0, { kind: 'text', text: 'before: cy' });
    g.post(bo, k0, { kind: 'text', text: 'before: bo' });
    const k1 = g.rekey(ada, k0, [cy]);
    g.post(cy, k0, { kind: 'text', text: 'cy, removed, still posting in epoch 0' });
    g.post(ada, k1, { kind: 'text', text: 'after: ada' });
    g.post(bo, k1, { kind: 'reply', target: g.log[4]!.id, text: 'after: bo' });
    const k2 = g.rekey(ada, k1, []);
    g.post(bo, k2, { kind: 'text', text: 'after, epoch 2' });
    const r = g.roster();
    assert.equal(r.epoch.number, 2);
    assert.deepEqual(r.members.map((m) => toHex(m.identityKey)).sort(), [ada, bo].map((p) => toHex(p.identity.publicKey)).sort());

    const got = attacker(g, cy, [k0]);
    assert.deepEqual(textsRead(got), ['before: bo', 'before: cy', 'cy, removed, still posting in epoch 0']);
    assert.deepEqual(got.epochs, [toHex(k0.epoch.opener)], 'it opens no later epoch');
    // the same attack by a remaining member reads everything: the attack is not vacuous
    const boReads = attacker(g, bo, [k0]);
    assert.ok(textsRead(boReads).includes('after, epoch 2'));
    assert.equal(boReads.epochs.length, 3);
  });

  it('after a removal that lost a race, reads the winning epoch until the duty re-key, and nothing after it', () => {
    const g = new Group(ada);
    const k0 = g.keys0;
    g.post(ada, k0, { kind: 'add', certificate: bo.certificate });
    g.post(ada, k0, { kind: 'role', member: bo.identity.publicKey, role: 'admin' });
    g.post(ada, k0, { kind: 'add', certificate: cy.certificate });
    g.post(ada, k0, { kind: 'add', certificate: dee.certificate });
    const seen = g.log.slice();
    const head = [seen[seen.length - 1]!.id];
    const ka = g.rekey(ada, k0, [cy], seen, head);
    const kb = g.rekey(bo, k0, [dee], seen, head);
    const r = g.roster();
    const winner = toHex(r.epoch.opener) === toHex(ka.epoch.opener) ? ka : kb;
    const loserVictim = winner === ka ? dee : cy;
    const winnerVictim = winner === ka ? cy : dee;
    assert.deepEqual(r.exposed.map(toHex), [toHex(loserVictim.identity.publicKey)]);
    g.post(ada, winner, { kind: 'text', text: 'in the exposed epoch' });
    const duty = rekeyDuty(r)!;
    const first = [ada, bo].find((p) => toHex(p.identity.publicKey) === toHex(duty.ranked[0]!))!;
    const k2 = g.rekey(first, winner, []);
    g.post(bo, k2, { kind: 'text', text: 'after the duty re-key' });
    assert.equal(rekeyDuty(g.roster()), null);

    const loser = textsRead(attacker(g, loserVictim, [k0]));
    assert.ok(loser.includes('in the exposed epoch'), 'the documented window: the exposed epoch is readable until the re-key');
    assert.ok(!loser.includes('after the duty re-key'));
    const won = textsRead(attacker(g, winnerVictim, [k0]));
    assert.ok(!won.includes('in the exposed epoch') && !won.includes('after the duty re-key'));
  });
});
