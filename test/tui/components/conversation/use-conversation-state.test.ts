import assert from 'node:assert/strict';
import type { Item } from '../../../../tui/model/types.js';
import { conversationReducer, initialConversationState, lastOwnMessage, wantsOlder, type ConversationAction, type ConversationState } from '../../../../tui/components/conversation/use-conversation-state.js';

const ME = 'm'.repeat(56) + '.onion';
const YOU = 'y'.repeat(56) + '.onion';

function item(n: number, over: Partial<Item> = {}): Item {
  return { id: n.toString(16).padStart(64, '0'), kind: 'message', author: YOU, ts: 1000 + n, text: `message ${n}`, status: 'received', ...over };
}
function run(...actions: ConversationAction[]): ConversationState {
  return actions.reduce(conversationReducer, initialConversationState);
}

describe('tui conversation state', () => {
  it('takes the newest page, then older pages before it, and knows when the start is reached', () => {
    let s = run({ type: 'loadStart', which: 'initial' }, { type: 'page', items: [item(3), item(4)], limit: 2 });
    assert.equal(s.loaded, true);
    assert.equal(s.hasOlder, true, 'a full page means older items may exist');
    s = conversationReducer(s, { type: 'olderPage', items: [item(1), item(2)], limit: 2 });
    s = conversationReducer(s, { type: 'olderPage', items: [item(0)], limit: 2 });
    assert.deepEqual(s.items.map((i) => i.text), ['message 0', 'message 1', 'message 2', 'message 3', 'message 4']);
    assert.equal(s.hasOlder, false);
  });

  it('appends new items once each, before messages still being sent', () => {
    let s = run({ type: 'page', items: [item(1)], limit: 50 }, { type: 'sending', item: item(99, { id: 'local-1', author: ME, status: 'sending' }) });
    s = conversationReducer(s, { type: 'append', items: [item(2), item(1)] });
    s = conversationReducer(s, { type: 'append', items: [item(2)] });
    assert.deepEqual(s.items.map((i) => i.id.slice(-2)), ['01', '02', '-1']);
  });

  it('turns a message being sent into the durable one, or drops it when the daemon refused it', () => {
    const local = item(5, { id: 'local-1', author: ME, status: 'sending' });
    let s = run({ type: 'page', items: [], limit: 50 }, { type: 'sending', item: local }, { type: 'sending', item: { ...local, id: 'local-2' } });
    s = conversationReducer(s, { type: 'sent', localId: 'local-1', item: { ...local, id: item(5).id, status: 'outbox' } });
    s = conversationReducer(s, { type: 'sendFailed', localId: 'local-2' });
    assert.deepEqual(s.items.map((i) => [i.id, i.status]), [[item(5).id, 'outbox']]);
  });

  it('moves a status forward only', () => {
    let s = run({ type: 'page', items: [item(1, { author: ME, status: 'outbox' })], limit: 50 });
    s = conversationReducer(s, { type: 'status', id: item(1).id, status: 'delivered' });
    s = conversationReducer(s, { type: 'status', id: item(1).id, status: 'sent' });
    assert.equal(s.items[0]!.status, 'delivered');
    assert.equal(conversationReducer(s, { type: 'status', id: 'nope', status: 'sent' }), s);
  });

  it('scrolls within bounds and asks for older items only at the top of what it holds', () => {
    let s = run({ type: 'page', items: [item(1), item(2)], limit: 2 });
    s = conversationReducer(s, { type: 'scroll', lines: 50, maxScroll: 10 });
    assert.equal(s.scroll, 10);
    s = conversationReducer(s, { type: 'scroll', lines: -50, maxScroll: 10 });
    assert.equal(s.scroll, 0);
    assert.equal(wantsOlder(s, 30, 10), false, 'at the bottom');
    s = conversationReducer(s, { type: 'scroll', lines: 20, maxScroll: 25 });
    assert.equal(wantsOlder(s, 30, 10), true);
    assert.equal(wantsOlder(conversationReducer(s, { type: 'loadStart', which: 'older' }), 30, 10), false, 'not twice at once');
  });

  it('finds the last message of ones own to edit', () => {
    const s = run({ type: 'page', items: [item(1, { author: ME }), item(2), item(3, { author: ME, kind: 'joined' })], limit: 50 });
    assert.equal(lastOwnMessage(s, ME)?.id, item(1).id);
    assert.equal(lastOwnMessage(initialConversationState, ME), undefined);
  });

  it('keeps messages still being sent when the newest page is fetched again', () => {
    let s = run({ type: 'page', items: [item(1)], limit: 50 }, { type: 'sending', item: item(9, { id: 'local-1', status: 'sending' }) });
    s = conversationReducer(s, { type: 'page', items: [item(1), item(2)], limit: 50 });
    assert.deepEqual(s.items.map((i) => i.id.slice(-2)), ['01', '02', '-1']);
  });
});

describe('tui conversation state: picking a message', () => {
  it('picks messages from the newest back with Alt+Up, forward with Alt+Down, and none past the newest', () => {
    let s = run({ type: 'page', items: [item(1), item(2, { kind: 'joined' }), item(3)], limit: 50 });
    s = conversationReducer(s, { type: 'selectMessage', delta: -1 });
    assert.equal(s.selectedId, item(3).id);
    s = conversationReducer(s, { type: 'selectMessage', delta: -1 });
    assert.equal(s.selectedId, item(1).id, 'notices are skipped');
    assert.equal(conversationReducer(s, { type: 'selectMessage', delta: -1 }).selectedId, item(1).id, 'the oldest stays picked');
    s = conversationReducer(s, { type: 'selectMessage', delta: 1 });
    s = conversationReducer(s, { type: 'selectMessage', delta: 1 });
    assert.equal(s.selectedId, null);
  });

  it('acts on the picked message, else the newest the command takes', async () => {
    const { targetMessage } = await import('../../../../tui/components/conversation/use-conversation-state.js');
    let s = run({ type: 'page', items: [item(1, { author: ME }), item(2)], limit: 50 });
    assert.equal(targetMessage(s, (i) => i.author === ME)?.id, item(1).id);
    s = conversationReducer(s, { type: 'selectMessage', delta: -1 });
    assert.equal(targetMessage(s, (i) => i.author === ME)?.id, item(2).id, 'the pick wins');
  });

  it('merges a fetched page: held items take their new form, new ones are appended, older pages stay', () => {
    let s = run({ type: 'page', items: [item(5), item(6)], limit: 2 }, { type: 'olderPage', items: [item(4)], limit: 2 });
    s = conversationReducer(s, { type: 'merge', items: [item(6, { edited: true, text: 'six' }), item(7)] });
    assert.deepEqual(s.items.map((i) => i.text), ['message 4', 'message 5', 'six', 'message 7']);
  });
});
