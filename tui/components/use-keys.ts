/**
 * Ink's useInput with the handler and `isActive` read at the time of each key, not when the
 * last passive effect ran. Ink subscribes a handler (and switches it on or off for isActive) in
 * a passive effect, which can run after the frame is already on screen: the first key typed on
 * a screen that just appeared went to the previous screen's handler, or nowhere. Here the one
 * subscription stays in place for the component's life (cleaned up on unmount) and every key
 * goes to the handler of the latest render, only while that render said `isActive`.
 */
import { useCallback, useRef } from 'react';
import { useInput, type Key } from 'ink';

export type KeyHandler = (input: string, key: Key) => void;

export function useKeys(handler: KeyHandler, isActive: boolean): void {
  const latest = useRef({ handler, isActive });
  latest.current = { handler, isActive };
  const onKey = useCallback((input: string, key: Key) => {
    if (latest.current.isActive) latest.current.handler(input, key);
  }, []);
  useInput(onKey);
}
