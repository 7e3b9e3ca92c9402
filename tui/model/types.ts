/**
 * What the terminal UI knows, as plain data: conversations (1:1 with a contact, or a group),
 * their messages as the daemon lists them, and the few things it shows about the daemon. No
 * I/O here; the API's own types come from protocol/api (the TUI sees nothing else of the daemon).
 */

/** A conversation's key: `c:<onion address>` for a contact, `g:<groupId>` for a group. */
export type ConversationKey = `c:${string}` | `g:${string}`;

export function contactKey(address: string): ConversationKey {
  return `c:${address}`;
}
export function groupKey(groupId: string): ConversationKey {
  return `g:${groupId}`;
}

/** A conversation, as message/send and message/list name it. */
export type Target = { readonly address: string } | { readonly groupId: string };

export function targetOf(key: ConversationKey): Target {
  return key.startsWith('c:') ? { address: key.slice(2) } : { groupId: key.slice(2) };
}

export type ContactState = 'outgoing' | 'incoming' | 'accepted' | 'blocked';

/** One contact as contact/list gives it (the fields the UI uses). */
export interface ContactRow {
  readonly address: string;
  readonly name: string | null;
  readonly state: ContactState;
  readonly online: boolean;
  readonly unread: number;
  readonly proposedName: string | null;
  readonly message: string | null;
}

/** One group as group/list gives it (the fields the UI uses). */
export interface GroupRow {
  readonly groupId: string;
  readonly name: string;
  readonly unread: number;
  readonly members: number;
  readonly role: string;
  readonly pubs: readonly string[];
  /** Open gaps in authors' chains (group sync: each also a `gap` item in place). */
  readonly gaps: number;
  /** Entries cited by held entries and not held. */
  readonly missing: number;
  /** Claims no peer could fill (given up, recorded against their authors). */
  readonly unfillable: number;
  /** Tamper evidence kept (equivocation, broken chain, ...). */
  readonly evidence: number;
  /** Members the evidence names (addresses). */
  readonly equivocators: readonly string[];
}

/**
 * What the UI says of a group's log when it is not whole or someone tampered with it, or null
 * when all is well: a pub that censors or a member that forks its chain is never silent.
 */
export function groupIntegrity(g: GroupRow): string | null {
  const parts: string[] = [];
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  if (g.gaps > 0) parts.push(n(g.gaps, 'gap', 'gaps'));
  if (g.missing > 0) parts.push(n(g.missing, 'missing entry', 'missing entries'));
  if (g.unfillable > 0) parts.push(n(g.unfillable, 'claim nobody could fill', 'claims nobody could fill'));
  if (g.evidence > 0) parts.push(n(g.evidence, 'piece of tamper evidence', 'pieces of tamper evidence'));
  if (g.equivocators.length > 0) parts.push(`forked by ${g.equivocators.map((a) => (a.length > 16 ? `${a.slice(0, 16)}…` : a)).join(', ')}`);
  return parts.length === 0 ? null : parts.join(' · ');
}

/** A group invite received and not yet answered (group/invites, group/didInvite). */
export interface InviteRow {
  readonly from: string;
  readonly name: string;
  readonly invite: string;
}

export type MessageStatus = 'outbox' | 'sent' | 'delivered' | 'received';

/** One item of a conversation: a message, or a notice (`gap`, `joined`, ...). */
export interface Item {
  readonly id: string;
  readonly kind: string;
  readonly author: string;
  readonly ts: number;
  readonly text: string;
  /** 'sending': typed here, not yet acknowledged durable by the daemon (a local id). */
  readonly status: MessageStatus | 'sending';
  /** Groups: on how many of the group's pubs it is. */
  readonly pubs?: { readonly accepted: number; readonly total: number } | undefined;
  /** Later kinds (edits): shown as "(edited)". */
  readonly edited?: boolean | undefined;
  /** Its author deleted it (the text is empty). */
  readonly deleted?: boolean | undefined;
  /** Hidden by an admin for everyone, or by this member for itself (the text is empty). */
  readonly hidden?: 'admin' | 'me' | undefined;
  /** Reactions by kind, most first. */
  readonly reactions?: ReadonlyArray<{ readonly reaction: string; readonly count: number; readonly mine: boolean }> | undefined;
  /** The entry this one replies to. */
  readonly replyTo?: string | undefined;
}

/** What the UI shows of tor (daemon/status and tor/didProgress). */
export interface TorView {
  readonly transport: 'tor' | 'direct';
  readonly bootstrap: number;
  readonly state: string;
  readonly onion: string;
  readonly summary: string;
  /** The highest bootstrap percentage seen so far (a tor restarted by its supervisor starts again from 0). */
  readonly best: number;
  /** When `best` last went up, ms. */
  readonly lastProgressAt: number;
}
