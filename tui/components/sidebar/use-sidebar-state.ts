/**
 * The sidebar's state, as a pure reducer (tested without a terminal): the conversations to
 * show (groups, then contacts; pending requests and invites among them), which one is
 * selected, and moving the selection (Alt+1..9, Ctrl+Up/Down, Alt+A for the next unread).
 * The rows come from the daemon (contact/list, group/list, group/invites and their events).
 */
import { contactKey, groupIntegrity, groupKey, type ContactRow, type ConversationKey, type GroupRow, type InviteRow } from '../../model/types.js';

export type EntryKind = 'group' | 'contact' | 'invite';

export interface SidebarEntry {
  /** A conversation key, or `i:<invite>` for a pending invite. */
  readonly key: ConversationKey | `i:${string}`;
  readonly kind: EntryKind;
  readonly title: string;
  readonly unread: number;
  readonly online: boolean;
  /** Contacts: their state; 'invite' for a group invite. */
  readonly pending: 'incoming' | 'outgoing' | 'blocked' | 'invite' | null;
  /** When something last happened here (ms), for "the most recently active". */
  readonly lastActive: number;
  /** Groups: the log has gaps or tamper evidence (model/types.ts groupIntegrity). */
  readonly warning?: boolean;
}

export interface SidebarState {
  readonly contacts: readonly ContactRow[];
  readonly groups: readonly GroupRow[];
  readonly invites: readonly InviteRow[];
  /** Last activity per conversation key (ms). */
  readonly activity: Readonly<Record<string, number>>;
  readonly selected: string | null;
}

export const initialSidebarState: SidebarState = { contacts: [], groups: [], invites: [], activity: {}, selected: null };

export type SidebarAction =
  | { readonly type: 'contacts'; readonly contacts: readonly ContactRow[] }
  | { readonly type: 'contact'; readonly address: string; readonly contact: ContactRow | null }
  | { readonly type: 'groups'; readonly groups: readonly GroupRow[] }
  | { readonly type: 'group'; readonly groupId: string; readonly group: GroupRow | null }
  | { readonly type: 'invites'; readonly invites: readonly InviteRow[] }
  | { readonly type: 'invite'; readonly invite: InviteRow }
  | { readonly type: 'inviteGone'; readonly invite: string }
  | { readonly type: 'activity'; readonly key: string; readonly ts: number }
  | { readonly type: 'select'; readonly key: string }
  | { readonly type: 'selectIndex'; readonly index: number }
  | { readonly type: 'move'; readonly delta: 1 | -1 }
  | { readonly type: 'nextUnread' }
  | { readonly type: 'selectMostRecent' };

/** The display name of a contact: the user's petname, else the name it proposed (marked), else its address's start. */
export function contactTitle(c: Pick<ContactRow, 'name' | 'proposedName' | 'address'>): string {
  if (c.name) return c.name;
  if (c.proposedName) return `~${c.proposedName}`;
  return c.address.slice(0, 10);
}

/** The sidebar's rows in order: invites and groups first, then contacts (requests first). */
export function entriesOf(s: SidebarState): SidebarEntry[] {
  const out: SidebarEntry[] = [];
  for (const i of s.invites) {
    out.push({ key: `i:${i.invite}`, kind: 'invite', title: i.name, unread: 0, online: false, pending: 'invite', lastActive: 0 });
  }
  for (const g of s.groups) {
    const key = groupKey(g.groupId);
    out.push({ key, kind: 'group', title: `#${g.name}`, unread: g.unread, online: false, pending: null, lastActive: s.activity[key] ?? 0, warning: groupIntegrity(g) !== null });
  }
  const rank = (c: ContactRow) => (c.state === 'incoming' ? 0 : c.state === 'blocked' ? 2 : 1);
  const contacts = [...s.contacts].sort((a, b) => rank(a) - rank(b));
  for (const c of contacts) {
    const key = contactKey(c.address);
    out.push({
      key,
      kind: 'contact',
      title: contactTitle(c),
      unread: c.unread,
      online: c.online,
      pending: c.state === 'accepted' ? null : c.state,
      lastActive: s.activity[key] ?? 0,
    });
  }
  return out;
}

function upsert<T>(rows: readonly T[], match: (r: T) => boolean, row: T | null): T[] {
  const i = rows.findIndex(match);
  if (row === null) return i < 0 ? [...rows] : [...rows.slice(0, i), ...rows.slice(i + 1)];
  return i < 0 ? [...rows, row] : [...rows.slice(0, i), row, ...rows.slice(i + 1)];
}

/** Keeps the selection on a row that exists (the first row when it went away). */
function keepSelection(s: SidebarState): SidebarState {
  const entries = entriesOf(s);
  if (s.selected !== null && entries.some((e) => e.key === s.selected)) return s;
  return { ...s, selected: entries[0]?.key ?? null };
}

export function sidebarReducer(s: SidebarState, a: SidebarAction): SidebarState {
  switch (a.type) {
    case 'contacts':
      return keepSelection({ ...s, contacts: a.contacts });
    case 'contact':
      return keepSelection({ ...s, contacts: upsert(s.contacts, (c) => c.address === a.address, a.contact) });
    case 'groups':
      return keepSelection({ ...s, groups: a.groups });
    case 'group':
      return keepSelection({ ...s, groups: upsert(s.groups, (g) => g.groupId === a.groupId, a.group) });
    case 'invites':
      return keepSelection({ ...s, invites: a.invites });
    case 'invite':
      return keepSelection({ ...s, invites: upsert(s.invites, (i) => i.invite === a.invite.invite, a.invite) });
    case 'inviteGone':
      return keepSelection({ ...s, invites: s.invites.filter((i) => i.invite !== a.invite) });
    case 'activity':
      return (s.activity[a.key] ?? 0) >= a.ts ? s : { ...s, activity: { ...s.activity, [a.key]: a.ts } };
    case 'select':
      return entriesOf(s).some((e) => e.key === a.key) ? { ...s, selected: a.key } : s;
    case 'selectIndex': {
      const e = entriesOf(s)[a.index];
      return e ? { ...s, selected: e.key } : s;
    }
    case 'move': {
      const entries = entriesOf(s);
      if (entries.length === 0) return s;
      const i = entries.findIndex((e) => e.key === s.selected);
      const next = (((i < 0 ? 0 : i + a.delta) % entries.length) + entries.length) % entries.length;
      return { ...s, selected: entries[next]!.key };
    }
    case 'nextUnread': {
      const entries = entriesOf(s);
      const i = entries.findIndex((e) => e.key === s.selected);
      for (let step = 1; step <= entries.length; step++) {
        const e = entries[(i + step + entries.length) % entries.length]!;
        if (e.unread > 0 || e.pending === 'incoming' || e.pending === 'invite') return { ...s, selected: e.key };
      }
      return s;
    }
    case 'selectMostRecent': {
      const entries = entriesOf(s).filter((e) => e.kind !== 'invite');
      if (entries.length === 0) return keepSelection(s);
      let best = entries[0]!;
      for (const e of entries) if (e.lastActive > best.lastActive) best = e;
      return { ...s, selected: best.key };
    }
  }
}

export function selectedEntry(s: SidebarState): SidebarEntry | undefined {
  return entriesOf(s).find((e) => e.key === s.selected);
}
