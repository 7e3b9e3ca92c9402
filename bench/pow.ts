/**
 * The proof of work in the benches. The throughput benches run the pub at a low difficulty so
 * they measure the pub, not the poster's hashing; the cost of one post's PoW at the default
 * difficulty is measured here on its own, so the figures can be added up honestly.
 */
import { ready } from '../protocol/crypto.js';
import { blobHash, solvePow } from '../protocol/pow.js';
import { DEFAULT_PUB_LIMITS, type PubLimits } from '../daemon/pub/constants.js';
import { Prng, makeBlob } from '../test/helpers/pub-fixtures.js';
import { figure, heading, mean, median, note, nowMs, quantile } from './stats.js';

/** The PoW difficulty (leading zero bits) the throughput benches run at. */
export const BENCH_POW_DIFFICULTY = 1;

/** Posts and requests per second, and bursts, per connection in the benches: high enough never to bind. */
export const BENCH_RATE = 1_000_000;

/**
 * Limits the benches give their PubServer: the defaults, except a low PoW difficulty and
 * per-connection post and request rate limits that never bind (the benches measure the pub's
 * capacity, not its anti-abuse throttle).
 */
export const BENCH_LIMITS: Partial<PubLimits> = {
  powDifficulty: BENCH_POW_DIFFICULTY,
  postsPerSecond: BENCH_RATE,
  postBurst: BENCH_RATE,
  requestsPerSecond: BENCH_RATE,
  requestBurst: BENCH_RATE,
};

/** BENCH_LIMITS as `snug pub` flags. */
export const BENCH_CLI_ARGS: readonly string[] = [
  '--pow-difficulty', String(BENCH_POW_DIFFICULTY), '--posts-per-second', String(BENCH_RATE), '--post-burst', String(BENCH_RATE),
  '--requests-per-second', String(BENCH_RATE), '--request-burst', String(BENCH_RATE),
];

export const BENCH_POW_NOTE = `PoW difficulty ${BENCH_POW_DIFFICULTY} bit and no per-connection rate limit in these figures; the default difficulty (${DEFAULT_PUB_LIMITS.powDifficulty} bits) costs each poster the time measured under "proof of work per post"`;

/** Solves `count` proofs for fresh blobs of the smallest size at `difficulty`; returns ms per proof. */
export async function measurePow(difficulty: number, count: number): Promise<number[]> {
  await ready();
  const prng = new Prng(0x9090);
  const context = prng.bytes(32);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const hash = blobHash(makeBlob(prng));
    const t0 = nowMs();
    let start = 0n;
    for (;;) {
      const nonce = solvePow(context, hash, difficulty, { start, attempts: 4096 });
      if (nonce !== null) break;
      start += 4096n;
    }
    samples.push(nowMs() - t0);
  }
  return samples;
}

export async function powCostAtDefault(count = 40): Promise<void> {
  const difficulty = DEFAULT_PUB_LIMITS.powDifficulty;
  heading(`proof of work per post at the default difficulty (${difficulty} bits), one core`);
  const samples = await measurePow(difficulty, count);
  note(`${count} proofs for fresh blobs of the smallest size (expected work 2^${difficulty} BLAKE2b hashes)`);
  figure('PoW per post, median', median(samples), 'ms');
  figure('PoW per post, mean', mean(samples), 'ms');
  figure('PoW per post, p90', quantile(samples, 0.9), 'ms');
  figure('posts/s one core can pay for (1 / mean)', 1000 / mean(samples), 'posts/s');
}
