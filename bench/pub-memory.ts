/**
 * Pub memory while holding many blobs: a store is filled with SNUG_BENCH_MEMORY_BLOBS blobs
 * (default 1,000,000 of protocol v2's smallest size, 5120 bytes: 5.1 GB of blobs on disk) by a pub in a child process
 * (bench/pub-memory-child), then `snug pub --listen` is started on that store and serves
 * fetches, live subscriptions and posts while this process samples its RSS.
 */
import { readFile, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { PUB_DIR, STORE_DIR } from '../daemon/pub/constants.js';
import { fileURLToPath } from 'node:url';
import { PubClient } from '../daemon/pub-links/client.js';
import { DirectDialer } from '../daemon/transport/direct.js';
import { ready } from '../protocol/crypto.js';
import { Prng, makeSerialBlob, makeTempDir, processRss, removeDir, spawnPub, type PubChild } from '../test/helpers/pub-fixtures.js';
import { BENCH_CLI_ARGS, BENCH_POW_NOTE } from './pow.js';
import { BENCH_BLOB_BYTES } from './pub.js';
import { MiB, figure, heading, note, nowMs, sleep } from './stats.js';

export const MEMORY_BLOBS_DEFAULT = 1_000_000;
/** How long the pub serves traffic while its RSS is sampled (ms), and how often it is sampled. */
const SERVE_MS = 20_000;
const SAMPLE_MS = 100;
const BUDGET_MIB = 200;
/** The V8 old-space cap of the second serving run (MiB). */
const CAPPED_HEAP_MIB = 96;

function blobCount(): number {
  const raw = process.env['SNUG_BENCH_MEMORY_BLOBS'];
  const n = raw === undefined ? MEMORY_BLOBS_DEFAULT : Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('SNUG_BENCH_MEMORY_BLOBS must be a positive integer');
  return n;
}

export async function runPubMemoryBench(): Promise<void> {
  const count = blobCount();
  await ready(); // PubClient.post hashes with libsodium but does not wait for it itself
  heading(`pub memory while holding ${count.toLocaleString('en-US')} blobs (pub in a child process)`);
  note(BENCH_POW_NOTE);
  // SNUG_BENCH_MEMORY_HOME: a pub home to fill if empty and keep (for measuring again without a fill)
  const kept = process.env['SNUG_BENCH_MEMORY_HOME'];
  const home = kept ?? (await makeTempDir('bench-pub-memory'));
  const filled = kept !== undefined && (await stat(join(kept, PUB_DIR, STORE_DIR, 'CURRENT')).then(() => true, () => false));
  const fs = await statfs(home);
  const free = fs.bavail * fs.bsize;
  const needed = count * BENCH_BLOB_BYTES * 1.5;
  if (!filled && free < needed) throw new Error(`needs about ${(needed / 2 ** 30).toFixed(1)} GiB free under ${home}, has ${(free / 2 ** 30).toFixed(1)} GiB`);
  let pub: PubChild | undefined;
  try {
    let afterFill: Awaited<ReturnType<typeof processRss>> = null;
    if (filled) {
      note(`the store in ${home} (SNUG_BENCH_MEMORY_HOME) was filled before: no fill`);
    } else {
      const t0 = nowMs();
      pub = await spawnPub({
        home,
        script: fileURLToPath(new URL('./pub-memory-child.js', import.meta.url)),
        args: ['--blobs', String(count)],
        timeoutMs: 60 * 60 * 1000,
      });
      const fillMs = nowMs() - t0;
      afterFill = await processRss(pub.pid);
      await pub.stop(60_000);
      note(`filled through the pub's own store API (BlobStore.put: the synced group commits a POST makes, without the network) in ${(fillMs / 1000).toFixed(0)} s, in a process of its own`);
    }
    // the pub measured is the real command, reopened on the filled store
    pub = await spawnPub({ home, args: [...BENCH_CLI_ARGS, '--quota', '1T', '--retention', '0'], timeoutMs: 10 * 60 * 1000 });
    const opened = await processRss(pub.pid);
    note('then `snug pub --listen 127.0.0.1:0` was started on that store and measured');

    const served = await serve(pub, count);
    note(`served ${SERVE_MS / 1000} s: ${served.fetched.toLocaleString('en-US')} blobs fetched by 4 readers from random cursors, ${served.posted.toLocaleString('en-US')} posts by 4 posters, ${served.delivered.toLocaleString('en-US')} deliveries to 20 subscribers; RSS sampled every ${SAMPLE_MS} ms`);
    figure('filling process RSS after the fill', (afterFill?.rss ?? NaN) / MiB, 'MiB', 'not the pub measured below');
    figure('snug pub RSS once listening on the store', (opened?.rss ?? NaN) / MiB, 'MiB');
    figure('snug pub peak RSS while serving', served.peak / MiB, 'MiB', `budget < ${BUDGET_MIB} MiB`);
    figure('  of which anonymous (heaps) / file-backed', `${(served.anon / MiB).toFixed(0)} / ${(served.file / MiB).toFixed(0)}`, 'MiB', 'RssAnon / RssFile+RssShmem at the peak (LevelDB maps its table files)');
    figure('snug pub peak RSS of its life (VmHWM)', served.hwm / MiB, 'MiB');
    await pub.stop(60_000);

    // the same with V8's heap capped: how much of that peak is garbage V8 had not yet collected
    pub = await spawnPub({
      home,
      args: [...BENCH_CLI_ARGS, '--quota', '1T', '--retention', '0'],
      env: { NODE_OPTIONS: `--max-old-space-size=${CAPPED_HEAP_MIB}` },
      timeoutMs: 10 * 60 * 1000,
    });
    const capped = await serve(pub, count);
    note(`the same traffic again, the pub started with NODE_OPTIONS=--max-old-space-size=${CAPPED_HEAP_MIB}: ${capped.posted.toLocaleString('en-US')} posts, ${capped.delivered.toLocaleString('en-US')} deliveries, ${capped.fetched.toLocaleString('en-US')} blobs fetched`);
    figure(`peak RSS while serving, heap capped at ${CAPPED_HEAP_MIB} MiB`, capped.peak / MiB, 'MiB', `budget < ${BUDGET_MIB} MiB`);
    await pub.stop(60_000);

    // live fan-out alone: 20 subscribers at the head and one poster posting without pause
    pub = await spawnPub({ home, args: [...BENCH_CLI_ARGS, '--quota', '1T', '--retention', '0'], timeoutMs: 10 * 60 * 1000 });
    const fanStart = await processRss(pub.pid);
    const fan = await serve(pub, count, { readers: 0, subscribers: 20, posters: 1 });
    note(`live fan-out alone, ${SERVE_MS / 1000} s: 20 subscribers at the head, 1 poster posting without pause: ${fan.posted.toLocaleString('en-US')} posts, ${fan.delivered.toLocaleString('en-US')} deliveries`);
    figure('fan-out only: RSS once listening', (fanStart?.rss ?? NaN) / MiB, 'MiB');
    figure('fan-out only: peak RSS', fan.peak / MiB, 'MiB', `budget < ${BUDGET_MIB} MiB`);
  } finally {
    await pub?.stop();
    if (kept === undefined) await removeDir(home);
  }
}

interface Served {
  readonly fetched: number;
  /** RssAnon and RssFile (bytes) at the peak: anonymous memory (heaps) and mapped files (LevelDB tables). */
  readonly anon: number;
  readonly file: number;
  readonly posted: number;
  readonly delivered: number;
  /** Peak RSS sampled while serving, and the process's VmHWM after (bytes). */
  readonly peak: number;
  readonly hwm: number;
}

/**
 * Serves SERVE_MS of traffic against `pub` (4 readers paging from random cursors, 20 live
 * subscribers, 4 posters posting without pause) while sampling its RSS.
 */
/** RssAnon and RssFile of a process, in bytes (from /proc/PID/smaps_rollup). */
async function rssSplit(pid: number): Promise<{ anon: number; file: number } | null> {
  try {
    const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    return { anon: kib('Anonymous'), file: kib('Rss') - kib('Anonymous') };
  } catch {
    return null;
  }
}

async function serve(pub: PubChild, count: number, traffic: { readers: number; subscribers: number; posters: number } = { readers: 4, subscribers: 20, posters: 4 }): Promise<Served> {
  const clients: PubClient[] = [];
  try {
    // traffic: 4 readers paging through the backlog from random cursors, 20 live subscribers,
    // 4 posters posting without pause
    const dialer = new DirectDialer();
    const prng = new Prng(0x3e30);
    let stop = false;
    let fetched = 0;
    let posted = 0;
    let delivered = 0;
    const peak = { rss: 0, anon: 0, file: 0 };
    const sampler = (async () => {
      while (!stop) {
        const r = await processRss(pub.pid);
        if (r && r.rss > peak.rss) {
          peak.rss = r.rss;
          const split = await rssSplit(pub.pid);
          peak.anon = split?.anon ?? NaN;
          peak.file = split?.file ?? NaN;
        }
        await sleep(SAMPLE_MS);
      }
    })();
    const readers = Array.from({ length: traffic.readers }, async () => {
      const c = await PubClient.connect(dialer, pub.address);
      clients.push(c);
      while (!stop) {
        let since = BigInt(prng.int(count));
        for (let p = 0; p < 50 && !stop; p++) {
          const page = await c.fetch(since);
          fetched += page.blobs.length;
          since = page.next;
          if (!page.more) break;
        }
      }
    });
    const subs = Array.from({ length: traffic.subscribers }, async () => {
      const c = await PubClient.connect(dialer, pub.address);
      clients.push(c);
      const { head } = await c.fetch(0n, { limit: 1 }); // live only: from the current head
      await c.subscribe(head, () => { delivered += 1; });
    });
    const posters = Array.from({ length: traffic.posters }, async (_, w) => {
      const c = await PubClient.connect(dialer, pub.address);
      clients.push(c);
      for (let i = 0; !stop; i++) {
        await c.post(makeSerialBlob(prng, 1_000_000_000 + w * 10_000_000 + i));
        posted += 1;
      }
    });
    // collect the traffic's failures as they happen, so none goes unhandled while we wait
    const failures: unknown[] = [];
    const running = [...readers, ...posters, ...subs].map((p) => p.catch((err: unknown) => {
      failures.push(err);
      stop = true;
    }));
    const t1 = nowMs();
    while (!stop && nowMs() - t1 < SERVE_MS) await sleep(100);
    stop = true;
    await Promise.all([...running, sampler]);
    if (failures.length > 0) throw failures[0];
    const end = await processRss(pub.pid);

    return { fetched, posted, delivered, peak: peak.rss, anon: peak.anon, file: peak.file, hwm: end?.hwm ?? NaN };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}
