import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { CURSOR_NAMESPACE } from '../../../daemon/group-pubs/constants.js';
import { cursorCodec } from '../../../daemon/group-pubs/cursor.js';
import { GroupPubsErrorCode } from '../../../daemon/group-pubs/errors.js';
import { GroupPubs, type GroupPubsInit } from '../../../daemon/group-pubs/group-pubs.js';
import type { PubBlobSink, PubLinkStatus } from '../../../daemon/group-pubs/types.js';
import type { Log } from '../../../daemon/log.js';
import { PubClient } from '../../../daemon/pub-links/client.js';
import type { PubServer } from '../../../daemon/pub/server.js';
import type { RecordStore } from '../../../daemon/store/store.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { BLOB_SIZE_STANDARD } from '../../../protocol/constants.js';
import { bytesEqual } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { PubFrameType, type FetchFrame } from '../../../protocol/pub-wire.js';
import { RecordingDialer, RecordingSink, openRecordStore, startLoopbackPub, waitUntil } from '../../helpers/group-pubs.js';
import { Prng, TEST_PUB_LIMITS, makeSerialBlob, makeTempDir, removeDir } from '../../helpers/pub-fixtures.js';

const LIMITS = { ...TEST_PUB_LIMITS, maxBlobBytes: BLOB_SIZE_STANDARD };
/** Fast retries and no post jitter for tests (one test below has it); everything else at its default. */
const FAST: GroupPubsInit = { postJitterMs: 0, backoffBaseMs: 50, backoffMaxMs: 200, reconnectDelayMs: 20, connectTimeoutMs: 5_000, requestTimeoutMs: 5_000, postTimeoutMs: 5_000 };
const utf8 = new TextEncoder();
const quiet: Log = () => {};

/** A sink that takes runs (PubBlobSink.blobsReceived): records each run's length; `gate` holds the next call. */
class RunSink extends RecordingSink {
  readonly runs: number[] = [];
  singles = 0;
  gate: Promise<void> | null = null;
  /** When set, called before each run; may set failWith. */
  beforeRun: ((n: number) => void) | null = null;

  override async blobReceived(pub: string, blob: Uint8Array): Promise<void> {
    this.singles += 1;
    if (this.gate) await this.gate;
    return super.blobReceived(pub, blob);
  }

  async blobsReceived(pub: string, blobs: readonly Uint8Array[]): Promise<void> {
    this.beforeRun?.(this.runs.length + 1);
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    this.runs.push(blobs.length);
    for (const b of blobs) await super.blobReceived(pub, b);
  }
}

function hasCode(code: string) {
  return (err: unknown) => (err as { code?: string }).code === code;
}

describe('daemon/group-pubs/group-pubs', function () {
  this.timeout(30_000);
  const prng = new Prng(0x9b5);
  let serial = 1;
  let dir: string;
  let store: RecordStore;
  let storeKey: Uint8Array;
  const pubs: PubServer[] = [];
  const links: GroupPubs[] = [];
  const clients: PubClient[] = [];

  const blob = () => makeSerialBlob(prng, serial++, BLOB_SIZE_STANDARD);

  async function pub(name: string, limits = LIMITS, port = 0): Promise<{ server: PubServer; address: string; port: number }> {
    const p = await startLoopbackPub(join(dir, name), limits, port);
    pubs.push(p.server);
    return p;
  }

  /** Posts blobs straight to a pub (another member), in order. */
  async function fill(address: string, count: number): Promise<Uint8Array[]> {
    const c = await PubClient.connect(new DirectDialer(), address);
    clients.push(c);
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const b = blob();
      await c.post(b);
      out.push(b);
    }
    return out;
  }

  function groupPubs(dialer: RecordingDialer | DirectDialer, sink: RecordingSink, init: GroupPubsInit = {}, s = store): GroupPubs {
    const g = new GroupPubs({ dialer, log: quiet, sink, store: s }, { ...FAST, ...init });
    links.push(g);
    return g;
  }

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    dir = await makeTempDir('group-pubs');
    ({ store, key: storeKey } = await openRecordStore(dir));
  });

  afterEach(async () => {
    await Promise.allSettled(links.splice(0).map((g) => g.stop()));
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await Promise.allSettled(pubs.splice(0).map((p) => p.stop()));
    await store.close();
    await removeDir(dir);
  });

  it('hands the sink every stored blob in order from cursor 0, then new ones live, going connecting, catching-up, live', async () => {
    const { address } = await pub('a');
    const stored = await fill(address, 300); // more than one catch-up page
    const sink = new RecordingSink();
    const g = groupPubs(new DirectDialer(), sink);
    const states: PubLinkStatus[] = [];
    g.addEventListener('change', (e) => states.push(e.detail));
    g.setSubscriptions([address]);
    await g.start();
    await sink.until(() => sink.blobs.length === 300);
    await waitUntil(() => g.status()[0]?.state === 'live', 5_000, 'live');
    assert.ok(sink.from(address).every((b, i) => bytesEqual(b, stored[i]!)));
    const seen = states.map((s) => s.state);
    assert.deepEqual(seen.slice(0, 3), ['connecting', 'catching-up', 'live']);
    assert.ok(states.every((s) => s.address === address && s.lastError === null));
    const [later] = await fill(address, 1);
    await sink.until(() => sink.blobs.length === 301);
    assert.ok(bytesEqual(sink.blobs[300]!.blob, later!));
    assert.deepEqual(g.status(), [{ address, state: 'live', lastError: null }]);
  });

  it('saves the cursor durably and, after a restart, asks from it rounded down and hands over only what is new', async () => {
    const { address } = await pub('a');
    await fill(address, 250);
    const sink = new RecordingSink();
    const first = groupPubs(new DirectDialer(), sink, { cursorRoundBlobs: 100 });
    first.setSubscriptions([address]);
    await first.start();
    await sink.until(() => sink.blobs.length === 250);
    await first.stop();
    await store.close();
    ({ store } = await openRecordStore(dir, storeKey)); // what reached the disk
    assert.equal(await store.collection(CURSOR_NAMESPACE, cursorCodec).get(utf8.encode(address)), 250n);

    const fresh = await fill(address, 20);
    const again = new RecordingSink();
    const dialer = new RecordingDialer(new DirectDialer());
    const second = groupPubs(dialer, again, { cursorRoundBlobs: 100 });
    second.setSubscriptions([address]);
    await second.start();
    await again.until(() => again.blobs.length === 20);
    await waitUntil(() => second.status()[0]?.state === 'live', 5_000, 'live');
    const firstFetch = dialer.dials[0]!.sent.find((f): f is FetchFrame => f.type === PubFrameType.FETCH);
    assert.equal(firstFetch?.since, 200n); // 250 rounded down to a multiple of 100
    assert.ok(again.from(address).every((b, i) => bytesEqual(b, fresh[i]!)));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(again.blobs.length, 20); // the re-read part (201..250) is not handed over again
  });

  it('catches up a backlog in bounded memory: an answer larger than the buffer is asked again from where the buffer ended', async () => {
    const { address } = await pub('a');
    const stored = await fill(address, 50);
    const sink = new RecordingSink();
    const dialer = new RecordingDialer(new DirectDialer());
    const g = groupPubs(dialer, sink, { catchupFetchBlobs: 20, catchupBufferBytes: 3 * BLOB_SIZE_STANDARD });
    g.setSubscriptions([address]);
    await g.start();
    await sink.until(() => sink.blobs.length === 50);
    await waitUntil(() => g.status()[0]?.state === 'live', 5_000, 'live');
    assert.ok(sink.from(address).every((b, i) => bytesEqual(b, stored[i]!)), 'each once, in order');
    const fetches = dialer.dials[0]!.sent.filter((f): f is FetchFrame => f.type === PubFrameType.FETCH);
    assert.deepEqual(fetches.slice(0, 3).map((f) => [f.since, f.limit]), [[0n, 20], [3n, 20], [6n, 20]]);
  });

  it('rounds with the default rule: a cursor below 1024 asks from 0', async () => {
    const { address } = await pub('a');
    await fill(address, 5);
    await store.collection(CURSOR_NAMESPACE, cursorCodec).put(utf8.encode(address), 3n);
    const sink = new RecordingSink();
    const dialer = new RecordingDialer(new DirectDialer());
    const g = groupPubs(dialer, sink);
    g.setSubscriptions([address]);
    await g.start();
    await sink.until(() => sink.blobs.length === 2); // cursors 4 and 5
    const fetches = dialer.dials[0]!.sent.filter((f): f is FetchFrame => f.type === PubFrameType.FETCH);
    assert.equal(fetches[0]?.since, 0n);
  });

  it('never saves a cursor past what the sink handled: a failing sink makes the link fail, and nothing is lost or repeated once it recovers', async () => {
    const { address } = await pub('a');
    const stored = await fill(address, 40);
    const sink = new RecordingSink();
    const g = groupPubs(new DirectDialer(), sink, { catchupFetchBlobs: 10 });
    let handled = 0;
    const boom = new Error('disk full');
    const real = sink.blobReceived.bind(sink);
    sink.blobReceived = async (p, b) => {
      if (++handled === 15) sink.failWith = boom;
      return real(p, b);
    };
    g.setSubscriptions([address]);
    await g.start();
    await waitUntil(() => g.status()[0]?.lastError === GroupPubsErrorCode.SINK_FAILED, 5_000, 'failing');
    assert.equal(g.status()[0]?.state, 'failing');
    const saved = await store.collection(CURSOR_NAMESPACE, cursorCodec).get(utf8.encode(address));
    assert.ok(saved !== undefined && saved <= BigInt(sink.blobs.length), `saved ${saved} after ${sink.blobs.length} handled`);
    sink.failWith = null;
    await sink.until(() => sink.blobs.length === 40);
    await waitUntil(() => g.status()[0]?.state === 'live', 5_000, 'live');
    assert.ok(sink.from(address).every((b, i) => bytesEqual(b, stored[i]!)));
  });

  it('hands a catch-up\'s next run to a run-taking sink while it still stores the previous one, and saves the cursor only past runs handled in order', async () => {
    const { address } = await pub('a');
    const stored = await fill(address, 40);
    const sink = new RecordingSink();
    const held: Array<{ blobs: readonly Uint8Array[]; release: (err?: Error) => void }> = [];
    let outstanding = 0;
    let most = 0;
    const runs: PubBlobSink = sink;
    runs.blobsReceived = (p: string, blobs: readonly Uint8Array[]) =>
      new Promise<void>((resolve, reject) => {
        outstanding += 1;
        most = Math.max(most, outstanding);
        held.push({
          blobs,
          release: (err) => {
            outstanding -= 1;
            if (err !== undefined) return reject(err);
            for (const b of blobs) sink.blobs.push({ pub: p, blob: b.slice() });
            resolve();
          },
        });
      });
    const g = groupPubs(new DirectDialer(), sink, { catchupFetchBlobs: 10 });
    g.setSubscriptions([address]);
    await g.start();
    const savedCursor = () => store.collection(CURSOR_NAMESPACE, cursorCodec).get(utf8.encode(address));
    // the first two runs are with the sink at once; the cursor has not moved
    await waitUntil(() => held.length === 2, 5_000, 'two runs handed');
    assert.equal(outstanding, 2);
    assert.ok(((await savedCursor()) ?? 0n) === 0n);
    // the second run handled before the first: still nothing saved past the first
    held[1]!.release();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(held.length, 2); // no third run while the first is still out
    assert.ok(((await savedCursor()) ?? 0n) === 0n);
    // the first one fails: the link fails, and the cursor stays where it was
    held[0]!.release(new Error('disk full'));
    await waitUntil(() => g.status()[0]?.lastError === GroupPubsErrorCode.SINK_FAILED, 5_000, 'failing');
    assert.ok(((await savedCursor()) ?? 0n) === 0n);
    // from then on every run is handled: everything arrives, in order, and the cursor reaches the end
    sink.blobs.length = 0;
    const drain = setInterval(() => {
      for (const h of held.splice(0)) if (h.blobs.length > 0) h.release();
    }, 5);
    try {
      await waitUntil(() => g.status()[0]?.state === 'live', 10_000, 'live');
      assert.equal(most, 2);
      const seen = sink.from(address);
      // read again from cursor 0: the run handled before the failure comes again (the sink dedupes)
      const last40 = seen.slice(seen.length - 40);
      assert.ok(last40.every((b, i) => bytesEqual(b, stored[i]!)));
      assert.equal(await savedCursor(), 40n);
    } finally {
      clearInterval(drain);
    }
  });

  it('posts one blob to two pubs with one down: the other accepts it, and the down one once it comes back', async () => {
    const up = await pub('up');
    const down = await pub('down');
    await down.server.stop();
    pubs.splice(pubs.indexOf(down.server), 1);
    const sink = new RecordingSink();
    const g = groupPubs(new DirectDialer(), sink);
    const b = blob();
    const toDown = g.post('group-1', down.address, b);
    const accepted = await g.post('group-1', up.address, b);
    assert.equal(accepted.duplicate, false);
    assert.ok(accepted.cursor >= 1n);
    let settled = false;
    void toDown.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(settled, false); // still retrying
    await pub('down', LIMITS, down.port); // same home, same port
    const late = await toDown;
    assert.equal(late.duplicate, false);
    assert.equal(late.cursor, 1n);
    // and posting it again is answered as a duplicate
    assert.deepEqual(await g.post('group-1', up.address, b), { cursor: accepted.cursor, duplicate: true });
  });

  it('solves a pub\'s proof of work in a worker thread: the event loop stays free while it is paid', async () => {
    const { address, server } = await pub('hard', { ...LIMITS, powDifficulty: 18 });
    const sink = new RecordingSink();
    const g = groupPubs(new DirectDialer(), sink);
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    let threads = 0;
    const watch = setInterval(() => (threads = Math.max(threads, g.resources.powThreads)), 5);
    histogram.enable();
    const t0 = Date.now();
    const posted = await Promise.all([blob(), blob(), blob()].map((b) => g.post('group-1', address, b)));
    const ms = Date.now() - t0;
    histogram.disable();
    clearInterval(watch);
    assert.equal(posted.length, 3);
    assert.equal(server.stats().posts, 3);
    assert.ok(threads >= 1, 'a proof-of-work thread ran');
    const maxLagMs = histogram.max / 1e6;
    assert.ok(maxLagMs < Math.max(150, ms / 4), `event loop blocked ${maxLagMs.toFixed(0)} ms during ${ms} ms of posting`);
  });

  it('a pub asking much work delays only its own copy: a cheap pub\'s post is accepted while the hard one is still being solved', async () => {
    const hard = await pub('hard', { ...LIMITS, powDifficulty: 26 }); // ~67 million hashes: never found by luck in the test's time
    const easy = await pub('easy', { ...LIMITS, powDifficulty: 4 });
    const sink = new RecordingSink();
    const g = groupPubs(new DirectDialer(), sink, { powWorkers: 1 }); // one thread: its jobs take turns
    const b = blob();
    let hardDone = false;
    const toHard = g.post('g1', hard.address, b).then(
      () => (hardDone = true),
      (err: unknown) => err,
    );
    await waitUntil(() => g.resources.powThreads === 1, 5_000, 'the hard job to start');
    await new Promise((r) => setTimeout(r, 50));
    await g.post('g1', easy.address, b);
    assert.equal(hardDone, false, 'the easy pub was not held up behind the hard one');
    assert.equal(easy.server.stats().posts, 1);
    await g.stop(); // the hard one is given up with the rest
    assert.ok(hasCode(GroupPubsErrorCode.STOPPED)(await toHard));
    assert.equal(hard.server.stats().posts, 0);
  });

  it('waits a random jitter of up to postJitterMs before a post\'s first try', async () => {
    const { address } = await pub('a');
    const sink = new RecordingSink();
    const g = groupPubs(new DirectDialer(), sink, { postJitterMs: 400, random: () => 0.99 });
    const t0 = Date.now();
    await g.post('g1', address, blob());
    assert.ok(Date.now() - t0 >= 390, 'the post waited its jitter (0.99 of 400 ms)');
    const quick = groupPubs(new DirectDialer(), sink, { postJitterMs: 400, random: () => 0 });
    await quick.post('g1', address, blob()); // dials; then a kept connection and no wait
    const t1 = Date.now();
    await quick.post('g1', address, blob());
    assert.ok(Date.now() - t1 < 390);
  });

  it('gives each (group, pub) its own posting connection and isolation key, apart from the subscription, and a fresh one after rotation', async () => {
    const a = await pub('a');
    const b = await pub('b');
    const sink = new RecordingSink();
    const dialer = new RecordingDialer(new DirectDialer());
    const g = groupPubs(dialer, sink, { rotateMs: 300, rotateJitterMs: 100 });
    g.setSubscriptions([a.address, b.address]);
    await g.start();
    await waitUntil(() => g.status().every((s) => s.state === 'live'), 5_000, 'live');
    const g1 = [blob(), blob()];
    const g2 = [blob()];
    await Promise.all([g.post('g1', a.address, g1[0]!), g.post('g1', b.address, g1[0]!), g.post('g2', a.address, g2[0]!)]);
    await g.post('g1', a.address, g1[1]!);

    const subscriptions = dialer.dials.filter((d) => d.sent.some((f) => f.type === PubFrameType.SUBSCRIBE));
    const posting = dialer.dials.filter((d) => d.sent.some((f) => f.type === PubFrameType.POST));
    assert.equal(subscriptions.length, 2);
    assert.equal(posting.length, 3); // (g1,a), (g1,b), (g2,a): the second g1 post to a reused its connection
    for (const d of [...subscriptions, ...posting]) assert.ok(d.isolationKey && d.isolationKey.length >= 16);
    const keys = [...subscriptions, ...posting].map((d) => d.isolationKey);
    assert.equal(new Set(keys).size, keys.length, 'every connection has its own isolation key');
    for (const d of posting) {
      // never a subscription on a posting socket, never two groups on one
      assert.ok(!d.sent.some((f) => f.type === PubFrameType.SUBSCRIBE || f.type === PubFrameType.FETCH));
      const posted = d.sent.flatMap((f) => (f.type === PubFrameType.POST ? [f.blob] : []));
      const ofG1 = posted.filter((p) => g1.some((x) => bytesEqual(x, p))).length;
      const ofG2 = posted.filter((p) => g2.some((x) => bytesEqual(x, p))).length;
      assert.ok(ofG1 === 0 || ofG2 === 0, 'one group per posting connection');
    }
    const g1a = posting.find((d) => d.address === a.address && d.sent.some((f) => f.type === PubFrameType.POST && bytesEqual(f.blob, g1[0]!)))!;
    assert.equal(g1a.sent.filter((f) => f.type === PubFrameType.POST).length, 2);

    // after its lifetime (300-400 ms) the idle connection is closed and the next post dials a fresh one
    await waitUntil(() => g1a.socket.readyState === g1a.socket.CLOSED, 2_000, 'the rotated connection to close');
    await g.post('g1', a.address, blob());
    const after = dialer.sending(a.address, PubFrameType.POST);
    assert.equal(after.length, 3);
    const rotated = after[2]!;
    assert.notEqual(rotated.isolationKey, g1a.isolationKey);
    assert.ok(!keys.includes(rotated.isolationKey));
  });

  it('tells the sink when blobs after its cursor were pruned before it read them', async () => {
    const { address } = await pub('small', { ...LIMITS, quotaBytes: 4 * BLOB_SIZE_STANDARD });
    const stored = await fill(address, 10);
    const sink = new RecordingSink();
    const g = groupPubs(new DirectDialer(), sink);
    g.setSubscriptions([address]);
    await g.start();
    await sink.until(() => sink.blobs.length === 4);
    assert.equal(sink.pruneNotices.length, 1);
    const notice = sink.pruneNotices[0]!;
    assert.equal(notice.pub, address);
    assert.equal(notice.start, 7n);
    assert.equal(notice.head, 10n);
    assert.ok(sink.from(address).every((b, i) => bytesEqual(b, stored[6 + i]!)));
  });

  it('does not report a prune of the re-read window only: nothing after the saved cursor was lost', async () => {
    const { address } = await pub('small', { ...LIMITS, quotaBytes: 4 * BLOB_SIZE_STANDARD });
    const stored = await fill(address, 10); // 1..6 pruned, 7..10 kept
    await store.collection(CURSOR_NAMESPACE, cursorCodec).put(utf8.encode(address), 8n);
    const sink = new RecordingSink();
    const dialer = new RecordingDialer(new DirectDialer());
    const g = groupPubs(dialer, sink);
    g.setSubscriptions([address]);
    await g.start();
    await sink.until(() => sink.blobs.length === 2);
    await waitUntil(() => g.status()[0]?.state === 'live', 5_000, 'live');
    const fetch = dialer.dials[0]!.sent.find((f): f is FetchFrame => f.type === PubFrameType.FETCH);
    assert.equal(fetch?.since, 0n); // asked from the rounded cursor, whose window the pub pruned
    assert.equal(sink.pruneNotices.length, 0);
    assert.ok(sink.from(address).every((b, i) => bytesEqual(b, stored[8 + i]!)));
  });

  it('a post given up by its caller rejects with ABORTED; posts still running when it stops reject with STOPPED, and nothing stays open', async () => {
    const a = await pub('a');
    const gone = await pub('gone');
    await gone.server.stop();
    pubs.splice(pubs.indexOf(gone.server), 1);
    const sink = new RecordingSink();
    const g = groupPubs(new DirectDialer(), sink);
    g.setSubscriptions([a.address, gone.address]);
    await g.start();
    await waitUntil(() => g.status().find((s) => s.address === a.address)?.state === 'live', 5_000, 'live');
    await waitUntil(() => g.status().find((s) => s.address === gone.address)?.state === 'failing', 5_000, 'failing');
    assert.equal(g.status().find((s) => s.address === gone.address)?.lastError, 'ERR_DIAL_FAILED');
    await g.post('g1', a.address, blob());
    const abort = new AbortController();
    const aborted = g.post('g1', gone.address, blob(), abort.signal);
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(aborted, hasCode(GroupPubsErrorCode.ABORTED));
    const pending = g.post('g2', gone.address, blob());
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(g.resources.sockets >= 2);
    await g.stop();
    await assert.rejects(pending, hasCode(GroupPubsErrorCode.STOPPED));
    await assert.rejects(g.post('g1', a.address, blob()), hasCode(GroupPubsErrorCode.STOPPED));
    assert.deepEqual(g.resources, { sockets: 0, powThreads: 0 });
    await waitUntil(() => pubs[0]!.stats().connections === 0, 2_000, 'the pub to see every connection closed');
  });

  it('stops subscribing to a pub taken out of the set, and subscribes to one added', async () => {
    const a = await pub('a');
    const b = await pub('b');
    const sink = new RecordingSink();
    const g = groupPubs(new DirectDialer(), sink);
    g.setSubscriptions([a.address]);
    await g.start();
    await waitUntil(() => g.status()[0]?.state === 'live', 5_000, 'live');
    g.setSubscriptions([b.address]);
    await waitUntil(() => g.status().length === 1 && g.status()[0]?.address === b.address && g.status()[0]?.state === 'live', 5_000, 'b live');
    await waitUntil(() => pubs[0]!.stats().subscriptions === 0, 2_000, 'a unsubscribed');
    await fill(a.address, 1);
    const [onB] = await fill(b.address, 1);
    await sink.until(() => sink.blobs.length === 1);
    assert.ok(sink.has(b.address, onB!));
    assert.equal(sink.from(a.address).length, 0);
  });

  it('catches up again by fetching when the pub pushes more bytes than the sink takes', async () => {
    const { address } = await pub('a');
    const sink = new RecordingSink();
    const g = groupPubs(new DirectDialer(), sink, { liveQueueBytes: 5 * BLOB_SIZE_STANDARD });
    const errors: (string | null)[] = [];
    g.addEventListener('change', (e) => errors.push(e.detail.lastError));
    g.setSubscriptions([address]);
    await g.start();
    await waitUntil(() => g.status()[0]?.state === 'live', 5_000, 'live');
    sink.delayMs = 20;
    const posted = await fill(address, 30);
    await sink.until(() => sink.blobs.length === 30, 15_000);
    assert.ok(sink.from(address).every((b, i) => bytesEqual(b, posted[i]!)), 'each once, in order');
    assert.ok(errors.includes(GroupPubsErrorCode.SINK_BEHIND), 'the link was dropped for the sink being behind');
    sink.delayMs = 0;
    await waitUntil(() => g.status()[0]?.state === 'live', 5_000, 'live again');
  });

  it('hands a catch-up\'s pages and the blobs queued while live to a sink that takes runs as runs, each blob once and in order', async () => {
    const { address } = await pub('a');
    const stored = await fill(address, 250);
    const sink = new RunSink();
    const g = groupPubs(new DirectDialer(), sink, { catchupFetchBlobs: 100 });
    g.setSubscriptions([address]);
    await g.start();
    await sink.until(() => sink.blobs.length === 250);
    await waitUntil(() => g.status()[0]?.state === 'live', 5_000, 'live');
    assert.equal(sink.singles, 0);
    assert.ok(sink.runs.length >= 3 && sink.runs.every((n) => n <= 100), `runs ${sink.runs.join(',')}`);
    // live: the sink holds the first pushed blob; the next five queue meanwhile and come as one run
    let release!: () => void;
    sink.gate = new Promise<void>((r) => (release = r));
    const live = await fill(address, 6);
    await waitUntil(() => pubs[0]!.stats().blobs === 256, 5_000, 'the pub holding them');
    await new Promise((r) => setTimeout(r, 300)); // the pushes reach the queue
    sink.gate = null;
    release();
    await sink.until(() => sink.blobs.length === 256);
    assert.ok(sink.runs.slice(-1)[0]! >= 2, `live runs ${sink.runs.join(',')}`);
    assert.ok(sink.from(address).every((b, i) => bytesEqual(b, [...stored, ...live][i]!)));
    await g.stop();
    assert.equal(await store.collection(CURSOR_NAMESPACE, cursorCodec).get(utf8.encode(address)), 256n);
  });

  it('never saves a cursor inside or past a run the sink failed: the run is handed again whole once it recovers, nothing lost or repeated', async () => {
    const { address } = await pub('a');
    const stored = await fill(address, 40);
    const sink = new RunSink();
    const boom = new Error('disk full');
    sink.beforeRun = (n) => {
      if (n === 2) sink.failWith = boom;
    };
    const g = groupPubs(new DirectDialer(), sink, { catchupFetchBlobs: 10 });
    g.setSubscriptions([address]);
    await g.start();
    await waitUntil(() => g.status()[0]?.lastError === GroupPubsErrorCode.SINK_FAILED, 5_000, 'failing');
    assert.equal(sink.blobs.length, 10); // the first run only
    const saved = await store.collection(CURSOR_NAMESPACE, cursorCodec).get(utf8.encode(address));
    assert.ok(saved === undefined || saved <= 10n, `saved ${saved}`);
    sink.beforeRun = null;
    sink.failWith = null;
    await sink.until(() => sink.blobs.length === 40);
    await waitUntil(() => g.status()[0]?.state === 'live', 5_000, 'live');
    assert.equal(sink.blobs.length, 40);
    assert.ok(sink.from(address).every((b, i) => bytesEqual(b, stored[i]!)));
  });
});

