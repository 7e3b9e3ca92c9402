import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BLOB_VERSION } from '../../../protocol/constants.js';
import { ready } from '../../../protocol/crypto.js';
import { PubErrorCodes } from '../../../daemon/pub/errors.js';
import { BlobStore } from '../../../daemon/pub/store/index.js';

let serial = 0;
/** A distinct valid blob each call. */
function freshBlob(size = 2048): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = BLOB_VERSION;
  new DataView(b.buffer).setUint32(1, ++serial);
  return b;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => (err as { code?: string }).code === code);
}

describe('daemon/pub/store', () => {
  let dir: string;
  let store: BlobStore | undefined;

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snug-pub-store-'));
  });

  afterEach(async () => {
    await store?.close().catch(() => {});
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function openStore(init: { quotaBytes?: number; retentionMs?: number } = {}): Promise<BlobStore> {
    store = new BlobStore({ path: join(dir, 'blobs'), ...init });
    await store.open();
    return store;
  }

  it('gives blobs increasing cursors from 1 in arrival order and returns them in that order', async () => {
    const s = await openStore();
    const blobs = [freshBlob(), freshBlob(8192), freshBlob(), freshBlob(32768)];
    const cursors: bigint[] = [];
    for (const b of blobs) cursors.push((await s.put(b)).cursor);
    assert.deepEqual(cursors, [1n, 2n, 3n, 4n]);
    const page = await s.since(0n, 10);
    assert.deepEqual(page.blobs.map((b) => b.cursor), [1n, 2n, 3n, 4n]);
    page.blobs.forEach((b, i) => assert.deepEqual(b.blob, blobs[i]));
    assert.equal(page.more, false);
    assert.equal(page.next, 4n);
    assert.equal(page.head, 4n);
    assert.deepEqual((await s.since(2n, 10)).blobs.map((b) => b.cursor), [3n, 4n]);
  });

  it('stores identical blobs once and answers the first cursor, also within one batch', async () => {
    const s = await openStore();
    const a = freshBlob();
    const first = await s.put(a);
    const again = await s.put(a.slice());
    assert.deepEqual(again, { cursor: first.cursor, duplicate: true });
    const b = freshBlob();
    const together = await Promise.all([s.put(b), s.put(b.slice()), s.put(b.slice())]);
    assert.deepEqual(together.map((r) => r.cursor), [2n, 2n, 2n]);
    assert.deepEqual(together.map((r) => r.duplicate), [false, true, true]);
    assert.equal(s.stats().blobs, 2);
    assert.equal(s.stats().bytes, 4096);
  });

  it('assigns distinct, gap-free cursors to many concurrent puts', async () => {
    const s = await openStore();
    const results = await Promise.all(Array.from({ length: 300 }, () => s.put(freshBlob())));
    const cursors = results.map((r) => r.cursor).sort((x, y) => (x < y ? -1 : 1));
    assert.deepEqual(cursors, Array.from({ length: 300 }, (_, i) => BigInt(i + 1)));
  });

  it('pages by count and by bytes, saying whether more follow and where to continue', async () => {
    const s = await openStore();
    for (let i = 0; i < 5; i++) await s.put(freshBlob());
    const p1 = await s.since(0n, 2);
    assert.deepEqual(p1.blobs.map((b) => b.cursor), [1n, 2n]);
    assert.equal(p1.more, true);
    assert.equal(p1.next, 2n);
    const p2 = await s.since(p1.next, 10, { maxBytes: 3 * 2048 });
    assert.deepEqual(p2.blobs.map((b) => b.cursor), [3n, 4n, 5n]);
    assert.equal(p2.more, false);
    const p3 = await s.since(0n, 10, { maxBytes: 100 });
    assert.equal(p3.blobs.length, 1, 'a page holds at least one blob');
    assert.equal(p3.more, true);
    const empty = await s.since(5n, 10);
    assert.deepEqual([empty.blobs.length, empty.next, empty.more, empty.pruned], [0, 5n, false, false]);
  });

  it('keeps blobs, cursors and the PoW context across close and reopen', async () => {
    const s = await openStore();
    const context = s.powContext;
    const a = freshBlob();
    await s.put(a);
    await s.put(freshBlob());
    await s.close();
    const again = await openStore();
    assert.deepEqual(again.powContext, context);
    assert.deepEqual(again.stats(), { blobs: 2, bytes: 4096, start: 1n, head: 2n });
    assert.deepEqual(await again.put(a), { cursor: 1n, duplicate: true });
    assert.deepEqual(await again.put(freshBlob()), { cursor: 3n, duplicate: false });
  });

  it('prunes the oldest blobs to stay within the quota and says so to a reader behind them', async () => {
    const s = await openStore({ quotaBytes: 3 * 2048 });
    const first = freshBlob();
    for (const b of [first, freshBlob(), freshBlob(), freshBlob(), freshBlob()]) await s.put(b);
    assert.deepEqual(s.stats(), { blobs: 3, bytes: 3 * 2048, start: 3n, head: 5n });
    const page = await s.since(0n, 10);
    assert.equal(page.pruned, true);
    assert.equal(page.start, 3n);
    assert.deepEqual(page.blobs.map((b) => b.cursor), [3n, 4n, 5n]);
    assert.equal((await s.since(2n, 10)).pruned, false, 'a reader that had everything up to the floor missed nothing');
    // A pruned blob is forgotten entirely: posting it again stores it anew.
    assert.deepEqual(await s.put(first), { cursor: 6n, duplicate: false });
  });

  it('tells a reader whose cursor was pruned where the store resumes even when nothing is left', async () => {
    const s = await openStore({ retentionMs: 30 });
    await s.put(freshBlob());
    await s.put(freshBlob());
    await sleep(80);
    assert.deepEqual(await s.prune(), { removed: 2, bytes: 4096 });
    const page = await s.since(0n, 10);
    assert.deepEqual([page.blobs.length, page.pruned, page.start, page.next, page.head], [0, true, 3n, 2n, 2n]);
  });

  it('prunes only the blobs older than the retention time', async () => {
    // The third blob must still be within the retention time when prune() reads the clock: a
    // retention time far above one synced put (or a pause of a loaded machine) keeps it so.
    const retentionMs = 1_000;
    const s = await openStore({ retentionMs });
    await s.put(freshBlob());
    await s.put(freshBlob());
    await sleep(retentionMs + 100);
    await s.put(freshBlob());
    const r = await s.prune();
    assert.equal(r.removed, 2);
    assert.deepEqual((await s.since(0n, 10)).blobs.map((b) => b.cursor), [3n]);
  });

  it('lets posts through while a long retention prune runs, one batch at a time', async () => {
    const s = await openStore({ retentionMs: 100 });
    await Promise.all(Array.from({ length: 2500 }, () => s.put(freshBlob())));
    await sleep(200);
    const pruning = s.prune();
    const put = s.put(freshBlob());
    const first = await Promise.race([put.then(() => 'put'), pruning.then(() => 'prune')]);
    assert.equal(first, 'put', 'the post did not wait for the whole prune');
    assert.equal((await put).cursor, 2501n);
    assert.deepEqual(await pruning, { removed: 2500, bytes: 2500 * 2048 });
    assert.deepEqual((await s.since(0n, 10)).blobs.map((b) => b.cursor), [2501n]);
  });

  it('prunes on reopen when the quota was lowered', async () => {
    const s = await openStore();
    for (let i = 0; i < 4; i++) await s.put(freshBlob());
    await s.close();
    const smaller = await openStore({ quotaBytes: 2048 });
    await smaller.prune();
    assert.deepEqual(smaller.stats(), { blobs: 1, bytes: 2048, start: 4n, head: 4n });
  });

  it('rejects a blob of a wrong size or version without storing it', async () => {
    const s = await openStore();
    await rejectsWith(s.put(new Uint8Array(2047).fill(BLOB_VERSION)), PubErrorCodes.BAD_BLOB);
    const wrong = freshBlob();
    wrong[0] = BLOB_VERSION + 1;
    await rejectsWith(s.put(wrong), PubErrorCodes.BAD_BLOB);
    assert.equal(s.stats().blobs, 0);
  });

  it('finishes queued puts before closing and refuses puts afterwards', async () => {
    const s = await openStore();
    const puts = Array.from({ length: 20 }, () => s.put(freshBlob()));
    await s.close();
    assert.equal((await Promise.all(puts)).length, 20);
    await rejectsWith(s.put(freshBlob()), PubErrorCodes.STORE_CLOSED);
    const again = await openStore();
    assert.equal(again.stats().blobs, 20);
  });

  it('refuses a second open of the same store while the first holds it', async () => {
    await openStore();
    const second = new BlobStore({ path: join(dir, 'blobs') });
    await rejectsWith(second.open(), PubErrorCodes.HOME_LOCKED);
  });

  it('fails with HOME_UNWRITABLE where the store cannot be created', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const s = new BlobStore({ path: join(dir, 'file', 'blobs') });
    await rejectsWith(s.open(), PubErrorCodes.HOME_UNWRITABLE);
  });
});
