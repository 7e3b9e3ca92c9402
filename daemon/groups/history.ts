/**
 * Reading a pub's whole store once for a group just joined (PubHistoryReader; implemented over
 * the pub client in daemon/services/pub-history.ts). GroupPubs keeps
 * one subscription per pub from its saved cursor, so a pub this daemon already reads for
 * another group is read only from there on: the new group's older blobs on it (the invite entry
 * the join cites, the members' joins, the history) would never reach the joiner. After a join
 * the groups service therefore reads each of the group's pubs from cursor 0 once, on a
 * connection of its own (a fresh isolation key: its own circuit), and hands every blob to
 * `ingest` for that group only. A pub sees a new connection reading everything from 0, which is
 * what any new member's first subscription does: it learns nothing it could link.
 */

/** Reads every blob `pub` holds, from cursor 0, handing each page to `onBlobs` (awaited). */
export type PubHistoryReader = (pub: string, onBlob: (blob: Uint8Array) => Promise<void>, signal: AbortSignal) => Promise<void>;

