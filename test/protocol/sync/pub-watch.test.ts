import assert from 'node:assert/strict';
import { ready } from '../../../protocol/crypto.js';
import { createPubOrderEvidence, verifyEvidence } from '../../../protocol/sync/evidence.js';
import { PubOrderWatch } from '../../../protocol/sync/pub-watch.js';
import { filledBlob } from '../../helpers/pub-fixtures.js';

describe('protocol/sync/pub-watch', () => {
  before(ready);
  const a = filledBlob(5120, 1);
  const b = filledBlob(5120, 2);

  it('says nothing of blobs served once each in ascending cursors', () => {
    const w = new PubOrderWatch();
    assert.equal(w.observe('p', 1n, a), null);
    assert.equal(w.observe('p', 2n, b), null);
  });

  it('reports a blob served again at another cursor, as evidence that decodes and is unprovable', () => {
    const w = new PubOrderWatch();
    w.observe('p', 1n, a);
    const o = w.observe('p', 5n, a)!;
    assert.equal(o.fault, 'repeated');
    const ev = createPubOrderEvidence({ groupId: new Uint8Array(32).fill(1), ...o });
    const check = verifyEvidence(ev, () => null);
    assert.ok(check.verified && !check.provable);
  });

  it('reports a cursor not above the last one of the subscription, but not across a restart', () => {
    const w = new PubOrderWatch();
    w.observe('p', 4n, a);
    assert.equal(w.observe('p', 3n, b)!.fault, 'regressed');
    const fresh = new PubOrderWatch();
    fresh.observe('p', 4n, a);
    fresh.restart('p');
    assert.equal(fresh.observe('p', 1n, b), null);
  });

  it('remembers at most its capacity of hashes per pub', () => {
    const w = new PubOrderWatch(2);
    w.observe('p', 1n, a);
    w.observe('p', 2n, b);
    w.observe('p', 3n, filledBlob(5120, 3));
    assert.equal(w.observe('p', 4n, a), null);
  });
});
