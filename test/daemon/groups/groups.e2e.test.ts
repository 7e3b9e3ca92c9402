/**
 * Groups end to end over separate processes on the direct transport: two `snug pub --listen`
 * and three `snug daemon`, driven over their sockets. Alice founds a group on both pubs,
 * invites Bob over the peer link (he sees group/didInvite and joins) and Carol by string; they
 * chat in every direction; one pub is killed for good and messages keep flowing; each daemon
 * restarts in turn, one locks and unlocks; every message shows exactly once at everyone. Then a
 * search of every home and both pub stores finds none of the plaintexts, and every text blob a
 * pub holds (1 to 1,000 code points) has the one standard size.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isApiError } from '../../../protocol/api/errors.js';
import { BLOB_SIZE_STANDARD } from '../../../protocol/constants.js';
import { utf8Encode } from '../../../protocol/bytes.js';
import { PubClient } from '../../../daemon/pub-links/client.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { callOnce } from '../../helpers/daemon.js';
import { PEER_PASSPHRASE, peerArgs, restartPeer, startPeer, waitForContact, type Peer } from '../../helpers/contacts.js';
import { fetchEverything, spawnTestPub, type PubChild } from '../../helpers/pub-fixtures.js';
import { filesContaining, groupMessages, waitForGroup, waitForTexts } from '../../helpers/group-daemons.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

describe('groups between three daemons through two pubs (direct transport, separate processes)', function () {
  this.timeout(240_000);
  let dir: string;
  let args: string[];
  let alice: Peer;
  let bob: Peer;
  let carol: Peer;
  let pubA: PubChild;
  let pubB: PubChild;
  let groupId: string;
  const said: string[] = [];

  before(async () => {
    dir = await makeTempDir('groups-e2e');
    args = peerArgs(join(dir, 'peers'));
    [pubA, pubB] = await Promise.all([spawnTestPub(join(dir, 'pub-a')), spawnTestPub(join(dir, 'pub-b'))]);
    [alice, bob, carol] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args), startPeer(dir, 'carol', args)]);
  });
  after(async () => {
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill(), carol?.daemon.kill(), pubA?.kill(), pubB?.kill()]);
    await removeDir(dir);
  });

  async function say(p: Peer, text: string): Promise<string> {
    const { id } = await callOnce(p.daemon, (c) => c.call('message/send', { groupId, text }));
    said.push(text);
    return id;
  }

  async function everyoneHasEverything(people: readonly Peer[] = [alice, bob, carol]): Promise<void> {
    for (const p of people) await waitForTexts(p, groupId, said, 60_000);
  }

  it('founds a group on both pubs, with the founder as its one admin', async () => {
    ({ groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'pub crawl', pubs: [pubA.address, pubB.address] })));
    const { groups } = await callOnce(alice.daemon, (c) => c.call('group/list'));
    assert.deepEqual(groups.map((g) => [g.groupId, g.name, g.members, g.role, g.pubs]), [[groupId, 'pub crawl', 1, 'admin', [pubA.address, pubB.address]]]);
    await assert.rejects(callOnce(alice.daemon, (c) => c.call('group/create', { name: 'x', pubs: ['ws://127.0.0.1:1', 'ws://127.0.0.1:1'] })), (e: unknown) => isApiError(e, 'ERR_BAD_ADDRESS'));
  });

  it('invites a contact over the peer link: the contact sees group/didInvite and joins by saying yes', async () => {
    await callOnce(alice.daemon, (c) => c.call('contact/add', { address: bob.address }));
    await waitForContact(bob, alice.address, (c) => c?.state === 'incoming');
    await callOnce(bob.daemon, (c) => c.call('contact/accept', { address: alice.address }));
    await waitForContact(alice, bob.address, (c) => c?.state === 'accepted' && c.online);
    await assert.rejects(callOnce(alice.daemon, (c) => c.call('group/invite', { groupId, address: carol.address })), (e: unknown) => isApiError(e, 'ERR_NOT_CONTACT'));
    await callOnce(alice.daemon, (c) => c.call('group/invite', { groupId, address: bob.address }));
    const deadline = Date.now() + 30_000;
    let invites = (await callOnce(bob.daemon, (c) => c.call('group/invites'))).invites;
    while (invites.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      invites = (await callOnce(bob.daemon, (c) => c.call('group/invites'))).invites;
    }
    assert.equal(invites.length, 1);
    assert.deepEqual([invites[0]!.from, invites[0]!.name, invites[0]!.groupId], [alice.address, 'pub crawl', groupId]);
    // not a member until it says yes
    assert.deepEqual((await callOnce(bob.daemon, (c) => c.call('group/list'))).groups, []);
    const { groupId: joined } = await callOnce(bob.daemon, (c) => c.call('group/join', { invite: invites[0]!.invite }));
    assert.equal(joined, groupId);
    assert.deepEqual((await callOnce(bob.daemon, (c) => c.call('group/invites'))).invites, []);
    await waitForGroup(alice, groupId, (m) => m.some((i) => i.kind === 'joined' && i.author === bob.address));
  });

  it('lets a contact decline an invite: nothing joins, and the inviter is not told', async () => {
    const { groupId: other } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'not for bob', pubs: [pubB.address] }));
    await callOnce(alice.daemon, (c) => c.call('group/invite', { groupId: other, address: bob.address }));
    const deadline = Date.now() + 30_000;
    let invites = (await callOnce(bob.daemon, (c) => c.call('group/invites'))).invites;
    while (invites.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      invites = (await callOnce(bob.daemon, (c) => c.call('group/invites'))).invites;
    }
    assert.deepEqual(invites.map((i) => i.groupId), [other]);
    // resent until acknowledged, shown once
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await callOnce(bob.daemon, (c) => c.call('group/invites'))).invites.length, 1);
    await callOnce(bob.daemon, (c) => c.call('group/decline', { invite: invites[0]!.invite }));
    assert.deepEqual((await callOnce(bob.daemon, (c) => c.call('group/invites'))).invites, []);
    await assert.rejects(callOnce(bob.daemon, (c) => c.call('group/decline', { invite: invites[0]!.invite })), (e: unknown) => isApiError(e, 'ERR_NOT_FOUND'));
    assert.deepEqual((await callOnce(bob.daemon, (c) => c.call('group/list'))).groups.map((g) => g.groupId), [groupId]);
    assert.deepEqual((await callOnce(alice.daemon, (c) => c.call('group/members', { groupId: other }))).members.map((m) => m.address), [alice.address]);
  });

  it('lets a third member join by a pasted invite string', async () => {
    const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
    assert.match(invite, /^snug2[a-z2-7]+$/);
    await assert.rejects(callOnce(carol.daemon, (c) => c.call('group/join', { invite: invite.slice(0, -3) })), (e: unknown) => isApiError(e, 'ERR_BAD_INVITE'));
    const { groupId: joined } = await callOnce(carol.daemon, (c) => c.call('group/join', { invite: `  ${invite}\n` }));
    assert.equal(joined, groupId);
    for (const p of [alice, bob, carol]) {
      await waitForGroup(p, groupId, (m) => m.filter((i) => i.kind === 'joined').length === 2, 60_000);
    }
    const members = (await callOnce(alice.daemon, (c) => c.call('group/members', { groupId }))).members;
    assert.deepEqual(members.map((m) => m.address).sort(), [alice.address, bob.address, carol.address].sort());
  });

  it('carries messages in every direction, each shown once, with its pub counts at the sender', async () => {
    const ids = [await say(alice, 'a: who is in?'), await say(bob, 'b: me'), await say(carol, 'c: me too'), await say(bob, 'b: 8pm?')];
    await everyoneHasEverything();
    const mine = await waitForGroup(alice, groupId, (m) => m.find((i) => i.id === ids[0])?.status === 'delivered');
    assert.deepEqual(mine.find((i) => i.id === ids[0])!.pubs, { accepted: 2, total: 2 });
    const atCarol = await groupMessages(carol, groupId);
    assert.equal(atCarol.find((i) => i.id === ids[1])!.author, bob.address);
    const { groups } = await callOnce(carol.daemon, (c) => c.call('group/list'));
    assert.equal(groups[0]!.members, 3);
    assert.equal(groups[0]!.unread, 3);
    await callOnce(carol.daemon, (c) => c.call('message/markRead', { groupId, id: ids[3]! }));
    assert.equal((await callOnce(carol.daemon, (c) => c.call('group/list'))).groups[0]!.unread, 0);
  });

  it('keeps messages flowing through the other pub after one is killed for good', async () => {
    await pubA.kill();
    await say(carol, 'c: pub a is gone');
    await say(alice, 'a: still here');
    await everyoneHasEverything();
    const status = await callOnce(alice.daemon, (c) => c.call('daemon/status'));
    assert.deepEqual(status.pubs.map((p) => p.address).sort(), [pubA.address, pubB.address].sort());
  });

  it('catches up after each daemon restarts in turn, and after a lock and unlock', async () => {
    for (const p of [alice, bob, carol]) {
      await restartPeer(p, args);
      await say(p === alice ? bob : alice, `after ${p.name} restarted`);
      await say(p, `${p.name} is back`);
      await everyoneHasEverything();
    }
    await callOnce(bob.daemon, (c) => c.call('profile/lock'));
    await say(alice, 'a: while bob is locked');
    await say(carol, 'c: me too while bob is locked');
    await assert.rejects(callOnce(bob.daemon, (c) => c.call('group/list')), (e: unknown) => isApiError(e, 'ERR_LOCKED'));
    await callOnce(bob.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    await say(bob, 'b: unlocked');
    await everyoneHasEverything();
  });

  it('leaves no plaintext in any home or pub store, and gives every text blob the one standard size', async () => {
    await say(alice, 'x');
    await say(bob, '€'.repeat(1000));
    await everyoneHasEverything();
    // (a text of a few bytes turns up in any large enough random file: search for the longer ones)
    for (const text of said.filter((t) => utf8Encode(t).length >= 8)) {
      for (const where of [alice.home, bob.home, carol.home, join(dir, 'pub-a'), join(dir, 'pub-b')]) {
        assert.deepEqual(await filesContaining(where, utf8Encode(text)), [], `"${text.slice(0, 20)}" in ${where}`);
      }
    }
    const client = await PubClient.connect(new DirectDialer(), pubB.address);
    try {
      const sizes = new Set([...(await fetchEverything(client)).values()].map((b) => b.length));
      assert.deepEqual([...sizes], [BLOB_SIZE_STANDARD]);
    } finally {
      await client.close();
    }
  });
});
