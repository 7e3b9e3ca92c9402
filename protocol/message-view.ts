/**
 * The message view: a pure fold of a conversation's content entries (a group's or a 1:1's) into
 * what a list shows for each message (docs/groups.md, "Message view"). No I/O; the same set of
 * entries gives the same view whatever order they were added in.
 *
 * A *message* is a text or a reply. The other content kinds act on a message, their *target*:
 *
 * - **edit**: counts only when its author is the target's author (anyone else's edit is
 *   ignored). The text shown is the one of the author's latest edit; *latest* is the largest
 *   (seq, id) of that author's edits of the target (seq orders one author's entries, so no
 *   clock is trusted), and the message carries an edited mark.
 * - **delete**: counts only when its author is the target's author; the message is shown as
 *   deleted (no text, no reactions), whatever edits there are.
 * - **reaction**: one per author per target: the author's latest (largest (seq, id)) reaction
 *   counts, and an empty reaction withdraws. Reactions are counted by kind (the reaction
 *   string), most first, then by the string's code units.
 * - **hide** (groups only): counts only when the roster applied it (an admin's hide,
 *   protocol/roster.ts); the message is shown as hidden, naming the admin who hid it (the
 *   earliest applied hide by (timestamp, id) when there are several). A hidden reaction does not
 *   count.
 * - **hidden for me**: a local set of ids the member hid for itself, and a local set of authors
 *   it blocked: shown as hidden by me; a hidden or blocked reaction does not count.
 *
 * Entries arriving before their target are kept and take effect when it arrives. Whether an
 * author was a member when it wrote (the roster's `not-member`) is the caller's question: give
 * the fold only entries the roster did not ignore for that reason (a hide's authority is asked
 * through `ViewContext.hideApplied`, since it is the roster's to decide).
 *
 * Ids and authors are lowercase hex (for a group an author is its profile signing key, for a 1:1
 * the identity key); the fold compares them as strings, which for equal-length lowercase hex is
 * the byte order.
 */
import { toHex } from './bytes.js';
import type { EntryContent } from './entry-body.js';

/** The content kinds the view reads. */
export type ViewContent = Extract<EntryContent, { kind: 'text' | 'reply' | 'reaction' | 'edit' | 'delete' | 'hide' }>;

const VIEW_KINDS: ReadonlySet<string> = new Set(['text', 'reply', 'reaction', 'edit', 'delete', 'hide']);

/** True when `content` is a kind the view reads. */
export function isViewContent(content: EntryContent): content is ViewContent {
  return VIEW_KINDS.has(content.kind);
}

/** One content entry as the view sees it. */
export interface ViewEntry {
  /** The entry id, lowercase hex. */
  readonly id: string;
  /** The author's key, lowercase hex. */
  readonly author: string;
  /** The author's sequence number (orders one author's entries). */
  readonly seq: number;
  /** The author's claimed time, ms since the Unix epoch. */
  readonly timestamp: number;
  readonly content: ViewContent;
}

/** What the view needs to know at the time it is read, beyond the entries. */
export interface ViewContext {
  /** Whether the roster applied the hide entry `id` (an admin's). Default: none did. */
  readonly hideApplied?: (id: string) => boolean;
  /** Ids this member hid for itself. */
  readonly hiddenForMe?: ReadonlySet<string>;
  /** Authors (as in ViewEntry.author) this member blocked: their entries are hidden for it. */
  readonly blockedAuthors?: ReadonlySet<string>;
  /** This member's author key, to mark its own reactions. */
  readonly me?: string;
  /**
   * Whether an edit, delete or reaction counts at all (the roster did not ignore it: its author
   * was a member). Default: every one counts. An author's latest entry that does not count hides
   * its earlier ones of the same kind (the fold keeps one per author).
   */
  readonly counts?: (id: string) => boolean;
}

export interface ReactionCount {
  readonly reaction: string;
  readonly count: number;
  /** The authors, ascending. */
  readonly authors: readonly string[];
  /** Whether ViewContext.me is among them. */
  readonly mine: boolean;
}

export type Hidden =
  | { readonly by: 'admin'; /** the hiding admin's author key */ readonly admin: string; /** the hide entry's id */ readonly entry: string; readonly at: number }
  | { readonly by: 'me' };

export interface MessageItem {
  readonly id: string;
  readonly author: string;
  readonly seq: number;
  readonly timestamp: number;
  readonly kind: 'text' | 'reply';
  /** The id a reply answers; null for a text. */
  readonly replyTo: string | null;
  /** The latest text; null when deleted or hidden. */
  readonly text: string | null;
  readonly edited: boolean;
  /** Timestamp of the edit shown, or null. */
  readonly editedAt: number | null;
  readonly deleted: boolean;
  /** Timestamp of the (earliest) delete, or null. */
  readonly deletedAt: number | null;
  readonly hidden: Hidden | null;
  /** Empty when deleted or hidden. */
  readonly reactions: readonly ReactionCount[];
}

/** True when a comes after b: larger seq, then larger id. */
function later(a: ViewEntry, b: ViewEntry): boolean {
  return a.seq !== b.seq ? a.seq > b.seq : a.id > b.id;
}

/** Earlier by (timestamp, id). */
function earlierInTime(a: ViewEntry, b: ViewEntry): boolean {
  return a.timestamp !== b.timestamp ? a.timestamp < b.timestamp : a.id < b.id;
}

function targetOf(c: ViewContent): string | null {
  return c.kind === 'text' ? null : toHex(c.target);
}

/**
 * The incremental fold. `add` is O(1) (amortised); `item` costs the number of entries acting on
 * that one message. Nothing is ever removed: the view of a set is the view of its union.
 */
export class MessageFold {
  private readonly seen = new Set<string>();
  private readonly messages = new Map<string, ViewEntry>();
  /** target -> author -> that author's latest edit of it. */
  private readonly edits = new Map<string, Map<string, ViewEntry>>();
  /** target -> author -> that author's earliest delete of it. */
  private readonly deletes = new Map<string, Map<string, ViewEntry>>();
  /** target -> author -> that author's latest reaction to it. */
  private readonly reactions = new Map<string, Map<string, ViewEntry>>();
  /** target -> the hide entries naming it. */
  private readonly hides = new Map<string, ViewEntry[]>();

  /** The number of distinct entries added. */
  get size(): number {
    return this.seen.size;
  }

  /** The number of messages (texts and replies). */
  get messageCount(): number {
    return this.messages.size;
  }

  /**
   * Adds one entry. Returns the id of the message whose view it may change (itself for a text or
   * reply, its target otherwise), or null for an entry already added.
   */
  add(e: ViewEntry): string | null {
    if (this.seen.has(e.id)) return null;
    if (!VIEW_KINDS.has(e.content.kind)) throw new TypeError(`the message view does not read ${e.content.kind} entries`);
    this.seen.add(e.id);
    const c = e.content;
    const target = targetOf(c);
    switch (c.kind) {
      case 'text':
      case 'reply':
        this.messages.set(e.id, e);
        return e.id;
      case 'edit':
        keepPerAuthor(this.edits, target!, e, later);
        return target;
      case 'delete':
        keepPerAuthor(this.deletes, target!, e, earlierInTime);
        return target;
      case 'reaction':
        keepPerAuthor(this.reactions, target!, e, later);
        return target;
      case 'hide': {
        let list = this.hides.get(target!);
        if (list === undefined) this.hides.set(target!, (list = []));
        list.push(e);
        return target;
      }
    }
  }

  has(id: string): boolean {
    return this.seen.has(id);
  }

  isMessage(id: string): boolean {
    return this.messages.has(id);
  }

  /** The view of message `id`, or null when no text or reply of that id was added. */
  item(id: string, ctx: ViewContext = {}): MessageItem | null {
    const m = this.messages.get(id);
    if (m === undefined) return null;
    const c = m.content as Extract<ViewContent, { kind: 'text' | 'reply' }>;
    const hidden = this.hiddenState(m, ctx);
    const counts = ctx.counts ?? (() => true);
    const delEntry = this.deletes.get(id)?.get(m.author) ?? null;
    const editEntry = this.edits.get(id)?.get(m.author) ?? null;
    const del = delEntry !== null && counts(delEntry.id) ? delEntry : null;
    const edit = editEntry !== null && counts(editEntry.id) ? editEntry : null;
    const deleted = del !== null;
    const base = {
      id,
      author: m.author,
      seq: m.seq,
      timestamp: m.timestamp,
      kind: c.kind,
      replyTo: c.kind === 'reply' ? toHex(c.target) : null,
      edited: edit !== null,
      editedAt: edit?.timestamp ?? null,
      deleted,
      deletedAt: del?.timestamp ?? null,
      hidden,
    };
    if (deleted || hidden !== null) return { ...base, text: null, reactions: [] };
    const text = edit !== null ? (edit.content as Extract<ViewContent, { kind: 'edit' }>).text : c.text;
    return { ...base, text, reactions: this.reactionCounts(id, ctx) };
  }

  /** Every message's view, oldest first by (timestamp, id). */
  items(ctx: ViewContext = {}): MessageItem[] {
    const ordered = [...this.messages.values()].sort((a, b) => (earlierInTime(a, b) ? -1 : earlierInTime(b, a) ? 1 : 0));
    return ordered.map((m) => this.item(m.id, ctx)!);
  }

  private hiddenState(m: ViewEntry, ctx: ViewContext): Hidden | null {
    const applied = ctx.hideApplied;
    if (applied !== undefined) {
      let first: ViewEntry | null = null;
      for (const h of this.hides.get(m.id) ?? []) if (applied(h.id) && (first === null || earlierInTime(h, first))) first = h;
      if (first !== null) return { by: 'admin', admin: first.author, entry: first.id, at: first.timestamp };
    }
    if (this.hiddenForMe(m, ctx)) return { by: 'me' };
    return null;
  }

  private hiddenForMe(e: ViewEntry, ctx: ViewContext): boolean {
    return (ctx.hiddenForMe?.has(e.id) ?? false) || (ctx.blockedAuthors?.has(e.author) ?? false);
  }

  private reactionCounts(id: string, ctx: ViewContext): ReactionCount[] {
    const byKind = new Map<string, string[]>();
    for (const r of this.reactions.get(id)?.values() ?? []) {
      const reaction = (r.content as Extract<ViewContent, { kind: 'reaction' }>).reaction;
      if (reaction === '') continue;
      if (ctx.counts !== undefined && !ctx.counts(r.id)) continue;
      if (this.hiddenForMe(r, ctx)) continue;
      if (ctx.hideApplied !== undefined && (this.hides.get(r.id) ?? []).some((h) => ctx.hideApplied!(h.id))) continue;
      let authors = byKind.get(reaction);
      if (authors === undefined) byKind.set(reaction, (authors = []));
      authors.push(r.author);
    }
    const out: ReactionCount[] = [...byKind].map(([reaction, authors]) => {
      authors.sort();
      return { reaction, count: authors.length, authors, mine: ctx.me !== undefined && authors.includes(ctx.me) };
    });
    out.sort((a, b) => b.count - a.count || (a.reaction < b.reaction ? -1 : a.reaction > b.reaction ? 1 : 0));
    return out;
  }
}

function keepPerAuthor(map: Map<string, Map<string, ViewEntry>>, target: string, e: ViewEntry, better: (a: ViewEntry, b: ViewEntry) => boolean): void {
  let perAuthor = map.get(target);
  if (perAuthor === undefined) map.set(target, (perAuthor = new Map()));
  const current = perAuthor.get(e.author);
  if (current === undefined || better(e, current)) perAuthor.set(e.author, e);
}

/** The view of every message among `entries` (any order; duplicates count once), oldest first. */
export function foldMessages(entries: Iterable<ViewEntry>, ctx: ViewContext = {}): MessageItem[] {
  const fold = new MessageFold();
  for (const e of entries) fold.add(e);
  return fold.items(ctx);
}
