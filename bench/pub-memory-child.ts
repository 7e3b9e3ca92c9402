/**
 * The pub of the memory bench, in a process of its own so that its RSS is the pub's alone:
 * `node dist/bench/pub-memory-child.js --home DIR --blobs N`. Starts a PubServer (bench limits)
 * on 127.0.0.1, fills its store with N distinct blobs of the smallest size (BLOB_SIZES[0], 5120 bytes) through the store's own put()
 * (the same group-committed, synced writes a POST makes, without the network, for speed),
 * then prints `pub listening: ws://HOST:PORT` and serves until SIGTERM.
 */
import { parseArgs } from 'node:util';
import { PubServer } from '../daemon/pub/server.js';
import { Prng, makeBlob } from '../test/helpers/pub-fixtures.js';
import { BENCH_LIMITS } from './pow.js';

/** Puts in flight at once while filling (several group-commit batches). */
const FILL_WINDOW = 2048;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { home: { type: 'string' }, blobs: { type: 'string' } } });
  if (!values.home || !values.blobs) throw new Error('pub-memory-child: --home DIR --blobs N');
  const count = Number(values.blobs);
  const server = new PubServer({ home: values.home, listen: { host: '127.0.0.1', port: 0 }, limits: { ...BENCH_LIMITS, quotaBytes: Number.MAX_SAFE_INTEGER } });
  const { host, port } = await server.start();
  const base = makeBlob(new Prng(0x3e3));
  const t0 = Date.now();
  let have = server.stats().blobs;
  for (let from = have; from < count; from += FILL_WINDOW) {
    const puts: Promise<unknown>[] = [];
    for (let i = from; i < Math.min(count, from + FILL_WINDOW); i++) {
      const blob = base.slice();
      new DataView(blob.buffer).setBigUint64(1, BigInt(i)); // distinct blobs, so none is a duplicate
      puts.push(server.store.put(blob));
    }
    await Promise.all(puts);
    have = Math.min(count, from + FILL_WINDOW);
    if (have % 100_000 < FILL_WINDOW) process.stderr.write(`filled ${have} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  process.stdout.write(`filled ${server.stats().blobs} blobs in ${Date.now() - t0} ms\n`);
  process.stdout.write(`pub listening: ws://${host}:${port}\n`);
  const stop = () => void server.stop().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.off('close', orphaned);
  process.stdin.once('close', stop);
}

/** The parent holds our stdin open; when it dies (even mid-fill), exit rather than linger. */
function orphaned(): void {
  process.exit(1);
}
process.stdin.resume();
process.stdin.once('close', orphaned);

main().catch((err: unknown) => {
  process.stderr.write(`pub-memory-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
