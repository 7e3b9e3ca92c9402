import assert from 'node:assert/strict';
import { complete } from '../../../tui/commands/complete.js';
import { COMMANDS, parseLine } from '../../../tui/commands/parse.js';

describe('tui command parsing', () => {
  it('treats a line without a leading slash (or with two) as text to send', () => {
    assert.deepEqual(parseLine('hello'), { kind: 'text', text: 'hello' });
    assert.deepEqual(parseLine('//me too'), { kind: 'text', text: '/me too' });
  });

  it('parses each command with its arguments', () => {
    assert.deepEqual(parseLine('/add abc.onion Bob Smith'), { kind: 'command', command: { name: 'add', address: 'abc.onion', petname: 'Bob Smith' } });
    assert.deepEqual(parseLine('/group team p1.onion p2.onion'), { kind: 'command', command: { name: 'group', groupName: 'team', pubs: ['p1.onion', 'p2.onion'] } });
    assert.deepEqual(parseLine('/ACCEPT'), { kind: 'command', command: { name: 'accept', who: undefined } });
    assert.deepEqual(parseLine('/join  xyz '), { kind: 'command', command: { name: 'join', invite: 'xyz' } });
    for (const c of COMMANDS) assert.notEqual(parseLine(`/${c.name} a b`).kind, 'text');
  });

  it('answers an unknown command or missing arguments with an error', () => {
    assert.equal(parseLine('/frobnicate').kind, 'error');
    assert.equal(parseLine('/add').kind, 'error');
    assert.equal(parseLine('/group onlyname').kind, 'error');
    assert.equal(parseLine('/invite').kind, 'error');
  });

  it('completes commands at the start of the line and names elsewhere', () => {
    assert.deepEqual(complete('/he', true, []), { replacement: '/help ', matches: ['/help'] });
    assert.deepEqual(complete('/a', true, []).matches, ['/add', '/accept']);
    assert.equal(complete('/a', true, []).replacement, '/a');
    assert.equal(complete('al', false, ['alice', 'bob']).replacement, 'alice');
    assert.equal(complete('ma', false, ['marie', 'mary']).replacement, 'mar');
    assert.deepEqual(complete('zz', false, ['alice']), { replacement: 'zz', matches: [] });
  });
});

describe('tui command parsing: messages', () => {
  it('parses the commands that act on a message', () => {
    assert.deepEqual(parseLine('/reply  sure, at noon '), { kind: 'command', command: { name: 'reply', text: 'sure, at noon' } });
    assert.deepEqual(parseLine('/react 👍'), { kind: 'command', command: { name: 'react', reaction: '👍' } });
    assert.deepEqual(parseLine('/react'), { kind: 'command', command: { name: 'react', reaction: '' } });
    assert.deepEqual(parseLine('/hide all'), { kind: 'command', command: { name: 'hide', forAll: true } });
    assert.equal(parseLine('/hide some').kind, 'error');
    assert.equal(parseLine('/edit').kind, 'error');
    assert.deepEqual(parseLine('/delete'), { kind: 'command', command: { name: 'delete' } });
  });
});
