/**
 * Group sync between real `snug daemon` processes (direct transport): contacts in one group whose
 * only pub (a test pub in this process) dies for good; a member who was locked meanwhile gets
 * every message it missed from the other over their peer link once it unlocks. And what the local
 * API shows of a gap: two daemons that are not contacts yet, the pub withholding a run of one
 * member's entries from the other, and the member's peer sync off (else a member link, with no
 * contact needed, would fill the gap at once); group/list counts the gap, message/list shows it in
 * place, group/didChange tells it; once they become contacts and peer sync is on, peer sync fills
 * it and all three say so.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ready } from '../../../protocol/crypto.js';
import { callOnce, logLines } from '../../helpers/daemon.js';
import { PEER_PASSPHRASE, peerArgs, startPeer, waitForContact, type Peer } from '../../helpers/contacts.js';
import { HostilePub } from '../../helpers/hostile-pub.js';
import type { ApiClient } from '../../../daemon/api/client.js';
import { groupTexts, until } from '../../helpers/group-daemons.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

describe('group sync between two daemons (direct transport)', function () {
  this.timeout(150_000);
  let dir: string;
  let alice: Peer;
  let bob: Peer;
  let pub: HostilePub | null = null;

  before(async () => {
    await ready();
    dir = await makeTempDir('group-sync-daemons');
    const args = peerArgs(join(dir, 'peers'));
    [alice, bob] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args)]);
  });
  after(async () => {
    await pub?.close().catch(() => undefined);
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill()]);
    await removeDir(dir);
  });

  it('gives a member who was offline every message it missed from a peer when the only pub is dead for good', async () => {
    await callOnce(alice.daemon, (c) => c.call('contact/add', { address: bob.address }));
    await waitForContact(bob, alice.address, (c) => c?.state === 'incoming');
    await callOnce(bob.daemon, (c) => c.call('contact/accept', { address: alice.address }));
    await waitForContact(alice, bob.address, (c) => c?.state === 'accepted');

    pub = await HostilePub.start();
    const face = await pub.face();
    const { groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'dead pub', pubs: [face.url] }));
    const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
    await callOnce(bob.daemon, (c) => c.call('group/join', { invite }));
    await until('alice sees bob in the group', () => callOnce(alice.daemon, async (c) => (await c.call('group/members', { groupId })).members.length), (n) => n === 2);

    await callOnce(bob.daemon, (c) => c.call('profile/lock'));
    await pub.close();
    pub = null;
    const sent = ['while you were away 1', 'while you were away 2', 'while you were away 3'];
    for (const text of sent) await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text }));
    await callOnce(bob.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));

    const got = await until('bob lists every message', () => groupTexts(bob, groupId), (t) => t.length >= sent.length).catch((err: unknown) => {
      const events = (p: Peer) => logLines(p.daemon).map((l) => String(l['event'])).filter((e) => /sync|link|peer|group/.test(e));
      throw new Error(`${String(err)}; alice: ${events(alice).join(' ')}; bob: ${events(bob).join(' ')}`);
    });
    assert.deepEqual(got, sent);
  });
});

describe('gaps in the local API between two daemons (direct transport, hostile pub)', function () {
  this.timeout(150_000);
  let dir: string;
  let alice: Peer;
  let bob: Peer;
  let pub: HostilePub | null = null;
  let events: ApiClient | null = null;

  before(async () => {
    await ready();
    dir = await makeTempDir('group-sync-gaps-api');
    const args = peerArgs(join(dir, 'peers'));
    [alice, bob] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args)]);
  });
  after(async () => {
    await events?.close().catch(() => undefined);
    await pub?.close().catch(() => undefined);
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill()]);
    await removeDir(dir);
  });

  it('counts, shows and tells a gap the pub makes until peer sync fills it', async () => {
    pub = await HostilePub.start();
    let withholding = false;
    let withheld = 0;
    const face = await pub.face({ kind: 'withhold', match: () => withholding && ++withheld > 0 });
    const { groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'gaps', pubs: [face.url] }));
    const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
    await callOnce(bob.daemon, (c) => c.call('group/join', { invite }));
    await until('alice sees bob in the group', () => callOnce(alice.daemon, async (c) => (await c.call('group/members', { groupId })).members.length), (n) => n === 2);

    events = await bob.daemon.connect();
    const told: Array<{ gaps: number | undefined }> = [];
    events.addEventListener('group/didChange', (e) => {
      if (e.detail.groupId === groupId) told.push({ gaps: e.detail.group?.gaps });
    });
    await events.call('event/subscribe', {});
    const row = () => callOnce(bob.daemon, async (c) => (await c.call('group/list')).groups.find((g) => g.groupId === groupId)!);
    const listed = () => callOnce(bob.daemon, async (c) => (await c.call('message/list', { groupId, limit: 500 })).messages.filter((m) => m.kind === 'message' || m.kind === 'gap'));

    await callOnce(bob.daemon, (c) => c.call('group/setSettings', { groupId, peerSync: false }));
    await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text: 'before' }));
    await until('bob reads "before"', listed, (m) => m.length === 1);
    assert.equal((await row()).gaps, 0);
    withholding = true;
    for (const text of ['hidden 1', 'hidden 2']) await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text }));
    await until('the pub withholds both', async () => withheld, (n) => n === 2);
    withholding = false;
    await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text: 'after' }));

    const r = await until('group/list counts the gap', row, (g) => g.gaps === 1);
    assert.deepEqual([r.evidence, r.equivocators], [0, []]);
    const items = await listed();
    assert.deepEqual(items.map((m) => (m.kind === 'gap' ? 'gap' : m.text)), ['before', 'gap', 'after']);
    assert.equal(items[1]!.author, alice.address);
    assert.equal(items[1]!.gap!.to - items[1]!.gap!.from, 1);
    await until('group/didChange tells the gap', async () => told.some((t) => t.gaps === 1), (ok) => ok);

    await callOnce(alice.daemon, (c) => c.call('contact/add', { address: bob.address }));
    await waitForContact(bob, alice.address, (c) => c?.state === 'incoming');
    await callOnce(bob.daemon, (c) => c.call('contact/accept', { address: alice.address }));
    await callOnce(bob.daemon, (c) => c.call('group/setSettings', { groupId, peerSync: true }));
    await until('group/list counts no gap', row, (g) => g.gaps === 0);
    assert.deepEqual((await listed()).map((m) => m.text), ['before', 'hidden 1', 'hidden 2', 'after']);
    await until('group/didChange tells the gap filled', async () => told.findIndex((t) => t.gaps === 1) !== -1 && told.slice(told.findIndex((t) => t.gaps === 1)).some((t) => t.gaps === 0), (ok) => ok);
  });
});

/**
 * The daemon's own wiring of tamper evidence (services/groups.ts, services/group-sync.ts): a pub
 * serving each blob at two cursors is counted once in group/list, told in group/didChange, and
 * kept across a lock.
 */
describe('tamper evidence in a daemon (direct transport, hostile pub)', function () {
  this.timeout(60_000);
  let dir: string;
  let alice: Peer;
  let pub: HostilePub | null = null;
  let events: ApiClient | null = null;

  before(async () => {
    await ready();
    dir = await makeTempDir('group-sync-evidence-daemon');
    alice = await startPeer(dir, 'alice', peerArgs(join(dir, 'peers')));
  });
  after(async () => {
    await events?.close().catch(() => undefined);
    await pub?.close().catch(() => undefined);
    await alice?.daemon.kill();
    await removeDir(dir);
  });

  it('counts in group/list and tells in group/didChange the pub-order evidence of a pub that serves each blob at two cursors, once, and keeps it across a lock', async () => {
    pub = await HostilePub.start();
    const face = await pub.face({ kind: 'duplicate' });
    const { groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'twice', pubs: [face.url] }));
    events = await alice.daemon.connect();
    const told: Array<{ kind: string; author: string | null }> = [];
    events.addEventListener('group/didChange', (e) => {
      if (e.detail.groupId === groupId && e.detail.evidence !== undefined) told.push(e.detail.evidence);
    });
    await events.call('event/subscribe', {});
    const row = () => callOnce(alice.daemon, async (c) => (await c.call('group/list')).groups.find((g) => g.groupId === groupId)!);
    for (const text of ['one', 'two', 'three']) await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text }));
    await until('group/list counts the evidence', row, (g) => g.evidence === 1);
    await until('group/didChange tells it', async () => told.length, (n) => n >= 1);
    assert.deepEqual(told[0], { kind: 'pub-order', author: null });
    assert.deepEqual(await groupTexts(alice, groupId), ['one', 'two', 'three'], 'each message shown once');
    await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text: 'four' })); // more repeats: still one record
    await until('alice reads "four"', () => groupTexts(alice, groupId), (t) => t.length === 4);
    assert.deepEqual([(await row()).evidence, told.length], [1, 1]);
    await callOnce(alice.daemon, (c) => c.call('profile/lock'));
    await pub.close();
    pub = null;
    await callOnce(alice.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    await until('group/list still counts it after unlock', row, (g) => g.evidence === 1, 20_000);
  });
});
