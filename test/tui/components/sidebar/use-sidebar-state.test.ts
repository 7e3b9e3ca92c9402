import assert from 'node:assert/strict';
import type { ContactRow, GroupRow } from '../../../../tui/model/types.js';
import { entriesOf, initialSidebarState, sidebarReducer, type SidebarAction, type SidebarState } from '../../../../tui/components/sidebar/use-sidebar-state.js';

const A = 'a'.repeat(56) + '.onion';
const B = 'b'.repeat(56) + '.onion';
const C = 'c'.repeat(56) + '.onion';

function contact(address: string, over: Partial<ContactRow> = {}): ContactRow {
  return { address, name: null, state: 'accepted', online: false, unread: 0, proposedName: null, message: null, ...over };
}
function group(groupId: string, name: string, over: Partial<GroupRow> = {}): GroupRow {
  return { groupId, name, unread: 0, members: 2, role: 'admin', pubs: [], gaps: 0, missing: 0, unfillable: 0, evidence: 0, equivocators: [], ...over };
}
function run(...actions: SidebarAction[]): SidebarState {
  return actions.reduce(sidebarReducer, initialSidebarState);
}

describe('tui sidebar state', () => {
  it('lists invites and groups before contacts, and incoming requests before other contacts', () => {
    const s = run(
      { type: 'contacts', contacts: [contact(A, { name: 'alice' }), contact(B, { state: 'incoming', proposedName: 'bob' })] },
      { type: 'groups', groups: [group('g1', 'team')] },
      { type: 'invites', invites: [{ from: C, name: 'club', invite: 'inv1' }] },
    );
    assert.deepEqual(entriesOf(s).map((e) => e.title), ['club', '#team', '~bob', 'alice']);
    assert.deepEqual(entriesOf(s).map((e) => e.pending), ['invite', null, 'incoming', null]);
  });

  it('marks a group whose log has gaps or tamper evidence, and not a whole one', () => {
    const s = run({ type: 'groups', groups: [group('g1', 'whole'), group('g2', 'gappy', { gaps: 1 }), group('g3', 'forked', { evidence: 1, equivocators: [A] })] });
    assert.deepEqual(entriesOf(s).map((e) => [e.title, e.warning]), [['#whole', false], ['#gappy', true], ['#forked', true]]);
  });

  it('selects the first row when nothing is selected and keeps the selection while rows change', () => {
    let s = run({ type: 'contacts', contacts: [contact(A, { name: 'alice' }), contact(B, { name: 'bob' })] });
    assert.equal(s.selected, `c:${A}`);
    s = sidebarReducer(s, { type: 'select', key: `c:${B}` });
    s = sidebarReducer(s, { type: 'contact', address: A, contact: contact(A, { name: 'alice', unread: 3 }) });
    assert.equal(s.selected, `c:${B}`);
    s = sidebarReducer(s, { type: 'contact', address: B, contact: null });
    assert.equal(s.selected, `c:${A}`, 'a removed selection falls back to the first row');
  });

  it('moves with wrap-around, jumps by number and to the next unread or pending row', () => {
    let s = run({ type: 'contacts', contacts: [contact(A, { name: 'a' }), contact(B, { name: 'b' }), contact(C, { name: 'c', unread: 2 })] });
    s = sidebarReducer(s, { type: 'move', delta: -1 });
    assert.equal(s.selected, `c:${C}`);
    s = sidebarReducer(s, { type: 'move', delta: 1 });
    assert.equal(s.selected, `c:${A}`);
    s = sidebarReducer(s, { type: 'selectIndex', index: 1 });
    assert.equal(s.selected, `c:${B}`);
    assert.equal(sidebarReducer(s, { type: 'selectIndex', index: 7 }), s, 'a number with no row changes nothing');
    s = sidebarReducer(s, { type: 'nextUnread' });
    assert.equal(s.selected, `c:${C}`);
    assert.equal(sidebarReducer(s, { type: 'nextUnread' }).selected, `c:${C}`, 'the only unread row stays selected');
  });

  it('selects the most recently active conversation, never an invite', () => {
    const s = run(
      { type: 'contacts', contacts: [contact(A), contact(B)] },
      { type: 'groups', groups: [group('g1', 'team')] },
      { type: 'invites', invites: [{ from: C, name: 'club', invite: 'inv1' }] },
      { type: 'activity', key: `c:${B}`, ts: 200 },
      { type: 'activity', key: 'g:g1', ts: 100 },
      { type: 'activity', key: `c:${B}`, ts: 50 },
      { type: 'selectMostRecent' },
    );
    assert.equal(s.selected, `c:${B}`);
    assert.equal(s.activity[`c:${B}`], 200, 'activity only moves forward');
  });

  it('shows a petname, else the proposed name marked as theirs, else the start of the address', () => {
    const s = run({ type: 'contacts', contacts: [contact(A, { name: 'alice', proposedName: 'Al' }), contact(B, { proposedName: 'bob' }), contact(C)] });
    assert.deepEqual(entriesOf(s).map((e) => e.title), ['alice', '~bob', 'cccccccccc']);
  });
});
