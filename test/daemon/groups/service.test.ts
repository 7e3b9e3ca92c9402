/**
 * The groups service in this process, over real LevelDB stores and real pubs on loopback
 * (daemon/pub/server.ts) reached by the real GroupPubs: creating, joining by string, chatting
 * both ways through two pubs, merging the duplicates, the outbox's pub counts, the order index
 * after a reopen, unread and markRead, and what the receive pipeline refuses.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isApiError } from '../../../protocol/api/errors.js';
import { sealBlob } from '../../../protocol/blob.js';
import { BLOB_SIZE_LONG, BLOB_SIZE_STANDARD } from '../../../protocol/constants.js';
import { ed25519KeyPairFromSeed, ready, randomBytes } from '../../../protocol/crypto.js';
import { createEntry, encodeEntry } from '../../../protocol/entry.js';
import { deriveEpochKeys } from '../../../protocol/group.js';
import { decodeInvite } from '../../../protocol/invite.js';
import { fromHex } from '../../../protocol/bytes.js';
import type { PubServer } from '../../../daemon/pub/server.js';
import type { GroupPubLinks } from '../../../daemon/group-pubs/types.js';
import { CURSOR_NAMESPACE } from '../../../daemon/group-pubs/constants.js';
import { cursorCodec } from '../../../daemon/group-pubs/cursor.js';
import { GroupPubsErrorCode } from '../../../daemon/group-pubs/errors.js';
import { startLoopbackPub, waitUntil } from '../../helpers/group-pubs.js';
import { makeMember, offline, reopen, texts, waitForTexts, type TestMember } from '../../helpers/groups.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

const LIMITS = { powDifficulty: 4, statsIntervalMs: 0 } as const;

describe('GroupsService', function () {
  this.timeout(60_000);
  let dir: string;
  let pubA: { server: PubServer; address: string };
  let pubB: { server: PubServer; address: string };
  const members: TestMember[] = [];

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    dir = await makeTempDir('groups');
    pubA = await startLoopbackPub(join(dir, 'pub-a'), LIMITS);
    pubB = await startLoopbackPub(join(dir, 'pub-b'), LIMITS);
  });

  afterEach(async () => {
    for (const m of members.splice(0)) await offline(m).catch(() => undefined);
    await pubA.server.stop().catch(() => undefined);
    await pubB.server.stop().catch(() => undefined);
    await removeDir(dir);
  });

  async function member(name: string): Promise<TestMember> {
    const m = await makeMember(dir, name);
    members.push(m);
    return m;
  }

  /** The member's saved cursor per pub (GroupPubs' records). */
  async function cursorsOf(m: TestMember): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const p of [pubA.address, pubB.address]) out[p] = String(await m.store.collection(CURSOR_NAMESPACE, cursorCodec).get(new TextEncoder().encode(p)));
    return out;
  }

  async function pair(): Promise<{ alice: TestMember; bob: TestMember; groupId: string }> {
    const alice = await member('alice');
    const bob = await member('bob');
    const groupId = await alice.groups.create('pub crawl', [pubA.address, pubB.address]);
    const invite = await alice.groups.exportInvite(groupId, true);
    assert.equal(await bob.groups.join(invite), groupId);
    return { alice, bob, groupId };
  }

  it('creates a group whose genesis reaches both pubs, and lists it with its pubs and the caller as admin', async () => {
    const alice = await member('alice');
    const groupId = await alice.groups.create('pub crawl', [pubA.address, pubB.address]);
    assert.match(groupId, /^[0-9a-f]{64}$/);
    const [g] = alice.groups.list();
    assert.equal(g!.groupId, groupId);
    assert.equal(g!.name, 'pub crawl');
    assert.deepEqual(g!.pubs, [pubA.address, pubB.address]);
    assert.equal(g!.members, 1);
    assert.equal(g!.role, 'admin');
    await waitUntil(() => pubA.server.stats().blobs === 1 && pubB.server.stats().blobs === 1, 20_000, 'the genesis on both pubs');
    const created = (await alice.groups.listMessages(groupId, { limit: 50 })).find((i) => i.kind === 'created');
    assert.ok(created);
    await waitUntil(() => alice.notes.some((n) => n.method === 'message/didChange' && (n.params as { status: string }).status === 'delivered'), 10_000, 'delivered');
  });

  it('lets a member join by string and chat both ways through two pubs, each message shown once everywhere', async () => {
    const { alice, bob, groupId } = await pair();
    await waitUntil(() => alice.groups.members(groupId).length === 2, 20_000, 'the join at alice');
    assert.deepEqual(alice.groups.members(groupId).map((m) => m.role).sort(), ['admin', 'member']);
    const a1 = await alice.groups.send(groupId, 'hello bob');
    const b1 = await bob.groups.send(groupId, 'hi alice');
    await alice.groups.send(groupId, 'two pubs, one copy');
    assert.deepEqual((await waitForTexts(bob, groupId, 3)).sort(), ['hello bob', 'hi alice', 'two pubs, one copy']);
    assert.deepEqual((await waitForTexts(alice, groupId, 3)).sort(), ['hello bob', 'hi alice', 'two pubs, one copy']);
    // both pubs served every blob: still one copy each, and both counted
    await waitUntil(() => pubA.server.stats().blobs >= 6 && pubB.server.stats().blobs >= 6, 20_000, 'every blob on both pubs');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await texts(bob, groupId)).length, 3);
    const ids = (await bob.groups.listMessages(groupId, { limit: 50 })).map((i) => i.id);
    assert.equal(new Set(ids).size, ids.length);
    await waitUntil(() => true);
    const mine = (await alice.groups.listMessages(groupId, { limit: 50 })).find((i) => i.id === a1)!;
    assert.equal(mine.status, 'delivered');
    assert.deepEqual(mine.pubs, { accepted: 2, total: 2 });
    const theirs = (await alice.groups.listMessages(groupId, { limit: 50 })).find((i) => i.id === b1)!;
    assert.equal(theirs.status, 'received');
    assert.equal(theirs.author, bob.identity.address);
    assert.ok(bob.notes.some((n) => n.method === 'message/didReceive' && (n.params as { message: { id: string } }).message.id === a1));
  });

  it('orders a reply after what it answers and keeps the order, unread and read marker across a reopen', async () => {
    const { alice, bob, groupId } = await pair();
    const q = await alice.groups.send(groupId, 'who is in?');
    await waitForTexts(bob, groupId, 1);
    const r = await bob.groups.send(groupId, 'me', q);
    await alice.groups.send(groupId, 'great');
    await waitForTexts(alice, groupId, 3);
    await waitForTexts(bob, groupId, 3);
    const before = await bob.groups.listMessages(groupId, { limit: 50 });
    const reply = before.find((i) => i.id === r)!;
    assert.equal(reply.replyTo, q);
    assert.ok(before.findIndex((i) => i.id === q) < before.findIndex((i) => i.id === r));
    assert.equal(bob.groups.list()[0]!.unread, 2);
    await bob.groups.markRead(groupId, q);
    assert.equal(bob.groups.list()[0]!.unread, 1);
    await offline(bob);
    await reopen(bob);
    const after = await bob.groups.listMessages(groupId, { limit: 50 });
    assert.deepEqual(after.map((i) => i.id), before.map((i) => i.id));
    assert.equal(bob.groups.list()[0]!.unread, 1);
    await bob.groups.markRead(groupId, after[after.length - 1]!.id);
    assert.equal(bob.groups.list()[0]!.unread, 0);
    await assert.rejects(bob.groups.markRead(groupId, 'ab'.repeat(32)), (e: unknown) => isApiError(e, 'ERR_NOT_FOUND'));
  });

  it('pages with before, after and limit in the causal order', async () => {
    const alice = await member('alice');
    const groupId = await alice.groups.create('solo', [pubA.address]);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await alice.groups.send(groupId, `m${i}`));
    const all = (await alice.groups.listMessages(groupId, { limit: 500 })).filter((i) => i.kind === 'message');
    assert.deepEqual(all.map((i) => i.id), ids);
    assert.deepEqual((await alice.groups.listMessages(groupId, { limit: 3 })).map((i) => i.text), ['m9', 'm10', 'm11']);
    assert.deepEqual((await alice.groups.listMessages(groupId, { limit: 2, before: ids[5] })).map((i) => i.text), ['m3', 'm4']);
    assert.deepEqual((await alice.groups.listMessages(groupId, { limit: 2, after: ids[5] })).map((i) => i.text), ['m6', 'm7']);
    assert.deepEqual(await alice.groups.listMessages(groupId, { limit: 2, after: 'cd'.repeat(32) }), []);
  });

  it('sends a long text in the long blob, and refuses one beyond the largest text with ERR_TOO_LONG', async () => {
    const alice = await member('alice');
    const groupId = await alice.groups.create('long', [pubA.address]);
    await alice.groups.send(groupId, 'é'.repeat(1000)); // 1,000 code points: the standard blob
    await alice.groups.send(groupId, 'x'.repeat(10_000));
    await assert.rejects(alice.groups.send(groupId, 'x'.repeat(16_385)), (e: unknown) => isApiError(e, 'ERR_TOO_LONG'));
    await waitUntil(() => pubA.server.stats().blobs === 3, 20_000, 'three blobs on the pub');
    const sizes = new Set<number>();
    const res = await (await import('../../../daemon/pub-links/client.js')).PubClient.connect(new (await import('../../../daemon/transport/direct.js')).DirectDialer(), pubA.address);
    try {
      for (const b of (await res.fetch(0n)).blobs) sizes.add(b.blob.length);
    } finally {
      await res.close();
    }
    assert.deepEqual([...sizes].sort((a, b) => a - b), [BLOB_SIZE_STANDARD, BLOB_SIZE_LONG]);
  });

  it('ignores garbage, blobs of other groups and entries that do not verify, and stores nothing of them', async () => {
    const alice = await member('alice');
    const groupId = await alice.groups.create('strict', [pubA.address]);
    const before = alice.groups.entryCount;
    assert.deepEqual(await alice.groups.ingest(null, randomBytes(100), { kind: 'pub', pub: pubA.address }), { status: 'invalid' });
    const noise = randomBytes(BLOB_SIZE_STANDARD);
    noise[0] = 0x02;
    assert.deepEqual(await alice.groups.ingest(null, noise, { kind: 'pub', pub: pubA.address }), { status: 'foreign' });
    const stranger = ed25519KeyPairFromSeed(randomBytes(32));
    const other = deriveEpochKeys(randomBytes(32), randomBytes(32), { number: 1, opener: randomBytes(32) });
    const foreign = encodeEntry(createEntry(other, stranger, { seq: 1, timestamp: Date.now(), content: { kind: 'text', text: 'wrong group' } }));
    assert.deepEqual(await alice.groups.ingest(null, sealBlob(other, foreign), { kind: 'pub', pub: pubA.address }), { status: 'foreign' });
    // sealed under the group's own blob key (the invite carries it), signed for another binding
    const inv = decodeInvite(await alice.groups.exportInvite(groupId, true), { development: true });
    const keys = deriveEpochKeys(inv.current.secret, fromHex(groupId), inv.current.epoch);
    const forged = encodeEntry(createEntry({ ...keys, binding: randomBytes(32) }, stranger, { seq: 1, timestamp: Date.now(), content: { kind: 'text', text: 'forged' } }));
    assert.deepEqual(await alice.groups.ingest(null, sealBlob(keys, forged), { kind: 'pub', pub: pubA.address }), { status: 'invalid' });
    const held = alice.groups.entryCount;
    assert.equal(held, before + 1); // the invite entry exportInvite posted
    // a well-signed entry by someone who holds the key but never joined: stored, never shown
    const intruder = encodeEntry(createEntry(keys, stranger, { seq: 1, timestamp: Date.now(), content: { kind: 'text', text: 'not a member' } }));
    assert.equal((await alice.groups.ingest(null, sealBlob(keys, intruder), { kind: 'pub', pub: pubA.address })).status, 'stored');
    assert.ok(!(await texts(alice, groupId)).includes('not a member'));
    assert.ok(!alice.notes.some((n) => n.method === 'message/didReceive'));
  });

  it('posts a backlog to each pub one at a time in seq order, only the first post of the run waiting the jitter, and delivers every entry', async () => {
    const alice = await member('alice');
    const groupId = await alice.groups.create('backlog', [pubA.address, pubB.address]);
    alice.groups.attachPubs(null);
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) ids.push(await alice.groups.send(groupId, `queued ${i}`));
    const real = alice.pubs!;
    const inflight = new Map<string, number>();
    const posts = new Map<string, Array<{ blob: string; jitter: boolean }>>();
    let most = 0;
    const recording: GroupPubLinks = {
      setSubscriptions: (pubs) => real.setSubscriptions(pubs),
      status: () => real.status(),
      post: async (groupKey, pub, blob, signal, options) => {
        inflight.set(pub, (inflight.get(pub) ?? 0) + 1);
        most = Math.max(most, inflight.get(pub)!);
        posts.set(pub, [...(posts.get(pub) ?? []), { blob: Buffer.from(blob).toString('hex'), jitter: options?.jitter ?? true }]);
        try {
          return await real.post(groupKey, pub, blob, signal, options);
        } finally {
          inflight.set(pub, inflight.get(pub)! - 1);
        }
      },
    };
    alice.groups.attachPubs(recording);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const items = await alice.groups.listMessages(groupId, { limit: 100 });
      if (ids.every((id) => items.find((i) => i.id === id)?.status === 'delivered')) break;
      assert.ok(Date.now() < deadline, 'every queued entry accepted by both pubs');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(most, 1, 'one post at a time per pub');
    const blobs = await Promise.all(ids.map(async (id) => Buffer.from((await alice.groups.entryBlob(groupId, fromHex(id)))!).toString('hex')));
    for (const pub of [pubA.address, pubB.address]) {
      const mine = (posts.get(pub) ?? []).filter((p) => blobs.includes(p.blob));
      assert.deepEqual(mine.map((p) => blobs.indexOf(p.blob)), ids.map((_, i) => i), `seq order at ${pub}`);
      assert.ok((posts.get(pub) ?? []).filter((p) => p.jitter).length <= 1, `one jittered post per run at ${pub}`);
    }
  });

  it('keeps messages flowing through the other pub when one pub is gone for good', async () => {
    const { alice, bob, groupId } = await pair();
    await waitUntil(() => alice.groups.members(groupId).length === 2, 20_000, 'the join at alice');
    await pubA.server.stop();
    await alice.groups.send(groupId, 'only pub b is up');
    await bob.groups.send(groupId, 'still here');
    await waitForTexts(bob, groupId, 2);
    await waitForTexts(alice, groupId, 2);
    const mine = (await alice.groups.listMessages(groupId, { limit: 50 })).find((i) => i.text === 'only pub b is up')!;
    assert.equal(mine.status, 'sent');
    assert.deepEqual(mine.pubs, { accepted: 1, total: 2 });
    // the dead pub's link is reported, and group/list shows it
    await waitUntil(() => alice.notes.some((n) => n.method === 'pub/didChange' && (n.params as { address: string; state: string }).address === pubA.address && (n.params as { state: string }).state !== 'live'), 20_000, 'pub/didChange');
    const links = alice.groups.list()[0]!.pubLinks;
    assert.equal(links.find((l) => l.address === pubB.address)!.state, 'live');
    assert.notEqual(links.find((l) => l.address === pubA.address)!.state, 'live');
  });

  it('reads the history of a group joined on a pub it already reads for another group', async () => {
    const alice = await member('alice');
    // carol keeps no blob she could not open: only reading the pub again gives her the history
    const carol = await makeMember(dir, 'carol', undefined, true, { unopenedMax: 0 });
    members.push(carol);
    const g1 = await alice.groups.create('first', [pubA.address]);
    await carol.groups.join(await alice.groups.exportInvite(g1, true));
    await alice.groups.send(g1, 'in the first group');
    await waitForTexts(carol, g1, 1); // carol's subscription to pub a has read past all of this
    const bob = await member('bob');
    const g2 = await alice.groups.create('second', [pubA.address]);
    await bob.groups.join(await alice.groups.exportInvite(g2, true));
    await waitUntil(() => alice.groups.members(g2).length === 2, 20_000, 'bob in the second group');
    await alice.groups.send(g2, 'before carol came');
    await bob.groups.send(g2, 'me too');
    await waitForTexts(alice, g2, 2);
    await new Promise((r) => setTimeout(r, 300)); // carol's cursor moves past the second group's blobs
    await carol.groups.join(await alice.groups.exportInvite(g2, true));
    assert.deepEqual((await waitForTexts(carol, g2, 2)).sort(), ['before carol came', 'me too']);
    await waitUntil(() => carol.groups.members(g2).length === 3, 20_000, 'every member known to carol');
  });

  it("shows a pub's pruned answer as a notice in place on every group using that pub, durably", async () => {
    const alice = await member('alice');
    const g1 = await alice.groups.create('one', [pubA.address]);
    const g2 = await alice.groups.create('two', [pubB.address]);
    await alice.groups.send(g1, 'before the gap');
    await alice.groups.pruned(pubA.address, { start: 40n, head: 90n });
    await alice.groups.send(g1, 'after the gap');
    const items = await alice.groups.listMessages(g1, { limit: 50 });
    assert.deepEqual(items.filter((i) => i.kind !== 'created').map((i) => [i.kind, i.text, i.author === null ? null : 'someone']), [
      ['message', 'before the gap', 'someone'],
      ['pruned', '', null],
      ['message', 'after the gap', 'someone'],
    ]);
    assert.equal(items.find((i) => i.kind === 'pruned')!.pub, pubA.address);
    assert.ok(!(await alice.groups.listMessages(g2, { limit: 50 })).some((i) => i.kind === 'pruned'));
    assert.ok(alice.notes.some((n) => n.method === 'message/didReceive' && (n.params as { message: { kind: string } }).message.kind === 'pruned'));
    await offline(alice);
    await reopen(alice);
    assert.equal((await alice.groups.listMessages(g1, { limit: 50 })).filter((i) => i.kind === 'pruned').length, 1);
  });

  it('refuses a blob that arrives between the groups closing and the pub links stopping (the lock), saves no cursor past it, and reads it again after unlock', async () => {
    const { alice, bob, groupId } = await pair();
    await bob.groups.send(groupId, 'before the lock');
    await waitForTexts(alice, groupId, 1);
    const head = () => Math.max(pubA.server.stats().blobs, pubB.server.stats().blobs);
    const blobsBefore = head();
    // both links have handled and saved everything so far
    const atHeads = async () => JSON.stringify(await cursorsOf(alice)) === JSON.stringify({ [pubA.address]: String(pubA.server.stats().blobs), [pubB.address]: String(pubB.server.stats().blobs) });
    for (let i = 0; i < 200 && !(await atHeads()); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(await atHeads(), 'cursors at both heads before the lock');
    const savedBefore = await cursorsOf(alice);
    // the lock's order: the groups service closes first; its pub links are still up
    await alice.groups.close();
    await bob.groups.send(groupId, 'in the gap');
    await waitUntil(() => head() > blobsBefore, 20_000, 'the blob on a pub');
    await waitUntil(() => alice.pubs!.status().some((st) => st.lastError === GroupPubsErrorCode.SINK_FAILED), 20_000, 'a link refused by the closed sink');
    assert.deepEqual(await cursorsOf(alice), savedBefore, 'no cursor saved past the refused blob');
    await alice.pubs!.stop();
    alice.pubs = null;
    await offline(alice);
    await reopen(alice);
    assert.deepEqual(await waitForTexts(alice, groupId, 2), ['before the lock', 'in the gap']);
  });

  it('answers ERR_NOT_FOUND for a group it is not in, and ERR_BAD_INVITE for an invite that does not verify', async () => {
    const alice = await member('alice');
    await assert.rejects(alice.groups.send('ab'.repeat(32), 'hi'), (e: unknown) => isApiError(e, 'ERR_NOT_FOUND'));
    await assert.rejects(alice.groups.join('snug2aaaaaaaaaaaaaaaaaaaa'), (e: unknown) => isApiError(e, 'ERR_BAD_INVITE'));
    const groupId = await alice.groups.create('g', [pubA.address]);
    const invite = await alice.groups.exportInvite(groupId, true);
    const flipped = invite.slice(0, 40) + (invite[40] === 'a' ? 'b' : 'a') + invite.slice(41);
    await assert.rejects(alice.groups.join(flipped), (e: unknown) => isApiError(e, 'ERR_BAD_INVITE'));
  });
});
