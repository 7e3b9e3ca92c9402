/**
 * The cursor promises a pub client holds a pub to, one row per rule (pure: no sockets; the same
 * rules against a scripted pub over a socket are client.hostile.test.ts).
 */
import assert from 'node:assert/strict';
import { PubFrameType, type PageFrame, type SubscribedFrame } from '../../../protocol/pub-wire.js';
import { FetchCheck, SubscriptionCheck, checkPostAck } from '../../../daemon/pub-links/reply-checks.js';
import { PubReplyErrorCode, isPubReplyError, type PubReplyErrorCode as Code } from '../../../daemon/pub-links/errors.js';

const BLOB = new Uint8Array(1);

function pageOf(cursors: bigint[], fields: Partial<Omit<PageFrame, 'blobs'>> & { next: bigint; head: bigint }): PageFrame {
  return { type: PubFrameType.PAGE, requestId: 1, more: false, pruned: false, start: 1n, blobs: cursors.map((cursor) => ({ cursor, blob: BLOB })), ...fields };
}

function subscribed(pruned: boolean, start: bigint): SubscribedFrame {
  return { type: PubFrameType.SUBSCRIBED, requestId: 1, pruned, start, head: 100n };
}

/** The code `fn` throws, or 'ok'. */
function outcome(fn: () => void): Code | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    assert.ok(isPubReplyError(err), `expected a PubReplyError, got ${String(err)}`);
    return err.code;
  }
}

const P = PubReplyErrorCode.PROTOCOL;

describe('daemon/pub-links/reply-checks', () => {
  describe('FetchCheck', () => {
    // [what, since, limit, pages, expected outcome of the last page]
    const cases: Array<[string, bigint, number, PageFrame[], Code | 'ok']> = [
      ['takes ascending cursors above since with next the last one', 4n, 10, [pageOf([5n, 6n], { next: 6n, head: 6n })], 'ok'],
      ['takes an empty page at the head', 6n, 10, [pageOf([], { next: 6n, head: 6n })], 'ok'],
      ['takes an empty page for a client ahead of the pub', 9n, 10, [pageOf([], { next: 9n, head: 3n })], 'ok'],
      ['takes an empty page pruned past since (next = start - 1)', 1n, 10, [pageOf([], { next: 7n, head: 9n, pruned: true, start: 8n, more: true })], 'ok'],
      ['takes an empty page that says more with head above next', 4n, 10, [pageOf([], { next: 4n, head: 5n, more: true })], 'ok'],
      ['refuses a cursor equal to since', 4n, 10, [pageOf([4n], { next: 4n, head: 9n })], P],
      ['refuses a repeated cursor', 0n, 10, [pageOf([2n, 2n], { next: 2n, head: 9n })], P],
      ['refuses a descending cursor', 0n, 10, [pageOf([3n, 2n], { next: 2n, head: 9n })], P],
      ['refuses a next below the last cursor', 0n, 10, [pageOf([1n, 2n], { next: 1n, head: 9n })], P],
      ['refuses a next above the last cursor', 0n, 10, [pageOf([1n, 2n], { next: 3n, head: 9n })], P],
      ['refuses an empty page whose next is below since', 5n, 10, [pageOf([], { next: 4n, head: 9n })], P],
      ['refuses a cursor above head', 0n, 10, [pageOf([1n, 2n], { next: 2n, head: 1n })], P],
      ['refuses more with head not above next', 0n, 10, [pageOf([1n], { next: 1n, head: 1n, more: true })], P],
      ['refuses more blobs than the limit over all pages (bad reply)', 0n, 3, [pageOf([1n, 2n], { next: 2n, head: 9n, more: true, continues: true }), pageOf([3n, 4n], { next: 4n, head: 9n })], PubReplyErrorCode.BAD_REPLY],
      ['takes a later page going on from the one before', 0n, 10, [pageOf([1n, 2n], { next: 2n, head: 9n, more: true, continues: true }), pageOf([3n], { next: 3n, head: 9n })], 'ok'],
      ['refuses a later page at or below the one before\'s next', 0n, 10, [pageOf([1n, 2n], { next: 2n, head: 9n, more: true, continues: true }), pageOf([2n], { next: 2n, head: 9n })], P],
      ['refuses a later page with a lower head', 0n, 10, [pageOf([1n, 2n], { next: 2n, head: 9n, more: true, continues: true }), pageOf([3n], { next: 3n, head: 8n })], P],
    ];
    for (const [what, since, limit, pages, expected] of cases) {
      it(what, () => {
        const check = new FetchCheck(since, limit);
        for (const p of pages.slice(0, -1)) check.page(p);
        assert.equal(outcome(() => check.page(pages[pages.length - 1]!)), expected);
      });
    }

    it('counts the blobs of the pages it took', () => {
      const check = new FetchCheck(0n, 10);
      check.page(pageOf([1n, 2n], { next: 2n, head: 9n, more: true, continues: true }));
      check.page(pageOf([3n], { next: 3n, head: 9n }));
      assert.equal(check.count, 3);
    });
  });

  describe('SubscriptionCheck', () => {
    it('takes blobs strictly above since and above each other, and refuses one that is not', () => {
      const check = new SubscriptionCheck(3n);
      assert.equal(outcome(() => check.blob(3n)), P);
      assert.equal(outcome(() => check.blob(4n)), 'ok');
      assert.equal(outcome(() => check.blob(6n)), 'ok');
      assert.equal(outcome(() => check.blob(6n)), P);
      assert.equal(outcome(() => check.blob(5n)), P);
    });

    it('takes a first SUBSCRIBED pruned or not, and later ones only for a prune with a higher start', () => {
      const check = new SubscriptionCheck(0n);
      assert.equal(outcome(() => check.subscribed(subscribed(false, 1n))), 'ok');
      assert.equal(outcome(() => check.subscribed(subscribed(false, 5n))), P);
      assert.equal(outcome(() => check.subscribed(subscribed(true, 5n))), 'ok');
      assert.equal(outcome(() => check.subscribed(subscribed(true, 5n))), P);
      assert.equal(outcome(() => check.subscribed(subscribed(true, 4n))), P);
      assert.equal(outcome(() => check.subscribed(subscribed(true, 6n))), 'ok');
      const prunedFirst = new SubscriptionCheck(0n);
      prunedFirst.subscribed(subscribed(true, 5n));
      assert.equal(outcome(() => prunedFirst.subscribed(subscribed(true, 5n))), P);
    });
  });

  it('refuses a POST_ACK at cursor 0 and takes one above', () => {
    assert.equal(outcome(() => checkPostAck({ type: PubFrameType.POST_ACK, requestId: 1, cursor: 0n, duplicate: false })), P);
    assert.equal(outcome(() => checkPostAck({ type: PubFrameType.POST_ACK, requestId: 1, cursor: 1n, duplicate: true })), 'ok');
  });
});
