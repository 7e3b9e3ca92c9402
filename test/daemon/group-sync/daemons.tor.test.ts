/**
 * Group sync between real `snug daemon` processes over the private Tor network
 * (test/helpers/testnet.ts): each daemon with its own tor and onion service, linked as contacts,
 * in one group whose only pub (a loopback test pub in this process, reached directly as
 * development allows) dies for good; a member who was locked meanwhile gets every message it
 * missed from the other over their onion peer link once it unlocks; and one hostile mode: the pub
 * withholds one member's entries from the other, whose group/list counts the gap until peer sync
 * fills it over the onion link. The same over the direct transport is daemons.test.ts and
 * service.test.ts.
 */
import assert from 'node:assert/strict';
import { ready } from '../../../protocol/crypto.js';
import { callOnce, logLines } from '../../helpers/daemon.js';
import { PEER_PASSPHRASE, startPeer, waitForContact, waitForOnion, type Peer } from '../../helpers/contacts.js';
import { sharedTestNetwork } from '../../helpers/testnet.js';
import { HostilePub } from '../../helpers/hostile-pub.js';
import { groupTexts, until } from '../../helpers/group-daemons.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

describe('group sync between two daemons over a private Tor network', function () {
  this.timeout(420_000);
  let dir: string;
  let alice: Peer;
  let bob: Peer;
  let pub: HostilePub | null = null;

  before(async function () {
    this.timeout(300_000);
    await ready();
    dir = await makeTempDir('group-sync-tor');
    const torrc = await (await sharedTestNetwork()).clientTorrcFile();
    const args = ['--dev', '--dev-kdf', 'fast', '--tor-config', torrc];
    [alice, bob] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args)]);
    await Promise.all([waitForOnion(alice, 120_000), waitForOnion(bob, 120_000)]);
    await callOnce(alice.daemon, (c) => c.call('contact/add', { address: bob.address }));
    await waitForContact(bob, alice.address, (c) => c?.state === 'incoming', 120_000);
    await callOnce(bob.daemon, (c) => c.call('contact/accept', { address: alice.address }));
    await waitForContact(alice, bob.address, (c) => c?.state === 'accepted' && c.online, 120_000);
  });
  after(async () => {
    await pub?.close().catch(() => undefined);
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill()]);
    await removeDir(dir);
  });

  it('gives a member who was offline every message it missed from a peer when the only pub is dead for good', async () => {
    pub = await HostilePub.start();
    const face = await pub.face();
    const { groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'dead pub', pubs: [face.url] }));
    const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
    await callOnce(bob.daemon, (c) => c.call('group/join', { invite }));
    await until('alice sees bob in the group', () => callOnce(alice.daemon, async (c) => (await c.call('group/members', { groupId })).members.length), (n) => n === 2, 60_000);

    await callOnce(bob.daemon, (c) => c.call('profile/lock'));
    await pub.close();
    pub = null;
    const sent = ['while you were away 1', 'while you were away 2', 'while you were away 3'];
    for (const text of sent) await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text }));
    await callOnce(bob.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));

    const got = await until('bob lists every message', () => groupTexts(bob, groupId), (t) => t.length >= sent.length, 180_000).catch((err: unknown) => {
      const events = (p: Peer) => logLines(p.daemon).map((l) => String(l['event'])).filter((e) => /sync|link|peer|group/.test(e));
      throw new Error(`${String(err)}; alice: ${events(alice).join(' ')}; bob: ${events(bob).join(' ')}`);
    });
    assert.deepEqual(got, sent);
  });
  it('reports the gap a pub makes by withholding one member\'s entries from the other, shows nothing corrupt, and fills it over the onion peer link', async () => {
    pub = await HostilePub.start();
    let withholding = false;
    let withheld = 0;
    const face = await pub.face({ kind: 'withhold', match: () => withholding && ++withheld > 0 });
    const { groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'withheld', pubs: [face.url] }));
    const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
    await callOnce(bob.daemon, (c) => c.call('group/join', { invite }));
    // bob's peer sync of the group is off while the pub makes the gap (the link would fill it at once)
    await callOnce(bob.daemon, (c) => c.call('group/setSettings', { groupId, peerSync: false }));
    await until('alice sees bob in the group', () => callOnce(alice.daemon, async (c) => (await c.call('group/members', { groupId })).members.length), (n) => n === 2, 60_000);
    const row = () => callOnce(bob.daemon, async (c) => (await c.call('group/list')).groups.find((g) => g.groupId === groupId)!);

    await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text: 'before' }));
    await until('bob reads "before"', () => groupTexts(bob, groupId), (t) => t.length === 1, 60_000);
    withholding = true;
    for (const text of ['hidden 1', 'hidden 2']) await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text }));
    await until('the pub withholds both', async () => withheld, (n) => n === 2, 60_000);
    withholding = false;
    await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text: 'after' }));
    await until('group/list counts the gap', row, (g) => g.gaps === 1, 60_000);
    assert.deepEqual(await groupTexts(bob, groupId), ['before', 'after']);

    // the onion peer link between them is up (it may be coming back from the test before)
    await waitForContact(bob, alice.address, (c) => c?.online === true, 120_000);
    await callOnce(bob.daemon, (c) => c.call('group/setSettings', { groupId, peerSync: true }));
    await until('group/list counts no gap', row, (g) => g.gaps === 0, 180_000).catch((err: unknown) => {
      const events = (p: Peer) => logLines(p.daemon).map((l) => String(l['event'])).filter((e) => /sync|link|peer/.test(e)).slice(-40);
      throw new Error(`${String(err)}; alice: ${events(alice).join(' ')}; bob: ${events(bob).join(' ')}`);
    });
    assert.deepEqual(await groupTexts(bob, groupId), ['before', 'hidden 1', 'hidden 2', 'after']);
    assert.deepEqual([(await row()).evidence, (await row()).equivocators], [0, []]);
  });
});
