/**
 * Contacts between real `snug daemon` processes over the direct transport (development peer
 * directory): request, accept, both accepted and online; the uniform reply a stranger, a
 * pending requester and a blocked address get; block; remove; restart of each side in turn;
 * lock and unlock; and the API's errors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ready } from '../../../protocol/crypto.js';
import { isApiError } from '../../../protocol/api/errors.js';
import type { NotificationParams } from '../../../protocol/api/notifications.js';
import { generateIdentity, type OnionAddress } from '../../../protocol/identity.js';
import { PeerConnection } from '../../../daemon/peer-links/connection.js';
import { DevPeerDirectory } from '../../../daemon/peer-links/dev-directory.js';
import { CONTACT_POW_DIFFICULTY } from '../../../protocol/peer/wire.js';
import { createPricedRequest, ownPeerFor } from '../../../daemon/peer-links/secure.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { callOnce, spawnDaemon, startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { PEER_PASSPHRASE, contacts, peerArgs, restartPeer, startPeer, waitForContact, type Peer } from '../../helpers/contacts.js';

/** A stranger's whole contact request, in-process: what comes back (the plaintext frame) and how the connection ends. */
async function strangerRequest(peerDir: string, target: string, stranger = generateIdentity()): Promise<{ bytes: string; type: string; close: number }> {
  const own = ownPeerFor(stranger);
  const ws = await new DevPeerDirectory(peerDir).dialer().dial(target);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const conn = await PeerConnection.initiate(ws, own, target as OnionAddress);
  conn.send(await createPricedRequest({ from: own.address, to: target as OnionAddress, name: 'stranger', message: 'hello?', difficulty: CONTACT_POW_DIFFICULTY }));
  const frame = await conn.next(10_000);
  const bytes = Buffer.from(conn.lastFrameBytes!).toString('hex');
  return { bytes, type: frame.type, close: await closed };
}

describe('contacts between two daemons (direct transport)', function () {
  this.timeout(120_000);
  let dir: string;
  let peerDir: string;
  let args: string[];
  let alice: Peer;
  let bob: Peer;

  before(async () => {
    await ready();
    dir = await makeTempDir('contacts');
    peerDir = join(dir, 'peers');
    args = peerArgs(peerDir);
    [alice, bob] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args)]);
  });

  after(async () => {
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill()]);
    await removeDir(dir);
  });

  it('answers -32602 ERR_BAD_ADDRESS for a malformed address, a bad checksum and its own address', async () => {
    await callOnce(alice.daemon, async (c) => {
      const bad = [ 'nope', 'a'.repeat(56) + '.onion', alice.address ];
      for (const address of bad) {
        await assert.rejects(c.call('contact/add', { address }), (e: unknown) => isApiError(e, 'ERR_BAD_ADDRESS') && e.rpcCode === -32602, address);
      }
      await assert.rejects(c.call('contact/accept', { address: 'x.onion' }), (e: unknown) => isApiError(e, 'ERR_BAD_ADDRESS'));
      await assert.rejects(c.call('contact/remove', { address: bob.address }), (e: unknown) => isApiError(e, 'ERR_NOT_FOUND'));
    });
  });

  it('delivers a request: the requester shows outgoing, the other incoming with the proposed name and message (contact/didRequest)', async () => {
    const requests: Array<NotificationParams<'contact/didRequest'>> = [];
    const sub = await bob.daemon.connect();
    sub.addEventListener('contact/didRequest', (e) => requests.push(e.detail));
    await sub.call('event/subscribe', {});
    const { contact } = await callOnce(alice.daemon, (c) => c.call('contact/add', { address: bob.address, name: 'Bobby', message: 'it is me, alice' }));
    assert.deepEqual([contact.state, contact.name, contact.online], ['outgoing', 'Bobby', false]);
    const row = await waitForContact(bob, alice.address, (c) => c?.state === 'incoming');
    assert.deepEqual([row!.name, row!.proposedName, row!.message, row!.online], [null, 'alice', 'it is me, alice', false]);
    for (let i = 0; i < 50 && requests.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await sub.close();
    assert.deepEqual(requests.map((r) => [r.address, r.proposedName, r.message]), [[alice.address, 'alice', 'it is me, alice']]);
    assert.equal((await contacts(alice))[0]!.state, 'outgoing');
  });

  it('accepts: both sides show accepted and online', async () => {
    const { contact } = await callOnce(bob.daemon, (c) => c.call('contact/accept', { address: alice.address }));
    assert.equal(contact.state, 'accepted');
    await waitForContact(alice, bob.address, (c) => c?.state === 'accepted' && c.online);
    const b = await waitForContact(bob, alice.address, (c) => c?.state === 'accepted' && c.online);
    assert.ok(b!.lastSeen !== null);
    const a = (await contacts(alice)).find((c) => c.address === bob.address)!;
    assert.equal(a.name, 'Bobby', 'the petname stays the user\'s own');
    const status = await callOnce(alice.daemon, (c) => c.call('daemon/status'));
    assert.deepEqual(status.peers, [{ address: bob.address, state: 'linked' }]);
  });

  it('brings the link back after each side restarts in turn', async () => {
    await restartPeer(bob, args);
    await waitForContact(alice, bob.address, (c) => c?.online === true, 30_000);
    await waitForContact(bob, alice.address, (c) => c?.online === true, 30_000);
    await restartPeer(alice, args);
    await waitForContact(bob, alice.address, (c) => c?.online === true, 30_000);
    await waitForContact(alice, bob.address, (c) => c?.state === 'accepted' && c.online, 30_000);
  });

  it('shows the contact offline while one side is locked, and online again after unlock', async () => {
    await callOnce(bob.daemon, (c) => c.call('profile/lock'));
    await waitForContact(alice, bob.address, (c) => c?.online === false);
    await callOnce(bob.daemon, async (c) => {
      await assert.rejects(c.call('contact/list'), (e: unknown) => isApiError(e, 'ERR_LOCKED'));
      await c.call('profile/unlock', { passphrase: PEER_PASSPHRASE });
    });
    await waitForContact(alice, bob.address, (c) => c?.online === true, 30_000);
    await waitForContact(bob, alice.address, (c) => c?.online === true, 30_000);
  });

  it('gives a stranger, a pending requester and a blocked address byte-identical replies', async () => {
    const stranger = generateIdentity();
    const fresh = await strangerRequest(peerDir, bob.address, stranger);
    await waitForContact(bob, stranger.address, (c) => c?.state === 'incoming');
    const pending = await strangerRequest(peerDir, bob.address, stranger);
    await callOnce(bob.daemon, (c) => c.call('contact/block', { address: stranger.address }));
    const blocked = await strangerRequest(peerDir, bob.address, stranger);
    const other = await strangerRequest(peerDir, bob.address);
    assert.equal(fresh.type, 'reply');
    assert.deepEqual(pending, fresh);
    assert.deepEqual(blocked, fresh);
    assert.deepEqual(other, fresh);
    const row = (await contacts(bob)).find((c) => c.address === stranger.address)!;
    assert.deepEqual([row.state, row.proposedName, row.message], ['blocked', null, null]);
  });

  it('blocks a contact: its link closes, it stays offline, and its own side still shows accepted', async () => {
    const { contact } = await callOnce(alice.daemon, (c) => c.call('contact/block', { address: bob.address }));
    assert.deepEqual([contact.state, contact.online], ['blocked', false]);
    await waitForContact(bob, alice.address, (c) => c?.state === 'accepted' && !c.online);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal((await contacts(bob)).find((c) => c.address === alice.address)!.online, false);
  });

  it('removes a contact: it is forgotten, and its request afterwards is a stranger\'s', async () => {
    await callOnce(alice.daemon, (c) => c.call('contact/remove', { address: bob.address }));
    assert.deepEqual((await contacts(alice)).filter((c) => c.address === bob.address), []);
    await callOnce(bob.daemon, (c) => c.call('contact/remove', { address: alice.address }));
    await callOnce(bob.daemon, (c) => c.call('contact/add', { address: alice.address, message: 'again' }));
    const row = await waitForContact(alice, bob.address, (c) => c?.state === 'incoming');
    assert.deepEqual([row!.proposedName, row!.message], ['bob', 'again']);
  });
});

describe('the development peer directory', function () {
  this.timeout(30_000);
  it('is refused (exit 2) without --dev, and without the direct transport', async () => {
    const dir = await makeTempDir('dev-peer-dir');
    try {
      for (const args of [['--dev-peer-dir', join(dir, 'peers')], ['--dev', '--dev-peer-dir', join(dir, 'peers')]]) {
        const d = spawnDaemon(join(dir, 'home'), args);
        assert.equal((await d.exited).code, 2, d.stderr());
      }
    } finally {
      await removeDir(dir);
    }
  });
});

describe('contact/* on a daemon without an unlocked profile', function () {
  this.timeout(30_000);
  let dir: string;
  let d: DaemonProcess | undefined;
  before(async () => {
    dir = await makeTempDir('contacts-locked');
    d = await startDaemon(join(dir, 'home'));
  });
  after(async () => {
    await d?.kill();
    await removeDir(dir);
  });

  it('answers ERR_NO_PROFILE without a profile and ERR_LOCKED while locked, after checking the address', async () => {
    await callOnce(d!, async (c) => {
      await assert.rejects(c.call('contact/list'), (e: unknown) => isApiError(e, 'ERR_NO_PROFILE'));
      await assert.rejects(c.call('contact/add', { address: 'bad' }), (e: unknown) => isApiError(e, 'ERR_BAD_ADDRESS'));
      await c.call('profile/create', { name: 'carol', passphrase: PEER_PASSPHRASE });
      await c.call('profile/lock');
      await assert.rejects(c.call('contact/list'), (e: unknown) => isApiError(e, 'ERR_LOCKED'));
      await assert.rejects(c.call('contact/add', { address: generateIdentity().address }), (e: unknown) => isApiError(e, 'ERR_LOCKED'));
    });
  });
});
