/**
 * The groups service's batched receive (PubBlobSink.blobsReceived / ingestRun), in this process
 * over a real LevelDB store, with no pub links: a run is opened and verified blob by blob and
 * stored with ONE synced batch; duplicates within the run and from another pub are merged; a bad
 * blob is ignored without losing the others; nothing is shown before the batch is on disk.
 */
import assert from 'node:assert/strict';
import { sealBlob } from '../../../protocol/blob.js';
import { fromHex } from '../../../protocol/bytes.js';
import { createCertificate, generateProfileKeys } from '../../../protocol/certificate.js';
import { BLOB_SIZE_STANDARD } from '../../../protocol/constants.js';
import { randomBytes, ready } from '../../../protocol/crypto.js';
import { createEntry, encodeEntry, entryId } from '../../../protocol/entry.js';
import { deriveEpochKeys, type EpochKeys } from '../../../protocol/group.js';
import { generateIdentity } from '../../../protocol/identity.js';
import { decodeInvite } from '../../../protocol/invite.js';
import { StoreError, StoreErrorCode, isStoreError } from '../../../daemon/store/errors.js';
import type { StoreOperation } from '../../../daemon/store/store.js';
import { makeMember, offline, reopen, texts, type TestMember } from '../../helpers/groups.js';
import { OPEN_POOL_MIN_RUN } from '../../../daemon/groups/constants.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

const PUB_A = 'ws://127.0.0.1:9';
const PUB_B = 'ws://127.0.0.1:10';

/** A member who joined with the invite, writing texts (its blobs built by hand, as a pub serves them). */
class Writer {
  readonly signing = generateProfileKeys().signing;
  #seq = 0;
  #last: Uint8Array | null = null;
  constructor(
    readonly keys: EpochKeys,
    readonly invite: Uint8Array,
  ) {}

  join(): Uint8Array {
    const identity = generateIdentity();
    const dh = generateProfileKeys().dh;
    const certificate = createCertificate(identity, { signingKey: this.signing.publicKey, dhKey: dh.publicKey }, Date.now());
    return this.#next({ kind: 'join', invite: this.invite, certificate }, [this.invite]);
  }

  text(text: string): Uint8Array {
    return this.#next({ kind: 'text', text }, []);
  }

  #next(content: Parameters<typeof createEntry>[2]['content'], heads: Uint8Array[]): Uint8Array {
    const seq = this.#seq + 1;
    const e = createEntry(this.keys, this.signing, { seq, ...(this.#last ? { prev: this.#last } : {}), timestamp: Date.now(), heads, content });
    const bytes = encodeEntry(e);
    this.#seq = seq;
    this.#last = entryId(bytes);
    return sealBlob(this.keys, bytes);
  }
}

describe('GroupsService: a run of blobs (blobsReceived)', function () {
  this.timeout(60_000);
  let dir: string;
  let m: TestMember;
  let groupId: string;
  let bob: Writer;
  /** Synced batches written since the last reset, and what happened in which order. */
  let batches: number;
  let events: string[];
  let failNext: boolean;

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    dir = await makeTempDir('groups-run');
    m = await makeMember(dir, 'alice', undefined, false);
    groupId = await m.groups.create('runs', [PUB_A, PUB_B]);
    const inv = decodeInvite(await m.groups.exportInvite(groupId, true), { development: true });
    bob = new Writer(deriveEpochKeys(inv.current.secret, fromHex(groupId), inv.current.epoch), inv.inviteEntry);
    spy();
  });

  afterEach(async () => {
    await offline(m).catch(() => undefined);
    await removeDir(dir);
  });

  /** Counts the store's synced batches (every write goes through batch) and can fail the next one. */
  function spy(): void {
    batches = 0;
    events = [];
    failNext = false;
    const store = m.store;
    const real = store.batch.bind(store);
    store.batch = async (ops: readonly StoreOperation[]) => {
      batches += 1;
      if (failNext) {
        failNext = false;
        events.push('batch-failed');
        throw new StoreError(StoreErrorCode.IO, 'disk full');
      }
      await real(ops);
      events.push('batch-done');
    };
    m.journal.listen((n) => events.push(n.method));
  }

  function received(text: string): number {
    return m.notes.filter((n) => n.method === 'message/didReceive' && JSON.stringify(n.params).includes(`"${text}"`)).length;
  }

  it('stores a run with one synced batch, merging a duplicate within it and ignoring bad blobs without losing the others', async () => {
    const join = bob.join();
    const one = bob.text('one');
    const two = bob.text('two');
    const garbage = randomBytes(100);
    const noise = randomBytes(BLOB_SIZE_STANDARD);
    noise[0] = 0x02;
    const forged = sealBlob(
      bob.keys, // the group's blob key, signed for another binding
      encodeEntry(createEntry({ ...bob.keys, binding: randomBytes(32) }, bob.signing, { seq: 9, prev: randomBytes(32), timestamp: Date.now(), content: { kind: 'text', text: 'forged' } })),
    );
    const before = m.groups.entryCount;
    const results = await m.groups.ingestRun(null, [join, one, garbage, one, forged, noise, two], { kind: 'pub', pub: PUB_A });
    assert.deepEqual(
      results.map((r) => r.status),
      ['stored', 'stored', 'invalid', 'duplicate', 'invalid', 'foreign', 'stored'],
    );
    assert.equal(batches, 1);
    assert.equal(m.groups.entryCount, before + 3);
    assert.deepEqual(await texts(m, groupId), ['one', 'two']);
    assert.equal(received('one'), 1);
    assert.equal(received('two'), 1);
    assert.equal(m.groups.list()[0]!.members, 2);
    // the same run again (the rounded-down re-read): nothing written, nothing shown again
    await m.groups.blobsReceived(PUB_A, [join, one, two]);
    assert.equal(batches, 1);
    assert.equal(received('one'), 1);
  });

  it('merges a run from a second pub into what the first gave: only that pub is added, in one batch, durably, nothing shown twice', async () => {
    const run = [bob.join(), bob.text('one'), bob.text('two')];
    await m.groups.blobsReceived(PUB_A, run);
    const seenOn = async () => (await m.groups.listMessages(groupId, { limit: 50 })).filter((i) => i.kind === 'message').map((i) => i.pubs?.accepted);
    assert.deepEqual(await seenOn(), [1, 1]);
    await m.groups.blobsReceived(PUB_B, run);
    assert.equal(batches, 2);
    assert.deepEqual(await seenOn(), [2, 2]);
    assert.equal(received('one'), 1);
    await offline(m);
    await reopen(m, false);
    assert.deepEqual(await seenOn(), [2, 2]);
    assert.deepEqual(await texts(m, groupId), ['one', 'two']);
  });

  it('shows nothing of a run before its batch is on disk: a failed batch rejects and notifies nothing, and the run handed again is stored whole', async () => {
    const run = [bob.join(), bob.text('one'), bob.text('two')];
    const before = m.groups.entryCount;
    failNext = true;
    await assert.rejects(m.groups.blobsReceived(PUB_A, run), (err: unknown) => isStoreError(err, StoreErrorCode.IO));
    assert.deepEqual(events, ['batch-failed']);
    assert.equal(m.groups.entryCount, before);
    assert.deepEqual(await texts(m, groupId), []);
    await m.groups.blobsReceived(PUB_A, run);
    assert.equal(events[1], 'batch-done'); // before any notification
    assert.ok(events.includes('message/didReceive'));
    assert.equal(received('one'), 1);
    // what was notified survives a crash: the store as it is on disk after closing
    await offline(m);
    await reopen(m, false);
    assert.deepEqual(await texts(m, groupId), ['one', 'two']);
  });

  it('opens a long run in its open workers with the same outcome, blob by blob, as on the event loop, in one synced batch', async () => {
    const run: Uint8Array[] = [bob.join()];
    for (let i = 0; i < 80; i++) run.push(bob.text(`long ${i}`));
    const garbage = randomBytes(100);
    const noise = randomBytes(BLOB_SIZE_STANDARD);
    noise[0] = 0x02;
    const forged = sealBlob(bob.keys, encodeEntry(createEntry({ ...bob.keys, binding: randomBytes(32) }, bob.signing, { seq: 99, prev: randomBytes(32), timestamp: Date.now(), content: { kind: 'text', text: 'forged' } })));
    const foreign = sealBlob({ blobKey: randomBytes(32) }, encodeEntry(createEntry(bob.keys, bob.signing, { seq: 98, prev: randomBytes(32), timestamp: Date.now(), content: { kind: 'text', text: 'elsewhere' } })));
    const mixed = [...run.slice(0, 40), garbage, run[5]!, forged, noise, foreign, ...run.slice(40)];
    const expected = [...run.slice(0, 40).map(() => 'stored'), 'invalid', 'duplicate', 'invalid', 'foreign', 'foreign', ...run.slice(40).map(() => 'stored')];
    assert.ok(mixed.length >= OPEN_POOL_MIN_RUN);
    const before = m.groups.entryCount;
    const results = await m.groups.ingestRun(null, mixed, { kind: 'pub', pub: PUB_A });
    assert.ok(m.groups.openThreads > 0, 'opened in the workers');
    assert.deepEqual(results.map((r) => r.status), expected);
    assert.equal(batches, 1);
    assert.equal(m.groups.entryCount, before + 81);
    assert.equal(received('long 79'), 1);
    // the same run on a member that opens everything on the event loop
    const loop = await makeMember(dir, 'carol', undefined, false, { openWorkers: 0 });
    try {
      const cg = await loop.groups.create('loop', [PUB_A]);
      const inv = decodeInvite(await loop.groups.exportInvite(cg, false), { development: true });
      const w = new Writer(deriveEpochKeys(inv.current.secret, fromHex(cg), inv.current.epoch), inv.inviteEntry);
      const theirs: Uint8Array[] = [w.join()];
      for (let i = 0; i < 80; i++) theirs.push(w.text(`long ${i}`));
      const forged2 = sealBlob(w.keys, encodeEntry(createEntry({ ...w.keys, binding: randomBytes(32) }, w.signing, { seq: 99, prev: randomBytes(32), timestamp: Date.now(), content: { kind: 'text', text: 'forged' } })));
      const mixed2 = [...theirs.slice(0, 40), garbage, theirs[5]!, forged2, noise, foreign, ...theirs.slice(40)];
      assert.deepEqual((await loop.groups.ingestRun(null, mixed2, { kind: 'pub', pub: PUB_A })).map((r) => r.status), expected);
      assert.equal(loop.groups.openThreads, 0);
    } finally {
      await offline(loop);
    }
    await offline(m);
    assert.equal(m.groups.openThreads, 0, 'no worker left after close');
    await reopen(m, false);
    assert.equal((await texts(m, groupId)).length, 80);
  });

  it('keeps the single-blob path: ingest of one blob is a run of one', async () => {
    assert.equal((await m.groups.ingest(groupId, bob.join(), { kind: 'peer', address: m.identity.address })).status, 'stored');
    assert.equal((await m.groups.ingest(null, bob.text('alone'), { kind: 'pub', pub: PUB_A })).status, 'stored');
    await m.groups.blobReceived(PUB_B, bob.text('again'));
    assert.equal(batches, 3);
    assert.deepEqual(await texts(m, groupId), ['alone', 'again']);
  });

  it('knows after a reopen which own entries were sealed: their stored blob is given as is, never sealed again', async () => {
    const id = fromHex(await m.groups.send(groupId, 'mine'));
    const sealed = await m.groups.syncBlob(groupId, id); // sealed now, as for its first post
    assert.ok(sealed !== null);
    await offline(m);
    await reopen(m, false);
    const again = await m.groups.syncBlob(groupId, id);
    assert.ok(again !== null && Buffer.from(again).equals(Buffer.from(sealed)));
    assert.ok(Buffer.from((await m.groups.entryBlob(groupId, id))!).equals(Buffer.from(sealed)));
  });
});
