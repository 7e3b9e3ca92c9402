import assert from 'node:assert/strict';
import { ready } from '../../../protocol/crypto.js';
import { deriveEpochKeys } from '../../../protocol/group.js';
import { sealBlob } from '../../../protocol/blob.js';
import {
  createEquivocationEvidence,
  createForeignEntryEvidence,
  decodeEvidence,
  encodeEvidence,
  evidenceKey,
  evidenceOfPair,
  verifyEvidence,
} from '../../../protocol/sync/evidence.js';
import { author, SyncLog, type LogEntry } from '../../helpers/sync-log.js';
import { codeOf } from '../../helpers/vectors.js';

describe('protocol/sync/evidence', () => {
  let log: SyncLog;
  let p: ReturnType<typeof author>;
  let e1: LogEntry, e2: LogEntry, e2b: LogEntry;
  const keysOf = () => log.keys;
  before(async () => {
    await ready();
    log = new SyncLog('evidence');
    p = author('ev1');
    e1 = log.post(p, 'one');
    e2 = log.post(p, 'two', { advance: false });
    e2b = log.post(p, 'two b', { seq: 2, prev: e1.id });
  });

  it('finds equivocation in two entries of one seq and a broken chain in consecutive ones, nothing in a proper pair', () => {
    assert.equal(evidenceOfPair(log.groupId, e2.encoding, e2b.encoding)!.kind, 'equivocation');
    assert.equal(evidenceOfPair(log.groupId, e1.encoding, e2.encoding), null);
    const e3 = log.post(p, 'three after a missing two', { seq: 3, prev: new Uint8Array(32).fill(4) });
    const e2c = log.post(p, 'two c', { seq: 2, prev: e1.id, advance: false });
    assert.equal(evidenceOfPair(log.groupId, e3.encoding, e2c.encoding)!.kind, 'broken-chain');
  });

  it('keeps one record per (author, seq) whichever pair proves it', () => {
    const x = createEquivocationEvidence(log.groupId, e2.encoding, e2b.encoding);
    const y = createEquivocationEvidence(log.groupId, e2b.encoding, e2.encoding);
    assert.equal(evidenceKey(x), evidenceKey(y));
    assert.deepEqual(encodeEvidence(x), encodeEvidence(y));
  });

  it('verifies with the group key, says which epoch it lacks, and refuses a forged signature', () => {
    const ev = createEquivocationEvidence(log.groupId, e2.encoding, e2b.encoding);
    assert.equal(verifyEvidence(ev, keysOf).verified, true);
    const none = verifyEvidence(ev, () => null);
    assert.equal(none.verified, false);
    const forged = e2b.encoding.slice();
    forged[forged.length - 2]! ^= 1;
    assert.equal(codeOf(() => verifyEvidence(createEquivocationEvidence(log.groupId, e2.encoding, forged), keysOf)), 'ERR_UNAUTHENTIC');
  });

  it('proves a foreign entry only for a blob that opens under the epoch and holds no entry of it', () => {
    const other = new SyncLog('evidence other');
    const foreign = sealBlob(log.keys, other.post(other.founder, 'theirs').encoding);
    assert.equal(verifyEvidence(createForeignEntryEvidence(log.groupId, log.epoch, foreign), keysOf).verified, true);
    assert.equal(codeOf(() => verifyEvidence(createForeignEntryEvidence(log.groupId, log.epoch, e1.blob), keysOf)), 'ERR_INVALID_FIELD');
    const stranger = deriveEpochKeys(new Uint8Array(32).fill(2), log.groupId, log.epoch);
    const notOurs = sealBlob(stranger, e1.encoding);
    assert.equal(codeOf(() => verifyEvidence(createForeignEntryEvidence(log.groupId, log.epoch, notOurs), keysOf)), 'ERR_UNAUTHENTIC');
  });

  it('rejects truncated and trailing evidence with typed codes', () => {
    const bytes = encodeEvidence(createEquivocationEvidence(log.groupId, e2.encoding, e2b.encoding));
    assert.equal(codeOf(() => decodeEvidence(bytes.subarray(0, 50))), 'ERR_TRUNCATED');
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assert.equal(codeOf(() => decodeEvidence(longer)), 'ERR_OVERSIZED');
    const kind = bytes.slice();
    kind[1] = 9;
    assert.equal(codeOf(() => decodeEvidence(kind)), 'ERR_INVALID_FIELD');
  });
});
