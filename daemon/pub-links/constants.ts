/**
 * Defaults of the pub client (the daemon's side of pubs). Times in milliseconds.
 */

/** Time a client allows to dial and receive the hello, unless told otherwise. */
export const HELLO_TIMEOUT_MS = 10_000;
/** The most proof of work (bits) a client spends on one post unless told otherwise (~2^28 hashes, minutes). */
export const CLIENT_MAX_POW_DIFFICULTY = 28;
/** Hashes the proof-of-work solver tries before yielding to the event loop. */
export const POW_SLICE_ATTEMPTS = 4096;
/** Requests given up whose late replies the client still recognises (and drops). */
export const ABANDONED_MAX = 1024;
/** Time close() waits for the pub to answer the WebSocket close before cutting the connection. */
export const CLOSE_TIMEOUT_MS = 2_000;
