import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { findGaps, missingCount } from '../../../protocol/sync/gaps.js';
import { author, metaOf, SyncLog } from '../../helpers/sync-log.js';

describe('protocol/sync/gaps', () => {
  before(ready);

  it('finds the missing ranges below and between held entries and the contiguous position', () => {
    const log = new SyncLog('gaps');
    const p = author('g1');
    const chain = Array.from({ length: 10 }, (_, i) => log.post(p, `e${i + 1}`));
    const held = [chain[2]!, chain[3]!, chain[6]!, chain[9]!]; // seqs 3, 4, 7, 10
    const r = findGaps(log.groupId, held.map(metaOf));
    const a = r.authors.find((x) => toHex(x.author) === toHex(p.profile.signing.publicKey))!;
    assert.equal(a.contiguous, 0);
    assert.equal(a.top, 10);
    assert.deepEqual(a.missing, [
      { from: 1, to: 2 },
      { from: 5, to: 6 },
      { from: 8, to: 9 },
    ]);
    assert.equal(missingCount(a), 6);
    const whole = findGaps(log.groupId, [...chain.slice(0, 4), chain[6]!].map(metaOf)).authors[0]!;
    assert.equal(whole.contiguous, 4);
    assert.equal(toHex(whole.contiguousId!), toHex(chain[3]!.id));
  });

  it('counts an author\'s chain from its floor for a member that joined without history: nothing below it is missing, the floor entry starts the chain', () => {
    const log = new SyncLog('floors');
    const [p, q] = [author('g6'), author('g7')];
    const chain = Array.from({ length: 8 }, (_, i) => log.post(p, `p${i + 1}`));
    const q1 = log.post(q, 'q1');
    // held: p's 4..6 and 8 (of the epochs it can open), and q from 1
    const held = [chain[3]!, chain[4]!, chain[5]!, chain[7]!, q1].map(metaOf);
    const floors = new Map([[toHex(p.profile.signing.publicKey), 4]]);
    const r = findGaps(log.groupId, held, floors);
    const a = r.authors.find((x) => toHex(x.author) === toHex(p.profile.signing.publicKey))!;
    assert.deepEqual(a.missing, [{ from: 7, to: 7 }], 'a hole above the floor is still a gap');
    assert.equal(a.contiguous, 6);
    assert.equal(toHex(a.contiguousId!), toHex(chain[5]!.id));
    assert.equal(r.authors.find((x) => toHex(x.author) === toHex(q.profile.signing.publicKey))!.contiguous, 1, 'an author without a floor starts at 1');
    assert.deepEqual(r.brokenLinks, []);
    // the same set without floors: the range below is missing and no chain is complete
    const plain = findGaps(log.groupId, held).authors.find((x) => toHex(x.author) === toHex(p.profile.signing.publicKey))!;
    assert.deepEqual(plain.missing, [{ from: 1, to: 3 }, { from: 7, to: 7 }]);
    assert.equal(plain.contiguous, 0);
    // an entry held below the floor (the genesis, say) is left out of the chain
    const withLow = findGaps(log.groupId, [chain[0]!, ...[chain[3]!, chain[4]!].map((e) => e)].map(metaOf), floors).authors[0]!;
    assert.deepEqual([withLow.missing, withLow.contiguous, withLow.held], [[], 5, 2]);
  });

  it('names a claim of seq 2^53-1 as one range, not 2^53 items', () => {
    const log = new SyncLog('huge');
    const p = author('g2');
    const e1 = log.post(p, 'one');
    const far = log.post(p, 'far', { seq: Number.MAX_SAFE_INTEGER, prev: e1.id });
    const a = findGaps(log.groupId, [e1, far].map(metaOf)).authors[0]!;
    assert.deepEqual(a.missing, [{ from: 2, to: Number.MAX_SAFE_INTEGER - 1 }]);
    assert.equal(a.contiguous, 1);
  });

  it('lists heads it does not hold with who cited them, and ignores heads it holds', () => {
    const log = new SyncLog('heads');
    const [p, q] = [author('g3'), author('g4')];
    const q1 = log.post(q, 'q');
    const phantom = new Uint8Array(32).fill(1);
    const p1 = log.post(p, 'p', { heads: [q1.id, phantom] });
    const r = findGaps(log.groupId, [q1, p1].map(metaOf));
    assert.equal(r.missingIds.length, 1);
    assert.equal(toHex(r.missingIds[0]!.id), toHex(phantom));
    assert.equal(toHex(r.missingIds[0]!.citedBy[0]!), toHex(p1.id));
    assert.equal(toHex(r.missingIds[0]!.citers[0]!), toHex(p.profile.signing.publicKey));
  });

  it('finds forks and broken links, and names the prev a broken link points to as missing', () => {
    const log = new SyncLog('forks');
    const p = author('g5');
    const e1 = log.post(p, 'one');
    const e2 = log.post(p, 'two', { advance: false });
    const e2b = log.post(p, 'two again', { seq: 2, prev: e1.id });
    const other1 = new Uint8Array(32).fill(3);
    const e3 = log.post(p, 'three on another history', { seq: 3, prev: other1 });
    const r = findGaps(log.groupId, [e1, e2, e2b, e3].map(metaOf));
    assert.equal(r.forks.length, 1);
    assert.equal(r.forks[0]!.seq, 2);
    assert.equal(r.forks[0]!.ids.length, 2);
    assert.equal(r.brokenLinks.length, 1);
    assert.equal(r.brokenLinks[0]!.seq, 3);
    assert.ok(r.missingIds.some((m) => toHex(m.id) === toHex(other1)));
  });
});
