/**
 * Watching what one pub serves, for pub-order evidence (evidence.ts kind 0x04): a blob at a
 * cursor not above the last one the same subscription served (regressed), or one blob (by its
 * blob hash) at two cursors although pubs dedupe identical blobs (repeated). Pure; memory is
 * bounded (the most recent `capacity` hashes per pub are remembered).
 */
import { toHex } from '../bytes.js';
import { blobHash } from '../blob.js';

/** How many blob hashes per pub a watch remembers by default. */
export const PUB_WATCH_CAPACITY = 100_000;

export interface PubOrderObservation {
  readonly pub: string;
  readonly fault: 'regressed' | 'repeated';
  readonly first: { readonly cursor: bigint; readonly blobHash: Uint8Array };
  readonly second: { readonly cursor: bigint; readonly blobHash: Uint8Array };
}

interface PubState {
  last: { cursor: bigint; blobHash: Uint8Array } | null;
  readonly seen: Map<string, bigint>;
}

export class PubOrderWatch {
  private readonly pubs = new Map<string, PubState>();

  constructor(private readonly capacity = PUB_WATCH_CAPACITY) {}

  /** A new subscription to `pub` starts (its cursors may start over). */
  restart(pub: string): void {
    const s = this.pubs.get(pub);
    if (s !== undefined) s.last = null;
  }

  /** The pub lost its store (cursors and blobs start over): forget it. */
  forget(pub: string): void {
    this.pubs.delete(pub);
  }

  /** One blob the pub served at `cursor` on the current subscription; a fault, or null. */
  observe(pub: string, cursor: bigint, blob: Uint8Array): PubOrderObservation | null {
    let s = this.pubs.get(pub);
    if (s === undefined) this.pubs.set(pub, (s = { last: null, seen: new Map() }));
    const hash = blobHash(blob);
    const key = toHex(hash);
    const here = { cursor, blobHash: hash };
    let fault: PubOrderObservation | null = null;
    if (s.last !== null && cursor <= s.last.cursor) fault = { pub, fault: 'regressed', first: s.last, second: here };
    const before = s.seen.get(key);
    if (fault === null && before !== undefined && before !== cursor) fault = { pub, fault: 'repeated', first: { cursor: before, blobHash: hash }, second: here };
    s.last = here;
    if (before === undefined) {
      s.seen.set(key, cursor);
      if (s.seen.size > this.capacity) s.seen.delete(s.seen.keys().next().value!);
    }
    return fault;
  }
}
