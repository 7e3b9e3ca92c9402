/**
 * Member links over the private Tor network (test/helpers/testnet.ts): two daemons, each with its
 * own tor and onion service, members of one group and not contacts, whose only pub (a loopback
 * test pub in this process) dies for good; the member who was locked meanwhile dials the other's
 * onion (the address of its certificate in the roster), proves the epoch, and gets every message
 * it missed. The same over the direct transport is member-links.test.ts.
 */
import assert from 'node:assert/strict';
import { ready } from '../../../protocol/crypto.js';
import { callOnce, logLines } from '../../helpers/daemon.js';
import { PEER_PASSPHRASE, startPeer, waitForOnion, type Peer } from '../../helpers/contacts.js';
import { sharedTestNetwork } from '../../helpers/testnet.js';
import { HostilePub } from '../../helpers/hostile-pub.js';
import { groupTexts, until } from '../../helpers/group-daemons.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

describe('member links between two daemons that are not contacts, over a private Tor network', function () {
  this.timeout(420_000);
  let dir: string;
  let alice: Peer;
  let bob: Peer;
  let pub: HostilePub | null = null;

  before(async function () {
    this.timeout(300_000);
    await ready();
    dir = await makeTempDir('group-sync-member-tor');
    const torrc = await (await sharedTestNetwork()).clientTorrcFile();
    const args = ['--dev', '--dev-kdf', 'fast', '--tor-config', torrc];
    [alice, bob] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args)]);
    await Promise.all([waitForOnion(alice, 120_000), waitForOnion(bob, 120_000)]);
  });
  after(async () => {
    await pub?.close().catch(() => undefined);
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill()]);
    await removeDir(dir);
  });

  it('gives a member who was offline every message it missed from a member who is not a contact, over onion services, when the only pub is dead', async () => {
    pub = await HostilePub.start();
    const face = await pub.face();
    const { groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'dead pub, no contacts', pubs: [face.url] }));
    const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
    await callOnce(bob.daemon, (c) => c.call('group/join', { invite }));
    await until('alice sees bob in the group', () => callOnce(alice.daemon, async (c) => (await c.call('group/members', { groupId })).members.length), (n) => n === 2, 60_000);
    assert.deepEqual(await callOnce(bob.daemon, async (c) => (await c.call('contact/list')).contacts), []);

    await callOnce(bob.daemon, (c) => c.call('profile/lock'));
    await pub.close();
    pub = null;
    const sent = ['over tor 1', 'over tor 2', 'over tor 3'];
    for (const text of sent) await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text }));
    await callOnce(bob.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));

    const got = await until('bob lists every message', () => groupTexts(bob, groupId), (t) => t.length >= sent.length, 240_000).catch((err: unknown) => {
      const events = (p: Peer) => logLines(p.daemon).map((l) => String(l['event'])).filter((e) => /member|sync|tor/.test(e));
      throw new Error(`${String(err)}; alice: ${events(alice).join(' ')}; bob: ${events(bob).join(' ')}`);
    });
    assert.deepEqual(got, sent);
    assert.ok(logLines(bob.daemon).some((l) => l['event'] === 'group-sync-member-link'));
  });
});
