/**
 * Where the CPU of a catch-up goes: a pub on loopback and its client in this one process, as in
 * the `pub` group, the store filled through its own put() (not profiled), then catch-ups from
 * cursor 0 by streamed fetches and by subscription, each profiled on its own with V8's sampling
 * profiler (node:inspector, what `node --cpu-prof` uses) and summarised by self time. The
 * .cpuprofile files are written to SNUG_BENCH_PROFILE_DIR when it is set (open them in Chrome's
 * DevTools); SNUG_BENCH_PROFILE=fetch, subscribe or ingest (8 clients posting, as the `pub`
 * group's ingest) runs one alone; the default is fetch,subscribe.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PubClient } from '../daemon/pub-links/client.js';
import { PubServer } from '../daemon/pub/server.js';
import { DirectDialer } from '../daemon/transport/direct.js';
import { PAGE_BLOBS_MAX } from '../protocol/pub-wire.js';
import { Prng, makeSerialBlob, makeTempDir, removeDir } from '../test/helpers/pub-fixtures.js';
import { BENCH_LIMITS } from './pow.js';
import { BENCH_BLOB_BYTES, connectClients, fetchAll, postAll, subscribeAll } from './pub.js';
import { MB, figure, heading, note } from './stats.js';
import { profileWhile, summariseProfile } from './cpuprofile-summary.js';

/** CPU time of this process (pub and client, every thread: LevelDB's too) since `from`. */
function cpuMs(from: NodeJS.CpuUsage): string {
  const d = process.cpuUsage(from);
  return `CPU ${((d.user + d.system) / 1000).toFixed(0)} ms (user ${(d.user / 1000).toFixed(0)}, system ${(d.system / 1000).toFixed(0)})`;
}

/** Runs `fn` under the CPU profiler; prints the summary and keeps the profile if asked. */
async function profiled(name: string, fn: () => Promise<void>): Promise<void> {
  const profile = await profileWhile(fn);
  const dir = process.env['SNUG_BENCH_PROFILE_DIR'];
  if (dir) await writeFile(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  note(`CPU profile of the ${name} passes (sampled every 200 µs):`);
  process.stdout.write(summariseProfile(profile, 25).replace(/^/gm, '    '));
}

const BLOBS = 100_000;
const PASSES = 4;

export async function runPubProfile(): Promise<void> {
  heading('pub catch-up, for a CPU profile');
  const which = process.env['SNUG_BENCH_PROFILE'] ?? 'fetch,subscribe';
  const home = await makeTempDir('bench-pub-profile');
  const server = new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits: BENCH_LIMITS });
  try {
    const { host, port } = await server.start();
    const address = `ws://${host}:${port}`;
    const prng = new Prng(0x9f0f);
    for (let from = 0; from < BLOBS; from += 2048) {
      const puts: Promise<unknown>[] = [];
      for (let i = from; i < Math.min(BLOBS, from + 2048); i++) puts.push(server.store.put(makeSerialBlob(prng, i, BENCH_BLOB_BYTES)));
      await Promise.all(puts);
    }
    const dialer = new DirectDialer();
    note(`${BLOBS.toLocaleString('en-US')} blobs of ${BENCH_BLOB_BYTES} bytes, ${PASSES} passes of each: ${which}`);
    if (which.includes('fetch')) {
      const client = await PubClient.connect(dialer, address);
      try {
        await profiled('fetch', async () => {
          for (let i = 0; i < PASSES; i++) {
            const cpu = process.cpuUsage();
            const r = await fetchAll(client, 0n, PAGE_BLOBS_MAX);
            figure(`fetch pass ${i + 1}`, r.bytes / MB / (r.ms / 1000), 'MB/s', cpuMs(cpu));
          }
        });
      } finally {
        await client.close();
      }
    }
    if (which.includes('ingest')) {
      // as the ingest bench: 8 clients, each waiting for its ack before its next post
      const clients = await connectClients(dialer, address, 8);
      try {
        await profiled('ingest', async () => {
          for (let i = 0; i < PASSES; i++) {
            const blobs = Array.from({ length: 20_000 }, (_, j) => makeSerialBlob(prng, 1_000_000 + i * 20_000 + j, BENCH_BLOB_BYTES));
            const r = await postAll(clients, blobs);
            figure(`ingest pass ${i + 1}`, (blobs.length / r.ms) * 1000, 'posts/s');
          }
        });
      } finally {
        await Promise.allSettled(clients.map((c) => c.close()));
      }
    }
    if (which.includes('subscribe')) {
      await profiled('subscribe', async () => {
        for (let i = 0; i < PASSES; i++) {
          const cpu = process.cpuUsage();
          const ms = await subscribeAll(dialer, address, BLOBS);
          figure(`subscribe pass ${i + 1}`, (BLOBS * BENCH_BLOB_BYTES) / MB / (ms / 1000), 'MB/s', cpuMs(cpu));
        }
      });
    }
  } finally {
    await server.stop();
    await removeDir(home);
  }
}
