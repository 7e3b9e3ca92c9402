/**
 * Invites with and without history, their expiry and uses, and a joiner locked out of the epoch
 * in use, on real groups services (real encrypted stores, a real in-process
 * pub, the real GroupPubs over the direct transport).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ready } from '../../../../protocol/crypto.js';
import { consumeInvite } from '../../../../protocol/invite.js';
import { buildRekey } from '../../../../protocol/rekey.js';
import type { PubServer } from '../../../../daemon/pub/server.js';
import { keysFromInvite, readAsAttacker, textsRead } from '../../../helpers/attacker.js';
import { startLoopbackPub, waitUntil } from '../../../helpers/group-pubs.js';
import { apiCodeOf, makeMember, offline, pubBlobs, reopen, texts, waitForTexts, type TestMember } from '../../../helpers/groups.js';
import { makeTempDir, removeDir } from '../../../helpers/temp.js';


describe('invites: history, expiry and uses, locked out', function () {
  this.timeout(90_000);
  let dir: string;
  let pub: { server: PubServer; address: string };
  const everyone: TestMember[] = [];

  async function member(name: string, now?: () => number): Promise<TestMember> {
    const m = await makeMember(dir, name, now);
    everyone.push(m);
    return m;
  }


  const isMe = (m: TestMember) => (x: { identityKey: Uint8Array }) => x.identityKey.every((b, i) => b === m.identity.publicKey[i]);
  const groupOf = (m: TestMember, g: string) => m.groups.list().find((x) => x.groupId === g);

  before(async () => {
    await ready();
    dir = await makeTempDir('invites');
    pub = await startLoopbackPub(join(dir, 'pub'), { powDifficulty: 2, statsIntervalMs: 0 });
  });
  after(async () => {
    for (const m of everyone) await offline(m).catch(() => undefined);
    await pub.server.stop().catch(() => undefined);
    await removeDir(dir);
  });

  it('without history re-keys first: the joiner reads nothing from before its invite, through its service or with every key it holds, and everything after', async () => {
    const alice = await member('alice');
    const bob = await member('bob');
    const carol = await member('carol');
    const groupId = await alice.groups.create('no history', [pub.address]);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    await bob.groups.send(groupId, 'before: bob');
    await alice.groups.send(groupId, 'before: alice');
    await waitForTexts(alice, groupId, 2);
    await waitForTexts(bob, groupId, 2);

    const invite = await alice.groups.exportInvite(groupId, false);
    const parsed = consumeInvite(invite, { development: true });
    assert.equal(alice.groups.roster(groupId).epoch.number, 1, 'issuing it opened a fresh epoch');
    assert.equal(parsed.current.epoch.number, 1);
    assert.deepEqual(parsed.history, [], 'it carries only that epoch');
    assert.equal(parsed.certificates.length, 2, 'and the certificates of the members its checkpoint names');
    const entry = alice.groups.roster(groupId).invites.find((i) => i.id.every((b, j) => b === parsed.inviteEntry[j]));
    assert.equal(entry?.includesHistory, false, 'the invite entry says so');

    await carol.groups.join(invite);
    await waitUntil(() => alice.groups.members(groupId).length === 3, 20_000, 'carol a member at alice');
    await waitUntil(() => bob.groups.members(groupId).length === 3, 20_000, 'carol a member at bob');
    await alice.groups.send(groupId, 'after: alice');
    await bob.groups.send(groupId, 'after: bob');
    await carol.groups.send(groupId, 'after: carol');
    const atCarol = await waitForTexts(carol, groupId, 3);
    assert.deepEqual([...atCarol].sort(), ['after: alice', 'after: bob', 'after: carol']);
    assert.equal(carol.groups.members(groupId).length, 3, 'carol computes the roster from the checkpoint on');
    assert.equal(carol.groups.roster(groupId).pending.length, 0);
    await waitForTexts(alice, groupId, 5);
    await waitForTexts(bob, groupId, 5);

    // carol with every key she holds, trial-decrypting everything on the pub
    await waitUntil(() => pub.server.stats().blobs >= 11, 20_000, 'everything on the pub');
    const blobs = await pubBlobs(pub.address);
    const got = readAsAttacker(blobs, keysFromInvite(invite, { identityKey: carol.identity.publicKey, dh: carol.keys.dh }));
    const read = textsRead(got);
    assert.ok(!read.includes('before: bob') && !read.includes('before: alice'), JSON.stringify(read));
    assert.ok(read.includes('after: bob') && read.includes('after: alice'), 'the attack is not vacuous');
    // and after a restart of her service, the same from the stored base
    await offline(carol);
    await reopen(carol);
    assert.equal(carol.groups.members(groupId).length, 3);
    assert.deepEqual([...(await texts(carol, groupId))].sort(), ['after: alice', 'after: bob', 'after: carol']);
  });

  it('with history (the default) the joiner reads the entries from before its invite', async () => {
    const alice = await member('alice2');
    const dave = await member('dave2');
    const groupId = await alice.groups.create('history', [pub.address]);
    await alice.groups.send(groupId, 'before: alice');
    const invite = await alice.groups.exportInvite(groupId, true);
    assert.equal(alice.groups.roster(groupId).epoch.number, 0, 'no re-key');
    await dave.groups.join(invite);
    assert.deepEqual(await waitForTexts(dave, groupId, 1), ['before: alice']);
    const got = readAsAttacker(await pubBlobs(pub.address), keysFromInvite(invite, { identityKey: dave.identity.publicKey, dh: dave.keys.dh }));
    assert.ok(textsRead(got).includes('before: alice'));
  });

  it('lets only an admin invite without history (ERR_NOT_ADMIN), since it re-keys', async () => {
    const alice = await member('alice3');
    const bob = await member('bob3');
    const groupId = await alice.groups.create('admins', [pub.address]);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    await waitUntil(() => bob.groups.roster(groupId).members.some(isMe(bob)), 20_000, 'bob a member at himself');
    assert.equal(await apiCodeOf(bob.groups.exportInvite(groupId, false)), 'ERR_NOT_ADMIN');
  });

  it("refuses an expired invite's join: the joiner is no member anywhere and is told in place (invite-expired)", async () => {
    const alice = await member('alice4');
    // erin's clock is ten minutes ahead: her join is after the one-minute invite's expiry
    const erin = await member('erin4', () => Date.now() + 10 * 60_000);
    const groupId = await alice.groups.create('expiry', [pub.address]);
    const invite = await alice.groups.exportInvite(groupId, true, { expiresInMs: 60_000 });
    await erin.groups.join(invite);
    await waitUntil(() => groupOf(erin, groupId)?.joinRefused === 'invite-expired', 20_000, 'erin told her join was refused');
    assert.ok(!erin.groups.roster(groupId).members.some(isMe(erin)));
    const items = await erin.groups.listMessages(groupId, { limit: 50 });
    assert.ok(items.some((i) => i.kind === 'join-refused' && i.text === 'invite-expired'), JSON.stringify(items.map((i) => i.kind)));
    await waitUntil(() => alice.groups.roster(groupId).ignored.length === 1, 20_000, 'the join at alice');
    assert.equal(alice.groups.roster(groupId).ignored[0]!.reason, 'invite-expired');
    assert.equal(alice.groups.members(groupId).length, 1, 'the join has no effect');
  });

  it("refuses a used-up invite's second join (one use by default): that joiner is told in place (invite-used-up)", async () => {
    const alice = await member('alice5');
    const fay = await member('fay5');
    const gus = await member('gus5');
    const groupId = await alice.groups.create('uses', [pub.address]);
    const made = Date.now();
    const invite = await alice.groups.exportInvite(groupId, true);
    const open = alice.groups.roster(groupId).invites;
    assert.equal(open.length, 1);
    assert.equal(open[0]!.usesLeft, 1, 'one use by default');
    const week = 7 * 24 * 60 * 60 * 1000;
    assert.ok(open[0]!.expires >= made + week && open[0]!.expires <= Date.now() + week, 'expires after 7 days by default');
    await fay.groups.join(invite);
    await gus.groups.join(invite);
    // the two joins are concurrent: the roster's order decides which one used the invite
    await waitUntil(() => alice.groups.roster(groupId).ignored.some((i) => i.reason === 'invite-used-up'), 20_000, 'the second join at alice');
    assert.equal(alice.groups.members(groupId).length, 2, 'one join has no effect');
    const [winner, loser] = alice.groups.roster(groupId).members.some(isMe(fay)) ? [fay, gus] : [gus, fay];
    await waitUntil(() => groupOf(loser, groupId)?.joinRefused === 'invite-used-up', 20_000, `${loser.name} told the join was refused`);
    const items = await loser.groups.listMessages(groupId, { limit: 50 });
    assert.ok(items.some((i) => i.kind === 'join-refused' && i.text === 'invite-used-up'));
    await waitUntil(() => groupOf(winner, groupId)?.joinRefused === null && winner.groups.roster(groupId).members.length === 2, 20_000, `${winner.name} a member`);
    // asked for, an invite admits more than one
    const many = await alice.groups.exportInvite(groupId, true, { uses: 0 });
    const hal = await member('hal5');
    const ivy = await member('ivy5');
    await hal.groups.join(many);
    await ivy.groups.join(many);
    await waitUntil(() => alice.groups.members(groupId).length === 4, 20_000, 'both joins of a many-use invite');
  });

  it('tells a joiner locked out of the epoch in use so in place, until a re-key seals the next epoch to it', async () => {
    const alice = await member('alice6');
    const jo = await member('jo6');
    const groupId = await alice.groups.create('locked out', [pub.address]);
    const invite = await alice.groups.exportInvite(groupId, true);
    // alice re-keys before she sees jo's join: jo's join (of epoch 0) races it
    const rk = buildRekey(alice.groups.roster(groupId), { signer: alice.keys.signing, removed: [] });
    const rekeyId = (await alice.groups.author(groupId, rk.content)).id;
    await jo.groups.join(invite);
    await waitUntil(() => alice.groups.roster(groupId).lockedOut.length === 1, 20_000, 'jo admitted locked out at alice');
    await waitUntil(() => groupOf(jo, groupId)?.lockedOut === true, 20_000, 'jo told it is locked out');
    const items = await jo.groups.listMessages(groupId, { limit: 50 });
    const at = items.findIndex((i) => i.kind === 'locked-out');
    assert.ok(at >= 0, JSON.stringify(items.map((i) => i.kind)));
    assert.equal(items[at - 1]?.id, rekeyId, 'the notice stands right after the re-key that opened the epoch it lacks');
    // the duty re-key (here by hand: no membership service runs) seals epoch 2 to jo too, also under epoch 1
    const roster = alice.groups.roster(groupId);
    const settle = buildRekey(roster, { signer: alice.keys.signing, removed: [] });
    const settleId = (await alice.groups.author(groupId, settle.content)).id;
    await alice.groups.repostUnder(groupId, settleId, roster.epochs[roster.epochs.length - 2]!);
    await waitUntil(() => groupOf(jo, groupId)?.lockedOut === false, 20_000, 'jo holds the epoch in use');
    assert.ok(!(await jo.groups.listMessages(groupId, { limit: 50 })).some((i) => i.kind === 'locked-out'));
    await alice.groups.send(groupId, 'now everyone reads');
    assert.deepEqual(await waitForTexts(jo, groupId, 1), ['now everyone reads']);
  });

  it('seals the fresh epoch of an invite without history to a member locked out meanwhile, who reads it from the epoch it holds', async () => {
    const alice = await member('alice7');
    const kim = await member('kim7');
    const lee = await member('lee7');
    const groupId = await alice.groups.create('fresh epoch', [pub.address]);
    const invite = await alice.groups.exportInvite(groupId, true);
    const rk = buildRekey(alice.groups.roster(groupId), { signer: alice.keys.signing, removed: [] });
    await alice.groups.author(groupId, rk.content);
    await kim.groups.join(invite);
    await waitUntil(() => groupOf(kim, groupId)?.lockedOut === true, 20_000, 'kim locked out');
    await waitUntil(() => alice.groups.roster(groupId).lockedOut.length === 1, 20_000, 'kim admitted locked out at alice');
    await lee.groups.join(await alice.groups.exportInvite(groupId, false));
    await waitUntil(() => groupOf(kim, groupId)?.lockedOut === false, 20_000, 'kim holds the fresh epoch');
    await alice.groups.send(groupId, 'hello both');
    assert.deepEqual(await waitForTexts(kim, groupId, 1), ['hello both']);
    assert.deepEqual(await waitForTexts(lee, groupId, 1), ['hello both']);
  });
});
