import assert from 'node:assert/strict';
import { groupIntegrity, type GroupRow } from '../../../tui/model/types.js';

function group(over: Partial<GroupRow> = {}): GroupRow {
  return { groupId: 'g', name: 'team', unread: 0, members: 3, role: 'member', pubs: [], gaps: 0, missing: 0, unfillable: 0, evidence: 0, equivocators: [], ...over };
}

describe('tui model: a group log\'s integrity', () => {
  it('says nothing of a whole log without evidence', () => {
    assert.equal(groupIntegrity(group()), null);
  });

  it('names every kind of trouble with its count, in one line', () => {
    const text = groupIntegrity(group({ gaps: 2, missing: 1, unfillable: 3, evidence: 1, equivocators: ['x'.repeat(56) + '.onion'] }));
    assert.ok(text !== null);
    for (const part of ['2 gaps', '1 missing entry', '3 claims nobody could fill', '1 piece of tamper evidence', `forked by ${'x'.repeat(16)}…`]) assert.ok(text.includes(part), part);
  });

  it('counts one gap in the singular and reports evidence alone', () => {
    assert.equal(groupIntegrity(group({ gaps: 1 })), '1 gap');
    assert.equal(groupIntegrity(group({ evidence: 2 })), '2 pieces of tamper evidence');
  });
});
