import assert from 'node:assert/strict';
import { LineSplitter } from '../../../daemon/api/lines.js';

const text = (lines: Buffer[]) => lines.map((l) => l.toString('utf8'));

describe('daemon/api/lines', () => {
  it('splits a chunk into its lines and keeps the unfinished rest for the next chunk', () => {
    const s = new LineSplitter(100);
    assert.deepEqual(text(s.push(Buffer.from('a\nbc\nde')).lines), ['a', 'bc']);
    const r = s.push(Buffer.from('f\n\ng'));
    assert.deepEqual(text(r.lines), ['def', '']);
    assert.equal(r.tooLong, false);
    assert.deepEqual(text(s.push(Buffer.from('\n')).lines), ['g']);
  });

  it('accepts a line of exactly the limit and refuses one byte more, complete or still arriving', () => {
    assert.equal(new LineSplitter(3).push(Buffer.from('abc\n')).tooLong, false);
    assert.equal(new LineSplitter(3).push(Buffer.from('abcd\n')).tooLong, true);
    const s = new LineSplitter(3);
    assert.equal(s.push(Buffer.from('ab')).tooLong, false);
    assert.equal(s.push(Buffer.from('cd')).tooLong, true);
  });

  it('returns the lines before a line that is too long, and forgets what it held', () => {
    const s = new LineSplitter(3);
    const r = s.push(Buffer.from('ok\ntoolong\n'));
    assert.deepEqual(text(r.lines), ['ok']);
    assert.equal(r.tooLong, true);
    assert.deepEqual(text(s.push(Buffer.from('x\n')).lines), ['x']);
  });

  it('forgets a partial line on reset', () => {
    const s = new LineSplitter(10);
    s.push(Buffer.from('par'));
    s.reset();
    assert.deepEqual(text(s.push(Buffer.from('t\n')).lines), ['t']);
  });
});
