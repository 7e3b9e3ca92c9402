/** Defaults of the daemon's peer listener (the WebSocket behind its onion service). */

import { PEER_PROTOCOL_VERSION } from '../../protocol/peer/handshake.js';

/**
 * Version of the peer protocol this daemon speaks (protocol/peer/handshake.ts). A connection
 * that comes while no link manager serves the listener (between the listener's start and the
 * link manager's, on unlock) is refused with PEER_REFUSAL_CLOSE_CODE and a reason naming it.
 */
export { PEER_PROTOCOL_VERSION };
/** WebSocket close code (private range 4000-4999) of the versioned refusal. */
export const PEER_REFUSAL_CLOSE_CODE = 4000;
/** The close reason sent with it: `snug-peer/<version> <why>`. */
export const PEER_REFUSAL_REASON = `snug-peer/${PEER_PROTOCOL_VERSION} peer links not ready`;
/** Largest WebSocket message accepted: one encrypted frame (protocol/peer/handshake.ts PEER_CIPHER_CIPHERTEXT_MAX_BYTES). */
export const PEER_MAX_PAYLOAD = 65_535;
/** Connections open at once; more are refused at the HTTP upgrade. */
export const PEER_MAX_CONNECTIONS = 64;
/** How long a refused connection gets to finish the closing handshake before it is dropped (ms). */
export const PEER_CLOSE_GRACE_MS = 2_000;

/** Time for a whole handshake, from the first byte to the last, either side (ms). */
export const HANDSHAKE_TIMEOUT_MS = 30_000;
/** Time the listener waits for the dialler's first frame after the handshake (ms). */
export const FIRST_FRAME_TIMEOUT_MS = 30_000;
/** Time a dialler waits for the answer to its first frame (ms; the listener may be slow to look up). */
export const ANSWER_TIMEOUT_MS = 30_000;
/** Time allowed to open the connection (the dial itself; tor's own timeout may be shorter). */
export const DIAL_TIMEOUT_MS = 60_000;
/** A link sends a PING when it has sent nothing for this long (ms). */
export const PING_INTERVAL_MS = 30_000;
/** A link that has received nothing for this long is closed (ms). */
export const IDLE_TIMEOUT_MS = 90_000;
/** Dials in flight at once (Tor builds at most 32 circuits at a time; leave room for the rest). */
export const DIAL_CONCURRENCY = 8;
/** A dial still open after this long stops counting against DIAL_CONCURRENCY (it goes on to its timeout). */
export const DIAL_STALL_MS = 10_000;
/** Of those, at most this many to contacts whose last dial failed, so they never starve the rest. */
export const COLD_DIAL_SLOTS = 4;
/** Backoff after failed dials: BASE * 2^(failures-1), capped, with full jitter in [1/2, 1]. */
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
/** After a link drops, the first reconnect waits about this long (ms, jittered). */
export const RECONNECT_DELAY_MS = 500;
/** Contact requests one address may make: a burst of this many, refilled per period. */
export const REQUEST_PER_ADDRESS_BURST = 3;
export const REQUEST_PER_ADDRESS_PERIOD_MS = 10 * 60_000;
/** Contact requests from everyone together. */
export const REQUEST_TOTAL_BURST = 30;
export const REQUEST_TOTAL_PERIOD_MS = 60_000;
/** Per-address request buckets kept. */
export const REQUEST_MAX_ADDRESSES = 4_096;
/** The file, in the development peer directory, that names a daemon's listener: `<address>.url`. */
export const DEV_PEER_URL_SUFFIX = '.url';
/** Member sync links (docs/peer-protocol.md, "Member links") up at once, both directions together. */
export const MEMBER_LINKS_MAX = 16;
/** Member link openings one address may make: a burst of this many, refilled per period. */
export const MEMBER_OPEN_PER_ADDRESS_BURST = 6;
export const MEMBER_OPEN_PER_ADDRESS_PERIOD_MS = 60_000;
/** Member link openings from everyone together. */
export const MEMBER_OPEN_TOTAL_BURST = 60;
export const MEMBER_OPEN_TOTAL_PERIOD_MS = 60_000;
