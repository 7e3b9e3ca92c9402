/**
 * The pub through its onion service on a private Tor network, beside the same pub over loopback
 * in the same run: catch-up throughput and post latency.
 */
import { PubClient } from '../daemon/pub/client.js';
import { PubServer } from '../daemon/pub/server.js';
import { DirectDialer } from '../daemon/transport/direct.js';
import { torDialer } from '../daemon/transport/tor.js';
import { Prng, makeSerialBlob, makeTempDir, removeDir } from '../test/helpers/pub-fixtures.js';
import { connectClients, fetchAll, postAll } from './pub.js';
import { BENCH_LIMITS, BENCH_POW_NOTE } from './pow.js';
import { MB, figure, heading, median, note, nowMs, quantile } from './stats.js';
import { dialUntilReachable, publish, startClient, startRig, stopRig } from './tor.js';

/** Blobs fetched through the onion service, and posts timed one at a time. */
const ONION_BACKLOG_BLOBS = 10_000;
const ONION_POSTS = 200;

/** Posts `count` blobs one at a time and returns each post's latency (ms). */
async function postLatencies(client: PubClient, prng: Prng, count: number, serialBase: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const blob = makeSerialBlob(prng, serialBase + i);
    const t0 = nowMs();
    await client.post(blob);
    samples.push(nowMs() - t0);
  }
  return samples;
}

export async function runPubTorBench(): Promise<void> {
  heading('pub through its onion service on a private Tor network, beside loopback');
  note(BENCH_POW_NOTE);
  const prng = new Prng(0x70b);
  const home = await makeTempDir('bench-pub-tor');
  const pub = new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits: BENCH_LIMITS });
  const rig = await startRig();
  try {
    const { host, port } = await pub.start();
    const loopAddress = `ws://${host}:${port}`;
    const direct = new DirectDialer();
    const fillers = await connectClients(direct, loopAddress, 8);
    await postAll(fillers, Array.from({ length: ONION_BACKLOG_BLOBS }, (_, i) => makeSerialBlob(prng, i)));
    await Promise.allSettled(fillers.map((c) => c.close()));

    const server = await startClient(rig, 'pub');
    const client = await startClient(rig, 'client');
    const onion = await publish(server, port);
    await onion.uploaded();
    (await dialUntilReachable(torDialer(client), onion.address)).close();

    const viaOnion = await PubClient.connect(torDialer(client), onion.address);
    const viaLoop = await PubClient.connect(direct, loopAddress);
    try {
      const onionFetch = await fetchAll(viaOnion, 0n, 1000);
      const loopFetch = await fetchAll(viaLoop, 0n, 1000);
      note(`catch-up: fetch ${onionFetch.count.toLocaleString('en-US')} blobs (${(onionFetch.bytes / MB).toFixed(1)} MB) from cursor 0, fetches of up to 1000 blobs (each answered by pages of at most 256 streamed back to back)`);
      figure('catch-up through the onion service', onionFetch.bytes / MB / (onionFetch.ms / 1000), 'MB/s');
      figure('catch-up over loopback', loopFetch.bytes / MB / (loopFetch.ms / 1000), 'MB/s');

      const onionPosts = await postLatencies(viaOnion, prng, ONION_POSTS, 1_000_000);
      const loopPosts = await postLatencies(viaLoop, prng, ONION_POSTS, 2_000_000);
      note(`post latency: ${ONION_POSTS} posts one at a time, post() call to durable ack`);
      figure('post latency through onion, median', median(onionPosts), 'ms');
      figure('post latency through onion, p99', quantile(onionPosts, 0.99), 'ms');
      figure('post latency over loopback, median', median(loopPosts), 'ms');
      figure('post latency over loopback, p99', quantile(loopPosts, 0.99), 'ms');
    } finally {
      await Promise.allSettled([viaOnion.close(), viaLoop.close()]);
    }
  } finally {
    await pub.stop().catch(() => {});
    await stopRig(rig);
    await removeDir(home);
  }
}
