/**
 * A box over the conversation: help, a command's longer answer, an address or invite with its
 * QR code. The text wraps (so a long invite can be copied whole); the QR code shows when the
 * box is tall enough for it, else a line says how tall the terminal must be. Esc closes it.
 */
import { Box, Text } from 'ink';
import { theme } from '../../theme.js';

export interface OverlayViewProps {
  readonly title: string;
  readonly lines: readonly string[];
  readonly qr?: readonly string[] | undefined;
  readonly height: number;
  readonly width: number;
}

/** Terminal lines that `text` takes at `width` columns. */
function heightOf(text: string, width: number): number {
  return Math.max(1, Math.ceil(text.length / Math.max(1, width)));
}

export function OverlayView({ title, lines, qr, height, width }: OverlayViewProps) {
  const inner = Math.max(10, width - 4);
  let room = Math.max(1, height - 4);
  const shown: string[] = [];
  for (const l of lines) {
    const h = heightOf(l, inner);
    if (h > room) break;
    shown.push(l);
    room -= h;
  }
  const qrFits = qr !== undefined && qr.length + 1 <= room;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} paddingX={1} height={height} width={width} flexGrow={1}>
      <Text bold color={theme.accent}>{title} <Text color={theme.dim}>(Esc to close)</Text></Text>
      {shown.map((l, n) => (
        <Text key={n}>{l}</Text>
      ))}
      {qr !== undefined && qrFits ? <Text> </Text> : null}
      {qr !== undefined && qrFits ? qr.map((l, n) => <Text key={`q${n}`}>{l}</Text>) : null}
      {qr !== undefined && !qrFits ? <Text color={theme.dim}>(its QR code needs a terminal about {qr.length + lines.length + 8} lines tall)</Text> : null}
    </Box>
  );
}
