/** A text box's keys (only while it is open): Esc, Enter or q close it. */
import { useKeys } from '../use-keys.js';

export function useOverlayKeys(onClose: () => void, isActive: boolean): void {
  useKeys(
    (input, key) => {
      if (key.escape || key.return || input === 'q') onClose();
    },
    isActive,
  );
}
