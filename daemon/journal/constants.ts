/** Defaults of the notification journal (docs/profile.md, "The notification journal"). */

/** At least this many of the latest notifications are kept, however old. */
export const JOURNAL_KEEP_COUNT = 10_000;
/** Notifications younger than this are kept, however many (up to JOURNAL_MAX_COUNT). */
export const JOURNAL_KEEP_MS = 24 * 60 * 60 * 1000;
/** Hard bound on the notifications kept (disk and the cost of a full replay). */
export const JOURNAL_MAX_COUNT = 100_000;
/** At most this many old notifications are pruned per commit (pruning catches up over commits). */
export const JOURNAL_PRUNE_PER_COMMIT = 1024;
/** A method name is 1..128 bytes. */
export const JOURNAL_METHOD_MAX_BYTES = 128;
/** A notification's params, as JSON, are at most 1 MiB (the API's line limit). */
export const JOURNAL_PARAMS_MAX_BYTES = 1024 * 1024;
/** since() returns at most this many notifications by default (the caller pages with the last seq). */
export const JOURNAL_SINCE_LIMIT = JOURNAL_MAX_COUNT;
