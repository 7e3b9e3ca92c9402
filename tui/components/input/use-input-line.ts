/**
 * The input line's keys (Ink's useInput, only while `isActive`): typing and editing go to the
 * input reducer; Enter, Tab and Up-in-an-empty-line go to the caller. Keys that belong to
 * navigation (Alt+digit, Ctrl+arrows, PgUp/PgDn, Ctrl+K) are left to the chat's own hook.
 */
import { useKeys } from '../use-keys.js';
import { inputReducer, type InputAction, type InputState } from './use-input-state.js';

export interface InputLineHandlers {
  readonly dispatch: (a: InputAction) => void;
  readonly onSubmit: (text: string) => void;
  readonly onTab: () => void;
  /** Up in an empty input. */
  readonly onUpWhenEmpty: () => void;
  /** `?` in an empty input. */
  readonly onHelp: () => void;
  readonly onEscape: () => void;
}

export function useInputLine(state: InputState, h: InputLineHandlers, isActive: boolean): void {
  useKeys(
    (input, key) => {
      if (key.pageUp || key.pageDown) return;
      if (key.meta && !key.escape) return; // Alt+… is navigation
      if (key.escape) return h.onEscape();
      if (key.ctrl && (key.upArrow || key.downArrow || input === 'k')) return;
      if (key.return) return h.onSubmit(state.text);
      if (key.tab) return h.onTab();
      if (key.backspace || key.delete) return h.dispatch({ type: 'backspace' });
      if (key.leftArrow) return h.dispatch({ type: 'left' });
      if (key.rightArrow) return h.dispatch({ type: 'right' });
      if (key.home || (key.ctrl && input === 'a')) return h.dispatch({ type: 'home' });
      if (key.end || (key.ctrl && input === 'e')) return h.dispatch({ type: 'end' });
      if (key.ctrl && input === 'u') return h.dispatch({ type: 'clear' });
      if (key.ctrl && input === 'w') return h.dispatch({ type: 'deleteWord' });
      if (key.upArrow) {
        if (state.text === '') h.onUpWhenEmpty();
        return;
      }
      if (key.downArrow || key.ctrl) return;
      if (input === '?' && state.text === '') return h.onHelp();
      if (!input) return;
      if (!/[\r\n]/.test(input)) return h.dispatch({ type: 'insert', text: input });
      // keys that came in one read (typed fast, or a terminal multiplexer's send-keys): each
      // line end is an Enter
      const parts = input.split(/\r\n|\r|\n/);
      let s = state;
      parts.forEach((part, n) => {
        s = inputReducer(s, { type: 'insert', text: part });
        if (n < parts.length - 1) {
          h.onSubmit(s.text);
          s = inputReducer(s, { type: 'clear' });
        }
      });
      h.dispatch({ type: 'set', text: s.text });
    },
    isActive,
  );
}
