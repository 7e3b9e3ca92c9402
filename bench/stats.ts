/**
 * Statistics and printing for the benchmarks. Benchmarks print figures; they never assert on them.
 */
import { cpus, loadavg, totalmem } from 'node:os';

/** Milliseconds since an arbitrary origin, sub-millisecond precise. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The q-quantile (0..1) of `samples` by nearest rank; NaN when empty. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

export const MiB = 1024 * 1024;
/** Throughput figures use decimal megabytes (10^6 bytes), as "MB/s". */
export const MB = 1_000_000;

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** One printed figure: `name  value unit  (note)`. */
export function figure(name: string, value: number | string, unit = '', note = ''): void {
  const v = typeof value === 'number' ? fmt(value, Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2) : value;
  process.stdout.write(`  ${name.padEnd(46)} ${`${v} ${unit}`.trimEnd().padStart(16)}${note ? `   ${note}` : ''}\n`);
}

export function heading(title: string): void {
  process.stdout.write(`\n${title}\n${'-'.repeat(title.length)}\n`);
}

export function note(text: string): void {
  process.stdout.write(`  ${text}\n`);
}

/** The machine and its load, printed at the start and end of a run. */
export function machineLine(): string {
  const [l1, l5, l15] = loadavg();
  const cpu = cpus();
  return `node ${process.version}, ${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}, ${fmt(totalmem() / MiB / 1024, 1)} GiB RAM, load average ${fmt(l1 ?? 0, 2)} ${fmt(l5 ?? 0, 2)} ${fmt(l15 ?? 0, 2)}`;
}

/** Runs `fn` `count` times with at most `concurrency` in flight; resolves when all are done. */
export async function runPool(count: number, concurrency: number, fn: (i: number, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: concurrency }, async (_, w) => {
    while (next < count) {
      const i = next++;
      await fn(i, w);
    }
  });
  await Promise.all(workers);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
