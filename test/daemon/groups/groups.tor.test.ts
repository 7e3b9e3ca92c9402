/**
 * Groups over the private Tor network (test/helpers/testnet.ts, the run's one network): two
 * `snug pub` onion services and three `snug daemon` processes, each with its own tor, driven
 * over their sockets. A group on both pubs; Bob invited over the peer link, Carol by string;
 * messages in every direction; one pub killed for good; kill -9 of a sender during a stream
 * (SNUG_TOR_KILL_ROUNDS, default 3); every acknowledged message at every member exactly once;
 * no plaintext in any home or pub store. The same scenarios over the direct transport are in
 * groups.e2e.test.ts and groups.crash.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { utf8Encode } from '../../../protocol/bytes.js';
import { callOnce, spawnDaemon, waitUntilServing } from '../../helpers/daemon.js';
import { PEER_PASSPHRASE, startPeer, waitForContact, type Peer } from '../../helpers/contacts.js';
import { filesContaining, groupMessages, waitForGroup, waitForTexts } from '../../helpers/group-daemons.js';
import { killPub, published, startOnionPub, type OnionPub } from '../../helpers/onion-pub.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { sharedTestNetwork } from '../../helpers/testnet.js';

const KILL_ROUNDS = Number(process.env['SNUG_TOR_KILL_ROUNDS'] ?? 3);
describe('groups over a private Tor network: three daemons, two onion pubs', function () {
  this.timeout(900_000);
  let dir: string;
  let args: string[];
  let alice: Peer;
  let bob: Peer;
  let carol: Peer;
  let pubA: OnionPub | undefined;
  let pubB: OnionPub | undefined;
  let groupId: string;
  const said: string[] = [];

  before(async function () {
    this.timeout(600_000);
    dir = await makeTempDir('groups-tor');
    const torrc = await (await sharedTestNetwork()).clientTorrcFile();
    args = ['--dev', '--dev-kdf', 'fast', '--tor-config', torrc];
    [pubA, pubB] = await Promise.all([startOnionPub(join(dir, 'pub-a'), torrc), startOnionPub(join(dir, 'pub-b'), torrc)]);
    [alice, bob, carol] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args), startPeer(dir, 'carol', args)]);
    await Promise.all([alice, bob, carol].map((p) => published(p.daemon, 180_000)));
  });
  after(async () => {
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill(), carol?.daemon.kill(), killPub(pubA), killPub(pubB)]);
    await removeDir(dir);
  });

  async function say(p: Peer, text: string): Promise<string> {
    const { id } = await callOnce(p.daemon, (c) => c.call('message/send', { groupId, text }));
    said.push(text);
    return id;
  }

  it('founds a group on two onion pubs, invites one member over the peer link and one by string', async () => {
    ({ groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'tor crawl', pubs: [pubA!.address, pubB!.address] })));
    await callOnce(alice.daemon, (c) => c.call('contact/add', { address: bob.address }));
    await waitForContact(bob, alice.address, (c) => c?.state === 'incoming', 180_000);
    await callOnce(bob.daemon, (c) => c.call('contact/accept', { address: alice.address }));
    await waitForContact(alice, bob.address, (c) => c?.state === 'accepted' && c.online, 180_000);
    await callOnce(alice.daemon, (c) => c.call('group/invite', { groupId, address: bob.address }));
    const deadline = Date.now() + 120_000;
    let invites = (await callOnce(bob.daemon, (c) => c.call('group/invites'))).invites;
    while (invites.length === 0 && Date.now() < deadline) {
      await sleep(250);
      invites = (await callOnce(bob.daemon, (c) => c.call('group/invites'))).invites;
    }
    assert.equal(invites.length, 1);
    await callOnce(bob.daemon, (c) => c.call('group/join', { invite: invites[0]!.invite }));
    const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
    await callOnce(carol.daemon, (c) => c.call('group/join', { invite }));
    for (const p of [alice, bob, carol]) await waitForGroup(p, groupId, (m) => m.filter((i) => i.kind === 'joined').length === 2, 240_000);
  });

  it('carries messages in every direction, and on through one pub after the other is killed', async () => {
    await say(alice, 'tor: hello from alice');
    await say(bob, 'tor: hello from bob');
    await say(carol, 'tor: hello from carol');
    for (const p of [alice, bob, carol]) await waitForTexts(p, groupId, said, 180_000);
    await killPub(pubA);
    await say(bob, 'tor: only pub b now');
    await say(carol, 'tor: still here');
    for (const p of [alice, bob, carol]) await waitForTexts(p, groupId, said, 180_000);
  });

  it(`delivers every acknowledged message exactly once after ${KILL_ROUNDS} rounds of kill -9 of a sender`, async () => {
    const acked: string[] = [];
    for (let round = 0; round < KILL_ROUNDS; round++) {
      const client = await carol.daemon.connect();
      let stop = false;
      const stream = (async () => {
        for (let i = 0; !stop && i < 60; i++) {
          try {
            const text = `tor kill round ${round} #${i}`;
            acked.push((await client.call('message/send', { groupId, text })).id);
            said.push(text);
          } catch {
            return;
          }
          await sleep(10);
        }
      })();
      await sleep(300 + Math.floor(Math.random() * 700));
      await carol.daemon.kill();
      stop = true;
      await stream;
      await client.close().catch(() => undefined);
      carol.daemon = spawnDaemon(carol.home, args);
      await waitUntilServing(carol.daemon, 60_000);
      await callOnce(carol.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    }
    for (const p of [alice, bob]) {
      const m = await waitForGroup(p, groupId, (items) => acked.every((id) => items.some((i) => i.id === id)), 300_000);
      for (const id of acked) assert.equal(m.filter((i) => i.id === id).length, 1, `${id} at ${p.name}`);
    }
    const atCarol = await groupMessages(carol, groupId);
    for (const id of acked) assert.equal(atCarol.filter((i) => i.id === id).length, 1);
  });

  it('leaves no plaintext in any home or pub store', async () => {
    for (const text of said.filter((t) => utf8Encode(t).length >= 8)) {
      for (const where of [alice.home, bob.home, carol.home, pubA!.home, pubB!.home]) {
        assert.deepEqual(await filesContaining(where, utf8Encode(text)), [], `"${text}" in ${where}`);
      }
    }
  });
});
