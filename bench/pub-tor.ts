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
import { bulkDownload, echoRoundTrips, startEchoServer } from './baseline.js';
import { BENCH_BLOB_BYTES, connectClients, fetchAll, postAll } from './pub.js';
import { BENCH_LIMITS, BENCH_POW_NOTE } from './pow.js';
import { MB, figure, heading, median, note, nowMs, quantile } from './stats.js';
import { dialUntilReachable, publish, startClient, startRig, stopRig } from './tor.js';

/** Blobs fetched through the onion service (51.2 MB of 5120-byte blobs), and posts timed one at a time. */
const ONION_BACKLOG_BLOBS = 10_000;
const ONION_POSTS = 200;
const ROUNDS = 5;
/** Blobs fetched in each trial of the diagnostic variants (a smaller transfer), trials of each, and round trips probed per trial. */
const VARIANT_BLOBS = 3_000;
const TRIALS = 3;
const RTT_PROBES = 10;
/** The page size limits of the other pubs (the diagnostic of page size; the default is 512 KiB). */
const VARIANT_PAGE_BYTES = [64 * 1024, 2 * 1024 * 1024];
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
  const pub = new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits: BENCH_LIMITS });
  // pubs that differ only in their page size (and take only the bench's blob size, so a 64 KiB page is allowed)
  const variantHomes = await Promise.all(VARIANT_PAGE_BYTES.map((b) => makeTempDir(`bench-pub-tor-${b}`)));
  const variants = VARIANT_PAGE_BYTES.map((maxPageBytes, i) => new PubServer({
    home: variantHomes[i]!,
    listen: { host: '127.0.0.1', port: 0 },
    limits: { ...BENCH_LIMITS, maxBlobBytes: BENCH_BLOB_BYTES, maxPageBytes },
  }));
  const echo = await startEchoServer();
  const rig = await startRig();
  const clients: PubClient[] = [];
  const sockets: WebSocket[] = [];
  try {
    const { host, port } = await pub.start();
    const variantPorts = [];
    for (const v of variants) variantPorts.push((await v.start()).port);
    const loopAddress = `ws://${host}:${port}`;
    const direct = new DirectDialer();
    const blobs = Array.from({ length: ONION_BACKLOG_BLOBS }, (_, i) => makeSerialBlob(prng, i, BENCH_BLOB_BYTES));
    for (const address of [loopAddress, ...variantPorts.map((p) => `ws://127.0.0.1:${p}`)]) {
      const fillers = await connectClients(direct, address, 8);
      await postAll(fillers, address === loopAddress ? blobs : blobs.slice(0, VARIANT_BLOBS));
      await Promise.allSettled(fillers.map((c) => c.close()));
    }

    const server = await startClient(rig, 'pub');
    const client = await startClient(rig, 'client');
    const onion = await publish(server, port);
    const onionVariants = [];
    for (const p of variantPorts) onionVariants.push(await publish(server, p));
    const onionEcho = await publish(server, echo.port);
    await Promise.all([onion, onionEcho, ...onionVariants].map((o) => o.uploaded()));
    const dialer = torDialer(client);
    const keyed = (isolationKey: string): Dialer => ({ kind: 'tor', dial: (a, o) => dialer.dial(a, { ...o, isolationKey }) });
    for (const o of [onion, ...onionVariants]) (await dialUntilReachable(dialer, o.address)).close();
    const echoWs = await dialUntilReachable(dialer, onionEcho.address);
    sockets.push(echoWs);

    const viaOnion = await PubClient.connect(dialer, onion.address);
    const viaLoop = await PubClient.connect(direct, loopAddress);
    clients.push(viaOnion, viaLoop);
    // rounds: the pub's streamed catch-up through the onion service, then tor's bulk transfer of
    // the same number of bytes through the same two tors (client tor -> the pub's tor), alternating
    const rttPub: number[] = [];
    for (let i = 0; i < RTT_PROBES; i++) {
      const t0 = nowMs();
      await viaOnion.fetch(BigInt(ONION_BACKLOG_BLOBS) * 2n, { limit: 1 });
      rttPub.push(nowMs() - t0);
    }
    const rttEcho = await echoRoundTrips(echoWs, RTT_PROBES);
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
    note(`round trips on the two circuits before the rounds (median of ${RTT_PROBES}): pub connection ${median(rttPub).toFixed(1)} ms (empty fetches), echo connection ${median(rttEcho).toFixed(1)} ms (64-byte echoes)`);
    note(`catch-up rounds, pub / tor bulk MB/s: ${pubRounds.map((p, i) => `${p.mbs.toFixed(2)} / ${bulkRounds[i]!.mbs.toFixed(2)}`).join(', ')}; ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
    note(`CPU while transferring (median of rounds, share of one core): pub catch-up node ${(median(pubRounds.map((p) => p.nodeShare)) * 100).toFixed(0)}%, tors ${(median(pubRounds.map((p) => p.torShare)) * 100).toFixed(0)}%; tor bulk node ${(median(bulkRounds.map((p) => p.nodeShare)) * 100).toFixed(0)}%, tors ${(median(bulkRounds.map((p) => p.torShare)) * 100).toFixed(0)}% (5 authorities relay every cell of the 6-hop rendezvous circuit on this 2-core machine)`);
    figure('catch-up through the onion service', median(pubRounds.map((p) => p.mbs)), 'MB/s');
    figure('tor bulk, same tors, same bytes', median(bulkRounds.map((p) => p.mbs)), 'MB/s');
    const ratio = median(ratios);
    figure('catch-up ratio pub / tor bulk', ratio, '', ratio >= 0.8 ? 'target >= 0.8: met' : 'target >= 0.8: NOT met');

    // what limits it: each variant on TRIALS fresh connections (each its own circuit: circuits
    // differ, some stall ~44-88 ms per round trip), the circuit's round trip measured first
    const variantBytes = VARIANT_BLOBS * BENCH_BLOB_BYTES;
    note(`what limits it: each variant on ${TRIALS} fresh connections (a new circuit each), ${(variantBytes / MB).toFixed(1)} MB each; per trial MB/s @ the circuit's round trip (median of ${RTT_PROBES} empty fetches or 64-byte echoes before the transfer); medians`);
    const trialsOf = async (label: string, connect: () => Promise<{ rtt: () => Promise<number>; run: () => Promise<number>; close: () => void }>): Promise<void> => {
      const rows: Array<{ mbs: number; rtt: number; t: Timed }> = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const c = await connect();
        try {
          const rtt = await c.rtt();
          let bytes = 0;
          const t = await timed(rig.dir, () => bytes, async () => {
            bytes = await c.run();
          });
          rows.push({ mbs: t.mbs, rtt, t });
        } finally {
          c.close();
        }
      }
      const mid = median(rows.map((r) => r.mbs));
      figure(`  ${label}`, mid, 'MB/s', `${rows.map((r) => `${r.mbs.toFixed(1)} @ ${r.rtt.toFixed(1)} ms`).join(', ')}; CPU node ${(median(rows.map((r) => r.t.nodeShare)) * 100).toFixed(0)}%, tors ${(median(rows.map((r) => r.t.torShare)) * 100).toFixed(0)}%`);
    };
    const pubTrial = (address: string, limit: number) => async () => {
      const via = await PubClient.connect(dialer, address);
      return {
        rtt: async () => {
          const samples: number[] = [];
          for (let i = 0; i < RTT_PROBES; i++) {
            const t0 = nowMs();
            await via.fetch(BigInt(ONION_BACKLOG_BLOBS) * 2n, { limit: 1 });
            samples.push(nowMs() - t0);
          }
          return median(samples);
        },
        run: async () => (await fetchAllUpTo(via, VARIANT_BLOBS, limit)).bytes,
        close: () => void via.close(),
      };
    };
    await trialsOf('one page (256 blobs / 512 KiB) per fetch, a round trip each', pubTrial(onion.address, viaOnion.policy.maxPageBlobs));
    await trialsOf('one streamed fetch (pages of 512 KiB back to back)', pubTrial(onion.address, VARIANT_BLOBS));
    for (let i = 0; i < onionVariants.length; i++) {
      await trialsOf(`the same, pages of at most ${VARIANT_PAGE_BYTES[i]! / 1024} KiB (and 256 blobs)`, pubTrial(onionVariants[i]!.address, VARIANT_BLOBS));
    }
    const echoTrial = (streams: number, sameCircuit: boolean) => async () => {
      const key = `c${Math.random()}`;
      const socks: WebSocket[] = [];
      for (let i = 0; i < streams; i++) socks.push(await dialUntilReachable(keyed(sameCircuit ? key : `${key}-${i}`), onionEcho.address));
      sockets.push(...socks);
      return {
        rtt: async () => median(await echoRoundTrips(socks[0]!, RTT_PROBES)),
        run: async () => {
          await parallelBulk(socks, variantBytes / streams);
          return variantBytes;
        },
        close: () => socks.forEach((ws) => ws.terminate()),
      };
    };
    await trialsOf('tor bulk, 1 stream', echoTrial(1, true));
    await trialsOf('tor bulk, 2 streams on 1 circuit (total)', echoTrial(2, true));
    await trialsOf('tor bulk, 2 streams on 2 circuits (total)', echoTrial(2, false));
    let got = 0;
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
    await Promise.allSettled(variants.map((v) => v.stop()));
    await echo.stop();
    await stopRig(rig);
    await removeDir(home);
    for (const h of variantHomes) await removeDir(h);
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
