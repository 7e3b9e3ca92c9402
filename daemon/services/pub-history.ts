/**
 * PubHistoryReader (daemon/groups/history.ts) over the pub client: one connection of its own per
 * read, on a fresh isolation key, paging from cursor 0 to the pub's head.
 */
import { randomBytes } from 'node:crypto';
import type { PubHistoryReader } from '../groups/history.js';
import { PubClient } from '../pub-links/client.js';
import type { Dialer } from '../transport/types.js';

/** Pages of at most this many blobs. */
const HISTORY_PAGE_BLOBS = 256;
/** Time allowed to connect, and for each page (ms). */
const HISTORY_TIMEOUT_MS = 60_000;

export function pubHistoryReader(dialer: Dialer): PubHistoryReader {
  return async (pub, onBlob, signal) => {
    const client = await PubClient.connect(dialer, pub, { signal, timeoutMs: HISTORY_TIMEOUT_MS, isolationKey: `history-${randomBytes(16).toString('hex')}` });
    try {
      let since = 0n;
      for (;;) {
        const blobs: Uint8Array[] = [];
        const page = await client.fetchEach(since, (got) => blobs.push(...got.map((b) => b.blob)), { signal, timeoutMs: HISTORY_TIMEOUT_MS, limit: HISTORY_PAGE_BLOBS });
        for (const b of blobs) await onBlob(b);
        if (!page.more || page.next <= since) return;
        since = page.next;
      }
    } finally {
      await client.close().catch(() => undefined);
    }
  };
}
