/** The Ctrl+K switcher: the query and the matching conversations, the highlighted one inverse. */
import { Box, Text } from 'ink';
import { theme } from '../../theme.js';
import type { SwitcherCandidate, SwitcherState } from './use-switcher-state.js';

export function SwitcherView({ state, matches, height }: { readonly state: SwitcherState; readonly matches: readonly SwitcherCandidate[]; readonly height: number }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} paddingX={1} height={height} flexGrow={1}>
      <Text>
        <Text color={theme.accent}>go to: </Text>
        {state.query}
        <Text inverse> </Text>
      </Text>
      {matches.length === 0 ? <Text color={theme.dim}>nothing matches</Text> : null}
      {matches.slice(0, Math.max(1, height - 4)).map((m, n) => (
        <Text key={m.key} inverse={n === state.highlighted}>{m.title}</Text>
      ))}
      <Text color={theme.dim}>↑/↓ to choose · Enter to open · Esc to close</Text>
    </Box>
  );
}
