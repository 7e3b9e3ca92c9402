/**
 * Defaults of the daemon's links to pubs for groups (GroupPubs), each overridable through
 * GroupPubsInit. Times in milliseconds. The rules they parametrise are in docs/daemon.md,
 * "Pub links".
 */

/**
 * The `since` a subscription sends is the saved cursor rounded down to a multiple of this
 * (cursorSince in cursor.ts): every member whose session ended anywhere in the same window of
 * this many blobs asks the same `since`, so the pub cannot tell them apart by it. The cost is
 * bounded: at most this many blobs re-read per connection (~5 MB at the standard 5,120-byte blob).
 */
export const CURSOR_ROUND_BLOBS = 1024;
/**
 * Blobs asked per catch-up FETCH: the pub streams them as pages back to back, so a catch-up
 * costs one round trip per this many blobs (about 5 MB at the standard blob size).
 */
export const CATCHUP_FETCH_BLOBS = 1024;
/**
 * Blob bytes one catch-up FETCH's answer may hold in memory; the rest of that answer is dropped
 * and asked again by the next FETCH. Two answers are held at most (one handled, one arriving).
 */
export const CATCHUP_BUFFER_BYTES = 8 * 1024 * 1024;
/** While live, the cursor is saved when the queue drains and at least every this many blobs. */
export const SAVE_EVERY_BLOBS = 256;
/** Blobs pushed live that may wait for the sink; more and the link is dropped and caught up again by fetching. */
export const LIVE_QUEUE_MAX = 4096;
/** Blob bytes pushed live that may wait for the sink (the same rule: a pub of large blobs cannot make the queue hold more). */
export const LIVE_QUEUE_BYTES = 8 * 1024 * 1024;
/** Time allowed to dial a pub and get its hello. */
export const CONNECT_TIMEOUT_MS = 60_000;
/** Time allowed for one FETCH or SUBSCRIBE reply. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** Time allowed for one POST's reply (after its proof of work). */
export const POST_TIMEOUT_MS = 60_000;
/**
 * A link that received nothing (no frame, no WebSocket ping) for this long is cut: the pub pings
 * every 30 s, so this is two missed pings and then some.
 */
export const IDLE_TIMEOUT_MS = 75_000;
/** Backoff after the n-th failure in a row: BASE * 2^(n-1), capped at MAX, full jitter in [1/2, 1]. */
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
/** After a subscription that was live drops, the first reconnect waits about this long (jittered in [1/2, 1]). */
export const RECONNECT_DELAY_MS = 500;
/**
 * A posting connection is replaced by one on a fresh circuit after ROTATE_MS plus a uniform
 * jitter in [0, ROTATE_JITTER_MS): 3 to 7 minutes. An idle one is closed at that time; one
 * with posts in flight takes no new posts and closes when they are answered.
 */
export const ROTATE_MS = 3 * 60_000;
export const ROTATE_JITTER_MS = 4 * 60_000;
/** The most proof of work (leading zero bits) spent on one post; a pub asking more is retried with backoff, never paid. */
export const MAX_POW_DIFFICULTY = 28;
/** Proof-of-work worker threads (the machine's cores minus one for the event loop, at least 1, at most this). */
export const POW_WORKERS_MAX = 2;
/** Hashes a worker tries for one job before moving on to the next job (round robin) and reading its messages. */
export const POW_SLICE_ATTEMPTS = 16_384;
/** The store namespace of the per-pub cursors (id: the pub's address, UTF-8). */
export const CURSOR_NAMESPACE = 'group-pub-cursor';
/** A subscription live at least this long counts as healthy: when it drops, it is dialled again after RECONNECT_DELAY_MS, not the backoff. */
export const STABLE_LINK_MS = 30_000;
/**
 * Each post waits a uniform random time in [0, POST_JITTER_MS) before its first try, so the
 * copies of one blob do not reach a group's pubs at the same instant, and a post (a reply, a
 * repair) does not follow the blob that prompted it by exactly one round trip.
 */
export const POST_JITTER_MS = 250;
