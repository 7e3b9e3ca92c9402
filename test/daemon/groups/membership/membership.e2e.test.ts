/**
 * Membership end to end over separate processes on the direct transport: one `snug pub
 * --listen` and three `snug daemon`, driven over their sockets. Alice founds a group, Bob and
 * Carol join by invite strings, Alice removes Carol (group/removeMember), and Carol, removed,
 * sees nothing sent after: neither through her own daemon nor as an attacker who fetches every
 * blob from the pub and trial-decrypts it with every key she had (her invite's and whatever key
 * package her profile's X25519 key opens, read from her profile on disk). Then moderation over
 * the API: hide for all, react, edit, delete, with ERR_NOT_AUTHOR and ERR_NOT_ADMIN.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isApiError } from '../../../../protocol/api/errors.js';
import { ready } from '../../../../protocol/crypto.js';
import { PubClient } from '../../../../daemon/pub-links/client.js';
import { DirectDialer } from '../../../../daemon/transport/direct.js';
import { textsRead } from '../../../helpers/attacker.js';
import { callOnce } from '../../../helpers/daemon.js';
import { peerArgs, startPeer, waitForContact, type Peer } from '../../../helpers/contacts.js';
import { groupMessages, groupMessagesIfAny, messageTexts, readAsStoppedPeer, waitForGroup, waitForTexts } from '../../../helpers/group-daemons.js';
import { fetchEverything, spawnTestPub, type PubChild } from '../../../helpers/pub-fixtures.js';
import { makeTempDir, removeDir } from '../../../helpers/temp.js';

describe('membership between three daemons through a pub (direct transport, separate processes)', function () {
  this.timeout(180_000);
  let dir: string;
  let alice: Peer;
  let bob: Peer;
  let carol: Peer;
  let pub: PubChild;
  let groupId: string;
  let carolInvite: string;

  const call = <T>(p: Peer, fn: Parameters<typeof callOnce<T>>[1]) => callOnce(p.daemon, fn);

  before(async () => {
    await ready();
    dir = await makeTempDir('membership-e2e');
    const args = peerArgs(join(dir, 'peers'));
    pub = await spawnTestPub(join(dir, 'pub'));
    [alice, bob, carol] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args), startPeer(dir, 'carol', args)]);
  });
  after(async () => {
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill(), carol?.daemon.kill(), pub?.kill()]);
    await removeDir(dir);
  });

  it('removes a member: the removed one reads nothing sent after, through its daemon or from the pub with every key it had', async () => {
    ({ groupId } = await call(alice, (c) => c.call('group/create', { name: 'the club', pubs: [pub.address] })));
    const { invite: bobInvite } = await call(alice, (c) => c.call('group/exportInvite', { groupId }));
    ({ invite: carolInvite } = await call(alice, (c) => c.call('group/exportInvite', { groupId })));
    await call(bob, (c) => c.call('group/join', { invite: bobInvite }));
    await call(carol, (c) => c.call('group/join', { invite: carolInvite }));
    await waitForGroup(alice, groupId, (m) => m.filter((i) => i.kind === 'joined').length === 2, 60_000);
    await call(carol, (c) => c.call('message/send', { groupId, text: 'before: carol' }));
    await call(bob, (c) => c.call('message/send', { groupId, text: 'before: bob' }));
    for (const p of [alice, bob, carol]) await waitForTexts(p, groupId, ['before: carol', 'before: bob'], 60_000);

    await assert.rejects(call(bob, (c) => c.call('group/removeMember', { groupId, address: carol.address })), (e: unknown) => isApiError(e, 'ERR_NOT_ADMIN'));
    await assert.rejects(call(alice, (c) => c.call('group/removeMember', { groupId, address: alice.address })), (e: unknown) => isApiError(e, 'ERR_LAST_ADMIN'));
    await call(alice, (c) => c.call('group/removeMember', { groupId, address: carol.address }));
    const members = async (p: Peer) => (await call(p, (c) => c.call('group/members', { groupId }))).members.map((m) => m.address).sort();
    assert.deepEqual(await members(alice), [alice.address, bob.address].sort());
    const deadline = Date.now() + 60_000;
    while ((await call(bob, (c) => c.call('group/list'))).groups[0]?.epoch !== 1) {
      if (Date.now() > deadline) throw new Error('the re-key never reached bob');
      await new Promise((r) => setTimeout(r, 100));
    }
    await call(alice, (c) => c.call('message/send', { groupId, text: 'after: alice' }));
    await call(bob, (c) => c.call('message/send', { groupId, text: 'after: bob' }));
    const all = ['before: carol', 'before: bob', 'after: alice', 'after: bob'];
    for (const p of [alice, bob]) await waitForTexts(p, groupId, all, 60_000);

    // through carol's own daemon: nothing after (the group is gone, or shows only what came before)
    await new Promise((r) => setTimeout(r, 1_000));
    const atCarol = await groupMessagesIfAny(carol, groupId);
    assert.ok(!messageTexts(atCarol).some((t) => t.startsWith('after')), JSON.stringify(messageTexts(atCarol)));

    // as an attacker: every blob of the pub, every key carol had
    const got = await readAsStoppedPeer(carol, carolInvite, async () => {
      const client = await PubClient.connect(new DirectDialer(), pub.address);
      try {
        return [...(await fetchEverything(client)).values()];
      } finally {
        await client.close();
      }
    });
    assert.deepEqual(textsRead(got), ['before: bob', 'before: carol']);
    assert.equal(got.epochs.length, 1, 'no key package after the removal opens for carol');
    assert.ok(got.blobs >= 8, `the pub holds every entry (${got.blobs} blobs)`);
  });

  it('moderates over the API: hide for all, react, edit and delete, own messages only', async () => {
    const { id: a1 } = await call(alice, (c) => c.call('message/send', { groupId, text: 'meet at 8' }));
    const { id: b1 } = await call(bob, (c) => c.call('message/send', { groupId, text: 'buy cheap pills' }));
    await waitForGroup(bob, groupId, (m) => m.some((i) => i.id === a1));
    await waitForGroup(alice, groupId, (m) => m.some((i) => i.id === b1));
    await assert.rejects(call(bob, (c) => c.call('message/edit', { groupId, id: a1, text: 'meet at 9' })), (e: unknown) => isApiError(e, 'ERR_NOT_AUTHOR'));
    await assert.rejects(call(bob, (c) => c.call('message/hide', { groupId, id: a1, forAll: true })), (e: unknown) => isApiError(e, 'ERR_NOT_ADMIN'));
    await call(alice, (c) => c.call('message/edit', { groupId, id: a1, text: 'meet at 8:30' }));
    await call(alice, (c) => c.call('message/hide', { groupId, id: b1, forAll: true }));
    await call(bob, (c) => c.call('message/react', { groupId, id: a1, reaction: '👍' }));
    const { id: b2 } = await call(bob, (c) => c.call('message/send', { groupId, text: 'sorry' }));
    await call(bob, (c) => c.call('message/delete', { groupId, id: b2 }));
    for (const p of [alice, bob]) {
      const m = await waitForGroup(p, groupId, (items) => {
        const x = items.find((i) => i.id === a1);
        return x?.text === 'meet at 8:30' && x.reactions?.[0]?.count === 1 && items.find((i) => i.id === b1)?.hidden !== undefined && items.find((i) => i.id === b2)?.deleted === true;
      }, 60_000);
      const x = m.find((i) => i.id === a1)!;
      assert.equal(x.edited, true);
      assert.deepEqual(x.reactions, [{ reaction: '👍', count: 1, mine: p === bob }]);
      assert.deepEqual(m.find((i) => i.id === b1)!.hidden, { by: 'admin', admin: alice.address });
      assert.equal(m.find((i) => i.id === b1)!.text, '');
      assert.equal(m.find((i) => i.id === b2)!.text, '');
    }
  });

  it('reacts, edits and deletes in a 1:1 conversation too, own messages only', async () => {
    await call(alice, (c) => c.call('contact/add', { address: bob.address }));
    await waitForContact(bob, alice.address, (x) => x?.state === 'incoming');
    await call(bob, (c) => c.call('contact/accept', { address: alice.address }));
    await waitForContact(alice, bob.address, (x) => x?.state === 'accepted' && x.online);
    const list = (p: Peer, other: Peer) => call(p, async (c) => (await c.call('message/list', { address: other.address })).messages);
    const until = async (p: Peer, other: Peer, ok: (m: Awaited<ReturnType<typeof list>>) => boolean) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const m = await list(p, other);
        if (ok(m)) return m;
        if (Date.now() > deadline) throw new Error(`${p.name}: ${JSON.stringify(m)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const { id: a1 } = await call(alice, (c) => c.call('message/send', { address: bob.address, text: 'lunch at 12?' }));
    await until(bob, alice, (m) => m.some((i) => i.id === a1));
    await assert.rejects(call(bob, (c) => c.call('message/edit', { address: alice.address, id: a1, text: 'lunch at 1?' })), (e: unknown) => isApiError(e, 'ERR_NOT_AUTHOR'));
    await call(bob, (c) => c.call('message/react', { address: alice.address, id: a1, reaction: '👍' }));
    await call(alice, (c) => c.call('message/edit', { address: bob.address, id: a1, text: 'lunch at 12:30?' }));
    const { id: b1 } = await call(bob, (c) => c.call('message/send', { address: alice.address, text: 'wrong chat' }));
    await call(bob, (c) => c.call('message/delete', { address: alice.address, id: b1 }));
    for (const [p, other] of [[alice, bob], [bob, alice]] as const) {
      const m = await until(p, other, (items) => items.find((i) => i.id === a1)?.text === 'lunch at 12:30?' && items.find((i) => i.id === a1)?.reactions?.length === 1 && items.find((i) => i.id === b1)?.deleted === true);
      assert.equal(m.length, 2, 'reactions, edits and deletes are not messages of their own');
      assert.equal(m.find((i) => i.id === a1)!.edited, true);
      assert.deepEqual(m.find((i) => i.id === a1)!.reactions, [{ reaction: '👍', count: 1, mine: p === bob }]);
      assert.equal(m.find((i) => i.id === b1)!.text, '');
    }
  });

  it("hides a blocked contact's group entries for the one who blocked it (contact/block), as hidden by me", async () => {
    const { id: b1 } = await call(bob, (c) => c.call('message/send', { groupId, text: 'from bob, to be blocked' }));
    const { id: a1 } = await call(alice, (c) => c.call('message/send', { groupId, text: 'from alice' }));
    await waitForGroup(alice, groupId, (m) => m.some((i) => i.id === b1 && i.text === 'from bob, to be blocked'), 60_000);
    await call(alice, (c) => c.call('contact/block', { address: bob.address }));
    const m = await groupMessages(alice, groupId);
    assert.deepEqual(m.find((i) => i.id === b1)!.hidden, { by: 'me', admin: null });
    assert.equal(m.find((i) => i.id === b1)!.text, '');
    assert.equal(m.find((i) => i.id === a1)!.text, 'from alice');
    // only for alice: bob's message is there for bob as written
    const atBob = await waitForGroup(bob, groupId, (items) => items.some((i) => i.id === a1), 60_000);
    assert.equal(atBob.find((i) => i.id === b1)!.text, 'from bob, to be blocked');
    assert.equal(atBob.find((i) => i.id === b1)!.hidden, undefined);
  });

  it('invites without history over the API: the group is re-keyed first and the joiner lists nothing from before its invite', async () => {
    const dave = await startPeer(dir, 'dave', peerArgs(join(dir, 'peers')));
    try {
      const before = (await call(alice, (c) => c.call('group/list'))).groups.find((g) => g.groupId === groupId)!.epoch;
      await assert.rejects(call(bob, (c) => c.call('group/exportInvite', { groupId, history: false })), (e: unknown) => isApiError(e, 'ERR_NOT_ADMIN'));
      const { invite } = await call(alice, (c) => c.call('group/exportInvite', { groupId, history: false }));
      assert.equal((await call(alice, (c) => c.call('group/list'))).groups.find((g) => g.groupId === groupId)!.epoch, before + 1);
      await call(dave, (c) => c.call('group/join', { invite }));
      await call(alice, (c) => c.call('message/send', { groupId, text: 'welcome, dave' }));
      const atDave = await waitForTexts(dave, groupId, ['welcome, dave'], 60_000);
      assert.deepEqual(messageTexts(atDave), ['welcome, dave'], 'nothing from before the invite');
      const g = (await call(dave, (c) => c.call('group/list'))).groups.find((x) => x.groupId === groupId)!;
      assert.equal(g.members, 3, 'alice, bob and dave, from the checkpoint on');
      assert.equal(g.lockedOut, false);
      assert.equal(g.joinRefused, null);
      // the chains of the epochs before its invite are not gaps to it: it can never open them
      await call(bob, (c) => c.call('message/send', { groupId, text: 'hi dave' }));
      await waitForTexts(dave, groupId, ['welcome, dave', 'hi dave'], 60_000);
      const after = (await call(dave, (c) => c.call('group/list'))).groups.find((x) => x.groupId === groupId)!;
      assert.deepEqual([after.gaps, after.missing, after.unfillable, after.evidence], [0, 0, 0, 0]);
      const kinds = (await call(dave, (c) => c.call('message/list', { groupId, limit: 500 }))).messages.map((m) => m.kind);
      assert.ok(!kinds.includes('gap'), kinds.join());
    } finally {
      await dave.daemon.kill();
    }
  });
});
