/** The login screen's keys (only while it shows): typing, Backspace, Enter. */
import { useKeys } from '../use-keys.js';
import type { LoginAction } from './use-login-state.js';

export function useLoginKeys(dispatch: (a: LoginAction) => void, isActive: boolean): void {
  useKeys(
    (input, key) => {
      if (key.return) return dispatch({ type: 'enter' });
      if (key.backspace || key.delete) return dispatch({ type: 'backspace' });
      if (key.ctrl || key.meta || key.escape || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return;
      if (!input) return;
      // keys that came in one read: each line end is an Enter
      input.split(/\r\n|\r|\n/).forEach((part, n) => {
        if (n > 0) dispatch({ type: 'enter' });
        if (part) dispatch({ type: 'type', text: part });
      });
    },
    isActive,
  );
}
