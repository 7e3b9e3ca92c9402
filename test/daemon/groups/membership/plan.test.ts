import assert from 'node:assert/strict';
import { isApiError } from '../../../../protocol/api/errors.js';
import { ready } from '../../../../protocol/crypto.js';
import { onionAddressFromPublicKey } from '../../../../protocol/identity.js';
import { computeRoster } from '../../../../protocol/roster.js';
import { planDelete, planEdit, planHide, planLeave, planReact, planRemove, planSetPubs, planSetRole, type Me } from '../../../../daemon/groups/membership/plan.js';
import { LogBuilder } from '../../../helpers/roster-log.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isApiError(err)) return err.code;
    throw err;
  }
  return undefined;
}

describe('daemon/groups/membership/plan', () => {
  let b: LogBuilder;
  const me = (n: string): Me => ({ identityKey: b.who(n).identity.publicKey, signingKey: b.who(n).profile.signing.publicKey });
  const addr = (n: string) => onionAddressFromPublicKey(b.who(n).identity.publicKey);
  const roster = () => computeRoster(b.groupId, b.entries);

  before(ready);
  beforeEach(() => {
    b = new LogBuilder('ada');
    b.add('ada', 'bo');
    b.add('ada', 'cy');
  });

  it('lets an admin remove a member, and refuses members, non-members and the last admin', () => {
    assert.equal(Buffer.from(planRemove(roster(), me('ada'), addr('bo'))).toString('hex'), b.key('bo'));
    assert.equal(codeOf(() => planRemove(roster(), me('bo'), addr('cy'))), 'ERR_NOT_ADMIN');
    assert.equal(codeOf(() => planRemove(roster(), me('ada'), addr('eve'))), 'ERR_NOT_MEMBER');
    assert.equal(codeOf(() => planRemove(roster(), me('eve'), addr('bo'))), 'ERR_NOT_MEMBER');
    assert.equal(codeOf(() => planRemove(roster(), me('ada'), addr('ada'))), 'ERR_LAST_ADMIN');
    b.role('ada', 'bo', 'admin');
    assert.equal(codeOf(() => planRemove(roster(), me('ada'), addr('ada'))), undefined);
  });

  it('lets a member leave; the last admin only naming a member as successor, made admin first', () => {
    assert.deepEqual(planLeave(roster(), me('bo')), [{ kind: 'leave' }]);
    assert.equal(codeOf(() => planLeave(roster(), me('ada'))), 'ERR_LAST_ADMIN');
    assert.equal(codeOf(() => planLeave(roster(), me('ada'), addr('ada'))), 'ERR_LAST_ADMIN');
    assert.equal(codeOf(() => planLeave(roster(), me('ada'), addr('eve'))), 'ERR_NOT_MEMBER');
    const plan = planLeave(roster(), me('ada'), addr('cy'));
    assert.deepEqual(plan.map((c) => c.kind), ['role', 'leave']);
    // applied in that order, the roster keeps an admin and lets ada go
    for (const c of plan) b.post('ada', c as never);
    const r = roster();
    assert.deepEqual(r.admins.map((k) => Buffer.from(k).toString('hex')), [b.key('cy')]);
    assert.equal(r.ignored.length, 0);
  });

  it('sets roles and pubs for admins only, never demoting the last admin', () => {
    assert.deepEqual(planSetRole(roster(), me('ada'), addr('bo'), 'admin').kind, 'role');
    assert.equal(codeOf(() => planSetRole(roster(), me('bo'), addr('bo'), 'admin')), 'ERR_NOT_ADMIN');
    assert.equal(codeOf(() => planSetRole(roster(), me('ada'), addr('ada'), 'member')), 'ERR_LAST_ADMIN');
    assert.equal(codeOf(() => planSetRole(roster(), me('ada'), addr('eve'), 'admin')), 'ERR_NOT_MEMBER');
    assert.deepEqual(planSetPubs(roster(), me('ada'), ['ws://127.0.0.1:9', 'ws://127.0.0.1:9']), { kind: 'pubs', pubs: ['ws://127.0.0.1:9'] });
    assert.equal(codeOf(() => planSetPubs(roster(), me('cy'), [])), 'ERR_NOT_ADMIN');
  });

  it('hides for all only as an admin, for oneself as anyone; an unknown entry is not found', () => {
    const id = new Uint8Array(32).fill(1);
    const t = { author: b.who('bo').profile.signing.publicKey, isMessage: true };
    assert.deepEqual(planHide(roster(), me('ada'), t, id, true), { kind: 'hide', target: id });
    assert.equal(planHide(roster(), me('bo'), t, id, false), null);
    assert.equal(codeOf(() => planHide(roster(), me('bo'), t, id, true)), 'ERR_NOT_ADMIN');
    assert.equal(codeOf(() => planHide(roster(), me('ada'), null, id, false)), 'ERR_NOT_FOUND');
  });

  it("edits and deletes one's own messages only, reacts to any message within 64 bytes", () => {
    const id = new Uint8Array(32).fill(2);
    const bos = { author: b.who('bo').profile.signing.publicKey, isMessage: true };
    const boKey = b.who('bo').profile.signing.publicKey;
    const cyKey = b.who('cy').profile.signing.publicKey;
    assert.deepEqual(planEdit(bos, boKey, id, 'fixed'), { kind: 'edit', target: id, text: 'fixed' });
    assert.equal(codeOf(() => planEdit(bos, cyKey, id, 'mine now')), 'ERR_NOT_AUTHOR');
    assert.deepEqual(planDelete(bos, boKey, id), { kind: 'delete', target: id });
    assert.equal(codeOf(() => planDelete(bos, cyKey, id)), 'ERR_NOT_AUTHOR');
    assert.equal(codeOf(() => planDelete({ ...bos, isMessage: false }, boKey, id)), 'ERR_NOT_FOUND');
    assert.equal(codeOf(() => planEdit(null, boKey, id, 'x')), 'ERR_NOT_FOUND');
    assert.deepEqual(planReact(bos, id, '👍'), { kind: 'reaction', target: id, reaction: '👍' });
    assert.deepEqual(planReact(bos, id, ''), { kind: 'reaction', target: id, reaction: '' });
    assert.equal(codeOf(() => planReact(bos, id, 'x'.repeat(65))), 'ERR_TOO_LONG');
    assert.equal(codeOf(() => planReact(null, id, '👍')), 'ERR_NOT_FOUND');
  });
});
