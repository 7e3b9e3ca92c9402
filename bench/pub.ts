/**
 * The pub over loopback (`--listen`-style: a PubServer on 127.0.0.1 and PubClients through the
 * direct dialer): ingest, fan-out and catch-up, each beside a bare baseline measured in the
 * same run.
 */
import { join } from 'node:path';
import { PUB_DIR, STORE_DIR } from '../daemon/pub/constants.js';
import { PubClient } from '../daemon/pub-links/client.js';
import { PubServer } from '../daemon/pub/server.js';
import { DirectDialer } from '../daemon/transport/direct.js';
import type { Dialer } from '../daemon/transport/types.js';
import { Prng, blobSerial, makeSerialBlob, makeTempDir, removeDir } from '../test/helpers/pub-fixtures.js';
import { BLOB_SIZES } from '../protocol/constants.js';
import { PAGE_BLOBS_MAX } from '../protocol/pub-wire.js';
import { BareIngestServer, bareIngest, barePagedWsTransfer, bareWsTransfer, encodePagedMessages, rawLevelIteration, type SyncMode } from './baseline.js';
import { BENCH_LIMITS, BENCH_POW_NOTE, powCostAtDefault } from './pow.js';
import { MB, figure, heading, median, note, nowMs, quantile, runPool, sleep } from './stats.js';

type Bytes = Uint8Array;

export interface PubBenchConfig {
  /** Blobs posted in the ingest bench (spec: 20,000). */
  readonly ingestBlobs: number;
  /** Concurrent posting clients (spec: 8). */
  readonly ingestClients: number;
  /** Live subscribers in the fan-out bench (spec: 100). */
  readonly subscribers: number;
  /** Posts whose delivery to every subscriber is timed. */
  readonly fanoutPosts: number;
  /** Backlog fetched in the catch-up bench (spec: 100,000). */
  readonly backlogBlobs: number;
  /** Blobs asked for in each fetch (above the pub's page limits, the pub streams several pages). */
  readonly fetchLimit: number;
  /** Rounds of the ingest and of the catch-up, each beside its own baseline; medians are reported. */
  readonly rounds: number;
}

export const PUB_BENCH_DEFAULTS: PubBenchConfig = {
  ingestBlobs: 20_000,
  ingestClients: 8,
  subscribers: 100,
  fanoutPosts: 200,
  backlogBlobs: 100_000,
  fetchLimit: PAGE_BLOBS_MAX,
  rounds: 5,
};

/** The blobs of every pub bench: protocol v2's smallest blob size (a standard message, padded). */
export const BENCH_BLOB_BYTES = BLOB_SIZES[0]!;

/**
 * Which parts of the `pub` group run (SNUG_BENCH_PUB_PARTS=ingest,fanout,catchup; default all),
 * so that one figure can be taken again without the others on a shared machine.
 */
function benchParts(): ReadonlySet<string> {
  const raw = process.env['SNUG_BENCH_PUB_PARTS'];
  return new Set((raw ?? 'ingest,fanout,catchup').split(',').map((p) => p.trim()));
}

/** Values of the rounds, for the notes. */
function perRound(values: readonly number[], digits: number): string {
  return values.map((v) => v.toFixed(digits)).join(', ');
}

/** How the pub makes concurrent posts durable, so that the baseline does the same. */
export const PUB_SYNC_MODE: SyncMode = 'group-commit';

/** Connects `n` clients to `address`. */
export function connectClients(dialer: Dialer, address: string, n: number): Promise<PubClient[]> {
  return Promise.all(Array.from({ length: n }, () => PubClient.connect(dialer, address)));
}

/** Posts `blobs` from `clients` concurrently (each waits for its ack); returns elapsed ms and the last cursor. */
export async function postAll(clients: readonly PubClient[], blobs: readonly Bytes[]): Promise<{ ms: number; last: bigint }> {
  let last = 0n;
  const t0 = nowMs();
  await runPool(blobs.length, clients.length, async (i, w) => {
    const { cursor } = await clients[w]!.post(blobs[i]!);
    if (cursor > last) last = cursor;
  });
  return { ms: nowMs() - t0, last };
}

/**
 * Fetches everything after `since` (PubClient.fetchEach: each page handed over as it arrives);
 * returns the number of blobs, their bytes, elapsed ms and, with `keep`, the blobs. Without it
 * each blob is read (its length) and dropped, as the bare client of the baseline drops each
 * frame: a catch-up hands blobs on, it does not hold them all, and holding 200 MB of them would
 * time the garbage collector, not the pub. `pages` holds the number of blobs of each page, in order.
 */
export async function fetchAll(client: PubClient, since: bigint, limit: number, keep = false): Promise<{ ms: number; count: number; blobs: Bytes[]; bytes: number; pages: number[] }> {
  const blobs: Bytes[] = [];
  const pages: number[] = [];
  let bytes = 0;
  let count = 0;
  let cursor = since;
  const t0 = nowMs();
  const onBlobs = (page: readonly { readonly blob: Bytes }[]): void => {
    for (const b of page) {
      if (keep) blobs.push(b.blob);
      bytes += b.blob.byteLength;
    }
    count += page.length;
    pages.push(page.length);
  };
  for (;;) {
    const end = await client.fetchEach(cursor, onBlobs, { limit });
    cursor = end.next;
    if (!end.more) break;
  }
  return { ms: nowMs() - t0, count, blobs, bytes, pages };
}

/**
 * 100 live subscribers; posts one blob at a time and records, per subscriber, the time from
 * calling post() to the blob's delivery.
 */
export async function fanout(dialer: Dialer, address: string, since: bigint, subscribers: number, posts: number, prng: Prng, serialBase: number): Promise<number[]> {
  const subs = await connectClients(dialer, address, subscribers);
  const poster = await PubClient.connect(dialer, address);
  const latencies: number[] = [];
  let sentAt = 0;
  let expected = -1;
  let delivered = 0;
  let allDelivered: (() => void) | undefined;
  try {
    await Promise.all(subs.map((s) => s.subscribe(since, ({ blob }) => {
      if (blobSerial(blob) !== expected) return;
      latencies.push(nowMs() - sentAt);
      delivered += 1;
      if (delivered === subscribers) allDelivered?.();
    })));
    await sleep(200);
    for (let i = 0; i < posts; i++) {
      const blob = makeSerialBlob(prng, serialBase + i);
      expected = serialBase + i;
      delivered = 0;
      const done = new Promise<void>((resolve) => { allDelivered = resolve; });
      const timeout = sleep(10_000).then(() => 'timeout' as const);
      sentAt = nowMs();
      await poster.post(blob);
      if ((await Promise.race([done, timeout])) === 'timeout') {
        note(`fan-out: post ${i} reached ${delivered} of ${subscribers} subscribers within 10 s`);
      }
    }
  } finally {
    await Promise.allSettled([...subs, poster].map((c) => c.close()));
  }
  return latencies;
}

/** Subscribes from cursor 0 and resolves with the ms until `count` blobs were delivered. */
export async function subscribeAll(dialer: Dialer, address: string, count: number): Promise<number> {
  const client = await PubClient.connect(dialer, address);
  try {
    let got = 0;
    const t0 = nowMs();
    await new Promise<void>((resolve, reject) => {
      client.subscribe(0n, () => {
        got += 1;
        if (got === count) resolve();
      }).catch(reject);
    });
    return nowMs() - t0;
  } finally {
    await client.close();
  }
}

export async function runPubBench(config: PubBenchConfig = PUB_BENCH_DEFAULTS): Promise<void> {
  heading('pub over loopback (PubServer on 127.0.0.1, PubClient via the direct dialer)');
  note(BENCH_POW_NOTE);
  const parts = benchParts();
  const prng = new Prng(0x5eed);
  const dialer = new DirectDialer();
  const home = await makeTempDir('bench-pub');
  const server = new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits: BENCH_LIMITS });
  let serial = 0;
  try {
    const { host, port } = await server.start();
    const address = `ws://${host}:${port}`;
    let last = 0n;
    if (parts.has('ingest')) {
      // ingest, in rounds of fresh blobs: the baseline first, then the pub, same blobs, same number of clients
      const pubRates: number[] = [];
      const bareRates: number[] = [];
      for (let round = 0; round < config.rounds; round++) {
        const blobs = Array.from({ length: config.ingestBlobs }, () => makeSerialBlob(prng, serial++, BENCH_BLOB_BYTES));
        const bareDir = await makeTempDir('bench-bare');
        const bare = new BareIngestServer({ dir: bareDir, mode: PUB_SYNC_MODE });
        try {
          bareRates.push((config.ingestBlobs / (await bareIngest(await bare.start(), blobs, config.ingestClients))) * 1000);
        } finally {
          await bare.stop();
          await removeDir(bareDir);
        }
        const clients = await connectClients(dialer, address, config.ingestClients);
        const ingest = await postAll(clients, blobs);
        await Promise.allSettled(clients.map((c) => c.close()));
        pubRates.push((config.ingestBlobs / ingest.ms) * 1000);
        last = ingest.last;
      }
      const ingestRatios = pubRates.map((r, i) => r / bareRates[i]!);
      note(`ingest: ${config.ingestClients} clients, ${config.ingestBlobs.toLocaleString('en-US')} blobs of ${BENCH_BLOB_BYTES} bytes a round, ${config.rounds} rounds (each beside its own baseline; medians below); every ack after a synced LevelDB write; baseline = bare ws + LevelDB, ${PUB_SYNC_MODE === 'group-commit' ? 'concurrent posts grouped into one synced batch (as the pub does)' : 'one synced put per post (as the pub does)'}`);
      note(`ingest rounds, pub / bare posts/s: ${pubRates.map((r, i) => `${r.toFixed(0)} / ${bareRates[i]!.toFixed(0)}`).join(', ')}; ratios ${perRound(ingestRatios, 2)}`);
      figure('ingest, pub', median(pubRates), 'posts/s');
      figure('ingest, bare ws + LevelDB', median(bareRates), 'posts/s');
      figure('ingest ratio pub / bare', median(ingestRatios), '', 'target >= 0.7');
    }

    if (parts.has('fanout')) {
      const lat = await fanout(dialer, address, last, config.subscribers, config.fanoutPosts, prng, 10_000_000);
      note(`fan-out: ${config.subscribers} live subscribers, ${config.fanoutPosts} posts one at a time; latency from post() to delivery (includes the poster's PoW at the bench difficulty)`);
      figure('fan-out latency p50', median(lat), 'ms');
      figure('fan-out latency p99', quantile(lat, 0.99), 'ms');
      figure('fan-out deliveries timed', lat.length, '', `of ${config.subscribers * config.fanoutPosts}`);
    }

    if (parts.has('catchup')) await catchUp(server, dialer, address, config, prng, home);
  } finally {
    await server.stop();
    await removeDir(home);
  }

  await powCostAtDefault();
}

/**
 * catch-up: tops the store up to the backlog, then in each round fetches it all from cursor 0,
 * transfers the same bytes over the two bare baselines and subscribes from cursor 0; then one
 * page per fetch, and the raw LevelDB ceiling once the pub has stopped.
 */
async function catchUp(server: PubServer, dialer: Dialer, address: string, config: PubBenchConfig, prng: Prng, home: string): Promise<void> {
  const have = server.stats().blobs;
  if (config.backlogBlobs > have) {
    const fillers = await connectClients(dialer, address, config.ingestClients);
    const extra = Array.from({ length: config.backlogBlobs - have }, (_, i) => makeSerialBlob(prng, 20_000_000 + i, BENCH_BLOB_BYTES));
    await postAll(fillers, extra);
    await Promise.allSettled(fillers.map((c) => c.close()));
  }
  const reader = await PubClient.connect(dialer, address);
  // rounds: the pub's fetch, the bare transfers of the same bytes, and the pub's subscription, each timed
  const pubMBs: number[] = [];
  const bareMBs: number[] = [];
  const pagedBareMBs: number[] = [];
  const subMBs: number[] = [];
  let pageSizes: number[] = [];
  let fetched: Awaited<ReturnType<typeof fetchAll>> | undefined;
  let paged: Awaited<ReturnType<typeof fetchAll>>;
  try {
    // untimed: the backlog's bytes themselves, for the bare transfer
    const untimed = await fetchAll(reader, 0n, config.fetchLimit, true);
    let kept = untimed.blobs;
    // and the same bytes framed as the pub framed them: one message per page, same blobs per page
    pageSizes = untimed.pages;
    let pagedMessages = encodePagedMessages(kept, pageSizes);
    for (let round = 0; round < config.rounds; round++) {
      fetched = await fetchAll(reader, 0n, config.fetchLimit);
      pubMBs.push(fetched.bytes / MB / (fetched.ms / 1000));
      bareMBs.push(fetched.bytes / MB / ((await bareWsTransfer(kept)) / 1000));
      pagedBareMBs.push(fetched.bytes / MB / ((await barePagedWsTransfer(pagedMessages, fetched.count, fetched.bytes)) / 1000));
      subMBs.push(fetched.bytes / MB / ((await subscribeAll(dialer, address, fetched.count)) / 1000));
    }
    kept = [];
    pagedMessages = [];
    // the same, one page per request (a round trip per page)
    paged = await fetchAll(reader, 0n, reader.policy.maxPageBlobs);
  } finally {
    await reader.close();
  }
  const backlog = fetched!;
  const catchUpRatios = pubMBs.map((r, i) => r / bareMBs[i]!);
  const pagedRatios = pubMBs.map((r, i) => r / pagedBareMBs[i]!);
  const subRatios = subMBs.map((r, i) => r / pubMBs[i]!);
  const bare = median(bareMBs);
  const pagedBare = median(pagedBareMBs);
  const pageMin = Math.min(...pageSizes);
  const pageMax = Math.max(...pageSizes);
  note(`catch-up: fetch ${backlog.count.toLocaleString('en-US')} blobs of ${BENCH_BLOB_BYTES} bytes (${(backlog.bytes / MB).toFixed(1)} MB) from cursor 0, one fetch after another (each asking for up to ${config.fetchLimit.toLocaleString('en-US')} blobs: the pub streams pages of at most ${reader.policy.maxPageBlobs} blobs / ${reader.policy.maxPageBytes / 1024} KiB back to back), the client reading each blob's length and dropping it; ${config.rounds} rounds, each beside its own two baselines and a subscription from cursor 0, medians below`);
  note(`two bare baselines, the same bytes from memory over a bare ws on loopback: PER-BLOB = one ws message per blob, the client counting bytes; PAGED = one ws message per pub page (the same ${pageSizes.length} pages of ${pageMin === pageMax ? pageMin : `${pageMin}-${pageMax}`} blobs the pub sent, each blob behind a cursor u64 and length u32 as in a PAGE), the client walking every blob in each message`);
  note(`catch-up rounds, pub fetch / bare per-blob / bare paged / pub subscribe(0) MB/s: ${pubMBs.map((r, i) => `${r.toFixed(0)} / ${bareMBs[i]!.toFixed(0)} / ${pagedBareMBs[i]!.toFixed(0)} / ${subMBs[i]!.toFixed(0)}`).join(', ')}`);
  note(`catch-up rounds, ratios pub / bare per-blob: ${perRound(catchUpRatios, 2)}; pub / bare paged: ${perRound(pagedRatios, 2)}; subscribe / fetch: ${perRound(subRatios, 2)}`);
  figure('catch-up, pub', median(pubMBs), 'MB/s');
  figure('catch-up, bare ws, 1 message per blob', bare, 'MB/s');
  figure('catch-up, bare ws, 1 message per page', pagedBare, 'MB/s');
  const meets = (r: number): string => (r >= 0.7 ? 'target >= 0.7: met' : 'target >= 0.7: NOT met');
  const perBlobRatio = median(catchUpRatios);
  const pagedRatio = median(pagedRatios);
  figure('catch-up ratio pub / bare per-blob', perBlobRatio, '', meets(perBlobRatio));
  figure('catch-up ratio pub / bare paged', pagedRatio, '', `${meets(pagedRatio)} (the like-for-like framing)`);
  const subMedian = median(subMBs);
  const subRatio = median(subRatios);
  figure('catch-up by subscribe(0), pub', subMedian, 'MB/s');
  figure('catch-up ratio subscribe(0) / fetch', subRatio, '', subRatio >= 1 ? 'target >= 1: met' : 'target >= 1: NOT met');
  const vs = (mbs: number): string => `ratio to bare per-blob ${(mbs / bare).toFixed(2)}, to bare paged ${(mbs / pagedBare).toFixed(2)}`;
  const pagedMBs = paged.bytes / MB / (paged.ms / 1000);
  figure('catch-up, one page per fetch, pub', pagedMBs, 'MB/s', `${(paged.ms / 1000).toFixed(2)} s; ${vs(pagedMBs)}`);
  // the store's own ceiling: one raw classic-level iteration over the same store, pub stopped
  await server.stop();
  const raw = await rawLevelIteration(join(home, PUB_DIR, STORE_DIR));
  const rawMBs = raw.bytes / MB / (raw.ms / 1000);
  note(`ceiling: one raw classic-level iterator (1 MiB read-ahead, nextv) over the pub's ${raw.records.toLocaleString('en-US')} chunk records (${(raw.bytes / MB).toFixed(1)} MB incl. 44 bytes of headers per blob; ${(backlog.bytes / MB).toFixed(1)} MB of blobs fetched above), no network`);
  figure('raw LevelDB iteration', rawMBs, 'MB/s', `${(raw.ms / 1000).toFixed(2)} s; ${vs(rawMBs)}`);
}
