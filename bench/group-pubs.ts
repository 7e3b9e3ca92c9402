/**
 * What the pub links' isolation costs a sender (docs/daemon.md, "Pub links"): the latency of
 * GroupPubs.post() (call to the pub's durable ack) on a kept posting connection beside a
 * fresh connection (a fresh isolation key, so a fresh tor circuit) for every post, which is
 * what the first post after each rotation pays. Over loopback (the direct dialer) and through
 * the pub's onion service on a private Tor network, in one run, each beside a bare PubClient
 * posting on an open connection (the floor). Then the rate at which a new subscription hands a
 * backlog of ~10,000 blobs to a sink (a no-op), beside a bare PubClient fetching the same.
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { POST_JITTER_MS, ROTATE_JITTER_MS, ROTATE_MS } from '../daemon/group-pubs/constants.js';
import { GroupPubs } from '../daemon/group-pubs/group-pubs.js';
import type { PubBlobSink } from '../daemon/group-pubs/types.js';
import { PubClient } from '../daemon/pub-links/client.js';
import { PubServer } from '../daemon/pub/server.js';
import { RecordStore } from '../daemon/store/store.js';
import { DirectDialer } from '../daemon/transport/direct.js';
import { torDialer } from '../daemon/transport/tor.js';
import type { Dialer } from '../daemon/transport/types.js';
import { BLOB_SIZE_STANDARD } from '../protocol/constants.js';
import { ready } from '../protocol/crypto.js';
import { Prng, makeSerialBlob, makeTempDir, removeDir } from '../test/helpers/pub-fixtures.js';
import { DEFAULT_PUB_LIMITS } from '../daemon/pub/constants.js';
import { BENCH_LIMITS, BENCH_POW_NOTE } from './pow.js';
import { connectClients, fetchAll, postAll } from './pub.js';
import { figure, heading, median, note, nowMs, quantile } from './stats.js';
import { dialUntilReachable, publish, startClient, startRig, stopRig } from './tor.js';

/** Posts timed one at a time on a kept connection, and on a fresh one each. */
const KEPT_POSTS = 200;
const FRESH_POSTS = 60;
/** The backlog a new subscription catches up on. */
const BACKLOG_BLOBS = 10_000;

const NO_SINK: PubBlobSink = { blobReceived: async () => {}, pruned: async () => {} };

interface Figures {
  readonly bare: number[];
  readonly kept: number[];
  readonly fresh: number[];
}

async function timePosts(count: number, post: (blob: Uint8Array) => Promise<unknown>, prng: Prng, serial: { n: number }): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const blob = makeSerialBlob(prng, serial.n++, BLOB_SIZE_STANDARD);
    const t0 = nowMs();
    await post(blob);
    samples.push(nowMs() - t0);
  }
  return samples;
}

async function measure(dialer: Dialer, address: string, store: RecordStore, prng: Prng, serial: { n: number }): Promise<Figures> {
  const bareClient = await PubClient.connect(dialer, address, { isolationKey: randomBytes(16).toString('hex'), timeoutMs: 60_000 });
  let bare: number[];
  try {
    await bareClient.post(makeSerialBlob(prng, serial.n++, BLOB_SIZE_STANDARD));
    bare = await timePosts(KEPT_POSTS, (b) => bareClient.post(b), prng, serial);
  } finally {
    await bareClient.close();
  }
  const keptLinks = new GroupPubs({ dialer, log: () => {}, sink: NO_SINK, store }, { rotateMs: 3_600_000, rotateJitterMs: 0, postJitterMs: 0 });
  let kept: number[];
  try {
    await keptLinks.post('bench', address, makeSerialBlob(prng, serial.n++, BLOB_SIZE_STANDARD)); // dials it
    kept = await timePosts(KEPT_POSTS, (b) => keptLinks.post('bench', address, b), prng, serial);
  } finally {
    await keptLinks.stop();
  }
  const freshLinks = new GroupPubs({ dialer, log: () => {}, sink: NO_SINK, store }, { rotateMs: 0, rotateJitterMs: 0, postJitterMs: 0 });
  let fresh: number[];
  try {
    fresh = await timePosts(FRESH_POSTS, (b) => freshLinks.post('bench', address, b), prng, serial);
  } finally {
    await freshLinks.stop();
  }
  return { bare, kept, fresh };
}

/**
 * A subscription from cursor 0 (a fresh store: no saved cursor) until the sink has every blob the
 * pub holds, beside a bare PubClient fetching the same with FETCHes of 1024 blobs.
 */
async function catchUp(dialer: Dialer, address: string, dir: string, blobs: number): Promise<{ links: number; bare: number }> {
  const store = await RecordStore.open(dir, randomBytes(32));
  let got = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => (done = resolve));
  const sink: PubBlobSink = {
    blobReceived: async () => {
      if (++got === blobs) done();
    },
    pruned: async () => {},
  };
  const links = new GroupPubs({ dialer, log: () => {}, sink, store });
  let linksMs: number;
  try {
    const t0 = nowMs();
    links.setSubscriptions([address]);
    await links.start();
    await all;
    linksMs = nowMs() - t0;
  } finally {
    await links.stop();
    await store.close();
  }
  const client = await PubClient.connect(dialer, address, { timeoutMs: 60_000 });
  try {
    const t0 = nowMs();
    const fetched = await fetchAll(client, 0n, 1024);
    const bareMs = nowMs() - t0;
    if (fetched.count !== blobs) throw new Error(`the bare fetch got ${fetched.count} of ${blobs}`);
    return { links: blobs / (linksMs / 1000), bare: blobs / (bareMs / 1000) };
  } finally {
    await client.close();
  }
}

/** Posts at the pub's default difficulty: the event loop's delay while the proof is paid in the worker vs by the client on the loop. */
async function powOffTheLoop(home: string, store: RecordStore, prng: Prng, serial: { n: number }): Promise<void> {
  const difficulty = DEFAULT_PUB_LIMITS.powDifficulty;
  const count = 20;
  const pub = new PubServer({ home: join(home, 'pow-pub'), listen: { host: '127.0.0.1', port: 0 }, limits: { ...BENCH_LIMITS, powDifficulty: difficulty, maxBlobBytes: BLOB_SIZE_STANDARD } });
  const { host, port } = await pub.start();
  const address = `ws://${host}:${port}`;
  const lag = async (post: (b: Uint8Array) => Promise<unknown>): Promise<{ ms: number; p99: number; max: number }> => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t0 = nowMs();
    for (let i = 0; i < count; i++) await post(makeSerialBlob(prng, serial.n++, BLOB_SIZE_STANDARD));
    const ms = (nowMs() - t0) / count;
    h.disable();
    return { ms, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
  };
  try {
    const links = new GroupPubs({ dialer: new DirectDialer(), log: () => {}, sink: NO_SINK, store }, { postJitterMs: 0 });
    const inWorker = await lag((b) => links.post('pow', address, b));
    await links.stop();
    const client = await PubClient.connect(new DirectDialer(), address);
    const onLoop = await lag((b) => client.post(b));
    await client.close();
    note(`proof of work at the default ${difficulty} bits: ${count} posts one at a time over loopback; the event loop's delay (monitorEventLoopDelay, 1 ms resolution) meanwhile`);
    figure('PoW in the worker thread (GroupPubs): ms per post', inWorker.ms, 'ms');
    figure('PoW in the worker thread: event loop delay p99 / max', `${inWorker.p99.toFixed(1)} / ${inWorker.max.toFixed(1)}`, 'ms');
    figure('PoW on the loop (PubClient.post, slices of 4096): ms per post', onLoop.ms, 'ms');
    figure('PoW on the loop: event loop delay p99 / max', `${onLoop.p99.toFixed(1)} / ${onLoop.max.toFixed(1)}`, 'ms');
  } finally {
    await pub.stop();
  }
}

function report(where: string, f: Figures): void {
  figure(`${where}: bare PubClient.post on an open connection, median`, median(f.bare), 'ms');
  figure(`${where}: GroupPubs.post, kept connection, median`, median(f.kept), 'ms');
  figure(`${where}: GroupPubs.post, kept connection, p99`, quantile(f.kept, 0.99), 'ms');
  figure(`${where}: GroupPubs.post, fresh connection each, median`, median(f.fresh), 'ms');
  figure(`${where}: GroupPubs.post, fresh connection each, p99`, quantile(f.fresh, 0.99), 'ms');
  const extra = median(f.fresh) - median(f.kept);
  figure(`${where}: extra for the first post after a rotation (median fresh - median kept)`, extra, 'ms');
}

export async function runGroupPubsBench(): Promise<void> {
  heading('group pub links: post latency on a kept connection vs a fresh circuit per rotation');
  note(BENCH_POW_NOTE);
  note(`${KEPT_POSTS} posts one at a time on a kept connection (after one post that dials it), ${FRESH_POSTS} on a fresh connection each (rotateMs 0: new isolation key, new circuit); ${BLOB_SIZE_STANDARD}-byte blobs; proof of work in the worker thread either way; without the post jitter (by default each post first waits a uniform 0-${POST_JITTER_MS} ms)`);
  await ready();
  const prng = new Prng(0x6b9);
  const serial = { n: 1 };
  const home = await makeTempDir('bench-group-pubs');
  const pub = new PubServer({ home: join(home, 'pub'), listen: { host: '127.0.0.1', port: 0 }, limits: { ...BENCH_LIMITS, maxBlobBytes: BLOB_SIZE_STANDARD } });
  const store = await RecordStore.open(join(home, 'records'), randomBytes(32));
  const rig = await startRig();
  try {
    const { host, port } = await pub.start();
    const loopAddress = `ws://${host}:${port}`;
    const fillers = await connectClients(new DirectDialer(), loopAddress, 4);
    await postAll(fillers, Array.from({ length: BACKLOG_BLOBS }, () => makeSerialBlob(prng, serial.n++, BLOB_SIZE_STANDARD)));
    await Promise.allSettled(fillers.map((c) => c.close()));
    const loop = await measure(new DirectDialer(), loopAddress, store, prng, serial);
    report('loopback', loop);

    const server = await startClient(rig, 'pub');
    const client = await startClient(rig, 'member');
    const onion = await publish(server, port);
    await onion.uploaded();
    (await dialUntilReachable(torDialer(client), onion.address)).close();
    const tor = await measure(torDialer(client), onion.address, store, prng, serial);
    report('onion', tor);

    const held = Number(pub.stats().head);
    note(`catch-up: a new subscription (no saved cursor) until the sink (a no-op) was handed all ${held.toLocaleString('en-US')} blobs the pub holds (${BLOB_SIZE_STANDARD} bytes each), beside a bare PubClient fetching them with FETCHes of 1024`);
    const loopCatch = await catchUp(new DirectDialer(), loopAddress, join(home, 'catch-loop'), held);
    figure('loopback: GroupPubs catch-up', loopCatch.links, 'blobs/s');
    figure('loopback: bare PubClient fetch', loopCatch.bare, 'blobs/s', `ratio ${(loopCatch.links / loopCatch.bare).toFixed(2)}`);
    const torCatch = await catchUp(torDialer(client), onion.address, join(home, 'catch-onion'), held);
    figure('onion: GroupPubs catch-up', torCatch.links, 'blobs/s');
    figure('onion: bare PubClient fetch', torCatch.bare, 'blobs/s', `ratio ${(torCatch.links / torCatch.bare).toFixed(2)}`);

    await powOffTheLoop(home, store, prng, serial);

    const meanRotationMin = (ROTATE_MS + ROTATE_JITTER_MS / 2) / 60_000;
    const extra = median(tor.fresh) - median(tor.kept);
    note(
      `rotation every ${ROTATE_MS / 60_000}-${(ROTATE_MS + ROTATE_JITTER_MS) / 60_000} min (mean ${meanRotationMin} min) per (group, pub): ` +
        `only the first post after a rotation pays the ~${extra.toFixed(0)} ms of a new circuit; ` +
        `at one post a minute that is ~${(extra / meanRotationMin).toFixed(0)} ms a post on average, at one every ten seconds ~${(extra / (meanRotationMin * 6)).toFixed(1)} ms`,
    );
  } finally {
    await pub.stop().catch(() => {});
    await store.close().catch(() => {});
    await stopRig(rig);
    await removeDir(home);
  }
}
