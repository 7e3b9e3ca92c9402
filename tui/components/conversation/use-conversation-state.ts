/**
 * One conversation's state, as a pure reducer: the items loaded so far (oldest first; the
 * daemon pages them in, never all at once), whether older ones remain, what is being fetched,
 * and how far the view is scrolled up (in lines from the bottom). History is append-only: new
 * items go at the end, older pages at the start, a status change replaces one item in place.
 */
import type { Item, MessageStatus } from '../../model/types.js';

/** How many items a page asks for (message/list allows up to 500). */
export const PAGE_SIZE = 100;

export interface ConversationState {
  readonly items: readonly Item[];
  /** Older items may exist before items[0] (false once a page came back short). */
  readonly hasOlder: boolean;
  /** What is being fetched from the daemon now. */
  readonly loading: 'none' | 'initial' | 'older';
  /** The first page has arrived. */
  readonly loaded: boolean;
  /** Lines scrolled up from the bottom (0: the newest line is at the bottom). */
  readonly scroll: number;
  /** A failed fetch, in words (shown in place). */
  readonly error: string | null;
  /** The message picked with Alt+Up/Down, that /reply, /react, /edit, /delete and /hide act on. */
  readonly selectedId: string | null;
}

export const initialConversationState: ConversationState = { items: [], hasOlder: true, loading: 'none', loaded: false, scroll: 0, error: null, selectedId: null };

export type ConversationAction =
  | { readonly type: 'loadStart'; readonly which: 'initial' | 'older' }
  | { readonly type: 'loadFailed'; readonly error: string }
  /** The newest page (the first load, or a reload after a reconnect). */
  | { readonly type: 'page'; readonly items: readonly Item[]; readonly limit: number }
  /** A page of items older than items[0]. */
  | { readonly type: 'olderPage'; readonly items: readonly Item[]; readonly limit: number }
  /** Items newer than what is held (message/didReceive, or message/list after the last id). */
  | { readonly type: 'append'; readonly items: readonly Item[] }
  /** The newest page fetched again: items held are replaced by their new form (an edit, a reaction), new ones appended; older pages stay. */
  | { readonly type: 'merge'; readonly items: readonly Item[] }
  /** A message typed here, not yet durable at the daemon (a local id). */
  | { readonly type: 'sending'; readonly item: Item }
  /** The daemon made it durable: the local item becomes the real one. */
  | { readonly type: 'sent'; readonly localId: string; readonly item: Item }
  /** The daemon refused it: the local item goes (its text goes back into the input). */
  | { readonly type: 'sendFailed'; readonly localId: string }
  | { readonly type: 'status'; readonly id: string; readonly status: MessageStatus; readonly pubs?: Item['pubs']; readonly newId?: string | undefined }
  | { readonly type: 'edited'; readonly id: string; readonly text: string }
  | { readonly type: 'scroll'; readonly lines: number; readonly maxScroll: number }
  /** Picks the previous (-1) or next (+1) message; from none, -1 picks the newest. Past the newest: none. */
  | { readonly type: 'selectMessage'; readonly delta: 1 | -1 }
  | { readonly type: 'unselectMessage' };

function dedupe(existing: readonly Item[], incoming: readonly Item[]): Item[] {
  const have = new Set(existing.map((i) => i.id));
  return incoming.filter((i) => !have.has(i.id));
}

export function conversationReducer(s: ConversationState, a: ConversationAction): ConversationState {
  switch (a.type) {
    case 'loadStart':
      return { ...s, loading: a.which, error: null };
    case 'loadFailed':
      return { ...s, loading: 'none', error: a.error };
    case 'page': {
      // keep what is typed here and not yet durable at the end
      const sending = s.items.filter((i) => i.status === 'sending');
      return { ...s, items: [...a.items, ...dedupe(a.items, sending)], hasOlder: a.items.length >= a.limit, loading: 'none', loaded: true, error: null, scroll: s.loaded ? s.scroll : 0 };
    }
    case 'olderPage':
      return { ...s, items: [...dedupe(s.items, a.items), ...s.items], hasOlder: a.items.length >= a.limit, loading: 'none', error: null };
    case 'append': {
      const fresh = dedupe(s.items, a.items);
      if (fresh.length === 0) return s;
      // newer items go before the ones still being sent (those are the newest of all)
      const firstSending = s.items.findIndex((i) => i.status === 'sending');
      if (firstSending < 0) return { ...s, items: [...s.items, ...fresh] };
      return { ...s, items: [...s.items.slice(0, firstSending), ...fresh, ...s.items.slice(firstSending)] };
    }
    case 'merge': {
      const byId = new Map(a.items.map((i) => [i.id, i]));
      const replaced = s.items.map((i) => byId.get(i.id) ?? i);
      const merged = conversationReducer({ ...s, items: replaced }, { type: 'append', items: a.items });
      return { ...merged, loading: 'none', error: null };
    }
    case 'sending':
      return { ...s, items: [...s.items, a.item], scroll: 0 };
    case 'sent': {
      const without = s.items.filter((i) => i.id !== a.localId);
      if (without.some((i) => i.id === a.item.id)) return { ...s, items: without };
      const i = s.items.findIndex((x) => x.id === a.localId);
      if (i < 0) return { ...s, items: [...without, a.item] };
      return { ...s, items: [...s.items.slice(0, i), a.item, ...s.items.slice(i + 1)] };
    }
    case 'sendFailed':
      return { ...s, items: s.items.filter((i) => i.id !== a.localId) };
    case 'status': {
      const i = s.items.findIndex((x) => x.id === a.id);
      if (i < 0) return s;
      const old = s.items[i]!;
      // a status never goes back (delivered stays delivered if an older event arrives late)
      const order: Record<string, number> = { sending: 0, outbox: 1, sent: 2, delivered: 3, received: 3 };
      const status = (order[a.status] ?? 0) >= (order[old.status] ?? 0) ? a.status : old.status;
      const updated: Item = { ...old, status, ...(a.pubs ? { pubs: a.pubs } : {}), ...(a.newId ? { id: a.newId } : {}) };
      return { ...s, items: [...s.items.slice(0, i), updated, ...s.items.slice(i + 1)] };
    }
    case 'edited': {
      const i = s.items.findIndex((x) => x.id === a.id);
      if (i < 0) return s;
      const updated: Item = { ...s.items[i]!, text: a.text, edited: true };
      return { ...s, items: [...s.items.slice(0, i), updated, ...s.items.slice(i + 1)] };
    }
    case 'selectMessage': {
      const ids = s.items.filter((i) => i.kind === 'message' && i.status !== 'sending').map((i) => i.id);
      if (ids.length === 0) return s;
      const at = s.selectedId === null ? ids.length : ids.indexOf(s.selectedId);
      const next = (at < 0 ? ids.length : at) + a.delta;
      if (next >= ids.length) return { ...s, selectedId: null };
      return { ...s, selectedId: ids[Math.max(0, next)]! };
    }
    case 'unselectMessage':
      return s.selectedId === null ? s : { ...s, selectedId: null };
    case 'scroll': {
      const scroll = Math.max(0, Math.min(a.maxScroll, s.scroll + a.lines));
      return scroll === s.scroll ? s : { ...s, scroll };
    }
  }
}

/** Scrolled to the top of what is loaded, with older items still at the daemon: time to page in. */
export function wantsOlder(s: ConversationState, totalLines: number, height: number): boolean {
  return s.loaded && s.hasOlder && s.loading === 'none' && s.error === null && s.scroll >= Math.max(0, totalLines - height);
}

/** The message a command acts on: the one picked, else the newest one `ok` accepts. */
export function targetMessage(s: ConversationState, ok: (i: Item) => boolean): Item | undefined {
  if (s.selectedId !== null) return s.items.find((i) => i.id === s.selectedId);
  for (let i = s.items.length - 1; i >= 0; i--) {
    const it = s.items[i]!;
    if (it.kind === 'message' && it.status !== 'sending' && ok(it)) return it;
  }
  return undefined;
}

/** The last message of one's own, for "Up in an empty input edits it". */
export function lastOwnMessage(s: ConversationState, me: string): Item | undefined {
  for (let i = s.items.length - 1; i >= 0; i--) {
    const it = s.items[i]!;
    if (it.author === me && it.kind === 'message' && it.status !== 'sending') return it;
  }
  return undefined;
}
