/** The sidebar's keys (only while `isActive`): Alt+1..9, Ctrl+Up/Down, Alt+A, Ctrl+K. */
import { useKeys } from '../use-keys.js';
import type { SidebarAction } from './use-sidebar-state.js';

export function useSidebarKeys(dispatch: (a: SidebarAction) => void, onSwitcher: () => void, isActive: boolean): void {
  useKeys(
    (input, key) => {
      if (key.meta && /^[1-9]$/.test(input)) return dispatch({ type: 'selectIndex', index: Number(input) - 1 });
      if (key.meta && (input === 'a' || input === 'A')) return dispatch({ type: 'nextUnread' });
      if (key.ctrl && key.upArrow) return dispatch({ type: 'move', delta: -1 });
      if (key.ctrl && key.downArrow) return dispatch({ type: 'move', delta: 1 });
      if (key.ctrl && input === 'k') return onSwitcher();
    },
    isActive,
  );
}
