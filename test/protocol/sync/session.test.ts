import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { ATTEMPTS_PER_PEER, BackfillPlanner } from '../../../protocol/sync/backfill.js';
import { newPeerSyncState } from '../../../protocol/sync/notes.js';
import { SyncSession } from '../../../protocol/sync/session.js';
import type { SyncFrame } from '../../../protocol/sync/frames.js';
import { decodeFrame, encodeFrame } from '../../../protocol/peer/wire.js';
import { author, MemoryLog, runSync, SyncLog, type LogEntry } from '../../helpers/sync-log.js';

function logOf(log: SyncLog, entries: readonly LogEntry[]): MemoryLog {
  const m = new MemoryLog(log.groupId, log.keys);
  m.add(log.genesis);
  for (const e of entries) m.add(e);
  return m;
}

describe('protocol/sync/session (two members over the real frame codec)', () => {
  before(ready);

  it('makes two logs that each lack the other\'s half identical, sending each missing blob once', () => {
    const log = new SyncLog('halves');
    const people = [author('p1'), author('p2'), author('p3')];
    const all = log.many(people, 20);
    const a = logOf(log, all.filter((_, i) => i % 2 === 0));
    const b = logOf(log, all.filter((_, i) => i % 2 === 1));
    const run = runSync(a, b);
    assert.deepEqual(a.ids(), b.ids());
    assert.equal(a.ids().length, all.length + 1);
    const [sa, sb] = run.sessions;
    // Every entry the other lacked, and nothing more, crossed once.
    assert.equal(sa.stats.blobsSent + sb.stats.blobsSent, all.length);
    assert.equal(a.evidence.size + b.evidence.size, 0);
  });

  it('sends notes for the changed authors only on the next exchange with the same peer', () => {
    const log = new SyncLog('skipping');
    const people = Array.from({ length: 50 }, (_, i) => author(`skip ${i}`));
    const all = log.many(people, 2);
    const a = logOf(log, all);
    const b = logOf(log, all);
    const states = [newPeerSyncState(log.groupId), newPeerSyncState(log.groupId)] as [ReturnType<typeof newPeerSyncState>, ReturnType<typeof newPeerSyncState>];
    const first = runSync(a, b, { states });
    assert.equal(first.sessions[0].stats.notesRecordsSent, 51);
    // Three authors post; only they are noted the next time the two meet.
    for (const p of people.slice(0, 3)) a.add(log.post(p, 'later'));
    const second = runSync(a, b, { states });
    assert.equal(second.sessions[0].stats.notesRecordsSent, 3);
    assert.equal(second.sessions[1].stats.notesRecordsSent, 3); // b's position moved after ingesting them
    assert.deepEqual(a.ids(), b.ids());
    assert.ok(second.notesBytes < first.notesBytes / 5);
  });

  it('recovers with one full exchange when a side lost its per-peer state', () => {
    const log = new SyncLog('lost state');
    const people = [author('l1'), author('l2')];
    const all = log.many(people, 3);
    const a = logOf(log, all);
    const b = logOf(log, all.slice(0, 2));
    const states = [newPeerSyncState(log.groupId), newPeerSyncState(log.groupId)] as [ReturnType<typeof newPeerSyncState>, ReturnType<typeof newPeerSyncState>];
    runSync(a, b, { states });
    a.add(log.post(people[0]!, 'new'));
    // b forgot what a told it: a's delta notes no longer match, b asks for full notes.
    const run = runSync(a, b, { states: [states[0], newPeerSyncState(log.groupId)] });
    assert.deepEqual(a.ids(), b.ids());
    assert.ok(run.sessions[0].stats.notesSent >= 2);
  });

  it('passes an equivocating author\'s two entries to both sides, which keep both and the evidence', () => {
    const log = new SyncLog('fork');
    const eve = author('eve');
    const e1 = log.post(eve, 'one');
    const e2 = log.post(eve, 'two', { advance: false });
    const e2b = log.post(eve, 'two, other', { seq: 2, prev: e1.id });
    const a = logOf(log, [e1, e2]);
    const b = logOf(log, [e1, e2b]);
    runSync(a, b);
    assert.deepEqual(a.ids(), b.ids());
    assert.ok(a.ids().includes(toHex(e2.id)) && a.ids().includes(toHex(e2b.id)));
    assert.deepEqual([...a.evidence.values()].map((e) => e.kind), ['equivocation']);
    assert.deepEqual([...b.evidence.values()].map((e) => e.kind), ['equivocation']);
  });

  it('asks for a signed claim of seq 2^53-1 in bounded windows and records it against its author once nobody can fill it', () => {
    const log = new SyncLog('huge claim');
    const mal = author('mal');
    const m1 = log.post(mal, 'one');
    const huge = log.post(mal, 'far away', { seq: Number.MAX_SAFE_INTEGER, prev: m1.id });
    const a = logOf(log, [m1, huge]);
    const b = logOf(log, [m1, huge]);
    const planners = [new BackfillPlanner(), new BackfillPlanner()] as [BackfillPlanner, BackfillPlanner];
    const run = runSync(a, b, { planners });
    assert.ok(run.unfillable.length >= 1);
    for (const u of run.unfillable) {
      assert.equal(u.kind, 'gap');
      assert.equal(toHex(u.author), toHex(mal.profile.signing.publicKey));
      assert.equal(u.from, 2);
      assert.equal(u.to, Number.MAX_SAFE_INTEGER - 1);
    }
    // Meeting again asks nothing more for it.
    const again = runSync(a, b, { planners });
    assert.equal(again.sessions[0].stats.wantsSent + again.sessions[1].stats.wantsSent, 0);
  });

  it('records a head nobody holds against the author that cited it, after a bounded number of requests', () => {
    const log = new SyncLog('phantom');
    const liar = author('liar');
    const phantom = new Uint8Array(32).fill(7);
    const l1 = log.post(liar, 'see my phantom', { heads: [phantom] });
    const a = logOf(log, [l1]);
    const b = logOf(log, [l1]);
    const planners = [new BackfillPlanner(), new BackfillPlanner()] as [BackfillPlanner, BackfillPlanner];
    let wants = 0;
    for (let i = 0; i < 10; i++) {
      const r = runSync(a, b, { planners });
      wants += r.sessions[0].stats.wantsSent;
    }
    assert.ok(wants <= 6, `asked ${wants} times`);
    const dead = planners[0].unfillable();
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.kind, 'id');
    assert.equal(toHex(dead[0]!.author), toHex(liar.profile.signing.publicKey));
  });

  it('does not store a corrupted blob a peer sends and still gets the entry from the honest peer', () => {
    const log = new SyncLog('corrupt peer');
    const p = author('cp');
    const all = log.many([p], 3);
    const honest = logOf(log, all);
    // The liar's copy of entry 3's blob has one byte flipped.
    const bad = all[2]!.blob.slice();
    bad[100]! ^= 0xff;
    const liar = logOf(log, [all[0]!, all[1]!, { ...all[2]!, blob: bad }]);
    const me = logOf(log, all.slice(0, 2));
    runSync(me, liar);
    assert.equal(me.ids().length, 3);
    // Asked of the liar at most ATTEMPTS_PER_PEER times; each bad copy rejected, none stored.
    assert.ok(me.rejected.length >= 1 && me.rejected.length <= ATTEMPTS_PER_PEER);
    runSync(me, honest);
    assert.deepEqual(me.ids(), honest.ids());
  });

  it('on probation reveals nothing of the log yet takes what the peer names, then syncs fully once promoted', () => {
    const log = new SyncLog('probation');
    const [p1, joiner] = [author('pr1'), author('joiner')];
    const mine = log.many([p1], 3);
    const join = log.post(joiner, 'my join');
    const me = logOf(log, mine);
    const them = logOf(log, [...mine.slice(0, 1), join]);
    const mySession = new SyncSession(log.groupId, 'them', newPeerSyncState(log.groupId), new BackfillPlanner(), me, { probation: true });
    const theirSession = new SyncSession(log.groupId, 'me', newPeerSyncState(log.groupId), new BackfillPlanner(), them);
    assert.deepEqual(mySession.start(), []);
    const sentToThem: SyncFrame[] = [];
    const deliver = (to: SyncSession, log2: MemoryLog, frames: readonly SyncFrame[], back: SyncFrame[]) => {
      for (const f of frames) {
        const a = to.receive(decodeFrame(encodeFrame(f)) as SyncFrame);
        for (const b of a.ingest) log2.ingest(b);
        back.push(...a.send);
      }
    };
    // They send their notes; on probation I ask only for what they named and answer nothing.
    const toMe: SyncFrame[] = [];
    deliver(mySession, me, theirSession.start(), sentToThem);
    for (let round = 0; round < 10 && (sentToThem.length > 0 || toMe.length > 0); round++) {
      const a = sentToThem.splice(0);
      deliver(theirSession, them, a, toMe);
      const b = toMe.splice(0);
      deliver(mySession, me, b, sentToThem);
    }
    assert.ok(me.ids().includes(toHex(join.id)), 'their entry arrived');
    assert.ok(!them.ids().includes(toHex(mine[1]!.id)), 'nothing of mine went out');
    const promoted = mySession.promote();
    assert.ok(promoted.some((f) => f.type === 'sync-notes'));
    deliver(theirSession, them, promoted, toMe);
    for (let round = 0; round < 10 && (sentToThem.length > 0 || toMe.length > 0); round++) {
      deliver(mySession, me, toMe.splice(0), sentToThem);
      deliver(theirSession, them, sentToThem.splice(0), toMe);
    }
    assert.deepEqual(me.ids(), them.ids());
  });
});

