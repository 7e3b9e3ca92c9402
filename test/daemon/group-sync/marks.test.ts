/**
 * What the local API shows of group sync (issue 13, "Gaps, known from the log itself" and "Tamper
 * evidence"): two members with real stores, the real groups service, the real GroupPubs over the
 * direct transport to a hostile pub (test/helpers/hostile-pub.ts), and GroupSync; their peer link
 * carries every frame through the real peer-frame codec (test/helpers/group-sync.ts). The rows
 * are what group/list returns (GroupsService.list), the items what message/list returns
 * (listMessages), the notifications what the journal hands event/subscribe; each is checked
 * against its protocol/api schema.
 */
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { openBlob, sealBlob } from '../../../protocol/blob.js';
import { ready } from '../../../protocol/crypto.js';
import { createEntry, decodeEntry, encodeEntry } from '../../../protocol/entry.js';
import type { EpochKeys } from '../../../protocol/group.js';
import { Group, Message, groupDidChange } from '../../../protocol/api/index.js';
import type { GroupItem } from '../../../daemon/groups/items.js';
import { HostilePub, type FaceMode } from '../../helpers/hostile-pub.js';
import { closeMember, FAST_SYNC, heldIds, link, makeSyncMember, type SyncMember } from '../../helpers/group-sync.js';
import { keysOf, textOf } from '../../helpers/group-sync.js';
import { waitUntil } from '../../helpers/group-pubs.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { setTimeout as sleep } from 'node:timers/promises';

async function until(ok: () => Promise<boolean>, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: never held`);
    await sleep(25);
  }
}

type DidChange = { groupId: string; group: { gaps?: number; unfillable?: number; evidence?: number; equivocators?: string[] } | null; evidence?: { kind: string; author: string | null } };

describe('daemon/group-sync in the local API: gaps and evidence (direct transport, hostile pub)', function () {
  this.timeout(90_000);
  let dir: string;
  let pub: HostilePub | null = null;
  const members: SyncMember[] = [];

  before(ready);
  beforeEach(async () => {
    dir = await makeTempDir('group-sync-marks');
  });
  afterEach(async () => {
    for (const m of members.splice(0)) await closeMember(m).catch(() => undefined);
    await pub?.close().catch(() => undefined);
    pub = null;
    await removeDir(dir);
  });

  /** Alice founds a group on the hostile pub (her face honest); Bob reads it through a face in `bobMode`. */
  async function group(bobMode: (keys: () => EpochKeys) => FaceMode): Promise<{ alice: SyncMember; bob: SyncMember; groupId: string }> {
    pub = await HostilePub.start();
    const honest = await pub.face();
    let keys: EpochKeys | null = null;
    const bobFace = await pub.face(bobMode(() => keys!));
    const alice = await makeSyncMember(dir, 'alice', FAST_SYNC);
    members.push(alice);
    const bob = await makeSyncMember(dir, 'bob', FAST_SYNC);
    members.push(bob);
    bob.dialer.routes.set(honest.url, bobFace.url);
    const groupId = await alice.groups.create('marks', [honest.url]);
    keys = keysOf(alice, groupId);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    await waitUntil(() => alice.groups.roster(groupId).members.length === 2, 20_000, "alice sees bob's join");
    return { alice, bob, groupId };
  }

  function row(m: SyncMember, groupId: string) {
    const r = m.groups.list().find((g) => g.groupId === groupId);
    assert.ok(r !== undefined, `${m.name} lists the group`);
    return Group.parse(r);
  }

  async function items(m: SyncMember, groupId: string): Promise<GroupItem[]> {
    const list = await m.groups.listMessages(groupId, { limit: 500 });
    for (const i of list) Message.parse(i);
    return list;
  }

  async function didChanges(m: SyncMember, groupId: string): Promise<DidChange[]> {
    const { notifications } = await m.journal.since(0);
    return notifications
      .filter((n) => n.method === 'group/didChange')
      .map((n) => groupDidChange.params.parse(n.params) as DidChange)
      .filter((p) => p.groupId === groupId);
  }

  /** A reaction inside a group blob, or null. */
  function reactionOf(keys: EpochKeys, blob: Uint8Array): string | null {
    try {
      const encoded = openBlob(keys, blob);
      if (encoded === null) return null;
      const e = decodeEntry(encoded);
      return e.content.kind === 'reaction' ? e.content.reaction : null;
    } catch {
      return null;
    }
  }

  // The withheld entries and the one after them are reactions, which change no unread count and
  // no member: every group/didChange about the gap here is group sync's own.
  it('shows a withheld range of an author as one gap in group/list, message/list and group/didChange until a peer fills it', async () => {
    const { alice, bob, groupId } = await group((keys) => ({ kind: 'withhold', match: (b) => /^hidden/.test(reactionOf(keys(), b) ?? '') }));
    assert.equal(row(bob, groupId).gaps, 0);
    const target = await alice.groups.send(groupId, 'before');
    for (const reaction of ['hidden 1', 'hidden 2', 'shown']) await alice.groups.author(groupId, { kind: 'reaction', target: fromHex(target), reaction });
    await waitUntil(() => heldIds(bob, groupId).length === heldIds(alice, groupId).length - 2, 20_000, 'bob holds what the pub shows him');

    // group/list counts the open gap (alice's two entries are one range)
    await waitUntil(() => row(bob, groupId).gaps === 1, 5_000, 'bob counts the gap');
    assert.deepEqual([row(bob, groupId).evidence, row(bob, groupId).equivocators], [0, []]);
    assert.equal(row(alice, groupId).gaps, 0, 'alice lacks nothing');
    await until(async () => (await didChanges(bob, groupId)).some((p) => p.group?.gaps === 1), 5_000, 'group/didChange with the gap');

    // message/list: the gap stands right after alice's last held entry before it, names her and the range
    const seqOf = (id: string) => alice.groups.chainEntries(groupId).find((e) => toHex(e.id) === id)!.seq;
    await bob.groups.send(groupId, 'later');
    const shown = (await items(bob, groupId)).filter((i) => i.kind === 'message' || i.kind === 'gap');
    assert.deepEqual(shown.map((i) => (i.kind === 'gap' ? 'gap' : i.text)), ['before', 'gap', 'later']);
    const gap = shown[1]!;
    assert.equal(gap.author, alice.identity.address);
    assert.deepEqual(gap.gap, { from: seqOf(target) + 1, to: seqOf(target) + 2 });
    assert.notEqual(gap.id, target);
    assert.equal((await items(bob, groupId)).find((i) => i.kind === 'gap')!.id, gap.id, 'a gap keeps its id while open');

    // the peers meet: the gap closes, and group/didChange says so
    const toldBefore = (await didChanges(bob, groupId)).length;
    link(alice, bob);
    await waitUntil(() => heldIds(bob, groupId).join() === heldIds(alice, groupId).join(), 30_000, 'identical logs');
    await waitUntil(() => row(bob, groupId).gaps === 0, 5_000, 'bob counts no gap');
    assert.deepEqual((await items(bob, groupId)).filter((i) => i.kind === 'message' || i.kind === 'gap').map((i) => i.text), ['before', 'later']);
    await until(async () => (await didChanges(bob, groupId)).slice(toldBefore).some((p) => p.group?.gaps === 0), 5_000, 'group/didChange told the gap filled');
  });

  it('marks an equivocating member in group/list, tells the evidence, its kind and author, in group/didChange, and shows it in message/list where the fork falls, at both members', async () => {
    const { alice, bob, groupId } = await group((k) => ({ kind: 'withhold', match: (b) => textOf(k(), b) === 'a lie' }));
    await bob.groups.send(groupId, 'the truth');
    const atFork = (m: SyncMember) => m.groups.chainEntries(groupId).filter((e) => toHex(e.author) === toHex(bob.keys.signing.publicKey) && e.seq === 2).length;
    await waitUntil(() => atFork(alice) === 1, 20_000, "alice holds bob's text");
    assert.deepEqual(row(alice, groupId).equivocators, []);
    // bob's key signs a second entry at the seq of "the truth": a fork only alice is shown
    const mine = bob.groups.chainEntries(groupId).find((e) => toHex(e.author) === toHex(bob.keys.signing.publicKey) && e.seq === 2)!;
    const keys = keysOf(bob, groupId);
    const fork = createEntry(keys, bob.keys.signing, { seq: 2, prev: mine.prev, timestamp: Date.now(), heads: [], content: { kind: 'text', text: 'a lie' } });
    pub!.inject([sealBlob(keys, encodeEntry(fork))]);

    await waitUntil(() => row(alice, groupId).equivocators?.length === 1, 20_000, 'alice marks the equivocator');
    assert.deepEqual(row(alice, groupId).equivocators, [bob.identity.address]);
    assert.equal(row(alice, groupId).evidence, 1);
    await until(async () => (await didChanges(alice, groupId)).some((p) => p.evidence !== undefined), 5_000, 'alice tells the evidence');
    const told = (await didChanges(alice, groupId)).find((p) => p.evidence !== undefined)!;
    assert.deepEqual(told.evidence, { kind: 'equivocation', author: bob.identity.address });
    assert.deepEqual(told.group?.equivocators, [bob.identity.address]);
    assert.deepEqual([row(bob, groupId).evidence, row(bob, groupId).equivocators], [0, []], 'the pub never showed bob the fork');
    // message/list shows where the fork falls: an evidence item by bob right after his entry at the forked seq
    const shownAt = async (m: SyncMember) => {
      const list = await items(m, groupId);
      const i = list.findIndex((x) => x.kind === 'evidence');
      return { list, i };
    };
    const atAlice = await shownAt(alice);
    assert.equal(atAlice.list.filter((x) => x.kind === 'evidence').length, 1);
    assert.deepEqual([atAlice.list[atAlice.i]!.author, atAlice.list[atAlice.i]!.evidence], [bob.identity.address, { kind: 'equivocation' }]);
    const before = atAlice.list[atAlice.i - 1]!;
    assert.ok(before.author === bob.identity.address && ['the truth', 'a lie'].includes(before.text), 'right after one of the two entries at the forked seq');
    assert.deepEqual((await shownAt(bob)).i, -1);

    // passed to the peer, who checks it and marks bob too
    link(alice, bob);
    await waitUntil(() => row(bob, groupId).evidence === 1, 20_000, 'bob keeps the evidence alice passed on');
    assert.deepEqual(row(bob, groupId).equivocators, [bob.identity.address]);
    await until(async () => (await didChanges(bob, groupId)).some((p) => p.evidence?.kind === 'equivocation' && p.evidence.author === bob.identity.address), 5_000, 'bob tells the evidence');
    await until(async () => (await shownAt(bob)).i !== -1, 5_000, 'bob shows where the fork falls');
    assert.deepEqual((await shownAt(bob)).list[(await shownAt(bob)).i]!.id, atAlice.list[atAlice.i]!.id, 'one id for the same evidence at both');
  });

  it('counts a gap nobody can fill as unfillable in group/list once back-fill gives up, and keeps counting the gap', async () => {
    const { alice, bob, groupId } = await group((k) => ({ kind: 'withhold', match: (b) => textOf(k(), b) === 'far ahead' }));
    await bob.groups.send(groupId, 'the truth');
    const bobs = (m: SyncMember) => m.groups.chainEntries(groupId).filter((e) => toHex(e.author) === toHex(bob.keys.signing.publicKey));
    await waitUntil(() => bobs(alice).length === 2, 20_000, "alice holds bob's text");
    // bob's key signs seq 5 after seq 2: 3..4 exist nowhere
    const top = bobs(bob).find((e) => e.seq === 2)!;
    const keys = keysOf(bob, groupId);
    const far = createEntry(keys, bob.keys.signing, { seq: 5, prev: top.id, timestamp: Date.now(), heads: [], content: { kind: 'text', text: 'far ahead' } });
    pub!.inject([sealBlob(keys, encodeEntry(far))]);
    await waitUntil(() => row(alice, groupId).gaps === 1, 20_000, 'alice counts the gap');
    assert.equal(row(alice, groupId).unfillable, 0);
    link(alice, bob);
    await waitUntil(() => (row(alice, groupId).unfillable ?? 0) >= 1, 30_000, 'alice gives the claim up');
    assert.equal(row(alice, groupId).gaps, 1, 'the entries are still missing');
    await until(async () => (await didChanges(alice, groupId)).some((p) => p.group?.unfillable === 1), 5_000, 'group/didChange tells it');
  });

  it("shows a gap at the start of an author's chain (from seq 1), with no author while no certificate of it is held, until a peer fills it", async () => {
    let hideJoin = false;
    const { alice, bob, groupId } = await group((k) => ({
      kind: 'withhold',
      match: (b) => {
        if (!hideJoin) return false;
        try {
          const encoded = openBlob(k(), b);
          return encoded !== null && decodeEntry(encoded).content.kind === 'join';
        } catch {
          return false;
        }
      },
    }));
    hideJoin = true; // carol's join (seq 1 of her chain) never reaches bob from the pub
    const carol = await makeSyncMember(dir, 'carol', FAST_SYNC);
    members.push(carol);
    await carol.groups.join(await alice.groups.exportInvite(groupId, true));
    await waitUntil(() => alice.groups.roster(groupId).members.length === 3, 20_000, "alice sees carol's join");
    await carol.groups.send(groupId, 'from carol');
    const carols = (m: SyncMember) => m.groups.chainEntries(groupId).filter((e) => toHex(e.author) === toHex(carol.keys.signing.publicKey));
    await waitUntil(() => carols(bob).length === 1, 20_000, "bob holds carol's text only");
    await waitUntil(() => row(bob, groupId).gaps === 1, 5_000, 'bob counts the gap');
    const gap = (await items(bob, groupId)).find((i) => i.kind === 'gap');
    assert.ok(gap !== undefined, 'message/list shows the gap');
    assert.deepEqual([gap.author, gap.gap], [null, { from: 1, to: 1 }]);
    link(alice, bob);
    await waitUntil(() => row(bob, groupId).gaps === 0, 30_000, "bob gets carol's join from alice");
    const after = await items(bob, groupId);
    assert.equal(after.find((i) => i.kind === 'gap'), undefined);
    const joined = after.find((i) => i.kind === 'joined' && i.author === carol.identity.address);
    assert.ok(joined !== undefined, "bob shows carol's join in its place");
  });
});
