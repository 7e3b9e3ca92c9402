/**
 * Defaults of the pub, each overridable by a `snug pub` flag (see docs/pub-protocol.md).
 * Sizes in bytes, times in milliseconds.
 */
import { BLOB_SIZE_MAX, BLOB_SIZES } from '../../protocol/constants.js';
import { POST_OVERHEAD_BYTES } from '../../protocol/pub-wire.js';

/** Leading zero bits of proof of work per post (about 65,000 BLAKE2b hashes on average). */
export const POW_DIFFICULTY = 16;
/** Largest blob accepted: the largest of BLOB_SIZES. The sizes accepted are BLOB_SIZES up to it. */
export const MAX_BLOB_BYTES = BLOB_SIZE_MAX;
/** Largest frame accepted from a client: a POST of the largest blob, with room to spare. */
export const MAX_FRAME_BYTES = POST_OVERHEAD_BYTES + BLOB_SIZE_MAX + 1024;
/** Sustained posts per second per connection (token bucket rate). */
export const POSTS_PER_SECOND = 20;
/** Posts per connection in a burst (token bucket size). */
export const POST_BURST = 40;
/** Sustained FETCH and SUBSCRIBE requests per second per connection (token bucket rate). */
export const REQUESTS_PER_SECOND = 50;
/** FETCH and SUBSCRIBE requests per connection in a burst (token bucket size). */
export const REQUEST_BURST = 100;
/** HELLO_REQUESTs a connection may send (a client needs one); one more closes it. */
export const HELLO_REQUESTS_MAX = 4;
/** Requests in flight per connection; the pub stops reading a connection that has this many. */
export const MAX_INFLIGHT = 16;
/** Connections served at once. */
export const MAX_CONNECTIONS = 256;
/** Total blob bytes stored before the oldest are pruned: 4 GiB. */
export const QUOTA_BYTES = 4 * 1024 * 1024 * 1024;
/** Blobs older than this are pruned: 30 days. */
export const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** Most blobs in one page. */
export const MAX_PAGE_BLOBS = 256;
/**
 * Largest WebSocket message snug's dialers receive: 4 MiB (the direct and the Tor transport's
 * maxPayload). The pub's limits keep every frame it sends, a whole PAGE included, within it.
 */
export const PUB_FRAME_RECEIVE_MAX = 4 * 1024 * 1024;
/** Most blob bytes in one page (at least one blob is always sent). */
export const MAX_PAGE_BYTES = 512 * 1024;
/**
 * Blobs a subscription catching up reads from the store at a time, sent as one corked burst of
 * BLOB frames: as many as a streamed FETCH's page, so a catch-up by subscription costs the pub
 * no more store reads and writes than one by fetch (bounds a slow subscriber's memory to about
 * a page, its BLOB frames and the next page read ahead, as for a fetch).
 */
export const PUMP_PAGE_BLOBS = MAX_PAGE_BLOBS;
/** Blob bytes a subscription reads from the store at a time (at least one blob). */
export const PUMP_PAGE_BYTES = MAX_PAGE_BYTES;
/** How often retention pruning runs (it also runs on open). */
export const PRUNE_INTERVAL_MS = 60_000;
/** How often the stats line is logged (0: never). */
export const STATS_INTERVAL_MS = 60_000;
/** LevelDB block cache: kept small so memory does not grow with the number of blobs. */
export const LEVEL_CACHE_BYTES = 8 * 1024 * 1024;
/** LevelDB write buffer. */
export const LEVEL_WRITE_BUFFER_BYTES = 4 * 1024 * 1024;
/** Block cache of the dedupe index's LevelDB (32-byte hash keys, 9-byte values). */
export const INDEX_CACHE_BYTES = 2 * 1024 * 1024;
/** Write buffer of the dedupe index's LevelDB. */
export const INDEX_WRITE_BUFFER_BYTES = 2 * 1024 * 1024;
/**
 * LevelDB open table files (its minimum, 74, leaves a table cache of 64). LevelDB maps every
 * open table file into memory, and the pages a read touches count in the process's RSS: a
 * catch-up read of the whole store would otherwise grow RSS by the size of the store.
 */
export const LEVEL_MAX_OPEN_FILES = 74;
/**
 * LevelDB table file size (its minimum, 1 MiB): with the table cache above, at most ~64 MiB
 * of mapped table data count in RSS, however large the store.
 */
export const LEVEL_MAX_FILE_BYTES = 1024 * 1024;
/** Posts committed together in one synced batch at most (group commit). */
export const MAX_BATCH_POSTS = 256;
/** Blobs pruned per batch (whole chunks are deleted, a chunk pruned in part is rewritten). */
export const PRUNE_BATCH_RECORDS = 1024;
/** Interval of WebSocket pings; a connection that misses two is closed. */
export const PING_INTERVAL_MS = 30_000;
/** Bytes a connection may have queued for sending before the pub waits for it to drain. */
export const SEND_HIGH_WATER_BYTES = 1024 * 1024;
/** The accepted sizes for a given max blob size. */
export function blobSizesUpTo(maxBlobBytes: number): number[] {
  return BLOB_SIZES.filter((s) => s <= maxBlobBytes);
}
/** Where the pub keeps its data under its home. */
export const PUB_DIR = 'pub';
export const STORE_DIR = 'blobs';
export const ONION_KEY_FILE = 'onion-key';
/** Virtual port of the onion service (a pub address alone is enough to dial: ws://<address>.onion/). */
export const ONION_VIRTUAL_PORT = 80;

/** Every limit of a pub. Sizes in bytes, times in milliseconds. */
export interface PubLimits {
  /** Leading zero bits of proof of work per post (0..64). */
  readonly powDifficulty: number;
  /** Largest blob accepted; the accepted sizes are BLOB_SIZES up to it. */
  readonly maxBlobBytes: number;
  /** Largest frame accepted from a client (a bigger one closes the connection, code 1009). */
  readonly maxFrameBytes: number;
  /** Sustained posts per second per connection. */
  readonly postsPerSecond: number;
  /** Posts per connection in a burst. */
  readonly postBurst: number;
  /** Sustained FETCH and SUBSCRIBE requests per second per connection (not in the hello). */
  readonly requestsPerSecond: number;
  /** FETCH and SUBSCRIBE requests per connection in a burst. */
  readonly requestBurst: number;
  /** Requests in flight per connection. */
  readonly maxInflight: number;
  /** Connections served at once. */
  readonly maxConnections: number;
  /** Total blob bytes kept (oldest pruned first beyond it). */
  readonly quotaBytes: number;
  /** Blobs older than this are pruned (0: never by age). */
  readonly retentionMs: number;
  /** Most blobs per page. */
  readonly maxPageBlobs: number;
  /** Most blob bytes per page. */
  readonly maxPageBytes: number;
  /** How often retention pruning runs. */
  readonly pruneIntervalMs: number;
  /** How often the stats line is logged (0: never). */
  readonly statsIntervalMs: number;
}

export const DEFAULT_PUB_LIMITS: PubLimits = {
  powDifficulty: POW_DIFFICULTY,
  maxBlobBytes: MAX_BLOB_BYTES,
  maxFrameBytes: MAX_FRAME_BYTES,
  postsPerSecond: POSTS_PER_SECOND,
  postBurst: POST_BURST,
  requestsPerSecond: REQUESTS_PER_SECOND,
  requestBurst: REQUEST_BURST,
  maxInflight: MAX_INFLIGHT,
  maxConnections: MAX_CONNECTIONS,
  quotaBytes: QUOTA_BYTES,
  retentionMs: RETENTION_MS,
  maxPageBlobs: MAX_PAGE_BLOBS,
  maxPageBytes: MAX_PAGE_BYTES,
  pruneIntervalMs: PRUNE_INTERVAL_MS,
  statsIntervalMs: STATS_INTERVAL_MS,
};
