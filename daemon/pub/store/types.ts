/**
 * The types the store's API takes and hands out: its options, a put's result, stored blobs,
 * pages (as blobs and as PAGE-entry runs), stats and a prune's result.
 */

export interface BlobStoreInit {
  /** Directory of the LevelDB database (created if missing). */
  readonly path: string;
  /** Total blob bytes kept; older blobs are pruned to make room. */
  readonly quotaBytes?: number;
  /** Blobs older than this (ms) are removed by prune(); 0 keeps them until the quota needs room. */
  readonly retentionMs?: number;
  /** LevelDB block cache in bytes. */
  readonly cacheSize?: number;
  /** Blob lengths accepted (default BLOB_SIZES). */
  readonly blobSizes?: readonly number[];
  /** Directory of the index database (default: `path` + "-index", beside it). */
  readonly indexPath?: string;
}

export interface PutResult {
  readonly cursor: bigint;
  /** The blob was already stored; `cursor` is where. */
  readonly duplicate: boolean;
}

export interface StoredBlob {
  readonly cursor: bigint;
  readonly blob: Uint8Array;
}

export interface SincePage {
  /** Blobs with cursor > the requested one, in cursor order. */
  readonly blobs: StoredBlob[];
  /** The cursor to ask for next. */
  readonly next: bigint;
  /** More blobs follow `next`. */
  readonly more: boolean;
  /** Blobs after the requested cursor were pruned: the caller may have missed some. */
  readonly pruned: boolean;
  /** First cursor the store can still hold (prune floor + 1). */
  readonly start: bigint;
  /** Last cursor assigned (0 when none). */
  readonly head: bigint;
}

/** A page's bounds and flags, without its blobs (see SincePage). */
export type PageBounds = Omit<SincePage, 'blobs'> & {
  /** Blobs in the page. */
  readonly count: number;
  /** Their bytes. */
  readonly bytes: number;
};

/** A page as runs of PAGE-frame entries (BlobReader.nextEntries). */
export interface EntriesPage extends PageBounds {
  readonly runs: Uint8Array[];
}

export interface BlobStoreStats {
  readonly blobs: number;
  readonly bytes: number;
  readonly start: bigint;
  readonly head: bigint;
}

export interface PruneResult {
  readonly removed: number;
  readonly bytes: number;
}
