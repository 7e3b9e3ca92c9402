/** Counts events per second over a sliding window of whole seconds (the pub's postsPerSecond stat). */

/** The window the rate is averaged over, in seconds. */
export const RATE_WINDOW_SECONDS = 10;

export class RateMeter {
  readonly #buckets = new Map<number, number>();
  readonly #now: () => number;

  /** `now` gives the time in ms (Date.now unless a test drives the clock). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Counts `n` events now. */
  add(n = 1): void {
    const s = Math.floor(this.#now() / 1000);
    this.#buckets.set(s, (this.#buckets.get(s) ?? 0) + n);
    for (const k of this.#buckets.keys()) if (k <= s - RATE_WINDOW_SECONDS) this.#buckets.delete(k);
  }

  /** Events per second over the last RATE_WINDOW_SECONDS seconds. */
  perSecond(): number {
    const s = Math.floor(this.#now() / 1000);
    let total = 0;
    for (const [k, v] of this.#buckets) if (k > s - RATE_WINDOW_SECONDS) total += v;
    return total / RATE_WINDOW_SECONDS;
  }
}
