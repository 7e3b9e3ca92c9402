import assert from 'node:assert/strict';
import { TOR_STALL_MS, appReducer, initialAppState, torStalled } from '../../../tui/app/state.js';

const tor = { transport: 'tor' as const, bootstrap: 10, state: 'bootstrapping', onion: 'off', summary: 'Loading' };

describe('tui app state', () => {
  it('says tor cannot reach the network after 60 s with no progress, not before', () => {
    let s = appReducer(initialAppState, { type: 'tor', tor, at: 1_000 });
    assert.equal(torStalled(s.tor, 1_000 + TOR_STALL_MS - 1), false);
    assert.equal(torStalled(s.tor, 1_000 + TOR_STALL_MS), true);
    s = appReducer(s, { type: 'tor', tor: { ...tor, summary: 'still' }, at: 30_000 });
    assert.equal(s.tor!.lastProgressAt, 1_000, 'the same percentage is no progress');
    s = appReducer(s, { type: 'tor', tor: { ...tor, bootstrap: 20 }, at: 50_000 });
    assert.equal(torStalled(s.tor, 50_000 + TOR_STALL_MS - 1), false);
    const restarted = appReducer(appReducer(s, { type: 'tor', tor: { ...tor, bootstrap: 0, state: 'restarting' }, at: 60_000 }), { type: 'tor', tor: { ...tor, bootstrap: 20 }, at: 70_000 });
    assert.equal(restarted.tor!.lastProgressAt, 50_000, 'climbing back after a restart is no progress');
    assert.equal(torStalled(appReducer(s, { type: 'tor', tor: { ...tor, bootstrap: 100, state: 'ready' }, at: 0 }).tor, 1e12), false);
    assert.equal(torStalled({ ...s.tor!, transport: 'direct' }, 1e12), false);
  });

  it('routes conversation actions to the conversation they name', () => {
    const s = appReducer(initialAppState, { type: 'conversation', key: 'c:x', action: { type: 'loadStart', which: 'initial' } });
    assert.equal(s.conversations['c:x']!.loading, 'initial');
    assert.equal(s.conversations['c:y'], undefined);
  });

  it('goes to the login screen in the mode asked, and to the chat once unlocked', () => {
    let s = appReducer(initialAppState, { type: 'needLogin', mode: 'create' });
    assert.deepEqual([s.screen, s.login.mode, s.login.step], ['login', 'create', 'name']);
    s = appReducer(s, { type: 'chat', me: { address: 'a', name: 'alice' } });
    assert.equal(s.screen, 'chat');
  });
});
