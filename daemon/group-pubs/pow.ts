/**
 * Proof of work off the event loop: a small pool of worker threads (pow-worker.ts) that find a
 * nonce proving a pub's difficulty for one blob (protocol/pow.ts). Jobs go to the worker with
 * the fewest; each worker runs its jobs round robin in slices, so a pub that asks a lot of work
 * delays its own posts, not the others'. A job given up (its signal aborted) is cancelled in the
 * worker. Workers start on the first job and end at close(); one that fails is replaced for the
 * next job, and its jobs reject with ERR_POW_FAILED.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { GroupPubsError, GroupPubsErrorCode } from './errors.js';
import type { PowWorkerData, PowWorkerReply, PowWorkerRequest } from './pow-worker.js';

export interface PowSolverInit {
  readonly workers: number;
  readonly sliceAttempts: number;
}

interface Pending {
  readonly resolve: (nonce: bigint) => void;
  readonly reject: (err: Error) => void;
}

class PowWorker {
  readonly worker: Worker;
  readonly jobs = new Map<number, Pending>();
  readonly ready: Promise<void>;
  dead = false;

  constructor(init: PowSolverInit, onDead: (w: PowWorker) => void) {
    this.worker = new Worker(new URL('./pow-worker.js', import.meta.url), { workerData: { sliceAttempts: init.sliceAttempts } satisfies PowWorkerData });
    this.worker.unref();
    let started: () => void = () => {};
    this.ready = new Promise<void>((resolve) => (started = resolve));
    this.worker.on('message', (m: PowWorkerReply) => {
      if (m.id === 0) return started();
      const job = this.jobs.get(m.id);
      if (!job) return;
      this.jobs.delete(m.id);
      if ('nonce' in m && typeof m.nonce === 'bigint') job.resolve(m.nonce);
      else job.reject(new GroupPubsError(GroupPubsErrorCode.POW_FAILED, 'the proof-of-work worker found no nonce'));
    });
    const die = (err?: unknown) => {
      if (this.dead) return;
      this.dead = true;
      started();
      for (const job of this.jobs.values()) job.reject(new GroupPubsError(GroupPubsErrorCode.POW_FAILED, 'the proof-of-work worker ended', { cause: err }));
      this.jobs.clear();
      onDead(this);
    };
    this.worker.on('error', die);
    this.worker.on('exit', () => die());
  }

  send(m: PowWorkerRequest): void {
    this.worker.postMessage(m);
  }
}

export class PowSolver {
  readonly #init: PowSolverInit;
  readonly #workers: PowWorker[] = [];
  #nextId = 1;
  #closed = false;

  /** `workers` defaults to the cores minus one (for the event loop), between 1 and `maxWorkers`. */
  constructor(init: { readonly workers?: number; readonly maxWorkers: number; readonly sliceAttempts: number }) {
    const workers = init.workers ?? Math.min(init.maxWorkers, availableParallelism() - 1);
    this.#init = { workers: Math.max(1, workers), sliceAttempts: init.sliceAttempts };
  }

  /** Worker threads running now (tests: none after close()). */
  get threads(): number {
    return this.#workers.length;
  }

  #pick(): PowWorker {
    if (this.#workers.length < this.#init.workers) {
      const w = new PowWorker(this.#init, (dead) => {
        const at = this.#workers.indexOf(dead);
        if (at >= 0) this.#workers.splice(at, 1);
      });
      this.#workers.push(w);
      return w;
    }
    return this.#workers.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
  }

  /** A nonce proving `difficulty` bits for the blob with hash `hash` at the pub with `context`. */
  async solve(context: Uint8Array, hash: Uint8Array, difficulty: number, signal?: AbortSignal): Promise<bigint> {
    if (this.#closed) throw new GroupPubsError(GroupPubsErrorCode.STOPPED, 'the proof-of-work solver is closed');
    if (difficulty === 0) return 0n;
    signal?.throwIfAborted();
    const worker = this.#pick();
    const id = this.#nextId++;
    return new Promise<bigint>((resolve, reject) => {
      const onAbort = () => {
        if (!worker.jobs.delete(id)) return;
        if (!worker.dead) worker.send({ type: 'cancel', id });
        reject(new GroupPubsError(GroupPubsErrorCode.ABORTED, 'the proof of work was given up'));
      };
      worker.jobs.set(id, {
        resolve: (n) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(n);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.send({ type: 'solve', id, context: context.slice(), hash: hash.slice(), difficulty });
    });
  }

  /** Ends every worker; jobs still running reject with ERR_POW_FAILED. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
