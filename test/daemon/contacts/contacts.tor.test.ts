/**
 * Contacts over the private Tor network (test/helpers/testnet.ts): two `snug daemon` processes,
 * each with its own tor and onion service, request and accept over real onion services, and
 * both show the other accepted and online; messages both ways; the link comes back after each
 * side restarts in turn and after a lock and unlock; a block closes the link, and the blocked
 * side sees only a contact gone offline (its message stays undelivered).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { callOnce, published } from '../../helpers/daemon.js';
import { PEER_PASSPHRASE, contacts, restartPeer, startPeer, waitForContact, type Peer } from '../../helpers/contacts.js';
import { sharedTestNetwork } from '../../helpers/testnet.js';

describe('contacts between two daemons on a private Tor network', function () {
  this.timeout(300_000);
  let dir: string;
  let alice: Peer | undefined;
  let bob: Peer | undefined;
  let args: string[];

  before(async () => {
    dir = await makeTempDir('contacts-tor');
    const torrc = await (await sharedTestNetwork()).clientTorrcFile();
    args = ['--dev', '--dev-kdf', 'fast', '--tor-config', torrc];
    [alice, bob] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args)]);
    await Promise.all([published(alice.daemon, 120_000), published(bob.daemon, 120_000)]);
  });

  after(async () => {
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill()]);
    await removeDir(dir);
  });

  it('requests and accepts over onion services: both show accepted and online', async function () {
    const t0 = Date.now();
    await callOnce(alice!.daemon, (c) => c.call('contact/add', { address: bob!.address, name: 'bob', message: 'over tor' }));
    const row = await waitForContact(bob!, alice!.address, (c) => c?.state === 'incoming', 120_000);
    assert.deepEqual([row!.proposedName, row!.message], ['alice', 'over tor']);
    const t1 = Date.now();
    await callOnce(bob!.daemon, (c) => c.call('contact/accept', { address: alice!.address }));
    await waitForContact(alice!, bob!.address, (c) => c?.state === 'accepted' && c.online, 120_000);
    await waitForContact(bob!, alice!.address, (c) => c?.state === 'accepted' && c.online, 60_000);
    assert.equal((await contacts(alice!)).length, 1);
    this.test!.title += ` [request delivered in ${t1 - t0} ms, linked ${Date.now() - t1} ms after accept]`;
  });

  it('carries 1:1 messages both ways over the link: delivered at the sender, received once', async function () {
    const t0 = Date.now();
    const { id } = await callOnce(alice!.daemon, (c) => c.call('message/send', { address: bob!.address, text: 'hi over tor' }));
    await callOnce(bob!.daemon, (c) => c.call('message/send', { address: alice!.address, text: 'and back' }));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [a, b] = await Promise.all([
        callOnce(alice!.daemon, (c) => c.call('message/list', { address: bob!.address })),
        callOnce(bob!.daemon, (c) => c.call('message/list', { address: alice!.address })),
      ]);
      const done = a.messages.length === 2 && b.messages.length === 2 && [...a.messages, ...b.messages].every((m) => m.status === 'delivered' || m.status === 'received');
      if (done) {
        assert.ok(b.messages.some((m) => m.id === id && m.status === 'received' && m.text === 'hi over tor'));
        break;
      }
      if (Date.now() > deadline) throw new Error(`messages never delivered: ${JSON.stringify([a, b])}`);
      await sleep(200);
    }
    this.test!.title += ` [both delivered in ${Date.now() - t0} ms]`;
  });

  it('brings the link back over Tor after each side restarts in turn, and after a lock and unlock', async function () {
    const t0 = Date.now();
    await restartPeer(bob!, args);
    await waitForContact(alice!, bob!.address, (c) => c?.online === true, 120_000);
    await waitForContact(bob!, alice!.address, (c) => c?.online === true, 120_000);
    const t1 = Date.now();
    await restartPeer(alice!, args);
    await waitForContact(bob!, alice!.address, (c) => c?.online === true, 120_000);
    await waitForContact(alice!, bob!.address, (c) => c?.online === true, 120_000);
    const t2 = Date.now();
    await callOnce(alice!.daemon, (c) => c.call('profile/lock'));
    await waitForContact(bob!, alice!.address, (c) => c?.online === false, 120_000);
    await callOnce(alice!.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    await waitForContact(bob!, alice!.address, (c) => c?.online === true, 120_000);
    await waitForContact(alice!, bob!.address, (c) => c?.online === true, 120_000);
    this.test!.title += ` [relinked ${t1 - t0} ms after bob's restart, ${t2 - t1} ms after alice's, ${Date.now() - t2} ms after alice's lock and unlock]`;
  });
  it('blocks a contact over Tor: the link closes, the blocked side still shows accepted and its message is never delivered', async () => {
    const { contact } = await callOnce(bob!.daemon, (c) => c.call('contact/block', { address: alice!.address }));
    assert.deepEqual([contact.state, contact.online], ['blocked', false]);
    await waitForContact(alice!, bob!.address, (c) => c?.state === 'accepted' && !c.online, 60_000);
    const { id } = await callOnce(alice!.daemon, (c) => c.call('message/send', { address: bob!.address, text: 'after the block' }));
    // alice keeps retrying (every 5 s and on each dial); give it several tries
    await sleep(12_000);
    const a = await callOnce(alice!.daemon, (c) => c.call('message/list', { address: bob!.address }));
    const mine = a.messages.find((m) => m.id === id);
    assert.ok(mine && mine.status !== 'delivered', `the message to a blocker was ${mine?.status}`);
    assert.equal((await contacts(alice!)).find((c) => c.address === bob!.address)!.state, 'accepted');
    assert.equal((await contacts(alice!)).find((c) => c.address === bob!.address)!.online, false);
    const b = await callOnce(bob!.daemon, (c) => c.call('message/list', { address: alice!.address }));
    assert.equal(b.messages.some((m) => m.id === id), false);
  });
});
