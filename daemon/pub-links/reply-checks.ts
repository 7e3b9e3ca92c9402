/**
 * What a pub client checks of what a pub sends, beyond the frames decoding: the promises the
 * protocol makes about cursors (docs/pub-protocol.md, "What a client checks"). A pub is
 * untrusted: one that breaks a promise is hostile or broken, and the client drops the link
 * (PubReplyError PROTOCOL) rather than let it stall or rewind the client.
 *
 * Each check throws PubReplyError: PROTOCOL for a broken cursor promise, BAD_REPLY for more
 * blobs than asked for. Nothing here does I/O; the client (client.ts) calls these as frames
 * arrive, before it hands anything to its caller.
 */
import type { PageFrame, PostAckFrame, SubscribedFrame } from '../../protocol/pub-wire.js';
import { PubReplyError, PubReplyErrorCode } from './errors.js';

function broken(message: string): PubReplyError {
  return new PubReplyError(PubReplyErrorCode.PROTOCOL, message);
}

/**
 * The answer to one FETCH, page by page. Every blob's cursor is above the one before it, the
 * first above the `since` asked for (and, on a later page, above the previous page's `next`);
 * `next` is the last blob's cursor, or, for a page with none, not below where the page started;
 * `head` is at least every cursor in the page and does not go down from page to page; a page
 * that says `more` has `head` above `next`; and all pages together carry at most `limit` blobs.
 */
export class FetchCheck {
  readonly #limit: number;
  /** Every next blob's cursor must be above this. */
  #floor: bigint;
  #head = 0n;
  #count = 0;

  constructor(since: bigint, limit: number) {
    this.#floor = since;
    this.#limit = limit;
  }

  /** Blobs in the pages checked so far. */
  get count(): number {
    return this.#count;
  }

  /** Checks the next PAGE of the answer (throws PubReplyError) and takes it into account. */
  page(page: PageFrame): void {
    const blobs = page.blobs;
    if (this.#count + blobs.length > this.#limit) {
      throw new PubReplyError(PubReplyErrorCode.BAD_REPLY, 'the pub sent more blobs than asked for');
    }
    if (page.head < this.#head) throw broken('a page of one answer gives a lower head than the page before');
    let floor = this.#floor;
    for (const b of blobs) {
      if (b.cursor <= floor) throw broken('a page holds a cursor not above the one before it (or the one asked for)');
      if (b.cursor > page.head) throw broken('a page holds a cursor above its head');
      floor = b.cursor;
    }
    if (blobs.length > 0 ? page.next !== floor : page.next < floor) throw broken('a page\'s next is not its last cursor (or goes back)');
    if (page.more && page.head <= page.next) throw broken('a page says more follow but its head is not above its next');
    this.#floor = page.next;
    this.#head = page.head;
    this.#count += blobs.length;
  }
}

/**
 * One subscription's frames: each BLOB's cursor above the one before it (the first above the
 * `since` subscribed from); a SUBSCRIBED after the first reports a prune (pruned set) with a
 * `start` above the last one reported.
 */
export class SubscriptionCheck {
  #last: bigint;
  /** The store start the pub last reported a prune at (0: none reported). */
  #told = 0n;
  #answered = false;

  constructor(since: bigint) {
    this.#last = since;
  }

  /** Checks a SUBSCRIBED for this subscription (throws PubReplyError). */
  subscribed(frame: SubscribedFrame): void {
    if (this.#answered && (!frame.pruned || frame.start <= this.#told)) {
      throw broken('a repeated SUBSCRIBED reports no new prune');
    }
    this.#answered = true;
    if (frame.pruned) this.#told = frame.start;
  }

  /** Checks a pushed BLOB's cursor (throws PubReplyError) and takes it into account. */
  blob(cursor: bigint): void {
    if (cursor <= this.#last) throw broken('a pushed blob\'s cursor is not above the last one pushed (or the one subscribed from)');
    this.#last = cursor;
  }
}

/** Checks a POST_ACK: cursor 0 means "before everything", so no blob is stored there. */
export function checkPostAck(frame: PostAckFrame): void {
  if (frame.cursor === 0n) throw broken('a post acknowledged at cursor 0');
}
