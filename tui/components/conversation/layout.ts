/**
 * Items to screen lines, pure: each item becomes one or more lines of at most `width`
 * characters (time, author, text wrapped under itself, a delivery mark), so the view can show
 * exactly the lines that fit and scrolling counts lines. Cached per item and width: a new item
 * costs its own lines only, the history already laid out is not laid out again.
 */
import type { Item } from '../../model/types.js';

export type LineStyle = 'message' | 'own' | 'notice' | 'gap' | 'error';

export interface Line {
  readonly key: string;
  /** The gutter: time and author on an item's first line, blank on its continuation lines. */
  readonly head: string;
  readonly author: string;
  readonly text: string;
  /** The delivery mark on an item's last line ('' for none). */
  readonly mark: string;
  readonly style: LineStyle;
}

export interface LayoutContext {
  readonly me: string;
  /** A display name for an address. */
  readonly nameOf: (address: string) => string;
  readonly width: number;
}

/** What an item's delivery status is shown as. */
export function deliveryMark(item: Item): string {
  switch (item.status) {
    case 'sending':
      return '…';
    case 'outbox':
      return item.pubs ? `outbox 0/${item.pubs.total}` : 'outbox';
    case 'sent':
      return item.pubs ? `on ${item.pubs.accepted}/${item.pubs.total} pubs` : 'sent';
    case 'delivered':
      return item.pubs ? `on ${item.pubs.accepted}/${item.pubs.total} pubs` : 'delivered';
    case 'received':
      return '';
  }
}

export function clock(ts: number): string {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Splits text into lines of at most `width` characters, at spaces where it can. */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(8, width);
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let rest = para;
    if (rest === '') out.push('');
    while (rest.length > 0) {
      if (rest.length <= w) {
        out.push(rest);
        break;
      }
      let cut = rest.lastIndexOf(' ', w);
      if (cut <= 0) cut = w;
      out.push(rest.slice(0, cut));
      rest = rest.slice(cut).replace(/^ /, '');
    }
  }
  return out;
}

const NOTICE_TEXT: Record<string, (item: Item, name: string) => string> = {
  gap: (i) => `── ${i.text || 'some messages are missing here'} ──`,
  pruned: (i) => `── ${i.text || 'older messages were pruned by the pubs'} ──`,
  created: (i, n) => `${n} made the group ${i.text}`,
  joined: (_i, n) => `${n} joined`,
  left: (_i, n) => `${n} left`,
  removed: (i, n) => i.text || `${n} was removed`,
};

const cache = new WeakMap<Item, { key: string; lines: Line[] }>();

export function itemLines(item: Item, ctx: LayoutContext): Line[] {
  const name = item.author === ctx.me ? 'me' : ctx.nameOf(item.author);
  const cacheKey = `${ctx.width}|${name}`;
  const hit = cache.get(item);
  if (hit && hit.key === cacheKey) return hit.lines;
  const time = clock(item.ts);
  let lines: Line[];
  if (item.kind !== 'message') {
    const render = NOTICE_TEXT[item.kind];
    const who = item.author === ctx.me ? 'you' : item.author === '' ? 'a pub' : name;
    const text = render ? render(item, who) : `${item.kind}${item.text ? `: ${item.text}` : ''}`;
    const style: LineStyle = item.kind === 'gap' || item.kind === 'pruned' ? 'gap' : 'notice';
    lines = wrap(text, ctx.width - 7).map((t, n) => ({ key: `${item.id}:${n}`, head: n === 0 ? time : '', author: '', text: t, mark: '', style }));
  } else {
    const author = name.length > 12 ? name.slice(0, 11) + '…' : name;
    const gutter = 6 + author.length + 2;
    const reactions = (item.reactions ?? []).map((r) => `${r.reaction}${r.count > 1 ? r.count : ''}${r.mine ? '*' : ''}`).join(' ');
    const mark = [deliveryMark(item), item.edited ? '(edited)' : '', reactions].filter(Boolean).join(' ');
    const shownText = item.deleted ? '(deleted)' : item.hidden === 'admin' ? '(hidden by an admin)' : item.hidden === 'me' ? '(hidden by you)' : item.text;
    const body = wrap((item.replyTo ? '↳ ' : '') + shownText, ctx.width - gutter - mark.length - 1);
    const style: LineStyle = item.author === ctx.me ? 'own' : 'message';
    lines = body.map((t, n) => ({
      key: `${item.id}:${n}`,
      head: n === 0 ? time : '',
      author: n === 0 ? author : ' '.repeat(author.length),
      text: t,
      mark: n === body.length - 1 ? mark : '',
      style,
    }));
  }
  cache.set(item, { key: cacheKey, lines });
  return lines;
}

export function layoutLines(items: readonly Item[], ctx: LayoutContext): Line[] {
  const out: Line[] = [];
  for (const item of items) for (const l of itemLines(item, ctx)) out.push(l);
  return out;
}

/** The lines that fit: `height` lines ending `scroll` lines above the newest. */
export function visibleLines(lines: readonly Line[], height: number, scroll: number): Line[] {
  const end = Math.max(0, lines.length - scroll);
  return lines.slice(Math.max(0, end - height), end);
}
