/**
 * Opening long runs of received blobs off the event loop: a few worker threads
 * (open-worker.ts) that each open and verify a contiguous slice of a run with open.ts openWith,
 * the function the event loop uses for short runs. A catch-up hands the groups service runs of
 * up to a thousand blobs; opening one costs about one ed25519 verification plus a 5 KiB
 * XChaCha20-Poly1305 decryption, which on the event loop was most of a catch-up's time.
 *
 * Nothing is stored or decided here: the service gets each blob's outcome in run order and goes
 * on exactly as with outcomes computed on the event loop (the one verify-and-store path of
 * service.ts ingestRun). Workers start on the first run and end at close(); if one fails, every
 * run it held rejects with the pool's error and the pool is closed (the service then opens on
 * the event loop).
 */
import { Worker } from 'node:worker_threads';
import type { EpochKeys } from '../../protocol/group.js';
import type { OpenWorkerOutcome, OpenWorkerReply, OpenWorkerRequest } from './open-worker.js';

interface Pending {
  readonly resolve: (outcomes: readonly OpenWorkerOutcome[]) => void;
  readonly reject: (err: Error) => void;
}

class OpenWorker {
  readonly worker: Worker;
  readonly jobs = new Map<number, Pending>();
  dead = false;

  constructor(onDead: (err: Error) => void) {
    this.worker = new Worker(new URL('./open-worker.js', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (m: OpenWorkerReply) => {
      if (m.id === 0) return;
      const job = this.jobs.get(m.id);
      if (job === undefined) return;
      this.jobs.delete(m.id);
      if (m.outcomes !== undefined) job.resolve(m.outcomes);
      else job.reject(new Error(`an open worker failed: ${m.error ?? 'no answer'}`));
    });
    const die = (err?: unknown) => {
      if (this.dead) return;
      this.dead = true;
      const e = new Error('an open worker ended', { cause: err });
      for (const job of this.jobs.values()) job.reject(e);
      this.jobs.clear();
      onDead(e);
    };
    this.worker.on('error', die);
    this.worker.on('exit', () => die());
  }
}

export class OpenPool {
  readonly #size: number;
  readonly #workers: OpenWorker[] = [];
  #nextId = 1;
  #closed = false;

  /** `workers` threads at most (at least 1). */
  constructor(workers: number) {
    this.#size = Math.max(1, Math.floor(workers));
  }

  /** False once closed (by close() or after a worker failed). */
  get usable(): boolean {
    return !this.#closed;
  }

  /** Worker threads running now (tests: none after close()). */
  get threads(): number {
    return this.#workers.length;
  }

  #start(): void {
    while (this.#workers.length < this.#size) {
      this.#workers.push(
        new OpenWorker(() => {
          void this.close();
        }),
      );
    }
  }

  /**
   * The run's blobs in chunks of `chunk`, each opened by the worker with the fewest chunks
   * outstanding: one promise per chunk, in run order, each giving its blobs' outcomes under
   * `candidates` (per candidate group, newest epoch first). Handing a run out in chunks lets the
   * event loop take the first chunks' outcomes while the workers open the next ones. A chunk's
   * blobs are copied into one buffer (transferred to the worker, not cloned).
   */
  openChunks(candidates: readonly (readonly EpochKeys[])[], blobs: readonly Uint8Array[], chunk: number): Array<Promise<readonly OpenWorkerOutcome[]>> {
    if (this.#closed) throw new Error('the open pool is closed');
    this.#start();
    const size = Math.max(1, Math.floor(chunk));
    const parts: Array<Promise<readonly OpenWorkerOutcome[]>> = [];
    for (let at = 0; at < blobs.length; at += size) {
      const w = this.#workers.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
      const p = this.#send(w, candidates, blobs.slice(at, at + size));
      p.catch(() => {}); // awaited by the caller in order (a later chunk may fail first)
      parts.push(p);
    }
    return parts;
  }

  #send(w: OpenWorker, candidates: readonly (readonly EpochKeys[])[], slice: readonly Uint8Array[]): Promise<readonly OpenWorkerOutcome[]> {
    let total = 0;
    for (const b of slice) total += b.length;
    const buffer = new ArrayBuffer(total);
    const all = new Uint8Array(buffer);
    const views: Uint8Array[] = [];
    let at = 0;
    for (const b of slice) {
      all.set(b, at);
      views.push(all.subarray(at, at + b.length));
      at += b.length;
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (w.dead) return reject(new Error('an open worker ended'));
      w.jobs.set(id, { resolve, reject });
      w.worker.postMessage({ id, candidates, blobs: views } satisfies OpenWorkerRequest, [buffer]);
    });
  }

  /** Ends every worker; runs still being opened reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
