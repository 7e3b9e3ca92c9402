import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { answerWant, ATTEMPTS_PER_PEER, ATTEMPTS_TOTAL, BackfillPlanner, WANT_SEQS_MAX } from '../../../protocol/sync/backfill.js';
import { checkWant } from '../../../protocol/sync/frames.js';
import { findGaps, type GapReport } from '../../../protocol/sync/gaps.js';
import type { SummaryRecord } from '../../../protocol/summary.js';
import { author, MemoryLog, metaOf, SyncLog } from '../../helpers/sync-log.js';

const emptyReport: GapReport = { authors: [], missingIds: [], brokenLinks: [], forks: [] };

describe('protocol/sync/backfill', () => {
  before(ready);

  it('asks a peer for at most WANT_SEQS_MAX seqs per request, lowest first, in canonical form', () => {
    const p = new BackfillPlanner();
    const theirs = new Map<string, SummaryRecord>();
    for (let i = 0; i < 3; i++) {
      const a = new Uint8Array(32).fill(i + 1);
      theirs.set(toHex(a), { author: a, seq: 800, id: new Uint8Array(32) });
    }
    const want = p.plan('peer', emptyReport, theirs)!;
    checkWant(want);
    const span = want.ranges.reduce((n, r) => n + r.to - r.from + 1, 0);
    assert.equal(span, WANT_SEQS_MAX);
    assert.deepEqual(want.ranges.map((r) => [r.from, r.to]), [[1, 800], [1, 224]]);
    assert.equal(p.plan('peer', emptyReport, theirs), null, 'one request in flight per peer');
  });

  it('stops asking a peer for a note it cannot back after ATTEMPTS_PER_PEER empty answers, and records it against the author', () => {
    const p = new BackfillPlanner();
    const a = new Uint8Array(32).fill(5);
    const theirs = new Map([[toHex(a), { author: a, seq: Number.MAX_SAFE_INTEGER, id: new Uint8Array(32) }]]);
    let asked = 0;
    while (p.plan('liar', emptyReport, theirs) !== null) {
      asked++;
      p.settle('liar', emptyReport);
      assert.ok(asked <= ATTEMPTS_PER_PEER);
    }
    assert.equal(asked, ATTEMPTS_PER_PEER);
    const [u] = p.unfillable();
    assert.equal(u!.kind, 'note');
    assert.equal(u!.peer, 'liar');
    assert.equal(toHex(u!.author), toHex(a));
    assert.equal(u!.to, Number.MAX_SAFE_INTEGER);
  });

  it('asks other peers for a known gap until ATTEMPTS_TOTAL, then never again', () => {
    const log = new SyncLog('bf gap');
    const q = author('bf1');
    const chain = Array.from({ length: 5 }, (_, i) => log.post(q, `${i}`));
    const report = findGaps(log.groupId, [chain[0]!, chain[4]!].map(metaOf));
    const p = new BackfillPlanner();
    let asked = 0;
    for (let peer = 0; peer < 10; peer++) {
      while (p.plan(`p${peer}`, report, null) !== null) {
        asked++;
        p.settle(`p${peer}`, report);
      }
    }
    assert.equal(asked, ATTEMPTS_TOTAL);
    assert.equal(p.unfillable().length, 1);
    assert.deepEqual([p.unfillable()[0]!.from, p.unfillable()[0]!.to], [2, 4]);
  });

  it('takes a recorded claim off the record when it is filled after all', () => {
    const log = new SyncLog('bf filled');
    const q = author('bf2');
    const chain = Array.from({ length: 3 }, (_, i) => log.post(q, `${i}`));
    const before = findGaps(log.groupId, [chain[0]!, chain[2]!].map(metaOf));
    const after = findGaps(log.groupId, chain.map(metaOf));
    const p = new BackfillPlanner();
    for (let i = 0; i < ATTEMPTS_PER_PEER; i++) {
      assert.ok(p.plan('a', before, null));
      p.settle('a', before);
    }
    assert.equal(p.unfillable().length, 1);
    assert.ok(p.plan('b', before, null));
    p.settle('b', after);
    assert.equal(p.unfillable().length, 0);
  });

  it('does not count a request abandoned with its link', () => {
    const p = new BackfillPlanner();
    const a = new Uint8Array(32).fill(6);
    const theirs = new Map([[toHex(a), { author: a, seq: 3, id: new Uint8Array(32) }]]);
    for (let i = 0; i < 5; i++) {
      assert.ok(p.plan('x', emptyReport, theirs));
      p.abandon('x');
    }
    assert.equal(p.unfillable().length, 0);
  });

  it('answers a request with each held blob once, forks included, and nothing it lacks', () => {
    const log = new SyncLog('answer');
    const q = author('bf3');
    const e1 = log.post(q, 'one');
    const e2 = log.post(q, 'two', { advance: false });
    const e2b = log.post(q, 'two b', { seq: 2, prev: e1.id });
    const m = new MemoryLog(log.groupId, log.keys);
    for (const e of [e1, e2, e2b]) m.add(e);
    const blobs = answerWant({ ranges: [{ author: q.profile.signing.publicKey, from: 1, to: 9 }], ids: [e1.id, new Uint8Array(32)] }, m);
    assert.equal(blobs.length, 3);
  });
});
