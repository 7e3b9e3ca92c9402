/**
 * The proof-of-work worker (a worker_thread, see pow.ts): solves the jobs it is given in
 * slices of `sliceAttempts` hashes, round robin, so a hard job at one pub does not hold up an
 * easy one at another, and reads its messages (new jobs, cancellations) between rounds.
 *
 * In:  { type: 'solve', id, context (32 bytes), hash (32 bytes), difficulty } | { type: 'cancel', id }
 * Out: { id, nonce: bigint } | { id, error: string }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ready } from '../../protocol/crypto.js';
import { POW_NONCE_MAX, solvePow } from '../../protocol/pow.js';

export interface PowWorkerData {
  readonly sliceAttempts: number;
}

export type PowWorkerRequest =
  | { readonly type: 'solve'; readonly id: number; readonly context: Uint8Array; readonly hash: Uint8Array; readonly difficulty: number }
  | { readonly type: 'cancel'; readonly id: number };

export type PowWorkerReply = { readonly id: number; readonly nonce: bigint } | { readonly id: number; readonly error: string };

interface Job {
  readonly id: number;
  readonly context: Uint8Array;
  readonly hash: Uint8Array;
  readonly difficulty: number;
  next: bigint;
}

const port = parentPort!;
const { sliceAttempts } = workerData as PowWorkerData;
const jobs = new Map<number, Job>();
let running = false;

function reply(message: PowWorkerReply): void {
  port.postMessage(message);
}

/** One round: a slice of every job; then yields (messages are read) and goes on while jobs remain. */
function round(): void {
  for (const job of [...jobs.values()]) {
    try {
      const nonce = solvePow(job.context, job.hash, job.difficulty, { start: job.next, attempts: sliceAttempts });
      if (nonce !== null) {
        jobs.delete(job.id);
        reply({ id: job.id, nonce });
        continue;
      }
      job.next += BigInt(sliceAttempts);
      if (job.next > POW_NONCE_MAX) {
        jobs.delete(job.id);
        reply({ id: job.id, error: 'no nonce found' });
      }
    } catch (err) {
      jobs.delete(job.id);
      reply({ id: job.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  if (jobs.size > 0) setImmediate(round);
  else running = false;
}

await ready();
port.on('message', (m: PowWorkerRequest) => {
  if (m.type === 'cancel') {
    jobs.delete(m.id);
    return;
  }
  jobs.set(m.id, { id: m.id, context: m.context, hash: m.hash, difficulty: m.difficulty, next: 0n });
  if (!running) {
    running = true;
    setImmediate(round);
  }
});
port.postMessage({ id: 0, nonce: 0n } satisfies PowWorkerReply); // ready
