/**
 * The conversation's keys (only while `isActive`): PgUp/PgDn scroll by a screen less one line;
 * Alt+Up/Alt+Down pick a message (for /reply, /react, /edit, /delete, /hide).
 */
import { useKeys } from '../use-keys.js';

export function useConversationKeys(onScroll: (lines: number) => void, page: number, isActive: boolean, onPick?: (delta: 1 | -1) => void): void {
  useKeys(
    (_input, key) => {
      if (key.meta && key.upArrow) onPick?.(-1);
      else if (key.meta && key.downArrow) onPick?.(1);
      else if (key.pageUp) onScroll(Math.max(1, page - 1));
      else if (key.pageDown) onScroll(-Math.max(1, page - 1));
    },
    isActive,
  );
}
