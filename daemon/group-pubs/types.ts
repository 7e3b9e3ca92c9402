/**
 * The seam between the groups service (daemon/groups/) and the daemon's links to pubs
 * (daemon/group-pubs/): what each side gives the other. Written first so both can be built at
 * once; the implementation (GroupPubs) lives beside this file.
 *
 * - The groups service tells GroupPubs which pubs to subscribe to (the union of its groups'
 *   pubs) and asks it to post sealed blobs, one (group, pub) pair at a time.
 * - GroupPubs hands every blob any subscribed pub serves to the sink, live or catching up,
 *   from the stored cursor (rounded down, so a member re-reads a little: docs/daemon.md).
 *   It never decides what a blob is; the sink trial-decrypts it with the keys of the groups
 *   that use that pub, and ignores what it cannot open.
 */

/** A pub link's state, as `pub/didChange` and `daemon/status` report it. */
export type PubLinkState = 'connecting' | 'catching-up' | 'live' | 'failing';

export interface PubLinkStatus {
  /** The pub's address: "<56>.onion" or, in development, "ws://127.0.0.1:PORT". */
  readonly address: string;
  readonly state: PubLinkState;
  /** The last error's stable code while `failing` (ERR_DIAL_FAILED, ERR_PUB_TIMEOUT, ...), else null. */
  readonly lastError: string | null;
}

/** What GroupPubs hands over; implemented by the groups service. */
export interface PubBlobSink {
  /**
   * A blob the pub served. Resolves once it is handled (stored, or ignored as not ours or
   * invalid); the cursor past it is saved only after that. Must not reject for a bad blob.
   */
  blobReceived(pub: string, blob: Uint8Array): Promise<void>;
  /**
   * Optional: a run of blobs the pub served, in cursor order (a fetched page while catching up,
   * or the blobs queued while live). When present, GroupPubs hands runs here instead of calling
   * `blobReceived` per blob. Resolves once every blob of the run is handled (stored, or ignored
   * as not ours or invalid: a bad blob never loses the others); the cursor past the run's last
   * blob is saved only after that. Rejecting means none of the run counts as handled (it is read
   * again from the saved cursor; the sink dedupes what it had stored).
   */
  blobsReceived?(pub: string, blobs: readonly Uint8Array[]): Promise<void>;
  /**
   * The pub answered that blobs after our cursor were pruned before we read them (a notice on
   * every group that uses the pub, never skipped silently).
   */
  pruned(pub: string, info: { readonly start: bigint; readonly head: bigint }): Promise<void>;
}

export interface PostOptions {
  /** Wait the post jitter before the first try (default true). */
  readonly jitter?: boolean;
}

/** What the groups service calls; implemented by GroupPubs. */
export interface GroupPubLinks {
  /** The pubs to hold one subscription each to (the union over all groups); replaces the set. */
  setSubscriptions(pubs: readonly string[]): void;
  /**
   * Posts one sealed blob of one group to one pub: pays the pub's proof of work off the event
   * loop and retries with backoff until the pub accepted it (or already held it). Posts of
   * different groups never share a connection, nor with the subscription; a group's posting
   * connection to a pub is replaced by one on a fresh circuit every few minutes (with jitter).
   * Rejects only when `signal` aborts or GroupPubs stops.
   * `groupKey` is an opaque per-group string (never sent anywhere). The first try waits the
   * post jitter unless `options.jitter` is false (the groups service's posts after the first of
   * a run: the run's start already waited).
   */
  post(groupKey: string, pub: string, blob: Uint8Array, signal?: AbortSignal, options?: PostOptions): Promise<{ readonly cursor: bigint; readonly duplicate: boolean }>;
  /** Every subscribed pub's state. */
  status(): PubLinkStatus[];
}
