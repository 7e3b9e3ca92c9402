/**
 * The removal scenario over the private Tor network (test/helpers/testnet.ts, the run's one
 * network): one `snug pub` onion service and three `snug daemon` processes, each with its own
 * tor, driven over their sockets. Alice founds a group on the onion pub, Bob and Carol join by
 * invite strings, Alice removes Carol, and Carol sees nothing sent after: neither through her
 * own daemon nor as an attacker who fetches every blob from the onion pub through tor and
 * trial-decrypts it with every key she had. The same over the direct transport is
 * membership.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ready } from '../../../../protocol/crypto.js';
import { PubClient } from '../../../../daemon/pub-links/client.js';
import { TorDialer } from '../../../../daemon/transport/tor.js';
import type { TorService } from '../../../../daemon/tor/service.js';
import { textsRead } from '../../../helpers/attacker.js';
import { callOnce } from '../../../helpers/daemon.js';
import { startPeer, type Peer } from '../../../helpers/contacts.js';
import { groupMessagesIfAny, messageTexts, readAsStoppedPeer, waitForGroup, waitForTexts } from '../../../helpers/group-daemons.js';
import { killPub, published, startOnionPub, type OnionPub } from '../../../helpers/onion-pub.js';
import { fetchEverything } from '../../../helpers/pub-fixtures.js';
import { makeTempDir, removeDir } from '../../../helpers/temp.js';
import { sharedTestNetwork, startTestTor } from '../../../helpers/testnet.js';

describe('membership over a private Tor network: a removal, three daemons, an onion pub', function () {
  this.timeout(900_000);
  let dir: string;
  let alice: Peer;
  let bob: Peer;
  let carol: Peer;
  let pub: OnionPub | undefined;
  let attackerTor: TorService | undefined;

  before(async function () {
    this.timeout(600_000);
    await ready();
    dir = await makeTempDir('membership-tor');
    const torrc = await (await sharedTestNetwork()).clientTorrcFile();
    const args = ['--dev', '--dev-kdf', 'fast', '--tor-config', torrc];
    [pub, alice, bob, carol, attackerTor] = await Promise.all([
      startOnionPub(join(dir, 'pub'), torrc),
      startPeer(dir, 'alice', args),
      startPeer(dir, 'bob', args),
      startPeer(dir, 'carol', args),
      startTestTor('membership-attacker'),
    ]);
    await Promise.all([alice, bob, carol].map((p) => published(p.daemon, 180_000)));
  });
  after(async () => {
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill(), carol?.daemon.kill(), killPub(pub), attackerTor?.stop()]);
    await removeDir(dir);
  });

  /** Every blob the onion pub holds, fetched through tor as anyone could. */
  async function onionPubBlobs(): Promise<Uint8Array[]> {
    const dialer = new TorDialer({ socks: () => attackerTor!.socks, timeoutMs: 60_000 });
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        const client = await PubClient.connect(dialer, pub!.address);
        try {
          return [...(await fetchEverything(client)).values()];
        } finally {
          await client.close();
        }
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(1_000);
      }
    }
  }

  it('removes a member, who then reads nothing sent after, through its own daemon or from the onion pub with every key it had', async () => {
    const call = <T>(p: Peer, fn: Parameters<typeof callOnce<T>>[1]) => callOnce(p.daemon, fn);
    const { groupId } = await call(alice, (c) => c.call('group/create', { name: 'tor removal', pubs: [pub!.address] }));
    const { invite: bobInvite } = await call(alice, (c) => c.call('group/exportInvite', { groupId }));
    const { invite: carolInvite } = await call(alice, (c) => c.call('group/exportInvite', { groupId }));
    await call(bob, (c) => c.call('group/join', { invite: bobInvite }));
    await call(carol, (c) => c.call('group/join', { invite: carolInvite }));
    for (const p of [alice, bob]) await waitForGroup(p, groupId, (m) => m.filter((i) => i.kind === 'joined').length === 2, 240_000);
    await call(carol, (c) => c.call('message/send', { groupId, text: 'before: carol' }));
    await call(bob, (c) => c.call('message/send', { groupId, text: 'before: bob' }));
    for (const p of [alice, bob, carol]) await waitForTexts(p, groupId, ['before: carol', 'before: bob'], 240_000);

    await call(alice, (c) => c.call('group/removeMember', { groupId, address: carol.address }));
    const deadline = Date.now() + 240_000;
    while ((await call(bob, (c) => c.call('group/list'))).groups.find((g) => g.groupId === groupId)?.epoch !== 1) {
      if (Date.now() > deadline) throw new Error('the re-key never reached bob');
      await sleep(250);
    }
    await call(alice, (c) => c.call('message/send', { groupId, text: 'after: alice' }));
    await call(bob, (c) => c.call('message/send', { groupId, text: 'after: bob' }));
    const all = ['before: carol', 'before: bob', 'after: alice', 'after: bob'];
    for (const p of [alice, bob]) await waitForTexts(p, groupId, all, 240_000);
    const members = (await call(alice, (c) => c.call('group/members', { groupId }))).members.map((m) => m.address).sort();
    assert.deepEqual(members, [alice.address, bob.address].sort());

    // through carol's own daemon: nothing after (she has been reading the same pub all along)
    const atCarol = await groupMessagesIfAny(carol, groupId);
    assert.ok(!messageTexts(atCarol).some((t) => t.startsWith('after')), JSON.stringify(messageTexts(atCarol)));

    // as an attacker: every blob of the onion pub, fetched through tor, every key carol had
    const got = await readAsStoppedPeer(carol, carolInvite, onionPubBlobs);
    assert.ok(got.blobs >= 8, `the pub holds every entry (${got.blobs} blobs)`);
    assert.deepEqual(textsRead(got), ['before: bob', 'before: carol']);
    assert.equal(got.epochs.length, 1, 'no key package after the removal opens for carol');
    // bob, with the same attack, reads what came after: the attack is not vacuous
    const bobReads = textsRead(await readAsStoppedPeer(bob, bobInvite, onionPubBlobs));
    assert.ok(bobReads.includes('after: alice') && bobReads.includes('after: bob'), JSON.stringify(bobReads));
  });
});
