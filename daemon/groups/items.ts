/**
 * message/list items of a group, built in ONE function (`buildItem`) from what the log store
 * holds, so later entry kinds (reactions, edits, deletes, hides: the membership issue) extend it
 * here and nowhere else.
 *
 * Today: text and reply entries are `message` items (a reply with `replyTo`); a join is a
 * `joined` notice by the joiner; the genesis a `created` notice by the founder; a leave a `left`
 * notice; a remove-and-re-key a `removed` notice (its text lists nobody: the members it removed
 * are in group/members' change); a pub's "pruned" answer a `pruned` notice without author.
 * Everything else (invites, additions, roles, pub lists, reactions, edits, deletes, hides) is
 * not an item yet (null), and an entry the roster ignored (its author was not a member, or it
 * equivocated) is never shown.
 */
import type { z } from 'zod';
import type { Message } from '../../protocol/api/schemas.js';
import { toHex } from '../../protocol/bytes.js';
import type { Entry } from '../../protocol/entry.js';
import type { OnionAddress } from '../../protocol/identity.js';
import type { NoticeRecord } from './records.js';

export type GroupItem = z.input<typeof Message>;

/** What an item needs besides the entry: who wrote it, where it is, how it sorts. */
export interface ItemContext {
  readonly id: string;
  /** The ts the causal order gave it (the clamped time). */
  readonly ts: number;
  /** The author's address, when the roster knows the author. */
  readonly author: OnionAddress | null;
  readonly own: boolean;
  /** Ours: the pubs that accepted it; theirs: the pubs it was seen on (of the group's). */
  readonly pubs: { readonly accepted: number; readonly total: number };
  /** The roster ignored it. */
  readonly ignored: boolean;
}

/** A group item's status: ours by how many pubs accepted it, theirs 'received'. */
export function ownStatus(pubs: { readonly accepted: number; readonly total: number }): 'outbox' | 'sent' | 'delivered' {
  if (pubs.accepted === 0) return 'outbox';
  return pubs.accepted >= pubs.total ? 'delivered' : 'sent';
}

/** The item of an entry, or null when it is not shown. */
export function buildItem(entry: Entry, c: ItemContext): GroupItem | null {
  if (c.ignored) return null;
  const base = {
    id: c.id,
    author: c.author,
    ts: c.ts,
    status: c.own ? ownStatus(c.pubs) : ('received' as const),
    pubs: { accepted: c.pubs.accepted, total: c.pubs.total },
  };
  const content = entry.content;
  switch (content.kind) {
    case 'text':
      return { ...base, kind: 'message', text: content.text };
    case 'reply':
      return { ...base, kind: 'message', text: content.text, replyTo: toHex(content.target) };
    case 'join':
      return { ...base, kind: 'joined', text: '' };
    case 'genesis':
      return { ...base, kind: 'created', text: content.settings.name };
    case 'leave':
      return { ...base, kind: 'left', text: '' };
    case 'remove':
      return { ...base, kind: 'removed', text: '' };
    default:
      return null;
  }
}

/** The item of a notice that is not an entry (a pub's "pruned"). */
export function buildNoticeItem(id: string, notice: NoticeRecord, ts: number): GroupItem {
  return { id, kind: notice.kind, author: null, ts, text: '', status: 'received', pub: notice.pub };
}

/** True for the items that count as unread when others wrote them. */
export function countsAsUnread(entry: Entry): boolean {
  return entry.content.kind === 'text' || entry.content.kind === 'reply';
}
