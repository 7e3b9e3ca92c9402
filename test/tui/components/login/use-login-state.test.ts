import assert from 'node:assert/strict';
import { initialLoginState, loginReducer, readyToSubmit, type LoginAction, type LoginState } from '../../../../tui/components/login/use-login-state.js';

function typed(s: LoginState, text: string): LoginState {
  return loginReducer(s, { type: 'type', text });
}
function run(s: LoginState, ...actions: LoginAction[]): LoginState {
  return actions.reduce(loginReducer, s);
}

describe('tui login state', () => {
  it('asks a new profile for a name, then the passphrase twice, and submits when they agree', () => {
    let s = typed(initialLoginState('create'), 'alice');
    s = run(s, { type: 'enter' });
    assert.equal(s.step, 'passphrase');
    s = run(typed(s, 'secret'), { type: 'enter' });
    assert.equal(s.step, 'confirm');
    assert.equal(s.secret, '', 'the confirmation starts empty');
    s = run(typed(s, 'secret'), { type: 'enter' });
    assert.deepEqual(readyToSubmit(s), { name: 'alice', passphrase: 'secret' });
    s = run(s, { type: 'submitted' });
    assert.equal(s.secret + s.first, '', 'the passphrase is not kept once submitted');
  });

  it('starts over when the two passphrases differ', () => {
    let s = run(typed(initialLoginState('create'), 'a'), { type: 'enter' });
    s = run(typed(s, 'one'), { type: 'enter' });
    s = run(typed(s, 'two'), { type: 'enter' });
    assert.equal(s.step, 'passphrase');
    assert.notEqual(s.error, null);
    assert.equal(readyToSubmit(s), null);
  });

  it('refuses an empty name or passphrase', () => {
    assert.notEqual(run(initialLoginState('create'), { type: 'enter' }).error, null);
    assert.notEqual(run(initialLoginState('unlock'), { type: 'enter' }).error, null);
  });

  it('takes no keys while busy, and asks again after a wrong passphrase', () => {
    let s = run(typed(initialLoginState('unlock'), 'pw'), { type: 'enter' });
    assert.equal(typed(s, 'x'), s);
    s = run(s, { type: 'failed', error: 'wrong passphrase', retry: 'passphrase' });
    assert.deepEqual([s.busy, s.secret, s.step, s.error], [false, '', 'passphrase', 'wrong passphrase']);
  });
});
