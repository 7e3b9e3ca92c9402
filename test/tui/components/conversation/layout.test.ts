import assert from 'node:assert/strict';
import type { Item } from '../../../../tui/model/types.js';
import { deliveryMark, layoutLines, visibleLines, wrap } from '../../../../tui/components/conversation/layout.js';

const ME = 'm'.repeat(56) + '.onion';
const YOU = 'y'.repeat(56) + '.onion';
const ctx = { me: ME, nameOf: (a: string) => (a === YOU ? 'bob' : '?'), width: 40 };

function item(n: number, over: Partial<Item> = {}): Item {
  return { id: String(n).padStart(64, '0'), kind: 'message', author: YOU, ts: 0, text: `m${n}`, status: 'received', ...over };
}

describe('tui conversation layout', () => {
  it('wraps at spaces, and hard-wraps a word longer than the width', () => {
    assert.deepEqual(wrap('aaaa bbbb cccc', 9), ['aaaa bbbb', 'cccc']);
    assert.deepEqual(wrap('x'.repeat(20), 8), ['xxxxxxxx', 'xxxxxxxx', 'xxxx']);
    assert.deepEqual(wrap('one\ntwo', 20), ['one', 'two']);
  });

  it('names the author on the first line only and marks delivery on the last', () => {
    const lines = layoutLines([item(1, { author: ME, status: 'delivered', text: 'word '.repeat(12).trim() })], ctx);
    assert.ok(lines.length > 1);
    assert.equal(lines[0]!.author, 'me');
    assert.equal(lines[1]!.author.trim(), '');
    assert.equal(lines.at(-1)!.mark, 'delivered');
    assert.equal(lines[0]!.mark, '');
  });

  it('shows group delivery as pubs reached, and gap notices as their own style', () => {
    assert.equal(deliveryMark(item(1, { status: 'sent', pubs: { accepted: 1, total: 2 } })), 'on 1/2 pubs');
    assert.equal(deliveryMark(item(1, { status: 'outbox' })), 'outbox');
    const [gap] = layoutLines([item(2, { kind: 'gap', text: '3 messages missing' })], ctx);
    assert.equal(gap!.style, 'gap');
    assert.match(gap!.text, /3 messages missing/);
  });

  it('shows the lines that fit, counted up from the newest by the scroll', () => {
    const lines = layoutLines([1, 2, 3, 4, 5].map((n) => item(n)), ctx);
    assert.deepEqual(visibleLines(lines, 2, 0).map((l) => l.text), ['m4', 'm5']);
    assert.deepEqual(visibleLines(lines, 2, 2).map((l) => l.text), ['m2', 'm3']);
    assert.deepEqual(visibleLines(lines, 2, 9).map((l) => l.text), []);
  });

  it('lays out an item once per width (the same lines come back for the same item)', () => {
    const it = item(7);
    assert.equal(layoutLines([it], ctx)[0], layoutLines([it], ctx)[0]);
    assert.notEqual(layoutLines([it], ctx)[0], layoutLines([it], { ...ctx, width: 60 })[0]);
  });
});

describe('tui conversation layout: what the message view adds', () => {
  it('shows a deleted or hidden message as such, a reply mark, and reactions on the last line', () => {
    const [del] = layoutLines([item(1, { deleted: true, text: '' })], ctx);
    assert.equal(del!.text, '(deleted)');
    const [hid] = layoutLines([item(2, { hidden: 'admin', text: '' })], ctx);
    assert.equal(hid!.text, '(hidden by an admin)');
    const [rep] = layoutLines([item(3, { replyTo: 'x', reactions: [{ reaction: '👍', count: 2, mine: true }], edited: true })], ctx);
    assert.match(rep!.text, /^↳ m3/);
    assert.equal(rep!.mark, '(edited) 👍2*');
  });
});
