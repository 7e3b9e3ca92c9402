/** A box over the conversation: help, a QR code with its text, a command's longer answer. Esc closes it. */
import { Box, Text } from 'ink';
import { theme } from '../../theme.js';

export function OverlayView({ title, lines, height }: { readonly title: string; readonly lines: readonly string[]; readonly height: number }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} paddingX={1} height={height} flexGrow={1}>
      <Text bold color={theme.accent}>{title}</Text>
      {lines.slice(0, Math.max(1, height - 3)).map((l, n) => (
        <Text key={n} wrap="truncate">{l}</Text>
      ))}
      <Text color={theme.dim}>Esc to close</Text>
    </Box>
  );
}
