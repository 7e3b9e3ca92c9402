/** The input line's view: a prompt (or "edit"), the text with its cursor, and the notice above it. */
import { Box, Text } from 'ink';
import { theme } from '../../theme.js';
import type { InputState } from './use-input-state.js';

export function InputLine({ state, placeholder, width }: { readonly state: InputState; readonly placeholder: string; readonly width: number }) {
  const prompt = state.editing ? 'edit> ' : '> ';
  const room = Math.max(10, width - prompt.length - 1);
  // keep the cursor in view on a long line
  const start = Math.max(0, state.cursor - room + 1);
  const text = state.text.slice(start, start + room);
  const at = state.cursor - start;
  const before = text.slice(0, at);
  const under = text[at] ?? ' ';
  const after = text.slice(at + 1);
  return (
    <Box>
      <Text color={state.editing ? theme.warn : theme.accent}>{prompt}</Text>
      {state.text === '' ? (
        <Text>
          <Text inverse> </Text>
          <Text color={theme.dim}>{placeholder}</Text>
        </Text>
      ) : (
        <Text>
          {before}
          <Text inverse>{under}</Text>
          {after}
        </Text>
      )}
    </Box>
  );
}
