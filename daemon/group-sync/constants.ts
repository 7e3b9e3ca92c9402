/** Defaults and store namespaces of group sync (daemon/group-sync/). */

/** One record per (peer, group) (id: peer identity key [32] || group id [32]): protocol/sync/notes.ts PeerSyncState. */
export const SYNC_PEERS_NAMESPACE = 'group-sync-peers';
/** Tamper evidence kept (id: BLAKE2b-256 of its key): protocol/sync/evidence.ts encoding. */
export const SYNC_EVIDENCE_NAMESPACE = 'group-sync-evidence';
/** This member's sync settings per group (id: group id [32]): version u8 (0x01) | flags u8 (bit 0: peer sync off). */
export const SYNC_SETTINGS_NAMESPACE = 'group-sync-settings';

/** How often the log is looked at for changes (new entries from pubs, peers or the user), ms. */
export const SYNC_POLL_MS = 250;
/** An entry is re-posted to a pub that has not served it only after it has been held this long (ms). */
export const REPAIR_SETTLE_MS = 5_000;
/** Pause before each repair post: uniformly random in [min, max] (ms), so a burst does not tell the pub that those blobs belong together. */
export const REPAIR_JITTER_MIN_MS = 200;
export const REPAIR_JITTER_MAX_MS = 2_000;
/** Times one blob is re-posted to one pub before repair gives it up there. */
export const REPAIR_ATTEMPTS_MAX = 2;
/** The most repair posts one (group, pub) has queued at once. */
export const REPAIR_QUEUE_MAX = 4_096;
/** Frames one peer may have waiting to be handled before its sync frames are dropped (the link is too fast for us). */
export const PEER_QUEUE_MAX = 4_096;
/** How often each live (group, pub) is probed for a lost store (ms): one re-post of a blob it served. */
export const REPAIR_PROBE_MS = 60_000;
