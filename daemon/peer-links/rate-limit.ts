/**
 * Token buckets for contact requests: one per address and one for all of them. A request
 * takes a token from both (or from neither). The per-address buckets are bounded in number: the
 * one touched least recently is dropped first (a dropped bucket starts full again, which costs
 * a spammer that cycles through addresses the total bucket, not the others).
 */
export interface RequestLimitInit {
  /** Requests one address may make in a burst, and per refill period. */
  readonly perAddressBurst: number;
  readonly perAddressPeriodMs: number;
  /** Requests from everyone together. */
  readonly totalBurst: number;
  readonly totalPeriodMs: number;
  /** How many per-address buckets are kept. */
  readonly maxAddresses: number;
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RequestLimiter {
  readonly #init: RequestLimitInit;
  readonly #now: () => number;
  readonly #total: Bucket;
  readonly #byAddress = new Map<string, Bucket>();

  constructor(init: RequestLimitInit) {
    this.#init = init;
    this.#now = init.now ?? Date.now;
    this.#total = { tokens: init.totalBurst, at: this.#now() };
  }

  #refill(b: Bucket, burst: number, periodMs: number, now: number): void {
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / periodMs) * burst);
    b.at = now;
  }

  /** True (and a token taken from both buckets) when `address` may make a request now. */
  take(address: string): boolean {
    const now = this.#now();
    const i = this.#init;
    let b = this.#byAddress.get(address);
    if (b === undefined) {
      b = { tokens: i.perAddressBurst, at: now };
      if (this.#byAddress.size >= i.maxAddresses) this.#byAddress.delete(this.#byAddress.keys().next().value!);
    } else {
      this.#byAddress.delete(address); // re-inserted below: the map's order is least recently used first
    }
    this.#byAddress.set(address, b);
    this.#refill(b, i.perAddressBurst, i.perAddressPeriodMs, now);
    this.#refill(this.#total, i.totalBurst, i.totalPeriodMs, now);
    if (b.tokens < 1 || this.#total.tokens < 1) return false;
    b.tokens -= 1;
    this.#total.tokens -= 1;
    return true;
  }
}
