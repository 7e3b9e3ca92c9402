import assert from 'node:assert/strict';
import { BLOB_SIZE_MAX } from '../../../protocol/constants.js';
import { PAGE_ENTRY_OVERHEAD_BYTES, PAGE_OVERHEAD_BYTES, encodePage } from '../../../protocol/pub-wire.js';
import { DEFAULT_PUB_LIMITS, PUB_FRAME_RECEIVE_MAX, type PubLimits } from '../../../daemon/pub/constants.js';
import { PubErrorCode, PubLimitError } from '../../../daemon/pub/errors.js';
import { maxPageBytesFor, resolveLimits } from '../../../daemon/pub/policy.js';
import { TOR_MAX_PAYLOAD } from '../../../daemon/tor/constants.js';
import { DIRECT_MAX_PAYLOAD } from '../../../daemon/transport/direct.js';

/** Asserts that resolveLimits refuses `partial` with BAD_LIMIT, naming `limit`. */
function assertRefused(partial: Partial<PubLimits>, limit: keyof PubLimits): void {
  assert.throws(
    () => resolveLimits(partial),
    (err: unknown) => err instanceof PubLimitError && err.code === PubErrorCode.BAD_LIMIT && err.limit === limit,
    JSON.stringify(partial),
  );
}

describe('daemon/pub/policy resolveLimits', () => {
  it('fills in the defaults when given nothing', () => {
    assert.deepEqual(resolveLimits(), DEFAULT_PUB_LIMITS);
  });

  it('names the limit that is out of range, for every limit', () => {
    const cases: [Partial<PubLimits>, keyof PubLimits][] = [
      [{ powDifficulty: 65 }, 'powDifficulty'],
      [{ maxBlobBytes: 3000 }, 'maxBlobBytes'],
      [{ maxFrameBytes: 10 }, 'maxFrameBytes'],
      [{ postsPerSecond: 0 }, 'postsPerSecond'],
      [{ postBurst: 0 }, 'postBurst'],
      [{ requestsPerSecond: 0 }, 'requestsPerSecond'],
      [{ requestBurst: 0 }, 'requestBurst'],
      [{ maxInflight: 0 }, 'maxInflight'],
      [{ maxInflight: 0x10000 }, 'maxInflight'],
      [{ maxConnections: 0 }, 'maxConnections'],
      [{ quotaBytes: 100 }, 'quotaBytes'],
      [{ retentionMs: -1 }, 'retentionMs'],
      [{ maxPageBlobs: 0 }, 'maxPageBlobs'],
      [{ maxPageBytes: 100 }, 'maxPageBytes'],
      [{ pruneIntervalMs: 0 }, 'pruneIntervalMs'],
      [{ statsIntervalMs: 1.5 }, 'statsIntervalMs'],
    ];
    for (const [partial, limit] of cases) assertRefused(partial, limit);
  });

  it(`accepts the largest page size whose whole PAGE frame fits in PUB_FRAME_RECEIVE_MAX (${PUB_FRAME_RECEIVE_MAX} bytes)`, () => {
    const cap = maxPageBytesFor(DEFAULT_PUB_LIMITS.maxPageBlobs);
    assert.equal(resolveLimits({ maxPageBytes: cap }).maxPageBytes, cap);
    assert.equal(PAGE_OVERHEAD_BYTES + DEFAULT_PUB_LIMITS.maxPageBlobs * PAGE_ENTRY_OVERHEAD_BYTES + cap, PUB_FRAME_RECEIVE_MAX);
  });

  it('refuses a page size one byte above that cap, and one of 8 MiB', () => {
    assertRefused({ maxPageBytes: maxPageBytesFor(DEFAULT_PUB_LIMITS.maxPageBlobs) + 1 }, 'maxPageBytes');
    assertRefused({ maxPageBytes: 8 * 1024 * 1024 }, 'maxPageBytes');
  });

  it('lowers the page size cap as more blobs are allowed per page', () => {
    const cap = maxPageBytesFor(4096);
    assert.equal(resolveLimits({ maxPageBlobs: 4096, maxPageBytes: cap }).maxPageBytes, cap);
    assertRefused({ maxPageBlobs: 4096, maxPageBytes: cap + 1 }, 'maxPageBytes');
  });

  it('at the cap, a page of the most blobs it may hold encodes to exactly PUB_FRAME_RECEIVE_MAX bytes', () => {
    // The most bytes a page can take: maxPageBlobs blobs whose sizes add up to maxPageBytes.
    const limits = resolveLimits({ maxPageBlobs: 32, maxPageBytes: maxPageBytesFor(32) });
    const blobs = [];
    let left = limits.maxPageBytes;
    for (let i = 0; i < limits.maxPageBlobs; i++) {
      const size = i === limits.maxPageBlobs - 1 ? left : Math.min(BLOB_SIZE_MAX, left);
      blobs.push({ cursor: BigInt(i + 1), blob: new Uint8Array(size) });
      left -= size;
    }
    const frame = encodePage({ requestId: 1, more: false, pruned: false, start: 1n, next: BigInt(blobs.length), head: BigInt(blobs.length), blobs });
    assert.equal(frame.length, PUB_FRAME_RECEIVE_MAX);
  });

  it('keeps PUB_FRAME_RECEIVE_MAX within what both dialers receive, so a pub at the cap is usable over loopback and over tor', () => {
    assert.ok(DIRECT_MAX_PAYLOAD >= PUB_FRAME_RECEIVE_MAX);
    assert.ok(TOR_MAX_PAYLOAD >= PUB_FRAME_RECEIVE_MAX);
  });
});
