/**
 * The pub's limits, validated, and the policy it announces from them; the per-connection post
 * rate limiter (a token bucket).
 */
import { BLOB_SIZES } from '../../protocol/constants.js';
import { POW_DIFFICULTY_MAX } from '../../protocol/pow.js';
import { PAGE_BLOBS_MAX, PAGE_ENTRY_OVERHEAD_BYTES, POST_OVERHEAD_BYTES, PUB_WIRE_VERSION, type PubPolicy } from '../../protocol/pub-wire.js';
import { DEFAULT_PUB_LIMITS, blobSizesUpTo, type PubLimits } from './constants.js';
import { PubError, PubErrorCodes } from './errors.js';

function bad(message: string): PubError {
  return new PubError(PubErrorCodes.BAD_LIMIT, message);
}

function checkInt(value: number, min: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw bad(`${what} must be an integer from ${min} to ${max}`);
}

/** Fills in defaults and checks every limit, failing with BAD_LIMIT. */
export function resolveLimits(partial: Partial<PubLimits> = {}): PubLimits {
  const limits: PubLimits = { ...DEFAULT_PUB_LIMITS, ...stripUndefined(partial) };
  checkInt(limits.powDifficulty, 0, POW_DIFFICULTY_MAX, 'the PoW difficulty');
  if (!BLOB_SIZES.includes(limits.maxBlobBytes)) throw bad(`the max blob size must be one of ${BLOB_SIZES.join(', ')}`);
  checkInt(limits.maxFrameBytes, POST_OVERHEAD_BYTES + limits.maxBlobBytes, 0xffff_ffff, 'the max frame size');
  checkInt(limits.postsPerSecond, 1, 0xffff_ffff, 'posts per second');
  checkInt(limits.postBurst, 1, 0xffff_ffff, 'the post burst');
  checkInt(limits.requestsPerSecond, 1, 0xffff_ffff, 'requests per second');
  checkInt(limits.requestBurst, 1, 0xffff_ffff, 'the request burst');
  checkInt(limits.maxInflight, 1, 0xffff, 'requests in flight');
  checkInt(limits.maxConnections, 1, 0xffff_ffff, 'the connection limit');
  checkInt(limits.quotaBytes, limits.maxBlobBytes, Number.MAX_SAFE_INTEGER, 'the quota');
  checkInt(limits.retentionMs, 0, Number.MAX_SAFE_INTEGER, 'the retention');
  checkInt(limits.maxPageBlobs, 1, PAGE_BLOBS_MAX, 'blobs per page');
  checkInt(limits.maxPageBytes, limits.maxBlobBytes + PAGE_ENTRY_OVERHEAD_BYTES, 0xffff_ffff, 'bytes per page');
  checkInt(limits.pruneIntervalMs, 1, 0x7fff_ffff, 'the prune interval');
  checkInt(limits.statsIntervalMs, 0, 0x7fff_ffff, 'the stats interval');
  return limits;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The policy a pub with these limits and this PoW context announces. */
export function policyFrom(limits: PubLimits, powContext: Uint8Array): PubPolicy {
  return {
    version: PUB_WIRE_VERSION,
    powContext: powContext.slice(),
    powDifficulty: limits.powDifficulty,
    blobSizes: blobSizesUpTo(limits.maxBlobBytes),
    maxFrameBytes: limits.maxFrameBytes,
    maxPageBlobs: limits.maxPageBlobs,
    maxPageBytes: limits.maxPageBytes,
    postsPerSecond: limits.postsPerSecond,
    postBurst: limits.postBurst,
    maxInflight: limits.maxInflight,
    quotaBytes: limits.quotaBytes,
    retentionMs: limits.retentionMs,
    maxConnections: limits.maxConnections,
  };
}

/** A token bucket: `rate` tokens per second, at most `burst` saved up; starts full. */
export class TokenBucket {
  #tokens: number;
  #at: number;
  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number = performance.now(),
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#at) / 1000;
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.rate);
    this.#at = now;
  }

  /** Takes one token; returns 0 on success, else the milliseconds until one is available. */
  take(now: number = performance.now()): number {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.#tokens) / this.rate) * 1000));
  }
}
