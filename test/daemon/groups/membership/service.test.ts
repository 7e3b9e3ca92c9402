/**
 * The membership service on real groups services (real encrypted stores, a real in-process pub,
 * the real GroupPubs over the direct transport): removal with re-keying and the attacker who
 * keeps fetching, hide for all and for me, reactions, edits and deletes both ways, leave with
 * the duty re-key, the last admin's leave.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fromHex, toHex } from '../../../../protocol/bytes.js';
import { sealBlob } from '../../../../protocol/blob.js';
import { ready } from '../../../../protocol/crypto.js';
import { createEntry, encodeEntry, entryId } from '../../../../protocol/entry.js';
import { PubClient } from '../../../../daemon/pub-links/client.js';
import { DirectDialer } from '../../../../daemon/transport/direct.js';
import { MembershipService } from '../../../../daemon/groups/membership/service.js';
import type { PubServer } from '../../../../daemon/pub/server.js';
import { keysFromInvite, readAsAttacker, textsRead } from '../../../helpers/attacker.js';
import { startLoopbackPub, waitUntil } from '../../../helpers/group-pubs.js';
import { apiCodeOf, makeMember, offline, pubBlobs, reopen, texts, waitForTexts, type TestMember } from '../../../helpers/groups.js';
import { makeTempDir, removeDir } from '../../../helpers/temp.js';

interface Member extends TestMember {
  readonly membership: MembershipService;
}


describe('MembershipService over real groups services and a pub', function () {
  this.timeout(90_000);
  let dir: string;
  let pub: { server: PubServer; address: string };
  const everyone: Member[] = [];

  async function member(name: string): Promise<Member> {
    const m = await makeMember(dir, name);
    const membership = new MembershipService({ groups: m.groups }, { pollMs: 50, delayMs: (rank, r) => rank * 1_500 + Math.floor(r * 100) });
    await membership.open({ store: m.store, identityKey: m.identity.publicKey, signing: m.keys.signing });
    const out = Object.assign(m, { membership });
    everyone.push(out);
    return out;
  }


  const epochOf = (m: Member, g: string) => m.groups.roster(g).epoch.number;
  /** Until `m`'s own roster has `m` (its join waits there for the invite entry it cites). */
  const joined = (m: Member, g: string) => waitUntil(() => m.groups.roster(g).members.some((x) => x.identityKey.every((b, i) => b === m.identity.publicKey[i])), 20_000, `${m.name} a member at itself`);

  before(async () => {
    await ready();
    dir = await makeTempDir('membership');
    pub = await startLoopbackPub(join(dir, 'pub'), { powDifficulty: 2, statsIntervalMs: 0 });
  });
  after(async () => {
    for (const m of everyone) {
      await m.membership.close().catch(() => undefined);
      await offline(m).catch(() => undefined);
    }
    await pub.server.stop().catch(() => undefined);
    await removeDir(dir);
  });

  it('removes a member with a re-key: it reads nothing sent after, through its own service or by fetching every blob with every key it had', async () => {
    const alice = await member('alice');
    const bob = await member('bob');
    const carol = await member('carol');
    const groupId = await alice.groups.create('removal', [pub.address]);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    const carolInvite = await alice.groups.exportInvite(groupId, true);
    await carol.groups.join(carolInvite);
    await waitUntil(() => alice.groups.members(groupId).length === 3, 20_000, 'both joins at alice');
    await carol.groups.send(groupId, 'before: carol');
    await bob.groups.send(groupId, 'before: bob');
    // everyone has both before the removal (an entry of carol's concurrent with it may be ordered after it, and ignored)
    for (const m of [alice, bob, carol]) await waitForTexts(m, groupId, 2);
    await waitUntil(() => bob.groups.members(groupId).length === 3, 20_000, 'carol a member at bob');

    assert.equal(await apiCodeOf(bob.membership.removeMember(groupId, carol.identity.address)), 'ERR_NOT_ADMIN');
    assert.equal(await apiCodeOf(alice.membership.removeMember(groupId, alice.identity.address)), 'ERR_LAST_ADMIN');
    await alice.membership.removeMember(groupId, carol.identity.address);
    assert.equal(epochOf(alice, groupId), 1);
    await waitUntil(() => epochOf(bob, groupId) === 1, 20_000, 'the re-key at bob');
    await alice.groups.send(groupId, 'after: alice');
    await bob.groups.send(groupId, 'after: bob');
    await waitForTexts(bob, groupId, 4);
    await waitForTexts(alice, groupId, 4);
    assert.deepEqual(alice.groups.members(groupId).map((m) => m.address).sort(), [alice.identity.address, bob.identity.address].sort());

    // carol, removed, keeps fetching from the pub with every key it had
    await waitUntil(() => pub.server.stats().blobs >= 9, 20_000, 'everything on the pub');
    const blobs = await pubBlobs(pub.address);
    const got = readAsAttacker(blobs, keysFromInvite(carolInvite, { identityKey: carol.identity.publicKey, dh: carol.keys.dh }));
    assert.deepEqual(textsRead(got), ['before: bob', 'before: carol']);
    assert.equal(got.epochs.length, 1, 'carol opens no epoch after epoch 0');
    // a remaining member running the same attack reads it all: the attack is not vacuous
    const bobReads = readAsAttacker(blobs, keysFromInvite(carolInvite, { identityKey: bob.identity.publicKey, dh: bob.keys.dh }));
    assert.ok(textsRead(bobReads).includes('after: alice') && textsRead(bobReads).includes('after: bob'));
    // and through carol's own groups service
    await new Promise((r) => setTimeout(r, 300));
    const atCarol = carol.groups.list().some((g) => g.groupId === groupId) ? await texts(carol, groupId) : [];
    assert.ok(!atCarol.some((t) => t.startsWith('after')), JSON.stringify(atCarol));
  });

  it("never shows remaining members what a removed member posts in the old epoch after its removal, with its old keys, straight to the pub", async () => {
    const alice = await member('alice8');
    const bob = await member('bob8');
    const carol = await member('carol8');
    const groupId = await alice.groups.create('closing', [pub.address]);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    const carolInvite = await alice.groups.exportInvite(groupId, true);
    await carol.groups.join(carolInvite);
    await waitUntil(() => alice.groups.members(groupId).length === 3 && bob.groups.members(groupId).length === 3, 20_000, 'both joins');
    await carol.groups.send(groupId, 'before: carol');
    for (const m of [alice, bob]) await waitForTexts(m, groupId, 1);
    await alice.membership.removeMember(groupId, carol.identity.address);
    await waitUntil(() => epochOf(bob, groupId) === 1, 20_000, 'the re-key at bob');

    // carol's chain as the pub shows it to her, and epoch 0's key from her invite
    const keys = keysFromInvite(carolInvite, { identityKey: carol.identity.publicKey, dh: carol.keys.dh });
    const seen = readAsAttacker(await pubBlobs(pub.address), keys);
    const mine = [...seen.entries].filter(([, e]) => e.author.every((b, i) => b === carol.keys.signing.publicKey[i])).sort(([, x], [, y]) => x.seq - y.seq);
    let [lastId, last] = mine[mine.length - 1]!;
    const epoch0 = keys.epochs[0]!;
    const client = await PubClient.connect(new DirectDialer(), pub.address);
    const posted: string[] = [];
    try {
      // as if she had not seen the re-key: each names only her own earlier entry, posted in epoch 0,
      // and has an id sorting before the re-key's (without the closing rule the roster would take
      // each of them before the re-key, while carol is still a member)
      const rekey = toHex(alice.groups.roster(groupId).epoch.opener);
      for (let i = 0; i < 12; i++) {
        let entry: ReturnType<typeof createEntry>;
        let bytes: Uint8Array;
        let t = Date.now();
        do {
          entry = createEntry(epoch0, carol.keys.signing, { seq: last.seq + 1, prev: fromHex(lastId), timestamp: t++, heads: [], content: { kind: 'text', text: `late carol ${i}` } });
          bytes = encodeEntry(entry);
        } while (toHex(entryId(bytes)) > rekey);
        lastId = toHex(entryId(bytes));
        last = entry;
        posted.push(lastId);
        await client.post(sealBlob(epoch0, bytes));
      }
    } finally {
      await client.close();
    }
    await alice.groups.send(groupId, 'after: alice');
    for (const m of [alice, bob]) {
      await waitUntil(() => posted.every((id) => m.groups.entryInfo(groupId, id) !== null), 20_000, `${m.name} holds carol's late entries`);
      for (const id of posted) assert.equal(m.groups.entryInfo(groupId, id)!.ignored, true, 'kept, never shown');
      const shown = await waitForTexts(m, groupId, 2);
      assert.deepEqual(shown, ['before: carol', 'after: alice']);
    }
  });

  it('hides for all and for me, and shows reactions, edits and deletes both ways', async () => {
    const alice = await member('alice2');
    const bob = await member('bob2');
    const groupId = await alice.groups.create('moderation', [pub.address]);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    await waitUntil(() => alice.groups.members(groupId).length === 2, 20_000, 'the join');
    await joined(bob, groupId);
    const a1 = await alice.groups.send(groupId, 'typo hre');
    const b1 = await bob.groups.send(groupId, 'spam spam');
    const b2 = await bob.groups.send(groupId, 'a fine message');
    const b3 = await bob.groups.send(groupId, 'oops, delete me');
    await waitForTexts(alice, groupId, 4);
    await waitForTexts(bob, groupId, 4);

    assert.equal(await apiCodeOf(bob.membership.edit(groupId, a1, 'bob rewrites alice')), 'ERR_NOT_AUTHOR');
    assert.equal(await apiCodeOf(alice.membership.delete(groupId, b2)), 'ERR_NOT_AUTHOR');
    assert.equal(await apiCodeOf(bob.membership.hide(groupId, a1, true)), 'ERR_NOT_ADMIN');
    assert.equal(await apiCodeOf(alice.membership.react(groupId, 'ab'.repeat(32), '👍')), 'ERR_NOT_FOUND');
    await alice.membership.edit(groupId, a1, 'typo here');
    await alice.membership.hide(groupId, b1, true);
    await alice.membership.react(groupId, b2, '👍');
    await bob.membership.react(groupId, b2, '👍');
    await bob.membership.react(groupId, a1, '🎉');
    await bob.membership.delete(groupId, b3);
    await bob.membership.hide(groupId, a1, false); // for bob only

    const view = async (m: Member) => new Map((await m.groups.listMessages(groupId, { limit: 50 })).filter((i) => i.kind === 'message').map((i) => [i.id, i]));
    for (const m of [alice, bob]) {
      await waitUntil(() => true, 1);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const v = await view(m);
        const ok = v.get(b2)?.reactions?.[0]?.count === 2 && v.get(b3)?.deleted === true && v.get(b1)?.hidden !== undefined && (m === bob || v.get(a1)?.reactions?.length === 1);
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`${m.name}: ${JSON.stringify([...v.values()])}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const atAlice = await view(alice);
    assert.equal(atAlice.get(a1)!.text, 'typo here');
    assert.equal(atAlice.get(a1)!.edited, true);
    assert.deepEqual(atAlice.get(a1)!.reactions, [{ reaction: '🎉', count: 1, mine: false }]);
    assert.deepEqual(atAlice.get(b1)!.hidden, { by: 'admin', admin: alice.identity.address });
    assert.equal(atAlice.get(b1)!.text, '');
    assert.deepEqual(atAlice.get(b2)!.reactions, [{ reaction: '👍', count: 2, mine: true }]);
    assert.equal(atAlice.get(b3)!.deleted, true);
    assert.equal(atAlice.get(b3)!.text, '');
    const atBob = await view(bob);
    assert.deepEqual(atBob.get(a1)!.hidden, { by: 'me', admin: null }, 'hidden for bob only');
    assert.equal(atAlice.get(a1)!.hidden, undefined);
    assert.deepEqual(atBob.get(b1)!.hidden, { by: 'admin', admin: alice.identity.address });
    // each change reached the others as message/didUpdate of its target
    const updated = (m: Member) => m.notes.filter((n) => n.method === 'message/didUpdate').map((n) => (n.params as { message: { id: string } }).message.id);
    await waitUntil(() => [a1, b1, b2, b3].every((id) => updated(bob).includes(id)), 20_000, 'message/didUpdate at bob');
    assert.ok([b1, b2, a1].every((id) => updated(alice).includes(id)));
    // bob withdraws his reaction
    await bob.membership.react(groupId, b2, '');
    await waitUntil(() => true, 1);
    const deadline = Date.now() + 20_000;
    while ((await view(alice)).get(b2)?.reactions?.[0]?.count !== 1) {
      if (Date.now() > deadline) throw new Error('the withdrawal did not reach alice');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('merges two admins removing different members at once: after the duty re-key neither removed member opens the epoch in use', async () => {
    const alice = await member('alice4');
    const bob = await member('bob4');
    const carol = await member('carol4');
    const dee = await member('dee4');
    const groupId = await alice.groups.create('race', [pub.address]);
    const invites: Record<string, string> = {};
    for (const m of [bob, carol, dee]) {
      invites[m.name] = await alice.groups.exportInvite(groupId, true);
      await m.groups.join(invites[m.name]!);
    }
    await waitUntil(() => alice.groups.members(groupId).length === 4, 20_000, 'three joins at alice');
    await alice.membership.setRole(groupId, bob.identity.address, 'admin');
    await waitUntil(() => bob.groups.roster(groupId).admins.length === 2 && bob.groups.members(groupId).length === 4, 20_000, 'bob an admin at bob');
    // both admins go off the pubs, so neither sees the other's removal, and remove at once
    for (const m of [alice, bob]) {
      await m.membership.close();
      await offline(m);
      await reopen(m, false);
      await m.membership.open({ store: m.store, identityKey: m.identity.publicKey, signing: m.keys.signing });
    }
    await alice.membership.removeMember(groupId, carol.identity.address);
    await bob.membership.removeMember(groupId, dee.identity.address);
    for (const m of [alice, bob]) {
      await m.membership.close();
      await offline(m);
      await reopen(m, true);
      await m.membership.open({ store: m.store, identityKey: m.identity.publicKey, signing: m.keys.signing });
    }
    // the race resolves the same way at both, and the duty admin settles it
    await waitUntil(() => epochOf(alice, groupId) === 2 && epochOf(bob, groupId) === 2, 30_000, 'the settling re-key at both admins');
    for (const m of [alice, bob]) {
      const r = m.groups.roster(groupId);
      assert.equal(r.members.length, 2, m.name);
      assert.equal(r.superseded.length, 1);
      assert.deepEqual([r.exposed, r.lockedOut], [[], []]);
    }
    await alice.groups.send(groupId, 'after the race');
    await waitForTexts(bob, groupId, 1);
    await waitUntil(() => pub.server.stats().blobs > 0, 1);
    const blobs = await pubBlobs(pub.address);
    for (const victim of [carol, dee]) {
      const got = readAsAttacker(blobs, keysFromInvite(invites[victim.name]!, { identityKey: victim.identity.publicKey, dh: victim.keys.dh }));
      assert.ok(!textsRead(got).includes('after the race'), `${victim.name} reads nothing of the settled epoch`);
      assert.ok(got.epochs.length <= 2, `${victim.name} holds at most the raced epoch`);
    }
  });

  it('admits a join racing a re-key; the duty re-key seals the next epoch to the joiner, who reads it from a blob of the epoch it holds', async () => {
    const alice = await member('alice5');
    const bob = await member('bob5');
    const dave = await member('dave5');
    const groupId = await alice.groups.create('join race', [pub.address]);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    await waitUntil(() => alice.groups.members(groupId).length === 2, 20_000, 'bob at alice');
    const daveInvite = await alice.groups.exportInvite(groupId, true);
    // alice re-keys off the pubs while dave joins: she has not seen his join
    await alice.membership.close();
    await offline(alice);
    await reopen(alice, false);
    await alice.membership.open({ store: alice.store, identityKey: alice.identity.publicKey, signing: alice.keys.signing });
    await dave.groups.join(daveInvite);
    await waitUntil(() => pub.server.stats().blobs > 0, 1);
    await alice.membership.removeMember(groupId, bob.identity.address);
    await alice.membership.close();
    await offline(alice);
    await reopen(alice, true);
    await alice.membership.open({ store: alice.store, identityKey: alice.identity.publicKey, signing: alice.keys.signing });
    // dave is a member without epoch 1; alice, the only admin, seals epoch 2 to him
    await waitUntil(() => epochOf(alice, groupId) === 2, 30_000, 'the duty re-key at alice');
    await waitUntil(() => epochOf(dave, groupId) === 2, 30_000, 'epoch 2 at dave');
    assert.deepEqual(dave.groups.roster(groupId).lockedOut, []);
    await alice.groups.send(groupId, 'welcome, dave');
    await waitForTexts(dave, groupId, 1);
    assert.deepEqual(await texts(dave, groupId), ['welcome, dave']);
  });

  it('after a leave the duty admin re-keys on its own, without the leaver; the last admin leaves only naming a successor', async () => {
    const alice = await member('alice3');
    const bob = await member('bob3');
    const carol = await member('carol3');
    const groupId = await alice.groups.create('leave', [pub.address]);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    const carolInvite = await alice.groups.exportInvite(groupId, true);
    await carol.groups.join(carolInvite);
    await waitUntil(() => alice.groups.members(groupId).length === 3 && bob.groups.members(groupId).length === 3, 20_000, 'both joins');
    await joined(carol, groupId);
    await carol.membership.leave(groupId);
    // bob, not the duty admin here or there, writes while the epoch is exposed: held, then made again under epoch 1
    await waitUntil(() => bob.groups.roster(groupId).exposed.length === 1 || epochOf(bob, groupId) === 1, 20_000, 'the leave at bob');
    const exposedAtSend = bob.groups.roster(groupId).exposed.length === 1;
    await bob.groups.send(groupId, 'said while carol still held the key');
    await waitUntil(() => epochOf(alice, groupId) === 1 && epochOf(bob, groupId) === 1, 20_000, 'the duty re-key after the leave');
    await waitForTexts(alice, groupId, 1);
    const leaverReads = textsRead(readAsAttacker(await pubBlobs(pub.address), keysFromInvite(carolInvite, { identityKey: carol.identity.publicKey, dh: carol.keys.dh })));
    if (exposedAtSend) assert.deepEqual(leaverReads, [], 'held while exposed: the leaver reads nothing of it');
    const r = alice.groups.roster(groupId);
    assert.equal(r.members.length, 2);
    assert.deepEqual(r.exposed, []);
    assert.equal(await apiCodeOf(alice.membership.leave(groupId)), 'ERR_LAST_ADMIN');
    await alice.membership.leave(groupId, bob.identity.address);
    await waitUntil(() => bob.groups.roster(groupId).admins.length === 1 && bob.groups.roster(groupId).members.length === 1, 20_000, 'alice gone, bob the admin');
    // the duty falls to bob, now the only admin, and he re-keys without alice
    await waitUntil(() => epochOf(bob, groupId) === 2, 20_000, "bob's duty re-key");
  });
});
