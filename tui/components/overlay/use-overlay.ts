/** A text box's keys (only while it is open): Esc, Enter or q close it. */
import { useInput } from 'ink';

export function useOverlayKeys(onClose: () => void, isActive: boolean): void {
  useInput(
    (input, key) => {
      if (key.escape || key.return || input === 'q') onClose();
    },
    { isActive },
  );
}
