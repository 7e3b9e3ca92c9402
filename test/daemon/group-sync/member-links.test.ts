/**
 * Member links between real `snug daemon` processes (direct transport, real LevelDB): members of a
 * group who are not contacts sync over links of their own (docs/peer-protocol.md "Member links"),
 * opened by proofs of an epoch secret bound to the link. With the only pub dead they fill each
 * other's gaps; a member that missed a re-key gets the new epoch's key (the re-key entry) and then
 * the new epoch's entries; the removed member is refused and gets nothing of the new epoch; a
 * stranger probing with made-up proofs is dropped with no answer; peer sync off means no member
 * link is dialled or accepted; a member locked out of a re-key (its join raced it) gets the
 * duty re-key that includes it from a member who is not a contact, with the pub dead and the
 * admin offline, and reads the epoch it opens.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ready, randomBytes } from '../../../protocol/crypto.js';
import { createSyncLinkProofs } from '../../../protocol/sync/link.js';
import { MEMBER_LINKS_PER_GROUP } from '../../../daemon/group-sync/constants.js';
import { MEMBER_OPEN_PER_ADDRESS_BURST } from '../../../daemon/peer-links/constants.js';
import { compareBytes, toHex } from '../../../protocol/bytes.js';
import { blobHash, sealBlob } from '../../../protocol/blob.js';
import { createCertificate, generateProfileKeys } from '../../../protocol/certificate.js';
import { createEntry, encodeEntry, entryId } from '../../../protocol/entry.js';
import { deriveEpochKeys } from '../../../protocol/group.js';
import { decodeInvite, inviteGroupId } from '../../../protocol/invite.js';
import { generateIdentity, publicKeyFromOnionAddress, type OnionAddress } from '../../../protocol/identity.js';
import { DevPeerDirectory } from '../../../daemon/peer-links/dev-directory.js';
import { PeerConnection } from '../../../daemon/peer-links/connection.js';
import { ownPeerFor } from '../../../daemon/peer-links/secure.js';
import { isPeerLinkError, PeerLinkErrorCode } from '../../../daemon/peer-links/errors.js';
import { callOnce, logLines } from '../../helpers/daemon.js';
import { PEER_PASSPHRASE, peerArgs, startPeer, waitForContact, type Peer } from '../../helpers/contacts.js';
import { HostilePub } from '../../helpers/hostile-pub.js';
import { groupTexts, until } from '../../helpers/group-daemons.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

/** How many times `event` is in the daemon's log so far. */
function count(p: Peer, event: string): number {
  return logLines(p.daemon).filter((l) => l['event'] === event).length;
}

function events(p: Peer): string {
  return logLines(p.daemon)
    .map((l) => String(l['event']))
    .filter((e) => /member|sync-link|key-package|group-sync-session/.test(e))
    .join(' ');
}

async function memberAddresses(p: Peer, groupId: string): Promise<string[]> {
  return callOnce(p.daemon, async (c) => (await c.call('group/members', { groupId })).members.map((m) => m.address).sort());
}

async function groupIds(p: Peer): Promise<string[]> {
  return callOnce(p.daemon, async (c) => (await c.call('group/list')).groups.map((g) => g.groupId));
}

describe('member links between daemons that are not contacts (direct transport)', function () {
  this.timeout(180_000);
  let dir: string;
  let alice: Peer;
  let bob: Peer;
  let carol: Peer;
  let pub: HostilePub | null = null;
  let groupId: string;

  before(async () => {
    await ready();
    dir = await makeTempDir('group-sync-member-links');
    const args = peerArgs(join(dir, 'peers'));
    [alice, bob, carol] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args), startPeer(dir, 'carol', args)]);
    pub = await HostilePub.start();
    const face = await pub.face();
    ({ groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'no contacts here', pubs: [face.url] })));
    for (const p of [bob, carol]) {
      const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
      await callOnce(p.daemon, (c) => c.call('group/join', { invite }));
    }
    const everyone = [alice.address, bob.address, carol.address].sort();
    for (const p of [alice, bob, carol]) await until(`${p.name} sees all three`, () => memberAddresses(p, groupId), (m) => m.join() === everyone.join());
  });
  after(async () => {
    await pub?.close().catch(() => undefined);
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill(), carol?.daemon.kill()]);
    await removeDir(dir);
  });

  it('fills the gaps of members who are not contacts from each other once the only pub is dead', async () => {
    for (const p of [alice, bob, carol]) assert.deepEqual(await callOnce(p.daemon, async (c) => (await c.call('contact/list')).contacts), []);
    await callOnce(bob.daemon, (c) => c.call('profile/lock'));
    await pub!.close();
    pub = null;
    await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text: 'alice 1' }));
    await callOnce(carol.daemon, (c) => c.call('message/send', { groupId, text: 'carol 1' }));
    await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text: 'alice 2' }));
    await callOnce(bob.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    await callOnce(bob.daemon, (c) => c.call('message/send', { groupId, text: 'bob 1' }));

    const all = ['alice 1', 'alice 2', 'bob 1', 'carol 1'];
    for (const p of [alice, bob, carol]) {
      const got = await until(`${p.name} lists every message`, () => groupTexts(p, groupId), (t) => t.length >= all.length).catch((err: unknown) => {
        throw new Error(`${String(err)}; alice: ${events(alice)}; bob: ${events(bob)}; carol: ${events(carol)}`);
      });
      assert.deepEqual([...got].sort(), all, p.name);
    }
    assert.ok(count(bob, 'group-sync-member-link') >= 1);
  });

  it('gives a member that missed a re-key the new epoch from a member, and the removed member nothing of it', async () => {
    await callOnce(bob.daemon, (c) => c.call('profile/lock'));
    const refusedBefore = count(alice, 'group-sync-member-refused');
    await callOnce(alice.daemon, (c) => c.call('group/removeMember', { groupId, address: carol.address }));
    await until('alice no longer lists carol', () => memberAddresses(alice, groupId), (m) => !m.includes(carol.address));
    await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text: 'after the re-key' }));
    // carol (her pub dead too) keeps dialling alice with the epoch she holds: alice refuses her
    await until('alice refuses carol a member link', async () => count(alice, 'group-sync-member-refused'), (n) => n > refusedBefore);

    await callOnce(bob.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    const got = await until('bob reads the new epoch', () => groupTexts(bob, groupId), (t) => t.includes('after the re-key')).catch((err: unknown) => {
      throw new Error(`${String(err)}; alice: ${events(alice)}; bob: ${events(bob)}`);
    });
    assert.ok(got.includes('alice 1'));
    assert.deepEqual(await memberAddresses(bob, groupId), [alice.address, bob.address].sort());
    // alice answered bob's key request with the re-key, sealed again for him: a key package he took
    assert.ok(
      logLines(bob.daemon).some((l) => l['event'] === 'group-sync-key-package' && (l['status'] === 'stored' || l['status'] === 'duplicate')),
      events(bob),
    );

    // carol can read nothing of the new epoch: no member serves it to her
    const carolSees = (await groupIds(carol)).includes(groupId) ? await groupTexts(carol, groupId) : [];
    assert.equal(carolSees.includes('after the re-key'), false);
  });
});

describe('member links refused (direct transport)', function () {
  this.timeout(180_000);
  let dir: string;
  let peerDir: string;
  let dave: Peer;
  let erin: Peer;
  let pub: HostilePub | null = null;
  let groupId: string;
  let withholding = false;
  let withheld = 0;

  before(async () => {
    await ready();
    dir = await makeTempDir('group-sync-member-refused');
    peerDir = join(dir, 'peers');
    const args = peerArgs(peerDir);
    [dave, erin] = await Promise.all([startPeer(dir, 'dave', args), startPeer(dir, 'erin', args)]);
    pub = await HostilePub.start();
    const face = await pub.face({ kind: 'withhold', match: () => withholding && ++withheld > 0 });
    ({ groupId } = await callOnce(dave.daemon, (c) => c.call('group/create', { name: 'quiet', pubs: [face.url] })));
    const { invite } = await callOnce(dave.daemon, (c) => c.call('group/exportInvite', { groupId }));
    await callOnce(erin.daemon, (c) => c.call('group/join', { invite }));
    for (const p of [dave, erin]) await until(`${p.name} sees both`, () => memberAddresses(p, groupId), (m) => m.length === 2);
  });
  after(async () => {
    await pub?.close().catch(() => undefined);
    await Promise.all([dave?.daemon.kill(), erin?.daemon.kill()]);
    await removeDir(dir);
  });

  /** A stranger's handshake with `target`, then `first` as its first frame: what comes back. */
  async function probe(target: string, first: Parameters<PeerConnection['send']>[0]): Promise<{ frame: string | null; closed: boolean }> {
    const ws = await new DevPeerDirectory(peerDir).dialer().dial(target);
    const conn = await PeerConnection.initiate(ws, ownPeerFor(generateIdentity()), target as OnionAddress);
    conn.send(first);
    try {
      const answer = await conn.next(10_000);
      return { frame: answer.type, closed: conn.closed };
    } catch (err) {
      if (!isPeerLinkError(err, PeerLinkErrorCode.CLOSED)) throw err;
      return { frame: conn.lastFrameBytes === null ? null : 'bytes', closed: true };
    }
  }

  it('fills a gap the pub makes from a member who is not a contact, the pub alive', async () => {
    await callOnce(dave.daemon, (c) => c.call('message/send', { groupId, text: 'seen' }));
    await until('erin reads "seen"', () => groupTexts(erin, groupId), (t) => t.includes('seen'));
    withholding = true;
    for (const text of ['withheld 1', 'withheld 2']) await callOnce(dave.daemon, (c) => c.call('message/send', { groupId, text }));
    await until('the pub withholds both', async () => withheld, (n) => n === 2);
    withholding = false;
    await callOnce(dave.daemon, (c) => c.call('message/send', { groupId, text: 'after' }));
    const got = await until('erin reads every message', () => groupTexts(erin, groupId), (t) => t.length === 4).catch((err: unknown) => {
      throw new Error(`${String(err)}; dave: ${events(dave)}; erin: ${events(erin)}`);
    });
    assert.deepEqual([...got].sort(), ['after', 'seen', 'withheld 1', 'withheld 2']);
    assert.ok(count(erin, 'group-sync-member-link') >= 1);
  });

  it('drops a stranger probing with made-up proofs without an answer, exactly as a frame it does not take', async () => {
    const before = count(dave, 'group-sync-member-refused');
    const proofs = Array.from({ length: 16 }, () => randomBytes(32)).sort(compareBytes);
    const probed = await probe(dave.address, { type: 'sync-link', proofs });
    assert.deepEqual(probed, { frame: null, closed: true });
    assert.deepEqual(await probe(dave.address, { type: 'ack', entryId: randomBytes(32) }), probed);
    await until('dave refused the probe', async () => count(dave, 'group-sync-member-refused'), (n) => n === before + 1);
  });

  it('neither dials nor accepts a member link for a group whose peer sync is off, and syncs once it is on', async () => {
    await callOnce(erin.daemon, (c) => c.call('group/setSettings', { groupId, peerSync: false }));
    const refusedBefore = count(erin, 'group-sync-member-refused');
    const linksBefore = count(erin, 'group-sync-member-link');
    await pub!.close();
    pub = null;
    await callOnce(dave.daemon, (c) => c.call('message/send', { groupId, text: 'while erin is off' }));
    // dave, his only pub dead, dials erin: she refuses
    await until('erin refuses dave a member link', async () => count(erin, 'group-sync-member-refused'), (n) => n > refusedBefore).catch((err: unknown) => {
      throw new Error(`${String(err)}; dave: ${events(dave)}; erin: ${events(erin)}`);
    });
    assert.equal((await groupTexts(erin, groupId)).includes('while erin is off'), false);
    assert.equal(count(erin, 'group-sync-member-link'), linksBefore);

    await callOnce(erin.daemon, (c) => c.call('group/setSettings', { groupId, peerSync: true }));
    await until('erin reads it once peer sync is on', () => groupTexts(erin, groupId), (t) => t.includes('while erin is off'));
  });
});

describe('key packages over a member link (direct transport)', function () {
  this.timeout(240_000);
  let dir: string;
  let alice: Peer;
  let bob: Peer;
  let carol: Peer;
  let xavier: Peer;
  let pub: HostilePub | null = null;

  before(async () => {
    await ready();
    dir = await makeTempDir('group-sync-member-keys');
    const args = peerArgs(join(dir, 'peers'));
    [alice, bob, carol, xavier] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args), startPeer(dir, 'carol', args), startPeer(dir, 'xavier', args)]);
  });
  after(async () => {
    await pub?.close().catch(() => undefined);
    await Promise.all([alice, bob, carol, xavier].map((p) => p?.daemon.kill()));
    await removeDir(dir);
  });

  it('gives a member locked out of a re-key the re-key that includes it from a member who is not a contact, the pubs dead and the admin gone', async () => {
    pub = await HostilePub.start();
    let withholding = false;
    const face = await pub.face({ kind: 'withhold', match: () => withholding });
    const { groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'locked out', pubs: [face.url] }));
    for (const p of [bob, xavier]) {
      const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
      await callOnce(p.daemon, (c) => c.call('group/join', { invite }));
    }
    const three = [alice.address, bob.address, xavier.address].sort().join();
    for (const p of [alice, bob]) await until(`${p.name} sees three members`, async () => (await memberAddresses(p, groupId)).join(), (m) => m === three);

    // carol joins with an open invite and goes offline; her join reaches nobody before alice
    // re-keys, so she is locked out of epoch 1
    const before = pub.base.length;
    const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
    await pub.waitForBase(before + 1); // the invite entry, posted by alice
    withholding = true;
    const base = pub.base.length;
    await callOnce(carol.daemon, (c) => c.call('group/join', { invite }));
    await pub.waitForBase(base + 1);
    withholding = false;
    await callOnce(carol.daemon, (c) => c.call('profile/lock'));
    await callOnce(alice.daemon, (c) => c.call('group/removeMember', { groupId, address: xavier.address }));
    const two = [alice.address, bob.address].sort().join();
    await until('bob sees xavier removed', async () => (await memberAddresses(bob, groupId)).join(), (m) => m === two, 90_000).catch(async (err: unknown) => {
      const row = async (p: Peer) => JSON.stringify((await callOnce(p.daemon, async (c) => (await c.call('group/list')).groups))[0]);
      const kinds = async (p: Peer) => (await callOnce(p.daemon, async (c) => (await c.call('message/list', { groupId, limit: 100 })).messages.map((m) => m.kind))).join();
      const names = (await memberAddresses(alice, groupId)).map((a) => [alice, bob, carol, xavier].find((p) => p.address === a)?.name).join();
      throw new Error(`${String(err)}; alice lists ${names}; ${await row(alice)} ${await kinds(alice)}; bob ${await row(bob)} ${await kinds(bob)}; base ${pub!.base.length}, left ${face.left.length}; bob: ${JSON.stringify(logLines(bob.daemon).filter((l) => /refused|key-package|member/.test(String(l['event']))))}`);
    });

    // the pub hands carol's join over after all: alice's duty re-key (epoch 2) seals to her
    assert.equal(face.left.length, 1);
    face.release();
    const withCarol = [alice.address, bob.address, carol.address].sort().join();
    await until('alice re-keys to carol', async () => count(alice, 'membership-duty-rekey'), (n) => n >= 1).catch((err: unknown) => {
      throw new Error(`${String(err)}; alice: ${events(alice)}`);
    });
    await until('bob sees carol', async () => (await memberAddresses(bob, groupId)).join(), (m) => m === withCarol);
    await callOnce(alice.daemon, (c) => c.call('message/send', { groupId, text: 'in epoch 2' }));
    await until('bob reads epoch 2', () => groupTexts(bob, groupId), (t) => t.includes('in epoch 2')).catch((err: unknown) => {
      throw new Error(`${String(err)}; alice: ${events(alice)}; bob: ${events(bob)}`);
    });
    // then the pub dies and alice goes offline: bob, who is no contact of hers, is carol's only way
    await pub.close();
    pub = null;
    await callOnce(alice.daemon, (c) => c.call('profile/lock'));
    const linksBefore = count(carol, 'group-sync-member-link');
    await callOnce(carol.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    assert.deepEqual(await callOnce(carol.daemon, async (c) => (await c.call('contact/list')).contacts), []);

    const got = await until('carol reads epoch 2', () => groupTexts(carol, groupId), (t) => t.includes('in epoch 2')).catch(async (err: unknown) => {
      const row = await callOnce(carol.daemon, async (c) => (await c.call('group/list')).groups);
      const items = await callOnce(carol.daemon, async (c) => (await c.call('message/list', { groupId, limit: 100 })).messages.map((m) => m.kind));
      const detail = logLines(carol.daemon).filter((l) => /key-package|rekey|epoch|sync-link/.test(String(l['event'])));
      throw new Error(`${String(err)}; carol: ${JSON.stringify(row)} ${JSON.stringify(items)} ${JSON.stringify(detail)} members ${(await memberAddresses(carol, groupId)).length}; bob: ${events(bob)}`);
    });
    assert.ok(got.includes('in epoch 2'));
    // carol held epoch 0 only: bob sealed the re-key again under it (as a key package, or as
    // alice's re-post of it under epoch 0 in answer to carol's request for alice's chain)
    assert.ok(count(carol, 'group-sync-member-link') > linksBefore, events(carol));
  });
});

/**
 * A member of the group in this process, on the protocol's own code: it joins with an invite
 * string and signs entries of its chain as it is told, two with one seq if it likes.
 */
function forger(invite: string) {
  const inv = decodeInvite(invite, { development: true });
  const keys = deriveEpochKeys(inv.current.secret, inviteGroupId(inv), inv.current.epoch);
  const signing = generateProfileKeys();
  const identity = generateIdentity();
  const make = (seq: number, prev: Uint8Array | null, content: Parameters<typeof createEntry>[2]['content']) => {
    const bytes = encodeEntry(createEntry(keys, signing.signing, { seq, ...(prev !== null ? { prev } : {}), timestamp: Date.now(), heads: [inv.inviteEntry], content }));
    return { id: entryId(bytes), blob: sealBlob(keys, bytes) };
  };
  const join = make(1, null, { kind: 'join', invite: inv.inviteEntry, certificate: createCertificate(identity, { signingKey: signing.signing.publicKey, dhKey: signing.dh.publicKey }, Date.now()) });
  return { identity, keys, address: identity.address, join, text: (seq: number, prev: Uint8Array, text: string) => make(seq, prev, { kind: 'text', text }) };
}

describe('evidence over a member link (direct transport)', function () {
  this.timeout(180_000);
  let dir: string;
  let alice: Peer;
  let bob: Peer;
  let pub: HostilePub | null = null;

  before(async () => {
    await ready();
    dir = await makeTempDir('group-sync-member-evidence');
    const args = peerArgs(join(dir, 'peers'));
    [alice, bob] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args)]);
  });
  after(async () => {
    await pub?.close().catch(() => undefined);
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill()]);
    await removeDir(dir);
  });

  it('passes the proof of an equivocation to a member who is not a contact and could not see it from the notes', async () => {
    pub = await HostilePub.start();
    const face = await pub.face({ kind: 'withhold' });
    const { groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'a liar among us', pubs: [face.url] }));
    await callOnce(bob.daemon, async (c) => c.call('group/join', { invite: (await callOnce(alice.daemon, (a) => a.call('group/exportInvite', { groupId }))).invite }));
    const mallory = forger((await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }))).invite);
    // two entries with one seq; the one with the smaller id is what both members' notes name
    const [x, y] = [mallory.text(2, mallory.join.id, 'to everyone'), mallory.text(2, mallory.join.id, 'to alice only')].sort((a, b) => compareBytes(a.id, b.id));
    const everyone = [alice.address, bob.address, mallory.address].sort().join();
    pub.inject([mallory.join.blob, x!.blob]);
    for (const p of [alice, bob]) await until(`${p.name} sees mallory`, async () => (await memberAddresses(p, groupId)).join(), (m) => m === everyone);
    for (const p of [alice, bob]) await until(`${p.name} holds mallory's seq 2`, () => groupTexts(p, groupId), (t) => t.length === 1);

    // bob goes offline; alice alone gets the other seq 2, which the pub then forgets and dies
    await callOnce(bob.daemon, (c) => c.call('profile/lock'));
    pub.inject([y!.blob]);
    const row = async (p: Peer) => (await callOnce(p.daemon, async (c) => (await c.call('group/list')).groups)).find((g) => g.groupId === groupId)!;
    await until('alice holds the equivocation', async () => (await row(alice)).equivocators ?? [], (e) => e.length === 1);
    face.forget(new Set([toHex(blobHash(y!.blob))]));
    await pub.close();
    pub = null;
    await callOnce(bob.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    assert.deepEqual(await callOnce(bob.daemon, async (c) => (await c.call('contact/list')).contacts), []);

    // over the member link bob dials (no live pub), alice passes the evidence; he keeps it
    const got = await until('bob holds the equivocation', () => row(bob), (g) => (g.equivocators ?? []).length === 1 && (g.evidence ?? 0) >= 1).catch((err: unknown) => {
      throw new Error(`${String(err)}; alice: ${events(alice)}; bob: ${events(bob)}`);
    });
    assert.deepEqual(got.equivocators, (await row(alice)).equivocators);
    assert.ok(count(bob, 'group-sync-member-link') >= 1, events(bob));
  });
});

describe('member link limits at the listener (direct transport)', function () {
  this.timeout(180_000);
  let dir: string;
  let peerDir: string;
  let lynn: Peer;
  let pub: HostilePub | null = null;
  const open: PeerConnection[] = [];
  const members: ReturnType<typeof forger>[] = [];

  before(async () => {
    await ready();
    dir = await makeTempDir('group-sync-member-limits');
    peerDir = join(dir, 'peers');
    lynn = await startPeer(dir, 'lynn', peerArgs(peerDir));
  });
  after(async () => {
    for (const c of open) c.close();
    await pub?.close().catch(() => undefined);
    await lynn?.daemon.kill();
    await removeDir(dir);
  });

  /** A member link from `m` to lynn with proofs of the epoch `m` holds: lynn's answer, or null when she dropped it. */
  async function dialAs(m: ReturnType<typeof forger>): Promise<{ conn: PeerConnection; answered: boolean }> {
    const ws = await new DevPeerDirectory(peerDir).dialer().dial(lynn.address);
    const conn = await PeerConnection.initiate(ws, ownPeerFor(m.identity), lynn.address as OnionAddress);
    const proofs = createSyncLinkProofs([m.keys], { handshakeHash: conn.handshakeHash, prover: m.identity.publicKey, verifier: publicKeyFromOnionAddress(lynn.address) });
    conn.send({ type: 'sync-link', proofs });
    try {
      for (;;) {
        const answer = await conn.next(10_000);
        if (answer.type === 'sync-link') return { conn, answered: true };
      }
    } catch (err) {
      if (!isPeerLinkError(err, PeerLinkErrorCode.CLOSED)) throw err;
      return { conn, answered: false };
    }
  }

  it(`keeps at most ${MEMBER_LINKS_PER_GROUP} member links of one group, one per member, and drops the next without an answer`, async () => {
    pub = await HostilePub.start();
    const face = await pub.face();
    const { groupId } = await callOnce(lynn.daemon, (c) => c.call('group/create', { name: 'limits', pubs: [face.url] }));
    for (let i = 0; i <= MEMBER_LINKS_PER_GROUP; i++) members.push(forger((await callOnce(lynn.daemon, (c) => c.call('group/exportInvite', { groupId }))).invite));
    pub.inject(members.map((m) => m.join.blob));
    await until('lynn sees every member', async () => (await memberAddresses(lynn, groupId)).length, (n) => n === MEMBER_LINKS_PER_GROUP + 2);

    for (const m of members.slice(0, MEMBER_LINKS_PER_GROUP)) {
      const { conn, answered } = await dialAs(m);
      open.push(conn);
      assert.equal(answered, true, 'a member within the limit is answered');
    }
    const fullBefore = count(lynn, 'group-sync-member-full');
    const last = await dialAs(members[MEMBER_LINKS_PER_GROUP]!);
    assert.deepEqual([last.answered, last.conn.closed], [false, true], 'one more is dropped, no answer');
    await until('lynn logged the full group', async () => count(lynn, 'group-sync-member-full'), (n) => n === fullBefore + 1);

    // a member that dials again replaces its own link (one per member and group), within the limit
    const again = await dialAs(members[0]!);
    open.push(again.conn);
    assert.equal(again.answered, true);
    await until('the first link of that member is closed', async () => open[0]!.closed, (c) => c);
  });

  it(`takes at most ${MEMBER_OPEN_PER_ADDRESS_BURST} member links a minute from one address, dropping the next without an answer`, async () => {
    const m = members[1]!; // dialled once above
    for (let i = 1; i < MEMBER_OPEN_PER_ADDRESS_BURST; i++) {
      const { conn, answered } = await dialAs(m);
      open.push(conn);
      assert.equal(answered, true, `open ${i + 1} of the minute is answered`);
    }
    const over = await dialAs(m);
    assert.deepEqual([over.answered, over.conn.closed], [false, true]);
    // another member is not held back by it
    const other = await dialAs(members[2]!);
    open.push(other.conn);
    assert.equal(other.answered, true);
  });
});
