/**
 * GroupSync against hostile pubs over the direct transport: members with real stores, the real
 * groups service and the real GroupPubs, each reading the group's pub through its own face of a
 * hostile pub (test/helpers/hostile-pub.ts); their peer link carries every frame through the
 * real peer-frame codec (test/helpers/group-sync.ts). In every mode: nothing corrupt is stored
 * (every entry held is one its author wrote) or shown (message/list lists only texts written,
 * each once), the gaps reported are exactly the seqs a member can know it lacks, and once the
 * members meet their logs become identical with no gap left; a wiped pub is refilled; with the
 * only pub dead, a member gets what it missed from a peer. Modes: withhold (one author's blobs
 * from one member), drop, reorder, duplicate, replay, corrupt, inject + half (two members served
 * different halves), wipe, losePosts. The evidence some modes give is evidence.test.ts's.
 */
import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { sealBlob } from '../../../protocol/blob.js';
import { ready } from '../../../protocol/crypto.js';
import { createEntry, encodeEntry } from '../../../protocol/entry.js';
import type { EpochKeys } from '../../../protocol/group.js';
import { blobHashHex, HostilePub, type FaceMode, type HostileFace } from '../../helpers/hostile-pub.js';
import { closeMember, FAST_SYNC, heldIds, link, makeSyncMember, type SyncMember } from '../../helpers/group-sync.js';
import { keysOf, textOf } from '../../helpers/group-sync.js';
import { waitUntil } from '../../helpers/group-pubs.js';
import { SyncLog } from '../../helpers/sync-log.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

describe('daemon/group-sync against hostile pubs (direct transport)', function () {
  this.timeout(60_000);
  let dir: string;
  let pub: HostilePub;
  const members: SyncMember[] = [];

  before(ready);
  beforeEach(async () => {
    dir = await makeTempDir('group-sync');
  });
  afterEach(async () => {
    for (const m of members.splice(0)) await closeMember(m).catch(() => undefined);
    await pub?.close().catch(() => undefined);
    await removeDir(dir);
  });

  async function member(name: string, init = FAST_SYNC): Promise<SyncMember> {
    const m = await makeSyncMember(dir, name, init);
    members.push(m);
    return m;
  }

  /**
   * Alice founds a group on the hostile pub (her face honest), Bob joins reading it through a face
   * in `bobMode`; both see each other's join. Returns the group and Bob's face.
   */
  async function group(bobMode: (keys: () => EpochKeys) => FaceMode, init = FAST_SYNC, waitJoin = true): Promise<{ alice: SyncMember; bob: SyncMember; groupId: string; bobFace: HostileFace }> {
    const honest = await pub.face();
    let keys: EpochKeys | null = null;
    const bobFace = await pub.face(bobMode(() => keys!));
    const alice = await member('alice', init);
    const bob = await member('bob', init);
    bob.dialer.routes.set(honest.url, bobFace.url);
    const groupId = await alice.groups.create('hostile', [honest.url]);
    keys = keysOf(alice, groupId);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    if (waitJoin) await waitUntil(() => alice.groups.roster(groupId).members.length === 2, 20_000, "alice sees bob's join");
    return { alice, bob, groupId, bobFace };
  }

  async function post(m: SyncMember, groupId: string, texts: readonly string[]): Promise<void> {
    for (const t of texts) await m.groups.send(groupId, t);
  }

  /** Every entry a member holds verifies under the group (it was stored by ingest) and is one of `truth`'s. */
  function nothingCorrupt(m: SyncMember, truth: SyncMember, groupId: string): void {
    const known = new Set(heldIds(truth, groupId));
    for (const id of heldIds(m, groupId)) assert.ok(known.has(id), `${m.name} holds an entry nobody wrote`);
  }

  /** What `m` shows in message/list is only texts that were written (`written`), each once. */
  async function nothingCorruptShown(m: SyncMember, groupId: string, written: readonly string[]): Promise<void> {
    const known = new Set(written);
    const shown = (await m.groups.listMessages(groupId, { limit: 500 })).filter((i) => i.kind === 'message').map((i) => (i as { text: string }).text);
    assert.equal(new Set(shown).size, shown.length, `${m.name} shows a message twice`);
    for (const t of shown) assert.ok(known.has(t), `${m.name} shows a message nobody wrote`);
  }

  /**
   * The gaps `m` reports are exactly the seqs it lacks of `truth`'s chains below the highest seq
   * it holds of each author (what it can know it lacks); none when nothing was held back.
   */
  function gapsReported(m: SyncMember, truth: SyncMember, groupId: string): number {
    const held = new Map<string, Set<number>>();
    for (const e of m.groups.chainEntries(groupId)) {
      const a = toHex(e.author);
      if (!held.has(a)) held.set(a, new Set());
      held.get(a)!.add(e.seq);
    }
    const expected: string[] = [];
    for (const e of truth.groups.chainEntries(groupId)) {
      const seqs = held.get(toHex(e.author));
      if (seqs !== undefined && !seqs.has(e.seq) && e.seq < Math.max(...seqs)) expected.push(`${toHex(e.author)}:${e.seq}`);
    }
    const reported = m.sync.report(groupId).gaps.flatMap((g) => Array.from({ length: g.to - g.from + 1 }, (_, i) => `${g.author}:${g.from + i}`));
    assert.deepEqual(reported.sort(), expected.sort(), `${m.name} reports the gaps it can know of`);
    return reported.length;
  }

  async function identical(a: SyncMember, b: SyncMember, groupId: string): Promise<void> {
    try {
      await waitUntil(() => heldIds(a, groupId).join() === heldIds(b, groupId).join(), 30_000, 'identical logs');
    } catch (err) {
      const show = (m: SyncMember) => m.groups.chainEntries(groupId).map((e) => `${toHex(e.author).slice(0, 6)}:${e.seq}:${toHex(e.id).slice(0, 6)}`).sort();
      throw new Error(`${String(err)}: ${a.name} ${show(a).join(' ')} / ${b.name} ${show(b).join(' ')}`);
    }
  }

  it("fills a member's gap from a peer when the pub withholds one author's blobs from it, after reporting the gap", async () => {
    pub = await HostilePub.start();
    const { alice, bob, groupId } = await group((keys) => ({ kind: 'withhold', match: (b) => /^hidden/.test(textOf(keys(), b) ?? '') }));
    await post(alice, groupId, ['hidden 1', 'hidden 2', 'hidden 3', 'shown']);
    await waitUntil(() => heldIds(bob, groupId).length === heldIds(alice, groupId).length - 3, 20_000, 'bob holds what the pub shows him');
    const gaps = bob.sync.report(groupId).gaps;
    assert.deepEqual(gaps.map((g) => [g.author, g.to - g.from + 1]), [[toHex(alice.keys.signing.publicKey), 3]]);
    nothingCorrupt(bob, alice, groupId);
    link(alice, bob);
    await identical(alice, bob, groupId);
    assert.deepEqual(bob.sync.report(groupId).gaps, []);
  });

  it('leaves a gap open while the member has peer sync of the group off (group/setSettings), and fills it once it is on again', async () => {
    pub = await HostilePub.start();
    const { alice, bob, groupId } = await group((keys) => ({ kind: 'withhold', match: (b) => /^hidden/.test(textOf(keys(), b) ?? '') }));
    await bob.sync.setPeerSync(groupId, false);
    await post(alice, groupId, ['hidden 1', 'hidden 2', 'shown']);
    await waitUntil(() => heldIds(bob, groupId).length === heldIds(alice, groupId).length - 2, 20_000, 'bob holds what the pub shows him');
    link(alice, bob);
    await new Promise((r) => setTimeout(r, 1_500)); // many sync polls: nothing may flow for this group
    assert.equal(heldIds(bob, groupId).length, heldIds(alice, groupId).length - 2, 'no entry came over the link');
    assert.equal(bob.sync.report(groupId).gaps.length, 1);
    await bob.sync.setPeerSync(groupId, true);
    await identical(alice, bob, groupId);
    assert.deepEqual(bob.sync.report(groupId).gaps, []);
  });

  for (const mode of [
    { kind: 'drop', share: 0.5 },
    { kind: 'reorder', window: 3 },
    { kind: 'duplicate' },
    { kind: 'replay', every: 2 },
    { kind: 'corrupt', share: 0.5 },
  ] as const) {
    it(`stores and shows nothing corrupt, reports its gaps and converges with a peer when the pub's mode is ${mode.kind}`, async () => {
      pub = await HostilePub.start();
      const { alice, bob, groupId } = await group(() => mode);
      const texts = ['one', 'two', 'three', 'four', 'five', 'six'];
      await post(alice, groupId, texts);
      await pub.waitForBase(1 + 6 + 1); // genesis is not posted; bob's join and alice's six
      await new Promise((r) => setTimeout(r, 500));
      nothingCorrupt(bob, alice, groupId);
      await nothingCorruptShown(bob, groupId, texts);
      gapsReported(bob, alice, groupId);
      link(alice, bob);
      await identical(alice, bob, groupId);
      nothingCorrupt(bob, alice, groupId);
      await nothingCorruptShown(bob, groupId, texts);
      assert.deepEqual(bob.sync.report(groupId).gaps, []);
    });
  }

  it('ignores blobs of another group the pub injects, and two members served different halves show nothing corrupt, report their gaps and converge', async () => {
    pub = await HostilePub.start();
    const halves = await pub.face({ kind: 'half', part: 1 });
    const { alice, bob, groupId } = await group(() => ({ kind: 'half', part: 0 }));
    alice.dialer.routes.set(pub.faces[0]!.url, halves.url);
    const other = new SyncLog('injected');
    pub.inject([other.post(other.founder, 'from elsewhere').blob, other.post(other.founder, 'again').blob]);
    await post(alice, groupId, ['a1', 'a2', 'a3']);
    await post(bob, groupId, ['b1', 'b2', 'b3']);
    await new Promise((r) => setTimeout(r, 1_000));
    nothingCorrupt(bob, alice, groupId);
    const written = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'];
    for (const [m, other] of [[alice, bob], [bob, alice]] as const) {
      await nothingCorruptShown(m, groupId, written);
      gapsReported(m, other, groupId); // against the other's own chain, which it holds whole
    }
    // each was served every other blob of the other's chain: gaps in both
    assert.ok(alice.sync.report(groupId).gaps.length + bob.sync.report(groupId).gaps.length > 0, 'the halves leave gaps');
    link(alice, bob);
    await identical(alice, bob, groupId);
    await nothingCorruptShown(bob, groupId, written);
    assert.deepEqual([alice.sync.report(groupId).gaps, bob.sync.report(groupId).gaps], [[], []]);
    const kinds = alice.groups.chainEntries(groupId).length;
    assert.ok(kinds >= 1 + 1 + 6, `${kinds} entries`); // genesis, bob's join, six texts (and any entry re-made on the way)
  });

  it('refills a pub that lost its whole store, and a member joining later reads everything from it', async () => {
    pub = await HostilePub.start();
    const { alice, bob, groupId } = await group(() => ({ kind: 'honest' }), { ...FAST_SYNC, probeMs: 300 });
    await post(alice, groupId, ['before the wipe 1', 'before the wipe 2', 'before the wipe 3']);
    await pub.waitForBase(1 + 3);
    // Everything the pub held: every entry but the genesis (which travels in the invite).
    const held = await Promise.all(alice.groups.chainEntries(groupId).filter((e) => toHex(e.id) !== groupId).map((e) => alice.groups.entryBlob(groupId, e.id)));
    const wanted = held.filter((b): b is Uint8Array => b !== null).map(blobHashHex);
    await pub.wipe();
    assert.equal(pub.base.length, 0);
    // a member's probe finds the pub lost its store; it re-posts everything it holds.
    await waitUntil(() => wanted.every((h) => pub.base.some((b) => blobHashHex(b) === h)), 30_000, 'the pub refilled');
    const url = pub.faces[0]!.url;
    // (a post's acknowledgement may come after the pub's feed showed the blob)
    const repaired = () => (alice.sync.report(groupId).repaired[url] ?? 0) + (bob.sync.report(groupId).repaired[url] ?? 0);
    await waitUntil(() => repaired() >= wanted.length, 10_000, 'the repairs counted');
    // a member who joins now reads every message from the refilled pub alone.
    const carol = await member('carol');
    await carol.groups.join(await alice.groups.exportInvite(groupId, true));
    await waitUntil(() => heldIds(carol, groupId).length >= 1 + wanted.length, 20_000, 'carol reads the refilled pub');
  });

  it('re-posts to the pub the entries it acknowledged and dropped, once a peer brought them', async () => {
    pub = await HostilePub.start({ losePosts: true });
    const { alice, bob, groupId } = await group(() => ({ kind: 'honest' }), FAST_SYNC, false);
    // every first post is lost: bob's join too; alice learns of bob only from the peer link.
    await post(alice, groupId, ['lost 1', 'lost 2']);
    link(alice, bob);
    await identical(alice, bob, groupId);
    assert.equal(alice.groups.roster(groupId).members.length, 2);
    const notGenesis = alice.groups.chainEntries(groupId).filter((e) => toHex(e.id) !== groupId);
    const wanted = await Promise.all(notGenesis.map((e) => alice.groups.entryBlob(groupId, e.id)));
    await waitUntil(() => wanted.every((b) => b !== null && pub.base.some((x) => blobHashHex(x) === blobHashHex(b))), 30_000, 'the pub holds every entry');
  });

  it("keeps an equivocating member's two entries apart, proves it, and passes the evidence to a peer who checks it", async () => {
    pub = await HostilePub.start();
    const { alice, bob, groupId } = await group((k) => ({ kind: 'withhold', match: (b) => textOf(k(), b) === 'a lie' }));
    await post(bob, groupId, ['the truth']);
    const atFork = (m: SyncMember) => m.groups.chainEntries(groupId).filter((e) => toHex(e.author) === toHex(bob.keys.signing.publicKey) && e.seq === 2).length;
    await waitUntil(() => atFork(alice) === 1, 20_000, "alice holds bob's text");
    // bob's key signs a second entry at the seq of "the truth": a fork only alice is shown.
    const mine = bob.groups.chainEntries(groupId).find((e) => toHex(e.author) === toHex(bob.keys.signing.publicKey) && e.seq === 2)!;
    const keys = keysOf(bob, groupId);
    const fork = createEntry(keys, bob.keys.signing, { seq: 2, prev: mine.prev, timestamp: Date.now(), heads: [], content: { kind: 'text', text: 'a lie' } });
    pub.inject([sealBlob(keys, encodeEntry(fork))]);
    await waitUntil(() => atFork(alice) === 2, 20_000, 'alice holds both entries');
    await waitUntil(() => alice.sync.report(groupId).equivocators.length === 1, 10_000, 'alice proves the fork');
    assert.deepEqual(alice.sync.report(groupId).equivocators, [toHex(bob.keys.signing.publicKey)]);
    assert.equal(atFork(bob), 1, 'the pub never showed bob the fork');
    assert.equal(bob.sync.report(groupId).evidence.length, 0);
    link(alice, bob);
    await waitUntil(() => bob.sync.report(groupId).evidence.length === 1, 20_000, 'bob keeps the evidence alice passed on');
    assert.equal(bob.sync.report(groupId).evidence[0]!.kind, 'equivocation');
    await identical(alice, bob, groupId);
  });

  it('gives a member who was offline every message it missed from a peer when the only pub is dead for good', async () => {
    pub = await HostilePub.start();
    const { alice, bob, groupId } = await group(() => ({ kind: 'honest' }));
    await pub.close();
    await post(alice, groupId, ['while the pub is dead 1', 'while the pub is dead 2', 'while the pub is dead 3']);
    link(alice, bob);
    await identical(alice, bob, groupId);
    const texts = (await bob.groups.listMessages(groupId, { limit: 50 })).filter((i) => i.kind === 'message').map((i) => (i as { text: string }).text);
    assert.deepEqual(texts, ['while the pub is dead 1', 'while the pub is dead 2', 'while the pub is dead 3']);
  });
});
