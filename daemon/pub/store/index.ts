/** The pub's blob store: what the rest of the pub imports (see README.md). */
export { AppendEvent, BlobStore, type BlobStoreEvents } from './store.js';
export { BlobReader, type ReaderOptions } from './reader.js';
export { STORE_LAYOUT_VERSION, STORE_RECORD_VERSION } from './records.js';
export type { BlobStoreInit, BlobStoreStats, EntriesPage, PageBounds, PruneResult, PutResult, SincePage, StoredBlob } from './types.js';
