/**
 * The Ctrl+K switcher's state, as a pure reducer: a query, the conversations matching it
 * fuzzily (the query's characters in order, closer and earlier matches first), and the
 * highlighted one.
 */

export interface SwitcherCandidate {
  readonly key: string;
  readonly title: string;
}

export interface SwitcherState {
  readonly query: string;
  readonly highlighted: number;
}

export const initialSwitcherState: SwitcherState = { query: '', highlighted: 0 };

export type SwitcherAction =
  | { readonly type: 'type'; readonly text: string }
  | { readonly type: 'backspace' }
  | { readonly type: 'move'; readonly delta: 1 | -1; readonly count: number };

/** A fuzzy match score (lower is better), or null when the query's characters are not all there in order. */
export function fuzzyScore(query: string, title: string): number | null {
  const q = query.toLowerCase();
  const t = title.toLowerCase();
  if (q === '') return 0;
  let pos = -1;
  let score = 0;
  for (const ch of q) {
    const next = t.indexOf(ch, pos + 1);
    if (next < 0) return null;
    score += next - pos - 1;
    pos = next;
  }
  return score + (t.startsWith(q[0]!) ? 0 : 1) + t.indexOf(q[0]!) * 0.1;
}

export function fuzzyMatches<C extends SwitcherCandidate>(query: string, candidates: readonly C[]): C[] {
  const scored: Array<{ c: C; score: number; n: number }> = [];
  candidates.forEach((c, n) => {
    const score = fuzzyScore(query, c.title);
    if (score !== null) scored.push({ c, score, n });
  });
  scored.sort((a, b) => a.score - b.score || a.n - b.n);
  return scored.map((s) => s.c);
}

export function switcherReducer(s: SwitcherState, a: SwitcherAction): SwitcherState {
  switch (a.type) {
    case 'type':
      return { query: s.query + a.text, highlighted: 0 };
    case 'backspace':
      return { query: s.query.slice(0, -1), highlighted: 0 };
    case 'move':
      if (a.count === 0) return s;
      return { ...s, highlighted: (((s.highlighted + a.delta) % a.count) + a.count) % a.count };
  }
}
