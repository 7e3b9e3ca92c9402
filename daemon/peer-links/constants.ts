/** Defaults of the daemon's peer listener (the WebSocket behind its onion service). */

/**
 * Version of the peer-link protocol this daemon speaks. 0: none yet; every connection is refused
 * with PEER_REFUSAL_CLOSE_CODE and a reason naming this version, so a later dialler can tell
 * "not supported by this peer" from "unreachable".
 */
export const PEER_PROTOCOL_VERSION = 0;
/** WebSocket close code (private range 4000-4999) of the versioned refusal. */
export const PEER_REFUSAL_CLOSE_CODE = 4000;
/** The close reason sent with it: `snug-peer/<version> <why>`. */
export const PEER_REFUSAL_REASON = `snug-peer/${PEER_PROTOCOL_VERSION} peer links not available`;
/** Largest frame accepted before the refusal (nothing is read yet; keep it small). */
export const PEER_MAX_PAYLOAD = 64 * 1024;
/** Connections open at once; more are refused at the HTTP upgrade. */
export const PEER_MAX_CONNECTIONS = 64;
/** How long a refused connection gets to finish the closing handshake before it is dropped (ms). */
export const PEER_CLOSE_GRACE_MS = 2_000;
