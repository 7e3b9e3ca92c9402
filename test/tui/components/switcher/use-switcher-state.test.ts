import assert from 'node:assert/strict';
import { fuzzyMatches, fuzzyScore, initialSwitcherState, switcherReducer } from '../../../../tui/components/switcher/use-switcher-state.js';

const rows = [
  { key: '1', title: '#team' },
  { key: '2', title: 'alice' },
  { key: '3', title: 'malika' },
  { key: '4', title: 'bob' },
];

describe('tui switcher state', () => {
  it('matches the query characters in order, tighter and earlier matches first', () => {
    assert.deepEqual(fuzzyMatches('al', rows).map((r) => r.title), ['alice', 'malika']);
    assert.deepEqual(fuzzyMatches('tm', rows).map((r) => r.title), ['#team']);
    assert.equal(fuzzyScore('xyz', 'alice'), null);
    assert.deepEqual(fuzzyMatches('', rows).map((r) => r.key), ['1', '2', '3', '4']);
  });

  it('types, deletes and moves the highlight around the matches', () => {
    let s = switcherReducer(initialSwitcherState, { type: 'type', text: 'a' });
    s = switcherReducer(s, { type: 'move', delta: -1, count: 3 });
    assert.deepEqual(s, { query: 'a', highlighted: 2 });
    s = switcherReducer(s, { type: 'type', text: 'l' });
    assert.equal(s.highlighted, 0, 'a new query starts at the best match');
    assert.equal(switcherReducer(s, { type: 'backspace' }).query, 'a');
  });
});
