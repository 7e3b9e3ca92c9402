/** The conversation's keys (only while `isActive`): PgUp/PgDn scroll by a screen less one line. */
import { useKeys } from '../use-keys.js';

export function useConversationKeys(onScroll: (lines: number) => void, page: number, isActive: boolean): void {
  useKeys(
    (_input, key) => {
      if (key.pageUp) onScroll(Math.max(1, page - 1));
      else if (key.pageDown) onScroll(-Math.max(1, page - 1));
    },
    isActive,
  );
}
