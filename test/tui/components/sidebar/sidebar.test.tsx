import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { Sidebar } from '../../../../tui/components/sidebar/sidebar.js';
import { initialSidebarState, sidebarReducer } from '../../../../tui/components/sidebar/use-sidebar-state.js';
import { ConversationView } from '../../../../tui/components/conversation/conversation.js';
import { groupIntegrity, type GroupRow } from '../../../../tui/model/types.js';

function group(groupId: string, name: string, over: Partial<GroupRow> = {}): GroupRow {
  return { groupId, name, unread: 0, members: 2, role: 'member', pubs: [], gaps: 0, missing: 0, unfillable: 0, evidence: 0, equivocators: [], ...over };
}

describe('tui sidebar and conversation header: a group log with trouble', () => {
  it('draws a ! beside a group with gaps or evidence and none beside a whole one', () => {
    const state = sidebarReducer(initialSidebarState, { type: 'groups', groups: [group('g1', 'whole'), group('g2', 'gappy', { gaps: 2 })] });
    const r = render(<Sidebar state={state} height={5} />);
    try {
      const lines = (r.lastFrame() ?? '').split('\n');
      assert.match(lines.find((l) => l.includes('#gappy')) ?? '', /! #gappy/);
      assert.doesNotMatch(lines.find((l) => l.includes('#whole')) ?? '', /!/);
    } finally {
      r.unmount();
    }
  });

  it('names the gaps and the forking member in the open group\'s header', () => {
    const g = group('g2', 'gappy', { gaps: 2, evidence: 1, equivocators: ['q'.repeat(56) + '.onion'] });
    const r = render(<ConversationView title="#gappy" subtitle="2 members" warning={groupIntegrity(g)} state={undefined} lines={[]} height={5} />);
    try {
      const frame = r.lastFrame() ?? '';
      assert.ok(frame.includes('2 gaps'), frame);
      assert.ok(frame.includes(`forked by ${'q'.repeat(16)}`), frame);
    } finally {
      r.unmount();
    }
  });
});
