import assert from 'node:assert/strict';
import { randomBytes, ready } from '../../../protocol/crypto.js';
import { JOURNAL_KEEP_COUNT } from '../../../daemon/journal/constants.js';
import { isJournalError, JournalErrorCode } from '../../../daemon/journal/errors.js';
import { EncryptedJournal, type JournalNotification } from '../../../daemon/journal/journal.js';
import { RecordStore, type StoreOperation } from '../../../daemon/store/store.js';
import { Level } from 'level';
import { seqId } from '../../../daemon/journal/codec.js';
import { isStoreError, StoreErrorCode } from '../../../daemon/store/errors.js';
import { deriveStoreKeys, storageKey } from '../../../daemon/store/format.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

describe('the notification journal', function () {
  this.timeout(60_000);
  let dir: string | undefined;
  let dataKey: Uint8Array;
  let store: RecordStore | undefined;
  let journal: EncryptedJournal | undefined;

  async function open(init: ConstructorParameters<typeof EncryptedJournal>[1] = {}): Promise<EncryptedJournal> {
    store = await RecordStore.open(dir!, dataKey);
    journal = new EncryptedJournal({ store }, init);
    await journal.start();
    return journal;
  }

  async function reopen(init: ConstructorParameters<typeof EncryptedJournal>[1] = {}): Promise<EncryptedJournal> {
    await journal?.stop();
    await store?.close();
    return open(init);
  }

  before(ready);
  beforeEach(async () => {
    dir = await makeTempDir('journal');
    dataKey = randomBytes(32);
  });
  afterEach(async () => {
    await journal?.stop();
    await store?.close();
    journal = undefined;
    store = undefined;
    await removeDir(dir);
  });

  it('numbers notifications 1, 2, 3 and replays them all for since 0', async () => {
    const j = await open();
    assert.equal(j.lastSeq, 0);
    const all = await Promise.all([
      j.append('message/didReceive', { text: 'one' }),
      j.append('contact/didChange', { n: 2 }),
      j.append('tor/didProgress', { bootstrap: 50 }),
    ]);
    assert.deepEqual(all.map((n) => n.params.seq), [1, 2, 3]);
    assert.equal(j.lastSeq, 3);
    const { notifications, missed, latest } = await j.since(0);
    assert.equal(missed, 0);
    assert.equal(latest, 3);
    assert.deepEqual(notifications, [
      { method: 'message/didReceive', params: { text: 'one', seq: 1 } },
      { method: 'contact/didChange', params: { n: 2, seq: 2 } },
      { method: 'tor/didProgress', params: { bootstrap: 50, seq: 3 } },
    ]);
    assert.deepEqual(notifications, all);
    assert.deepEqual((await j.since(1)).notifications.map((n) => n.params.seq), [2, 3]);
    assert.deepEqual(await j.since(3), { notifications: [], missed: 0, latest: 3 });
    assert.deepEqual(await j.since(99), { notifications: [], missed: 0, latest: 3 });
  });

  it('calls listeners only once a notification is on disk, in seq order, before its append resolves', async () => {
    const j = await open();
    const seen: number[] = [];
    const resolved: number[] = [];
    j.listen((n) => {
      seen.push(n.params.seq);
      assert.ok(j.lastSeq >= n.params.seq, 'a listener ran before the commit');
      assert.ok(!resolved.includes(n.params.seq), 'the append resolved before the listener ran');
    });
    j.listen(() => {
      throw new Error('a faulty listener');
    });
    const appends = Array.from({ length: 100 }, (_, i) => j.append('x/didY', { i }).then((n) => resolved.push(n.params.seq)));
    assert.equal(seen.length, 0, 'nothing is emitted synchronously');
    assert.deepEqual((await j.since(0)).notifications, [], 'nothing uncommitted is replayed');
    await Promise.all(appends);
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i + 1));
    assert.deepEqual(resolved, seen);
  });

  it('stops calling a listener once it unsubscribes', async () => {
    const j = await open();
    const seen: number[] = [];
    const off = j.listen((n) => seen.push(n.params.seq));
    await j.append('x/didY', {});
    off();
    await j.append('x/didY', {});
    assert.deepEqual(seen, [1]);
  });

  it('writes concurrent appends together (group commit), each batch synced', async () => {
    const j = await open();
    let batches = 0;
    const orig = store!.batch.bind(store!);
    store!.batch = (ops: readonly StoreOperation[]) => {
      batches += 1;
      return orig(ops);
    };
    for (let i = 0; i < 500; i++) void j.append('x/didY', { i });
    await j.flush();
    assert.equal(batches, 1, `${batches} batches for 500 appends in one turn`);
    assert.equal((await j.since(0)).notifications.length, 500);
  });

  it('continues its seq after a restart, and still replays the old notifications', async () => {
    let j = await open();
    for (let i = 0; i < 5; i++) void j.append('x/didY', { i });
    await j.flush();
    j = await reopen();
    assert.equal(j.lastSeq, 5);
    assert.equal((await j.append('x/didZ', {})).params.seq, 6);
    j = await reopen();
    assert.deepEqual((await j.since(0)).notifications.map((n) => n.params.seq), [1, 2, 3, 4, 5, 6]);
    assert.equal((await j.append('x/didZ', {})).params.seq, 7);
  });

  it('keeps at least the last 10,000 by default, and counts what since() can no longer replay', async () => {
    const j = await open({ keepMs: 0 });
    const total = JOURNAL_KEEP_COUNT + 50;
    for (let i = 0; i < total; i++) void j.append('x/didY', { i });
    await j.flush();
    await j.append('x/didY', { i: total }); // a commit after the big one prunes the overflow
    const all = await j.since(0);
    assert.equal(all.notifications.length, JOURNAL_KEEP_COUNT);
    assert.equal(all.missed, total + 1 - JOURNAL_KEEP_COUNT);
    assert.equal(all.notifications[0]!.params.seq, total + 2 - JOURNAL_KEEP_COUNT);
    const recent = await j.since(total - 3);
    assert.deepEqual(recent.notifications.map((n) => n.params.seq), [total - 2, total - 1, total, total + 1]);
    assert.equal(recent.missed, 0);
  });

  it('keeps everything younger than the retention time beyond the count, up to the hard bound', async () => {
    let now = 1_000_000;
    const j = await open({ keepCount: 5, keepMs: 1000, maxCount: 12, now: () => now });
    for (let i = 0; i < 10; i++) await j.append('x/didY', { i });
    assert.equal(j.firstSeq, 1, 'young entries beyond the count are kept');
    for (let i = 10; i < 15; i++) await j.append('x/didY', { i });
    assert.equal(j.firstSeq, 4, 'the hard bound of 12 prunes even young entries');
    now += 2000;
    await j.append('x/didY', { i: 15 });
    assert.equal(j.firstSeq, 12, 'old entries beyond the count are pruned');
    const { notifications, missed } = await j.since(2);
    assert.deepEqual(notifications.map((n) => n.params.seq), [12, 13, 14, 15, 16]);
    assert.equal(missed, 9);
  });

  it('refuses to run while closed (the profile locked): ERR_JOURNAL_CLOSED', async () => {
    store = await RecordStore.open(dir!, dataKey);
    const j = new EncryptedJournal({ store });
    await assert.rejects(j.append('x/didY', {}), (err: unknown) => isJournalError(err, JournalErrorCode.CLOSED));
    await assert.rejects(j.since(0), (err: unknown) => isJournalError(err, JournalErrorCode.CLOSED));
    await j.start();
    const queued = j.append('x/didY', {});
    await j.stop();
    await queued;
    await assert.rejects(j.append('x/didY', {}), (err: unknown) => isJournalError(err, JournalErrorCode.CLOSED));
    await j.start();
    assert.equal(j.lastSeq, 1, 'stop wrote what was queued');
  });

  it('refuses notifications it cannot journal (ERR_JOURNAL_BAD_NOTIFICATION) and bad seqs (ERR_JOURNAL_BAD_SEQ)', async () => {
    const j = await open();
    const bad = (p: Promise<unknown>) => assert.rejects(p, (err: unknown) => isJournalError(err, JournalErrorCode.BAD_NOTIFICATION));
    await bad(j.append('', {}));
    await bad(j.append('m'.repeat(129), {}));
    await bad(j.append('x/didY', [] as unknown as Record<string, never>));
    await bad(j.append('x/didY', null as unknown as Record<string, never>));
    await bad(j.append('x/didY', { big: 'x'.repeat(1024 * 1024) }));
    await bad(j.append('x/didY', { seq: 5 }));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await bad(j.append('x/didY', cyclic));
    assert.equal((await j.append('x/didY', {})).params.seq, 1, 'a refused notification takes no seq');
    for (const seq of [-1, 1.5, Number.NaN, 2 ** 53]) {
      await assert.rejects(j.since(seq), (err: unknown) => isJournalError(err, JournalErrorCode.BAD_SEQ));
    }
  });

  it('skips an entry damaged on disk (counted as missed, reported), and prunes past it', async () => {
    let j = await open({ keepCount: 3, keepMs: 0 });
    for (let i = 0; i < 3; i++) await j.append('x/didY', { i });
    await j.stop();
    await store!.close();
    const key = storageKey(deriveStoreKeys(dataKey), 'journal', seqId(1));
    const db = new Level<Uint8Array, Uint8Array>(dir!, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const v = Uint8Array.from((await db.get(key))!);
    v[30]! ^= 1;
    await db.put(key, v);
    await db.close();
    j = await open({ keepCount: 3, keepMs: 0 });
    const errors: unknown[] = [];
    j.addEventListener('error', (e) => errors.push(e.detail));
    const replay = await j.since(0);
    assert.deepEqual(replay.notifications.map((n) => n.params.seq), [2, 3]);
    assert.equal(replay.missed, 1);
    assert.ok(errors.length >= 1 && isStoreError(errors[0], StoreErrorCode.CORRUPT));
    await j.append('x/didY', { i: 3 });
    assert.equal(j.firstSeq, 2, 'the damaged oldest entry was pruned');
    assert.deepEqual((await j.since(0)).notifications.map((n) => n.params.seq), [2, 3, 4]);
  });

  it('drops a batch that could not be written, says so, and hands its seqs out again', async () => {
    const j = await open();
    await j.append('x/didY', {});
    const errors: unknown[] = [];
    const seen: JournalNotification[] = [];
    j.addEventListener('error', (e) => errors.push(e.detail));
    j.listen((n) => seen.push(n));
    store!.batch = () => Promise.reject(new Error('disk full'));
    await assert.rejects(j.append('x/didY', {}));
    await assert.rejects(j.flush());
    assert.equal(errors.length, 1);
    assert.equal(seen.length, 0, 'the unwritten notification was never emitted');
    assert.equal(j.lastSeq, 1);
    delete (store as unknown as { batch?: unknown }).batch; // the prototype's batch again
    assert.equal((await j.append('x/didY', {})).params.seq, 2);
    assert.deepEqual(seen.map((n) => n.params.seq), [2]);
  });
});
