/**
 * Tamper evidence the pub links and refused blobs give (daemon/group-sync/foreign-entry.ts and
 * pub-evidence.ts, hooked into GroupSync): an entry replayed from another group or another epoch
 * under the group's key becomes foreign-entry evidence, which a peer checks and keeps; a pub
 * serving one blob at two cursors, or out of its own cursor order, becomes pub-order evidence,
 * kept by the member who saw it and never passed on. Each is kept durably, counted in
 * group/list and told by group/didChange. Members with real stores, the real groups service, the
 * real GroupPubs wired as the daemon wires them (services/groups.ts), a hostile pub over the
 * direct transport, and a peer link through the real peer-frame codec (test/helpers/group-sync.ts).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromHex } from '../../../protocol/bytes.js';
import { sealBlob } from '../../../protocol/blob.js';
import { randomBytes, ready } from '../../../protocol/crypto.js';
import { createEntry, encodeEntry } from '../../../protocol/entry.js';
import { deriveEpochKeys, type EpochKeys } from '../../../protocol/group.js';
import { Group, groupDidChange } from '../../../protocol/api/index.js';
import { verifyEvidence } from '../../../protocol/sync/evidence.js';
import { blobHashHex, HostilePub, type FaceMode } from '../../helpers/hostile-pub.js';
import { closeMember, FAST_SYNC, heldIds, keysOf, link, makeSyncMember, type SyncMember } from '../../helpers/group-sync.js';
import { waitUntil } from '../../helpers/group-pubs.js';
import { SyncLog } from '../../helpers/sync-log.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

async function until(ok: () => Promise<boolean>, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: never held`);
    await sleep(25);
  }
}

type DidChange = { groupId: string; group: { evidence?: number } | null; evidence?: { kind: string; author: string | null } };

describe('daemon/group-sync evidence from refused blobs and the pub links (direct transport, hostile pub)', function () {
  this.timeout(60_000);
  let dir: string;
  let pub: HostilePub | null = null;
  const members: SyncMember[] = [];

  before(ready);
  beforeEach(async () => {
    dir = await makeTempDir('group-sync-evidence');
  });
  afterEach(async () => {
    for (const m of members.splice(0)) await closeMember(m).catch(() => undefined);
    await pub?.close().catch(() => undefined);
    pub = null;
    await removeDir(dir);
  });

  /** Alice founds a group on the hostile pub (her face honest); Bob reads it through a face in `bobMode`. */
  async function group(bobMode: FaceMode, waitJoin = true, init = FAST_SYNC): Promise<{ alice: SyncMember; bob: SyncMember; groupId: string }> {
    pub = await HostilePub.start();
    const honest = await pub.face();
    const bobFace = await pub.face(bobMode);
    const alice = await makeSyncMember(dir, 'alice', init);
    members.push(alice);
    const bob = await makeSyncMember(dir, 'bob', init);
    members.push(bob);
    bob.dialer.routes.set(honest.url, bobFace.url);
    const groupId = await alice.groups.create('evidence', [honest.url]);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    if (waitJoin) await waitUntil(() => alice.groups.roster(groupId).members.length === 2, 20_000, "alice sees bob's join");
    return { alice, bob, groupId };
  }

  function row(m: SyncMember, groupId: string) {
    const r = m.groups.list().find((g) => g.groupId === groupId);
    assert.ok(r !== undefined, `${m.name} lists the group`);
    return Group.parse(r);
  }

  async function told(m: SyncMember, groupId: string, kind: string): Promise<DidChange | undefined> {
    const { notifications } = await m.journal.since(0);
    return notifications
      .filter((n) => n.method === 'group/didChange')
      .map((n) => groupDidChange.params.parse(n.params) as DidChange)
      .find((p) => p.groupId === groupId && p.evidence?.kind === kind);
  }

  const kinds = (m: SyncMember, groupId: string) => m.sync.report(groupId).evidence.map((e) => e.kind).sort();

  /** Closes and opens the member's group sync on the same store (what a lock and unlock do to it). */
  async function reopenSync(m: SyncMember): Promise<void> {
    await m.sync.close();
    await m.sync.open({ store: m.store, identityKey: m.identity.publicKey, links: m.links, pubs: m.pubs });
  }

  it("keeps an entry of another group, and one of another epoch, sealed under the group's key as foreign-entry evidence, stores neither, and a peer checks and keeps the evidence", async () => {
    const hidden = new Set<string>();
    const { alice, bob, groupId } = await group({ kind: 'withhold', match: (b) => hidden.has(blobHashHex(b)) });
    await bob.groups.send(groupId, 'hello');
    const keys = keysOf(alice, groupId);
    // a member of both groups seals an entry of the other group under this group's key
    const other = new SyncLog('elsewhere');
    const fromOtherGroup = sealBlob(keys, other.post(other.founder, 'replayed here').encoding);
    // and an entry naming another epoch (its own keys) sealed under this epoch's key
    const bobLast = bob.groups.chainEntries(groupId).filter((e) => e.author.every((x, i) => x === bob.keys.signing.publicKey[i])).sort((a, b) => b.seq - a.seq)[0]!;
    const elsewhen: EpochKeys = deriveEpochKeys(randomBytes(32), fromHex(groupId), { number: 1, opener: randomBytes(32) });
    const fromOtherEpoch = sealBlob(keys, encodeEntry(createEntry(elsewhen, bob.keys.signing, { seq: bobLast.seq + 1, prev: bobLast.id, timestamp: Date.now(), heads: [], content: { kind: 'text', text: 'another epoch' } })));
    for (const b of [fromOtherGroup, fromOtherEpoch]) hidden.add(blobHashHex(b)); // only alice is shown them
    const held = heldIds(alice, groupId);
    pub!.inject([fromOtherGroup, fromOtherEpoch]);

    await waitUntil(() => row(alice, groupId).evidence === 2, 20_000, 'alice counts both');
    assert.deepEqual(kinds(alice, groupId), ['foreign-entry', 'foreign-entry']);
    assert.deepEqual(heldIds(alice, groupId), held, 'neither was stored');
    for (const ev of alice.sync.report(groupId).evidence) assert.equal(verifyEvidence(ev, (e) => alice.groups.epochKeys(groupId, e)).verified, true);
    await until(async () => (await told(alice, groupId, 'foreign-entry')) !== undefined, 5_000, 'group/didChange tells it');
    const notice = (await told(alice, groupId, 'foreign-entry'))!;
    assert.equal(notice.evidence!.author, null, 'it names an epoch, not an author');
    assert.deepEqual(row(alice, groupId).equivocators, []);
    assert.equal(row(bob, groupId).evidence, 0, 'the pub never showed bob either blob');

    // kept durably: still there after group sync closes and opens again
    await reopenSync(alice);
    await waitUntil(() => alice.sync.report(groupId).evidence.length === 2, 5_000, 'alice still holds both after reopening');

    link(alice, bob);
    await waitUntil(() => row(bob, groupId).evidence === 2, 20_000, 'bob keeps what alice passed on');
    assert.deepEqual(kinds(bob, groupId), ['foreign-entry', 'foreign-entry']);
    await until(async () => (await told(bob, groupId, 'foreign-entry')) !== undefined, 5_000, 'bob tells it');
  });

  it('keeps pub-order evidence when the pub serves one blob at two cursors, counts and tells it, keeps it durably, and never passes it to a peer', async () => {
    const { alice, bob, groupId } = await group({ kind: 'duplicate' });
    for (const t of ['one', 'two', 'three']) await alice.groups.send(groupId, t);
    await waitUntil(() => kinds(bob, groupId).includes('pub-order'), 20_000, 'bob sees a blob at two cursors');
    const ev = bob.sync.report(groupId).evidence.find((e) => e.kind === 'pub-order')!;
    assert.ok(ev.kind === 'pub-order' && ev.fault === 'repeated' && ev.pub === pub!.faces[0]!.url, 'against the pub bob reads, by the address the group names');
    assert.equal(ev.first.cursor === ev.second.cursor, false);
    await sleep(500); // many more repeats: one record per (pub, fault)
    assert.equal(row(bob, groupId).evidence, 1);
    await until(async () => (await told(bob, groupId, 'pub-order')) !== undefined, 5_000, 'group/didChange tells it');
    const notice = (await told(bob, groupId, 'pub-order'))!;
    assert.equal(notice.evidence!.author, null);

    await reopenSync(bob);
    await waitUntil(() => bob.sync.report(groupId).evidence.length === 1, 5_000, 'bob still holds it after reopening');

    link(alice, bob);
    await waitUntil(() => heldIds(alice, groupId).join() === heldIds(bob, groupId).join(), 20_000, 'identical logs');
    await sleep(500);
    assert.equal(row(alice, groupId).evidence, 0, "bob's observation is not alice's evidence");
  });

  it('keeps pub-order evidence when the pub serves out of its own cursor order, and the member still gets every entry from a peer', async () => {
    const { alice, bob, groupId } = await group({ kind: 'regress' }, false);
    for (const t of ['one', 'two', 'three', 'four']) await alice.groups.send(groupId, t);
    await waitUntil(() => bob.sync.report(groupId).evidence.some((e) => e.kind === 'pub-order' && e.fault === 'regressed'), 20_000, 'bob sees the cursors go back');
    await waitUntil(() => row(bob, groupId).evidence === 1, 5_000, 'group/list counts it');
    assert.deepEqual(kinds(alice, groupId), []);
    link(alice, bob);
    await waitUntil(() => heldIds(alice, groupId).join() === heldIds(bob, groupId).join(), 20_000, 'identical logs');
  });

  it('keeps no evidence of an honest pub that lost its store when its blobs come back at new cursors', async () => {
    // no probe: nothing but this test posts the blobs again, so the new store holds each once
    const { alice, bob, groupId } = await group({ kind: 'honest' }, true, { ...FAST_SYNC, probeMs: 0 });
    for (const t of ['before the wipe 1', 'before the wipe 2']) await alice.groups.send(groupId, t);
    await pub!.waitForBase(1 + 2);
    await waitUntil(() => heldIds(bob, groupId).length === heldIds(alice, groupId).length, 20_000, 'bob reads both');
    const blobs = (await Promise.all(alice.groups.chainEntries(groupId).map((e) => alice.groups.entryBlob(groupId, e.id)))).filter((b): b is Uint8Array => b !== null);
    await pub!.wipe();
    await waitUntil(() => pub!.faces.every((f) => f.connections > 0), 20_000, 'both connect to the new store');
    // the same blobs at new cursors, in a new order, as members' repairs would post them
    pub!.inject([...blobs].reverse());
    await alice.groups.send(groupId, 'after the wipe');
    await waitUntil(() => heldIds(bob, groupId).length === heldIds(alice, groupId).length, 20_000, 'bob reads the new store');
    await sleep(500);
    assert.deepEqual([kinds(alice, groupId), kinds(bob, groupId)], [[], []]);
  });
});
