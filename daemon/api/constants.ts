/** Defaults of the local API's server and client (each overridable through `init`). */

/** The socket's file name in the home directory (CONTRACT.md). */
export const SOCKET_NAME = 'snug.sock';

/** The longest line (one JSON-RPC message or batch) in bytes, without its newline; longer closes. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** The most connections served at once; one more gets ERR_TOO_MANY_CONNECTIONS and is closed. */
export const MAX_CONNECTIONS = 64;

/** The most requests a connection may have running at once; more wait (and the connection is not read). */
export const MAX_IN_FLIGHT = 32;

/** The most requests in one batch; a bigger batch is answered ERR_BATCH_TOO_LARGE as a whole. */
export const MAX_BATCH = 64;

/**
 * Bytes of notifications a subscriber may leave unread (written to its socket but not taken by
 * the kernel, or waiting behind a replay) before the server cuts it off. Writes never wait for
 * a subscriber: past this bound the connection is destroyed.
 */
export const MAX_SUBSCRIBER_BACKLOG_BYTES = 4 * 1024 * 1024;

/**
 * Bytes of answers a connection may leave unread before the server stops reading its requests
 * (resumed on 'drain'): a client that sends and never reads cannot make the daemon buffer for ever.
 */
export const OUTPUT_HIGH_WATER_BYTES = 1024 * 1024;

/** How long connecting to an existing socket may take before it counts as stale (ms). */
export const STALE_PROBE_TIMEOUT_MS = 1_000;

/** How long stop() lets running handlers finish after aborting their signals (ms). */
export const STOP_GRACE_MS = 2_000;

/** The client's default time for one call (ms); profile/create and unlock run Argon2id. */
export const CALL_TIMEOUT_MS = 60_000;

/** The client's default time to connect (ms). */
export const CONNECT_TIMEOUT_MS = 5_000;
