/**
 * What the pub links' isolation costs a sender (docs/daemon.md, "Pub links"): the latency of
 * GroupPubs.post() (call to the pub's durable ack) on a kept posting connection beside a
 * fresh connection (a fresh isolation key, so a fresh tor circuit) for every post, which is
 * what the first post after each rotation pays. Over loopback (the direct dialer) and through
 * the pub's onion service on a private Tor network, in one run, each beside a bare PubClient
 * posting on an open connection (the floor).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ROTATE_JITTER_MS, ROTATE_MS } from '../daemon/group-pubs/constants.js';
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
import { BENCH_LIMITS, BENCH_POW_NOTE } from './pow.js';
import { figure, heading, median, note, nowMs, quantile } from './stats.js';
import { dialUntilReachable, publish, startClient, startRig, stopRig } from './tor.js';

/** Posts timed one at a time on a kept connection, and on a fresh one each. */
const KEPT_POSTS = 200;
const FRESH_POSTS = 60;

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
  const keptLinks = new GroupPubs({ dialer, log: () => {}, sink: NO_SINK, store }, { rotateMs: 3_600_000, rotateJitterMs: 0 });
  let kept: number[];
  try {
    await keptLinks.post('bench', address, makeSerialBlob(prng, serial.n++, BLOB_SIZE_STANDARD)); // dials it
    kept = await timePosts(KEPT_POSTS, (b) => keptLinks.post('bench', address, b), prng, serial);
  } finally {
    await keptLinks.stop();
  }
  const freshLinks = new GroupPubs({ dialer, log: () => {}, sink: NO_SINK, store }, { rotateMs: 0, rotateJitterMs: 0 });
  let fresh: number[];
  try {
    fresh = await timePosts(FRESH_POSTS, (b) => freshLinks.post('bench', address, b), prng, serial);
  } finally {
    await freshLinks.stop();
  }
  return { bare, kept, fresh };
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
  note(`${KEPT_POSTS} posts one at a time on a kept connection (after one post that dials it), ${FRESH_POSTS} on a fresh connection each (rotateMs 0: new isolation key, new circuit); ${BLOB_SIZE_STANDARD}-byte blobs; proof of work in the worker thread either way`);
  await ready();
  const prng = new Prng(0x6b9);
  const serial = { n: 1 };
  const home = await makeTempDir('bench-group-pubs');
  const pub = new PubServer({ home: join(home, 'pub'), listen: { host: '127.0.0.1', port: 0 }, limits: { ...BENCH_LIMITS, maxBlobBytes: BLOB_SIZE_STANDARD } });
  const store = await RecordStore.open(join(home, 'records'), randomBytes(32));
  const rig = await startRig();
  try {
    const { host, port } = await pub.start();
    const loop = await measure(new DirectDialer(), `ws://${host}:${port}`, store, prng, serial);
    report('loopback', loop);

    const server = await startClient(rig, 'pub');
    const client = await startClient(rig, 'member');
    const onion = await publish(server, port);
    await onion.uploaded();
    (await dialUntilReachable(torDialer(client), onion.address)).close();
    const tor = await measure(torDialer(client), onion.address, store, prng, serial);
    report('onion', tor);

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
