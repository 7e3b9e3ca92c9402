import assert from 'node:assert/strict';
import { fromHex } from '../../protocol/bytes.js';
import { foldMessages, isViewContent, MessageFold, type ViewContent, type ViewEntry } from '../../protocol/message-view.js';
import { Prng } from '../helpers/pub-fixtures.js';

const ADA = 'aa'.repeat(32);
const BO = 'bb'.repeat(32);
const CY = 'cc'.repeat(32);

/** A little log builder: ids are made up and distinct, seq counts per author. */
class Log {
  readonly entries: ViewEntry[] = [];
  private readonly seqs = new Map<string, number>();
  private n = 0;

  post(author: string, content: ViewContent, o: { timestamp?: number; seq?: number } = {}): string {
    this.n++;
    const id = this.n.toString(16).padStart(64, '0');
    const seq = o.seq ?? (this.seqs.get(author) ?? 0) + 1;
    this.seqs.set(author, Math.max(seq, this.seqs.get(author) ?? 0));
    this.entries.push({ id, author, seq, timestamp: o.timestamp ?? 1_000 + this.n, content });
    return id;
  }

  text(author: string, text: string, o: { timestamp?: number } = {}): string {
    return this.post(author, { kind: 'text', text }, o);
  }

  reply(author: string, target: string, text: string): string {
    return this.post(author, { kind: 'reply', target: fromHex(target), text });
  }

  edit(author: string, target: string, text: string, o: { timestamp?: number; seq?: number } = {}): string {
    return this.post(author, { kind: 'edit', target: fromHex(target), text }, o);
  }

  react(author: string, target: string, reaction: string, o: { seq?: number } = {}): string {
    return this.post(author, { kind: 'reaction', target: fromHex(target), reaction }, o);
  }

  del(author: string, target: string): string {
    return this.post(author, { kind: 'delete', target: fromHex(target) });
  }

  hide(author: string, target: string): string {
    return this.post(author, { kind: 'hide', target: fromHex(target) });
  }
}

function one(log: Log, id: string, ctx = {}) {
  const fold = new MessageFold();
  for (const e of log.entries) fold.add(e);
  const item = fold.item(id, ctx);
  assert.ok(item !== null);
  return item;
}

describe('protocol/message-view', () => {
  it('shows a text as written, with no marks', () => {
    const log = new Log();
    const t = log.text(ADA, 'hello');
    assert.deepEqual(one(log, t), {
      id: t,
      author: ADA,
      seq: 1,
      timestamp: 1_001,
      kind: 'text',
      replyTo: null,
      text: 'hello',
      edited: false,
      editedAt: null,
      deleted: false,
      deletedAt: null,
      hidden: null,
      reactions: [],
    });
  });

  it("shows the author's latest edit with an edited mark, by the author's sequence and not the clock", () => {
    const log = new Log();
    const t = log.text(ADA, 'helo');
    log.edit(ADA, t, 'hello', { timestamp: 9_000 });
    log.edit(ADA, t, 'hello!', { timestamp: 5_000 }); // a later seq with an earlier clock still wins
    const item = one(log, t);
    assert.equal(item.text, 'hello!');
    assert.equal(item.edited, true);
    assert.equal(item.editedAt, 5_000);
  });

  it("ignores an edit by anyone but the target's author", () => {
    const log = new Log();
    const t = log.text(ADA, 'mine');
    log.edit(BO, t, 'yours now');
    const item = one(log, t);
    assert.equal(item.text, 'mine');
    assert.equal(item.edited, false);
  });

  it('shows a reply with its target and lets its author edit it', () => {
    const log = new Log();
    const t = log.text(ADA, 'question?');
    const r = log.reply(BO, t, 'answr');
    log.edit(BO, r, 'answer');
    const item = one(log, r);
    assert.equal(item.kind, 'reply');
    assert.equal(item.replyTo, t);
    assert.equal(item.text, 'answer');
    assert.equal(item.edited, true);
  });

  it('counts reactions by kind, one per author, the latest winning and an empty one withdrawing', () => {
    const log = new Log();
    const t = log.text(ADA, 'party');
    log.react(BO, t, '👍');
    log.react(BO, t, '🎉'); // replaces bo's 👍
    log.react(CY, t, '🎉');
    log.react(ADA, t, '👍');
    log.react(ADA, t, ''); // withdraws ada's
    log.react(CY, t, '❤'); // replaces cy's 🎉
    log.react(ADA, t, '❤');
    assert.deepEqual(one(log, t, { me: ADA }).reactions, [
      { reaction: '❤', count: 2, authors: [ADA, CY], mine: true },
      { reaction: '🎉', count: 1, authors: [BO], mine: false },
    ]);
  });

  it('breaks a tie between two reactions of one author and seq by the larger id', () => {
    const log = new Log();
    const t = log.text(ADA, 'x');
    log.react(BO, t, 'a', { seq: 5 });
    log.react(BO, t, 'b', { seq: 5 });
    const reversed = new Log();
    reversed.entries.push(...log.entries.slice().reverse());
    assert.deepEqual(one(log, t).reactions.map((r) => r.reaction), ['b']);
    assert.deepEqual(one(reversed, t).reactions.map((r) => r.reaction), ['b']);
  });

  it('shows a message its author deleted as deleted, without text or reactions, whatever edits follow', () => {
    const log = new Log();
    const t = log.text(ADA, 'oops');
    log.react(BO, t, '😬');
    const d = log.del(ADA, t);
    log.edit(ADA, t, 'back again');
    const item = one(log, t);
    assert.equal(item.deleted, true);
    assert.equal(item.deletedAt, log.entries.find((e) => e.id === d)!.timestamp);
    assert.equal(item.text, null);
    assert.deepEqual(item.reactions, []);
  });

  it("ignores a delete by anyone but the target's author", () => {
    const log = new Log();
    const t = log.text(ADA, 'stays');
    log.del(BO, t);
    const item = one(log, t);
    assert.equal(item.deleted, false);
    assert.equal(item.text, 'stays');
  });

  it('shows a message hidden by an applied hide as hidden, naming the admin; a hide the roster did not apply has no effect', () => {
    const log = new Log();
    const t = log.text(BO, 'spam');
    const h1 = log.hide(CY, t); // cy is not an admin: the roster ignored it
    const h2 = log.hide(ADA, t);
    const applied = new Set([h2]);
    const item = one(log, t, { hideApplied: (id: string) => applied.has(id) });
    assert.deepEqual(item.hidden, { by: 'admin', admin: ADA, entry: h2, at: log.entries.find((e) => e.id === h2)!.timestamp });
    assert.equal(item.text, null);
    assert.equal(one(log, t, { hideApplied: () => false }).text, 'spam');
    assert.equal(one(log, t).hidden, null, 'without the roster no hide counts');
  });

  it('names the earliest of several applied hides', () => {
    const log = new Log();
    const t = log.text(BO, 'spam');
    const h1 = log.hide(ADA, t);
    const h2 = log.hide(CY, t);
    const item = one(log, t, { hideApplied: () => true });
    assert.equal(item.hidden?.by === 'admin' && item.hidden.entry, h1);
    assert.notEqual(h1, h2);
  });

  it('shows what this member hid, and what blocked authors wrote, as hidden by me; their reactions do not count', () => {
    const log = new Log();
    const t = log.text(ADA, 'hi');
    const u = log.text(BO, 'rude');
    log.react(BO, t, '👎');
    log.react(CY, t, '👍');
    const hiddenT = one(log, t, { hiddenForMe: new Set([t]) });
    assert.deepEqual(hiddenT.hidden, { by: 'me' });
    assert.equal(hiddenT.text, null);
    assert.deepEqual(one(log, u, { blockedAuthors: new Set([BO]) }).hidden, { by: 'me' });
    assert.deepEqual(one(log, t, { blockedAuthors: new Set([BO]) }).reactions.map((r) => r.reaction), ['👍']);
  });

  it('does not count a reaction an admin hid', () => {
    const log = new Log();
    const t = log.text(ADA, 'hi');
    const r = log.react(BO, t, '🤬');
    const h = log.hide(ADA, r);
    assert.deepEqual(one(log, t, { hideApplied: (id: string) => id === h }).reactions, []);
    assert.equal(one(log, t).reactions.length, 1);
  });

  it('applies edits, deletes and reactions that arrive before their target once it arrives', () => {
    const log = new Log();
    const t = log.text(ADA, 'first');
    log.edit(ADA, t, 'second');
    log.react(BO, t, '👍');
    const fold = new MessageFold();
    for (const e of log.entries.slice(1)) assert.equal(fold.add(e), t);
    assert.equal(fold.item(t), null);
    assert.equal(fold.add(log.entries[0]!), t);
    const item = fold.item(t)!;
    assert.equal(item.text, 'second');
    assert.equal(item.reactions.length, 1);
  });

  it('counts an entry added twice once, and says which message each entry affects', () => {
    const log = new Log();
    const t = log.text(ADA, 'x');
    const r = log.react(BO, t, '👍');
    const fold = new MessageFold();
    assert.equal(fold.add(log.entries[0]!), t);
    assert.equal(fold.add(log.entries[1]!), t);
    assert.equal(fold.add(log.entries[1]!), null);
    assert.equal(fold.size, 2);
    assert.equal(fold.messageCount, 1);
    assert.ok(fold.has(r) && !fold.isMessage(r) && fold.isMessage(t));
  });

  it('reads only content kinds', () => {
    assert.equal(isViewContent({ kind: 'leave' }), false);
    assert.equal(isViewContent({ kind: 'text', text: 'a' }), true);
    const fold = new MessageFold();
    assert.throws(() => fold.add({ id: '00'.repeat(32), author: ADA, seq: 1, timestamp: 1, content: { kind: 'leave' } as unknown as ViewContent }), TypeError);
  });

  it('gives the same view of the same entries in any order', () => {
    const rng = new Prng(0x71e3);
    const authors = [ADA, BO, CY];
    for (let run = 0; run < 40; run++) {
      const log = new Log();
      const messages: string[] = [];
      const hides: string[] = [];
      for (let k = 0; k < 40; k++) {
        const who = rng.pick(authors);
        const kind = messages.length === 0 ? 0 : rng.int(7);
        const target = messages.length > 0 ? rng.pick(messages) : '';
        const o = rng.chance(0.1) ? { seq: 1 + rng.int(4) } : {};
        if (kind === 0) messages.push(log.text(who, `t${k}`));
        else if (kind === 1) messages.push(log.reply(who, target, `r${k}`));
        else if (kind === 2) log.edit(rng.chance(0.7) ? log.entries.find((e) => e.id === target)!.author : who, target, `e${k}`, o);
        else if (kind === 3) log.react(who, target, rng.pick(['', '👍', '🎉']), o);
        else if (kind === 4) log.del(who, target);
        else if (kind === 5) hides.push(log.hide(who, rng.chance(0.8) ? target : log.entries[rng.int(log.entries.length)]!.id));
        else log.react(who, target, rng.pick(['👍', '❤']));
      }
      const applied = new Set(hides.filter(() => rng.chance(0.5)));
      const ctx = { hideApplied: (id: string) => applied.has(id), hiddenForMe: new Set([rng.pick(messages)]), me: BO };
      const reference = JSON.stringify(foldMessages(log.entries, ctx));
      for (let p = 0; p < 5; p++) {
        const shuffled = log.entries.map((e) => ({ e, w: rng.next32() })).sort((a, b) => a.w - b.w).map((x) => x.e);
        assert.equal(JSON.stringify(foldMessages([...shuffled, ...shuffled.slice(0, 5)], ctx)), reference);
      }
      assert.equal(foldMessages(log.entries).length, messages.length);
    }
  });
});
