/**
 * The pub's limits, validated, and the policy it announces from them; the per-connection post
 * rate limiter (a token bucket).
 */
import { BLOB_SIZES } from '../../protocol/constants.js';
import { POW_DIFFICULTY_MAX } from '../../protocol/pow.js';
import { PAGE_BLOBS_MAX, PAGE_ENTRY_OVERHEAD_BYTES, PAGE_OVERHEAD_BYTES, POST_OVERHEAD_BYTES, PUB_WIRE_VERSION, type PubPolicy } from '../../protocol/pub-wire.js';
import { DEFAULT_PUB_LIMITS, PUB_FRAME_RECEIVE_MAX, blobSizesUpTo, type PubLimits } from './constants.js';
import { PubLimitError } from './errors.js';

function checkInt(limits: PubLimits, key: keyof PubLimits, min: number, max: number, why = ''): void {
  const value = limits[key];
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new PubLimitError(key, `must be an integer from ${min} to ${max}${why}`);
  }
}

/**
 * The most blob bytes a page may hold with this many blobs, so that the whole PAGE frame
 * (header, then per blob a cursor, a length and the blob) fits in PUB_FRAME_RECEIVE_MAX.
 */
export function maxPageBytesFor(maxPageBlobs: number): number {
  return PUB_FRAME_RECEIVE_MAX - PAGE_OVERHEAD_BYTES - maxPageBlobs * PAGE_ENTRY_OVERHEAD_BYTES;
}

/** Fills in defaults and checks every limit, failing with PubLimitError (code BAD_LIMIT). */
export function resolveLimits(partial: Partial<PubLimits> = {}): PubLimits {
  const limits: PubLimits = { ...DEFAULT_PUB_LIMITS, ...stripUndefined(partial) };
  checkInt(limits, 'powDifficulty', 0, POW_DIFFICULTY_MAX);
  if (!BLOB_SIZES.includes(limits.maxBlobBytes)) throw new PubLimitError('maxBlobBytes', `must be one of ${BLOB_SIZES.join(', ')}`);
  checkInt(limits, 'maxFrameBytes', POST_OVERHEAD_BYTES + limits.maxBlobBytes, 0xffff_ffff, ' (a POST of the largest blob)');
  checkInt(limits, 'postsPerSecond', 1, 0xffff_ffff);
  checkInt(limits, 'postBurst', 1, 0xffff_ffff);
  checkInt(limits, 'requestsPerSecond', 1, 0xffff_ffff);
  checkInt(limits, 'requestBurst', 1, 0xffff_ffff);
  checkInt(limits, 'maxInflight', 1, 0xffff);
  checkInt(limits, 'maxConnections', 1, 0xffff_ffff);
  checkInt(limits, 'quotaBytes', limits.maxBlobBytes, Number.MAX_SAFE_INTEGER, ' (at least the largest blob)');
  checkInt(limits, 'retentionMs', 0, Number.MAX_SAFE_INTEGER);
  checkInt(limits, 'maxPageBlobs', 1, PAGE_BLOBS_MAX);
  checkInt(
    limits,
    'maxPageBytes',
    limits.maxBlobBytes + PAGE_ENTRY_OVERHEAD_BYTES,
    maxPageBytesFor(limits.maxPageBlobs),
    ` (a page must hold the largest blob, and a PAGE of ${limits.maxPageBlobs} blobs must fit in the ${PUB_FRAME_RECEIVE_MAX} bytes snug's clients receive)`,
  );
  checkInt(limits, 'pruneIntervalMs', 1, 0x7fff_ffff);
  checkInt(limits, 'statsIntervalMs', 0, 0x7fff_ffff);
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
