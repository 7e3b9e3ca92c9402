/**
 * message/list items of a group, built in ONE function (`buildItem`) from what the log store
 * holds, so later entry kinds (reactions, edits, deletes, hides: the membership issue) extend it
 * here and nowhere else.
 *
 * Text and reply entries are `message` items (a reply with `replyTo`), shown through the
 * group's message view (`ItemContext.view`: latest own edit, own delete, hides, reactions;
 * protocol/message-view.ts); reactions, edits, deletes and hides are not items themselves. A join is a
 * `joined` notice by the joiner; the genesis a `created` notice by the founder; a leave a `left`
 * notice; a remove-and-re-key a `removed` notice (its text lists nobody: the members it removed
 * are in group/members' change); a pub's "pruned" answer a `pruned` notice without author.
 * Everything else (invites, additions, roles, pub lists, reactions, edits, deletes, hides) is
 * not an item yet (null), and an entry the roster ignored (its author was not a member, or it
 * equivocated) is never shown.
 *
 * Gaps (group sync, issue 13): while an author's chain misses a range of sequence numbers, a
 * `gap` notice by that author (`gap: {from, to}`) stands right after the author's last held
 * entry before the range (before the author's first held entry when the range starts at 1),
 * whether that entry is shown or not; it goes when the range is filled. Its id is derived
 * (GAP_ITEM_LABEL over group id, author key and `from`): stable while the gap is open, not an
 * entry id, so it is not a `before`/`after` position.
 *
 * Evidence (group sync's tamper evidence about an author: equivocation, broken chain): an
 * `evidence` notice by that author (`evidence: {kind}`) stands right after the author's held
 * entry at the seq it is about, so a reader sees where the fork falls. Its id is derived
 * (EVIDENCE_ITEM_LABEL over group id, author key, kind and seq), like a gap's. Evidence that names
 * no author (foreign-entry, pub-order) has no place in the log: it is counted in group/list.
 */
import type { z } from 'zod';
import type { Message } from '../../protocol/api/schemas.js';
import { toHex, fromHex } from '../../protocol/bytes.js';
import { labelledHash } from '../../protocol/crypto.js';
import type { Entry } from '../../protocol/entry.js';
import type { OnionAddress } from '../../protocol/identity.js';
import type { MessageItem } from '../../protocol/message-view.js';
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
  /**
   * For a text or reply: its view from the group's MessageFold (protocol/message-view.ts): the
   * latest own edit, own delete, hides, reactions. Absent: shown as written.
   */
  readonly view?: MessageItem | null;
  /** The address of an author key (for the admin who hid a message). */
  readonly addressOf?: (authorHex: string) => OnionAddress | null;
}

/** The message view's marks on a text or reply item (membership, issue 14). */
function withView(item: GroupItem, c: ItemContext): GroupItem {
  const v = c.view;
  if (v === undefined || v === null) return item;
  return {
    ...item,
    text: v.text ?? '',
    ...(v.edited ? { edited: true } : {}),
    ...(v.deleted ? { deleted: true } : {}),
    ...(v.hidden !== null ? { hidden: { by: v.hidden.by, admin: v.hidden.by === 'admin' ? (c.addressOf?.(v.hidden.admin) ?? null) : null } } : {}),
    ...(v.reactions.length > 0 ? { reactions: v.reactions.map((r) => ({ reaction: r.reaction, count: r.count, mine: r.mine })) } : {}),
  };
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
      return withView({ ...base, kind: 'message', text: content.text }, c);
    case 'reply':
      return withView({ ...base, kind: 'message', text: content.text, replyTo: toHex(content.target) }, c);
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

/** One open gap as group sync reports it: an author's missing seq range. */
export interface GapNotice {
  readonly kind: 'gap';
  readonly groupId: string;
  /** The author's signing key, hex. */
  readonly authorKey: string;
  /** The author's address, when a certificate of the key is held. */
  readonly author: OnionAddress | null;
  readonly from: number;
  readonly to: number;
}

/** Tamper evidence about an author, where message/list shows it. */
export interface EvidenceNotice {
  readonly kind: 'evidence';
  readonly groupId: string;
  /** protocol/sync/evidence.ts kind: 'equivocation' or 'broken-chain'. */
  readonly evidence: string;
  /** The author's signing key, hex. */
  readonly authorKey: string;
  readonly author: OnionAddress | null;
  /** The seq of the author's chain it is about. */
  readonly seq: number;
}

/** What group sync tells the groups service of a group (daemon/group-sync/ GroupSync.marks). */
export interface SyncMarks {
  /** Open gaps: per author (signing key hex), the missing seq ranges. */
  readonly gaps: readonly { readonly author: string; readonly from: number; readonly to: number }[];
  /** Ids cited by held entries and not held. */
  readonly missing: number;
  /** Claims back-fill gave up on (recorded against their authors). */
  readonly unfillable: number;
  /** Tamper evidence kept. */
  readonly evidence: number;
  /** Authors (signing key hex) the evidence proves equivocated or broke their chain. */
  readonly equivocators: readonly string[];
  /** Where evidence about an author falls: its kind, the author (signing key hex) and seq. */
  readonly evidenceAt?: readonly { readonly kind: string; readonly author: string; readonly seq: number }[];
}

export const NO_SYNC_MARKS: SyncMarks = { gaps: [], missing: 0, unfillable: 0, evidence: 0, equivocators: [], evidenceAt: [] };

/** The label of a gap item's derived id. */
export const GAP_ITEM_LABEL = 'snug/v2/api-gap-item';
/** The label of an evidence item's derived id. */
export const EVIDENCE_ITEM_LABEL = 'snug/v2/api-evidence-item';

/** The item of a notice that is not an entry: a pub's "pruned", or an open gap. */
export function buildNoticeItem(id: string, notice: NoticeRecord | GapNotice | EvidenceNotice, ts: number): GroupItem {
  if (notice.kind === 'evidence') {
    const seq = new Uint8Array(8);
    new DataView(seq.buffer).setBigUint64(0, BigInt(notice.seq));
    const evidenceId = toHex(labelledHash(EVIDENCE_ITEM_LABEL, [fromHex(notice.groupId), fromHex(notice.authorKey), new TextEncoder().encode(notice.evidence), seq]));
    return { id: evidenceId, kind: 'evidence', author: notice.author, ts, text: '', status: 'received', evidence: { kind: notice.evidence } };
  }
  if (notice.kind === 'gap') {
    const seq = new Uint8Array(8);
    new DataView(seq.buffer).setBigUint64(0, BigInt(notice.from));
    const gapId = toHex(labelledHash(GAP_ITEM_LABEL, [fromHex(notice.groupId), fromHex(notice.authorKey), seq]));
    return { id: gapId, kind: 'gap', author: notice.author, ts, text: '', status: 'received', gap: { from: notice.from, to: notice.to } };
  }
  return { id, kind: notice.kind, author: null, ts, text: '', status: 'received', pub: notice.pub };
}

/** True for the items that count as unread when others wrote them. */
export function countsAsUnread(entry: Entry): boolean {
  return entry.content.kind === 'text' || entry.content.kind === 'reply';
}
