/** The switcher's keys (only while it is open): typing filters, Up/Down choose, Enter opens, Esc closes. */
import { useKeys } from '../use-keys.js';
import type { SwitcherAction } from './use-switcher-state.js';

export function useSwitcherKeys(dispatch: (a: SwitcherAction) => void, count: number, onPick: () => void, onClose: () => void, isActive: boolean): void {
  useKeys(
    (input, key) => {
      if (key.escape || (key.ctrl && input === 'k')) return onClose();
      if (key.return) return onPick();
      if (key.upArrow) return dispatch({ type: 'move', delta: -1, count });
      if (key.downArrow || key.tab) return dispatch({ type: 'move', delta: 1, count });
      if (key.backspace || key.delete) return dispatch({ type: 'backspace' });
      if (input && !key.ctrl && !key.meta) dispatch({ type: 'type', text: input });
    },
    isActive,
  );
}
