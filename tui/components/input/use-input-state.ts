/**
 * The input line's state, as a pure reducer: the text, the cursor, and whether Enter sends a
 * new message or an edit of one's own (Up in an empty input). Tab completion takes the
 * candidates from the caller (commands and names: tui/commands/complete.ts).
 */

export interface InputState {
  readonly text: string;
  /** The cursor, as an index into text (0..text.length). */
  readonly cursor: number;
  /** Set while the line edits one's message with this id (Esc leaves it). */
  readonly editing: string | null;
}

export const initialInputState: InputState = { text: '', cursor: 0, editing: null };

export type InputAction =
  | { readonly type: 'insert'; readonly text: string }
  | { readonly type: 'backspace' }
  | { readonly type: 'delete' }
  | { readonly type: 'left' }
  | { readonly type: 'right' }
  | { readonly type: 'home' }
  | { readonly type: 'end' }
  | { readonly type: 'deleteWord' }
  | { readonly type: 'clear' }
  /** Puts text on the line (a failed send's text back, or a message to edit). */
  | { readonly type: 'set'; readonly text: string; readonly editing?: string | null }
  /**
   * Puts back the text of a failed send or command: before whatever was typed since (nothing
   * typed is lost either way), leaving the cursor where it was in that.
   */
  | { readonly type: 'restore'; readonly text: string; readonly editing?: string | null }
  /** Replaces the word before the cursor with a completion. */
  | { readonly type: 'complete'; readonly replacement: string };

/** Printable input only: control characters (a stray escape sequence) are dropped, newlines become spaces. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n|\r|\n/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

/** The word the cursor ends (what Tab completes), and where it starts. */
export function wordBeforeCursor(s: InputState): { word: string; start: number } {
  const before = s.text.slice(0, s.cursor);
  const start = before.lastIndexOf(' ') + 1;
  return { word: before.slice(start), start };
}

export function inputReducer(s: InputState, a: InputAction): InputState {
  switch (a.type) {
    case 'insert': {
      const t = printable(a.text);
      if (t === '') return s;
      return { ...s, text: s.text.slice(0, s.cursor) + t + s.text.slice(s.cursor), cursor: s.cursor + t.length };
    }
    case 'backspace':
      if (s.cursor === 0) return s;
      return { ...s, text: s.text.slice(0, s.cursor - 1) + s.text.slice(s.cursor), cursor: s.cursor - 1 };
    case 'delete':
      if (s.cursor >= s.text.length) return s;
      return { ...s, text: s.text.slice(0, s.cursor) + s.text.slice(s.cursor + 1) };
    case 'left':
      return { ...s, cursor: Math.max(0, s.cursor - 1) };
    case 'right':
      return { ...s, cursor: Math.min(s.text.length, s.cursor + 1) };
    case 'home':
      return { ...s, cursor: 0 };
    case 'end':
      return { ...s, cursor: s.text.length };
    case 'deleteWord': {
      const before = s.text.slice(0, s.cursor).replace(/\S+\s*$/, '');
      return { ...s, text: before + s.text.slice(s.cursor), cursor: before.length };
    }
    case 'clear':
      return initialInputState;
    case 'set': {
      const t = printable(a.text);
      return { text: t, cursor: t.length, editing: a.editing ?? null };
    }
    case 'restore': {
      const t = printable(a.text);
      if (s.text === '') return { text: t, cursor: t.length, editing: a.editing ?? null };
      return { text: `${t} ${s.text}`, cursor: s.cursor + t.length + 1, editing: s.editing };
    }
    case 'complete': {
      const { start } = wordBeforeCursor(s);
      const text = s.text.slice(0, start) + a.replacement + s.text.slice(s.cursor);
      return { ...s, text, cursor: start + a.replacement.length };
    }
  }
}
