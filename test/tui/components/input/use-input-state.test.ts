import assert from 'node:assert/strict';
import { initialInputState, inputReducer, wordBeforeCursor, type InputAction, type InputState } from '../../../../tui/components/input/use-input-state.js';

function run(...actions: InputAction[]): InputState {
  return actions.reduce(inputReducer, initialInputState);
}

describe('tui input state', () => {
  it('inserts at the cursor and deletes around it', () => {
    const s = run({ type: 'insert', text: 'helo' }, { type: 'left' }, { type: 'insert', text: 'l' }, { type: 'end' }, { type: 'backspace' }, { type: 'home' }, { type: 'delete' });
    assert.deepEqual([s.text, s.cursor], ['ell', 0]);
  });

  it('drops control characters and turns line ends into spaces', () => {
    assert.equal(run({ type: 'insert', text: 'a\u001b[Ab\nc' }).text, 'a[Ab c');
  });

  it('deletes the word before the cursor and clears the line', () => {
    assert.equal(run({ type: 'insert', text: 'one two three' }, { type: 'deleteWord' }).text, 'one two ');
    assert.deepEqual(run({ type: 'insert', text: 'x' }, { type: 'clear' }), initialInputState);
  });

  it('puts text back with an edit mark, and completes the word before the cursor', () => {
    const s = run({ type: 'set', text: 'fix this', editing: 'abc' });
    assert.deepEqual([s.text, s.cursor, s.editing], ['fix this', 8, 'abc']);
    const t = run({ type: 'insert', text: '/inv al' });
    assert.deepEqual(wordBeforeCursor(t), { word: 'al', start: 5 });
    assert.equal(inputReducer(t, { type: 'complete', replacement: 'alice' }).text, '/inv alice');
  });

  it('puts back a failed text before whatever was typed since, losing neither', () => {
    assert.deepEqual(run({ type: 'restore', text: 'lost?' }), { text: 'lost?', cursor: 5, editing: null });
    const s = run({ type: 'insert', text: 'new' }, { type: 'restore', text: 'old' });
    assert.deepEqual([s.text, s.cursor], ['old new', 7]);
  });

  it('does not move the cursor past either end', () => {
    assert.equal(run({ type: 'left' }).cursor, 0);
    assert.equal(run({ type: 'insert', text: 'ab' }, { type: 'right' }).cursor, 2);
    assert.equal(run({ type: 'backspace' }), initialInputState);
  });
});
