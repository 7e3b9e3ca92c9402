/**
 * The pub through its onion service on a private Tor network, beside tor's own bulk throughput
 * over the same network, the same two tors and the same run: catch-up throughput (5 rounds, each
 * beside a bulk transfer of the same number of bytes), then what limits it (requests in flight,
 * page size, tor's stream and circuit windows, the client's reassembly), and post latency beside
 * loopback.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { WebSocket } from 'ws';
import { PubClient } from '../daemon/pub-links/client.js';
import { PubServer } from '../daemon/pub/server.js';
import { DirectDialer } from '../daemon/transport/direct.js';
import { torDialer } from '../daemon/transport/tor.js';
import type { Dialer } from '../daemon/transport/types.js';
import { PAGE_BLOBS_MAX } from '../protocol/pub-wire.js';
import { Prng, makeSerialBlob, makeTempDir, removeDir } from '../test/helpers/pub-fixtures.js';
import { bulkDownload, startEchoServer } from './baseline.js';
import { BENCH_BLOB_BYTES, connectClients, fetchAll, postAll } from './pub.js';
import { BENCH_LIMITS, BENCH_POW_NOTE } from './pow.js';
import { MB, figure, heading, median, note, nowMs, quantile } from './stats.js';
import { dialUntilReachable, publish, startClient, startRig, stopRig } from './tor.js';

/** Blobs fetched through the onion service (51.2 MB of 5120-byte blobs), and posts timed one at a time. */
const ONION_BACKLOG_BLOBS = 10_000;
const ONION_POSTS = 200;
const ROUNDS = 5;
/** Blobs fetched in each of the diagnostic variants (a smaller transfer: each runs once). */
const VARIANT_BLOBS = 4_000;
/** The page size limit of the second pub (the diagnostic of page size). */
const SMALL_PAGE_BYTES = 64 * 1024;
/** Linux clock ticks per second (/proc/PID/stat utime and stime). */
const CLOCK_TICKS = 100;

/** Posts `count` blobs one at a time and returns each post's latency (ms). */
async function postLatencies(client: PubClient, prng: Prng, count: number, serialBase: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const blob = makeSerialBlob(prng, serialBase + i, BENCH_BLOB_BYTES);
    const t0 = nowMs();
    await client.post(blob);
    samples.push(nowMs() - t0);
  }
  return samples;
}

/** CPU time (ms) used so far by every process whose command line mentions `dir` (this rig's tors). */
async function cpuOfProcessesIn(dir: string): Promise<number> {
  let ticks = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(dir)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/** A transfer timed with the CPU it cost: this process (pub and client) and the rig's tors, as shares of one core. */
interface Timed {
  readonly mbs: number;
  readonly nodeShare: number;
  readonly torShare: number;
}

async function timed(rigDir: string, bytes: () => number, run: () => Promise<unknown>): Promise<Timed> {
  const tor0 = await cpuOfProcessesIn(rigDir);
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  await run();
  const ms = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  const tor1 = await cpuOfProcessesIn(rigDir);
  return { mbs: bytes() / MB / (ms / 1000), nodeShare: (cpu.user + cpu.system) / 1000 / ms, torShare: (tor1 - tor0) / ms };
}

function cpuNote(t: Timed): string {
  return `CPU: node ${(t.nodeShare * 100).toFixed(0)}%, tors ${(t.torShare * 100).toFixed(0)}% of one core`;
}

/** Bulk downloads on several echo sockets at once; the total bytes. */
async function parallelBulk(sockets: readonly WebSocket[], bytesEach: number): Promise<void> {
  await Promise.all(sockets.map((ws) => bulkDownload(ws, bytesEach)));
}

export async function runPubTorBench(): Promise<void> {
  heading('pub through its onion service on a private Tor network, beside tor bulk throughput on the same tors');
  note(BENCH_POW_NOTE);
  const prng = new Prng(0x70b);
  const home = await makeTempDir('bench-pub-tor');
  const homeSmall = await makeTempDir('bench-pub-tor-small');
  const pub = new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits: BENCH_LIMITS });
  const pubSmall = new PubServer({ home: homeSmall, listen: { host: '127.0.0.1', port: 0 }, limits: { ...BENCH_LIMITS, maxPageBytes: SMALL_PAGE_BYTES } });
  const echo = await startEchoServer();
  const rig = await startRig();
  const clients: PubClient[] = [];
  const sockets: WebSocket[] = [];
  try {
    const { host, port } = await pub.start();
    const small = await pubSmall.start();
    const loopAddress = `ws://${host}:${port}`;
    const direct = new DirectDialer();
    const blobs = Array.from({ length: ONION_BACKLOG_BLOBS }, (_, i) => makeSerialBlob(prng, i, BENCH_BLOB_BYTES));
    for (const address of [loopAddress, `ws://${small.host}:${small.port}`]) {
      const fillers = await connectClients(direct, address, 8);
      await postAll(fillers, address === loopAddress ? blobs : blobs.slice(0, VARIANT_BLOBS));
      await Promise.allSettled(fillers.map((c) => c.close()));
    }

    const server = await startClient(rig, 'pub');
    const client = await startClient(rig, 'client');
    const onion = await publish(server, port);
    const onionSmall = await publish(server, small.port);
    const onionEcho = await publish(server, echo.port);
    await Promise.all([onion.uploaded(), onionSmall.uploaded(), onionEcho.uploaded()]);
    const dialer = torDialer(client);
    for (const o of [onion, onionSmall]) (await dialUntilReachable(dialer, o.address)).close();
    const echoWs = await dialUntilReachable(dialer, onionEcho.address);
    sockets.push(echoWs);

    const viaOnion = await PubClient.connect(dialer, onion.address);
    const viaLoop = await PubClient.connect(direct, loopAddress);
    clients.push(viaOnion, viaLoop);
    // rounds: the pub's streamed catch-up through the onion service, then tor's bulk transfer of
    // the same number of bytes through the same two tors (client tor -> the pub's tor), alternating
    const pubRounds: Timed[] = [];
    const bulkRounds: Timed[] = [];
    let catchUpBytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let got = 0;
      pubRounds.push(await timed(rig.dir, () => got, async () => {
        got = (await fetchAll(viaOnion, 0n, PAGE_BLOBS_MAX)).bytes;
      }));
      catchUpBytes = got;
      bulkRounds.push(await timed(rig.dir, () => catchUpBytes, () => bulkDownload(echoWs, catchUpBytes)));
    }
    const ratios = pubRounds.map((p, i) => p.mbs / bulkRounds[i]!.mbs);
    note(`catch-up: fetch ${ONION_BACKLOG_BLOBS.toLocaleString('en-US')} blobs of ${BENCH_BLOB_BYTES} bytes (${(catchUpBytes / MB).toFixed(1)} MB) from cursor 0 through the onion service, fetches of up to ${PAGE_BLOBS_MAX} blobs (pages of at most 256 blobs / 512 KiB streamed back to back); baseline: tor bulk, a WebSocket echo server behind an onion service on the same tor as the pub sending the same number of bytes in 64 KiB messages to the same client tor; ${ROUNDS} rounds alternating, medians below`);
    note(`catch-up rounds, pub / tor bulk MB/s: ${pubRounds.map((p, i) => `${p.mbs.toFixed(2)} / ${bulkRounds[i]!.mbs.toFixed(2)}`).join(', ')}; ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
    note(`CPU while transferring (median of rounds, share of one core): pub catch-up node ${(median(pubRounds.map((p) => p.nodeShare)) * 100).toFixed(0)}%, tors ${(median(pubRounds.map((p) => p.torShare)) * 100).toFixed(0)}%; tor bulk node ${(median(bulkRounds.map((p) => p.nodeShare)) * 100).toFixed(0)}%, tors ${(median(bulkRounds.map((p) => p.torShare)) * 100).toFixed(0)}% (5 authorities relay every cell of the 6-hop rendezvous circuit on this 2-core machine)`);
    figure('catch-up through the onion service', median(pubRounds.map((p) => p.mbs)), 'MB/s');
    figure('tor bulk, same tors, same bytes', median(bulkRounds.map((p) => p.mbs)), 'MB/s');
    const ratio = median(ratios);
    figure('catch-up ratio pub / tor bulk', ratio, '', ratio >= 0.8 ? 'target >= 0.8: met' : 'target >= 0.8: NOT met');

    // what limits it: each variant once, on VARIANT_BLOBS blobs
    const variantBytes = VARIANT_BLOBS * BENCH_BLOB_BYTES;
    note(`what limits it (each once, ${(variantBytes / MB).toFixed(1)} MB): requests in flight, page size, tor's windows, the client`);
    let got = 0;
    const onePage = await timed(rig.dir, () => got, async () => {
      got = (await fetchAllUpTo(viaOnion, VARIANT_BLOBS, viaOnion.policy.maxPageBlobs)).bytes;
    });
    figure('  one page (256 blobs / 512 KiB) per fetch, a round trip each', onePage.mbs, 'MB/s', cpuNote(onePage));
    const streamed = await timed(rig.dir, () => got, async () => {
      got = (await fetchAllUpTo(viaOnion, VARIANT_BLOBS, VARIANT_BLOBS)).bytes;
    });
    figure('  one streamed fetch (pages back to back)', streamed.mbs, 'MB/s', cpuNote(streamed));
    const viaSmall = await PubClient.connect(dialer, onionSmall.address);
    clients.push(viaSmall);
    const smallPages = await timed(rig.dir, () => got, async () => {
      got = (await fetchAllUpTo(viaSmall, VARIANT_BLOBS, VARIANT_BLOBS)).bytes;
    });
    figure(`  the same, pages of at most ${SMALL_PAGE_BYTES / 1024} KiB`, smallPages.mbs, 'MB/s', cpuNote(smallPages));
    const bulkOne = await timed(rig.dir, () => variantBytes, () => bulkDownload(echoWs, variantBytes));
    figure('  tor bulk, 1 stream', bulkOne.mbs, 'MB/s', cpuNote(bulkOne));
    // two streams on one circuit (same isolation key) and on two circuits (different keys)
    const keyed = (isolationKey: string): Dialer => ({ kind: 'tor', dial: (a, o) => dialer.dial(a, { ...o, isolationKey }) });
    const sameCircuit = [await dialUntilReachable(keyed('one'), onionEcho.address), await dialUntilReachable(keyed('one'), onionEcho.address)];
    const twoCircuits = [await dialUntilReachable(keyed('a'), onionEcho.address), await dialUntilReachable(keyed('b'), onionEcho.address)];
    sockets.push(...sameCircuit, ...twoCircuits);
    const bulkSame = await timed(rig.dir, () => variantBytes, () => parallelBulk(sameCircuit, variantBytes / 2));
    figure('  tor bulk, 2 streams on 1 circuit (total)', bulkSame.mbs, 'MB/s', cpuNote(bulkSame));
    const bulkTwo = await timed(rig.dir, () => variantBytes, () => parallelBulk(twoCircuits, variantBytes / 2));
    figure('  tor bulk, 2 streams on 2 circuits (total)', bulkTwo.mbs, 'MB/s', cpuNote(bulkTwo));
    const loopFetch = await timed(rig.dir, () => got, async () => {
      got = (await fetchAll(viaLoop, 0n, PAGE_BLOBS_MAX)).bytes;
    });
    figure('  catch-up over loopback (no tor)', loopFetch.mbs, 'MB/s', cpuNote(loopFetch));

    const onionPosts = await postLatencies(viaOnion, prng, ONION_POSTS, 1_000_000);
    const loopPosts = await postLatencies(viaLoop, prng, ONION_POSTS, 2_000_000);
    note(`post latency: ${ONION_POSTS} posts one at a time, post() call to durable ack`);
    figure('post latency through onion, median', median(onionPosts), 'ms');
    figure('post latency through onion, p99', quantile(onionPosts, 0.99), 'ms');
    figure('post latency over loopback, median', median(loopPosts), 'ms');
    figure('post latency over loopback, p99', quantile(loopPosts, 0.99), 'ms');
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    for (const ws of sockets) ws.terminate();
    await pub.stop().catch(() => {});
    await pubSmall.stop().catch(() => {});
    await echo.stop();
    await stopRig(rig);
    await removeDir(home);
    await removeDir(homeSmall);
  }
}

/** Fetches the first `count` blobs from cursor 0 with fetches of up to `limit` each. */
async function fetchAllUpTo(client: PubClient, count: number, limit: number): Promise<{ bytes: number }> {
  let bytes = 0;
  let got = 0;
  let cursor = 0n;
  while (got < count) {
    const end = await client.fetchEach(cursor, (page) => {
      for (const b of page) bytes += b.blob.byteLength;
    }, { limit: Math.min(limit, count - got) });
    got += end.count;
    cursor = end.next;
    if (!end.more) break;
  }
  return { bytes };
}
