/**
 * The hostile test pub does what each mode says, seen through the real pub client
 * (daemon/pub-links/client.ts) over the direct transport, with real group blobs.
 */
import assert from 'node:assert/strict';
import { openBlob } from '../../protocol/blob.js';
import { ready } from '../../protocol/crypto.js';
import { PubClient, type PubBlob } from '../../daemon/pub-links/client.js';
import { PubReplyErrorCode, isPubReplyError } from '../../daemon/pub-links/errors.js';
import { DirectDialer } from '../../daemon/transport/direct.js';
import { blobHashHex, HostilePub, type FaceMode, type HostileFace } from './hostile-pub.js';
import { fetchEverything } from './pub-fixtures.js';
import { author, SyncLog, type LogEntry } from './sync-log.js';

describe('test/helpers/hostile-pub (through the real pub client)', function () {
  this.timeout(30_000);
  let pub: HostilePub;
  let log: SyncLog;
  let entries: LogEntry[];
  const clients: PubClient[] = [];

  before(async () => {
    await ready();
    log = new SyncLog('hostile');
    entries = log.many([author('h1'), author('h2')], 6); // 12 entries
  });
  beforeEach(async () => {
    pub = await HostilePub.start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => {});
    await pub.close();
  });

  async function client(face: HostileFace): Promise<PubClient> {
    const c = await PubClient.connect(new DirectDialer(), face.url);
    clients.push(c);
    return c;
  }

  /** Posts every entry's blob through an honest face and waits until the pub stored them. */
  async function postAll(): Promise<void> {
    const poster = await client(await pub.face());
    for (const e of entries) await poster.post(e.blob);
    await pub.waitForBase(entries.length);
  }

  async function served(mode: FaceMode): Promise<Uint8Array[]> {
    const face = await pub.face(mode);
    await postAll();
    face.flush();
    const all = await fetchEverything(await client(face));
    return [...all.values()];
  }

  const hashes = (blobs: readonly Uint8Array[]) => blobs.map(blobHashHex);
  const posted = () => hashes(entries.map((e) => e.blob));

  it('serves every blob in order when honest, by fetch and live by subscription', async () => {
    const face = await pub.face();
    const c = await client(face);
    const live: PubBlob[] = [];
    await c.subscribe(0n, (b) => live.push(b));
    await postAll();
    assert.deepEqual(hashes([...(await fetchEverything(c)).values()]), posted());
    while (live.length < entries.length) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(hashes(live.map((b) => b.blob)), posted());
  });

  it('drops a share of the blobs, the same ones on every face, serving the rest intact', async () => {
    const got = hashes(await served({ kind: 'drop', share: 0.5 }));
    assert.ok(got.length < entries.length && got.length > 0, `served ${got.length}`);
    assert.deepEqual(got, posted().filter((h) => got.includes(h)));
  });

  it('withholds the given blobs from one face while another serves them', async () => {
    const hidden = posted().filter((_, i) => i % 2 === 0); // one author's blobs (they alternate)
    const b = await pub.face({ kind: 'withhold', hashes: hidden });
    const a = await pub.face();
    await postAll();
    const fromB = hashes([...(await fetchEverything(await client(b))).values()]);
    const fromA = hashes([...(await fetchEverything(await client(a))).values()]);
    assert.deepEqual(fromA, posted());
    assert.deepEqual(fromB, posted().filter((h) => !hidden.includes(h)));
  });

  it('stops serving blobs it served before once told to forget them, by fetch and to a live subscriber, other cursors unchanged', async () => {
    const face = await pub.face();
    const live = await client(face);
    const pushed: PubBlob[] = [];
    await live.subscribe(0n, (b) => pushed.push(b));
    const first = entries.slice(0, 6);
    const poster = await client(await pub.face());
    for (const e of first) await poster.post(e.blob);
    await pub.waitForBase(first.length);
    const before = await fetchEverything(await client(face));
    const forgotten = new Set(hashes(first.slice(0, 3).map((e) => e.blob)));
    face.forget(forgotten);
    for (const e of entries.slice(6)) await poster.post(e.blob);
    await pub.waitForBase(entries.length);
    const after = await fetchEverything(await client(face));
    assert.deepEqual(hashes([...after.values()]), posted().filter((h) => !forgotten.has(h)));
    for (const [cursor, blob] of after) if (before.has(cursor)) assert.equal(blobHashHex(before.get(cursor)!), blobHashHex(blob));
    while (pushed.length < entries.length) await new Promise((r) => setTimeout(r, 20)); // pushed before and after
    assert.deepEqual(hashes(pushed.map((b) => b.blob)), posted(), 'a subscriber gets each blob once, nothing forgotten again');
  });

  it('reorders the blobs under cursors the client accepts', async () => {
    const got = hashes(await served({ kind: 'reorder', window: 4 }));
    assert.deepEqual([...got].sort(), [...posted()].sort());
    assert.notDeepEqual(got, posted());
  });

  it('serves every blob twice at two cursors, and replays old blobs at new cursors', async () => {
    const twice = hashes(await served({ kind: 'duplicate' }));
    assert.equal(twice.length, 2 * entries.length);
    assert.deepEqual([...new Set(twice)].sort(), [...posted()].sort());
    await pub.close();
    pub = await HostilePub.start();
    const replayed = hashes(await served({ kind: 'replay', every: 3 }));
    assert.ok(replayed.length > entries.length);
    assert.deepEqual([...new Set(replayed)].sort(), [...posted()].sort());
  });

  it('corrupts bytes so that the corrupted blobs no longer open under the group key', async () => {
    const got = await served({ kind: 'corrupt', share: 0.5 });
    assert.equal(got.length, entries.length);
    const opened = got.filter((b) => openBlob(log.keys, b) !== null).length;
    assert.ok(opened < entries.length && opened > 0, `${opened} opened`);
    for (const b of got) assert.ok(b.length === entries[0]!.blob.length);
  });

  it('injects blobs of another group, which the group key does not open', async () => {
    const other = new SyncLog('hostile other');
    const foreign = [other.post(other.founder, 'elsewhere').blob, other.post(other.founder, 'more').blob];
    const face = await pub.face();
    await postAll();
    pub.inject(foreign);
    const got = [...(await fetchEverything(await client(face))).values()];
    assert.equal(got.length, entries.length + 2);
    assert.equal(got.filter((b) => openBlob(log.keys, b) === null).length, 2);
  });

  it('loses its whole store: connections are cut, cursors start again and nothing old is served', async () => {
    const face = await pub.face();
    await postAll();
    const c = await client(face);
    const before = await c.fetch(0n);
    assert.equal(before.blobs.length, entries.length);
    await pub.wipe();
    while (c.open) await new Promise((r) => setTimeout(r, 10));
    const again = await client(face);
    const after = await again.fetch(before.next);
    assert.equal(after.blobs.length, 0);
    assert.ok(after.head < before.next, 'the client is ahead of the wiped pub');
    await again.post(entries[0]!.blob);
    await pub.waitForBase(1);
    const fresh = await again.fetch(0n);
    assert.deepEqual(fresh.blobs.map((b) => b.cursor), [1n]);
  });

  it('serves two members different halves that together make the whole', async () => {
    const even = await pub.face({ kind: 'half', part: 0 });
    const odd = await pub.face({ kind: 'half', part: 1 });
    await postAll();
    const e = hashes([...(await fetchEverything(await client(even))).values()]);
    const o = hashes([...(await fetchEverything(await client(odd))).values()]);
    assert.equal(e.filter((h) => o.includes(h)).length, 0);
    assert.deepEqual([...e, ...o].sort(), [...posted()].sort());
  });

  it('is dropped by the real client when it serves out of its own cursor order', async () => {
    const face = await pub.face({ kind: 'regress' });
    await postAll();
    const c = await client(face);
    await assert.rejects(c.fetch(0n), (err: unknown) => isPubReplyError(err, PubReplyErrorCode.PROTOCOL));
  });
});
