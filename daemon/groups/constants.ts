/** Defaults and store namespaces of the groups service (daemon/groups/). */
import { availableParallelism } from 'node:os';

/** One record per group (id: the group id [32]): genesis, epochs and their secrets, own chain, read marker. */
export const GROUPS_NAMESPACE = 'groups';
/** One record per stored entry (id: group id [32] || entry id [32]): the entry, who posted it where. */
export const GROUP_ENTRIES_NAMESPACE = 'group-entries';
/** The original blob of each entry (same id): what repairs and sync re-post byte for byte. */
export const GROUP_BLOBS_NAMESPACE = 'group-blobs';
/** Notices that are not entries (id: group id || notice id [32]): a pub's "pruned". */
export const GROUP_NOTICES_NAMESPACE = 'group-notices';
/** Invites received over peer links, not yet joined or declined (id: the invite entry's id [32]). */
export const GROUP_INVITES_IN_NAMESPACE = 'group-invites-in';
/** Invites sent over peer links, not yet acknowledged (id: the invite entry's id [32]). */
export const GROUP_INVITES_OUT_NAMESPACE = 'group-invites-out';

/** Unacknowledged peer invites are sent again this often while the contact's link is up (ms). */
export const INVITE_RESEND_INTERVAL_MS = 5_000;
/** How often the pub links' states are compared with the last ones reported (ms). */
export const PUB_STATUS_POLL_MS = 1_000;
/** The most received invites kept; the oldest gives way. */
export const RECEIVED_INVITES_MAX = 1_000;
/** The most heads an entry names (protocol/constants.ts ENTRY_HEADS_MAX). */
export const HEADS_MAX = 16;
/** A peer invite's single use: the invite entry admits one join. */
export const PEER_INVITE_USES = 1;
/**
 * An exported invite string's default uses: one. The string is a secret that reads the group
 * and may be pasted anywhere; one join per string means a copy that leaks (a chat log, a
 * clipboard) admits nobody once its person has joined, and a second join with it is refused
 * where everyone sees it. Exporting is cheap: one string per person. `uses` asks for more.
 */
export const EXPORT_INVITE_USES = 1;
/**
 * Invites expire after 7 days by default (peer and exported): long enough for a person who is
 * offline for a few days, short enough that a forgotten string stops admitting. `expiresInMs`
 * sets another time. (Expiry is the joiner's own claim in its join's timestamp: see
 * docs/groups.md, "Expiry and uses are advisory".)
 */
export const INVITE_EXPIRES_DEFAULT_MS = 7 * 24 * 60 * 60 * 1000;
/** Blobs that opened under no key we held, kept to try again after a re-key gives a new epoch. */
export const UNOPENED_BLOBS_MAX = 512;
/**
 * Worker threads that open and verify long runs of received blobs (open-pool.ts): the cores but
 * one (for the event loop, which seals, stores and indexes while they verify), between 1 and 2.
 * On the 2-core development machine 1 and 2 gave the same catch-up rates (bench/README.md).
 */
export const OPEN_WORKERS_DEFAULT = Math.max(1, Math.min(2, availableParallelism() - 1));
/** Runs shorter than this are opened on the event loop (a worker's round trip is not worth it). */
export const OPEN_POOL_MIN_RUN = 32;
/** A long run goes to the open workers in chunks of this many blobs (the event loop takes each chunk as it is done). */
export const OPEN_CHUNK_BLOBS = 128;

/**
 * The longest our new content is held back while the current epoch is exposed (a leaver or a
 * member removed by a re-key that lost a race holds its secret) before it is posted anyway: the
 * settling re-key normally comes within seconds (protocol/rekey.ts REKEY_JITTER_MS, then
 * REKEY_TAKEOVER_MS per admin that does not).
 */
export const EXPOSED_HOLD_MAX_MS = 120_000;
