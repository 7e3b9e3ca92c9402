/**
 * The conversation's view: the lines that fit, laid out by layout.ts (only the visible slice
 * is rendered, so a long history costs what the screen shows), with the marks for paging in
 * and for a scrolled view. Each line is a memoized component keyed by its item, so lines
 * already on screen are not rendered again when a new one arrives.
 */
import { memo } from 'react';
import { Box, Text } from 'ink';
import { theme } from '../../theme.js';
import type { Line } from './layout.js';
import type { ConversationState } from './use-conversation-state.js';

const LineView = memo(function LineView({ line, selected }: { readonly line: Line; readonly selected: boolean }) {
  if (line.style === 'gap') return <Text color={theme.warn}>{`${line.head.padEnd(5)} ${line.text}`}</Text>;
  if (line.style === 'notice') return <Text color={theme.dim}>{`${line.head.padEnd(5)} * ${line.text}`}</Text>;
  return (
    <Text wrap="truncate">
      <Text color={selected ? undefined : theme.dim} inverse={selected}>{line.head.padEnd(5)}</Text>
      <Text> </Text>
      <Text color={line.style === 'own' ? theme.own : theme.author} bold>{line.author}</Text>
      <Text>{line.author.trim() ? ': ' : '  '}{line.text}</Text>
      {line.mark ? <Text color={theme.dim}> {line.mark}</Text> : null}
    </Text>
  );
});

export interface ConversationViewProps {
  readonly title: string;
  readonly subtitle: string;
  /** What is wrong with the group's log (gaps, tamper evidence), shown in the header; none: null. */
  readonly warning?: string | null | undefined;
  readonly state: ConversationState | undefined;
  readonly lines: readonly Line[];
  readonly height: number;
  /** Shown instead of the history (a pending request or invite, answered in place). */
  readonly panel?: readonly string[] | undefined;
}

/** The item a line belongs to (line keys are `<item id>:<n>`). */
function itemIdOf(line: Line): string {
  return line.key.slice(0, line.key.lastIndexOf(':'));
}

export function ConversationView({ title, subtitle, warning, state, lines, height, panel }: ConversationViewProps) {
  const body = Math.max(1, height - 1);
  let top: string | null = null;
  if (state?.loading === 'older') top = '… loading older messages';
  else if (state?.loading === 'initial') top = '… loading';
  else if (state?.error) top = `could not load: ${state.error}`;
  else if (state && state.loaded && !state.hasOlder && lines.length > 0 && state.scroll > 0 && lines.length - state.scroll <= body) top = '── the start of the conversation ──';
  const shown = top ? lines.slice(Math.max(0, lines.length - (body - 1))) : lines;
  return (
    <Box flexDirection="column" flexGrow={1} height={height} paddingLeft={1}>
      <Text wrap="truncate">
        <Text bold color={theme.accent}>{title}</Text>
        <Text color={theme.dim}> {subtitle}</Text>
        {warning ? <Text color={theme.warn}> ! {warning}</Text> : null}
        {state && state.scroll > 0 ? <Text color={theme.warn}> (scrolled up: PgDn)</Text> : null}
      </Text>
      {panel ? (
        panel.map((l, n) => <Text key={n}>{l}</Text>)
      ) : (
        <Box flexDirection="column" height={body} justifyContent="flex-end">
          {top ? <Text color={state?.error ? theme.error : theme.dim}>{top}</Text> : null}
          {shown.map((l) => (
            <LineView key={l.key} line={l} selected={state?.selectedId === itemIdOf(l)} />
          ))}
        </Box>
      )}
    </Box>
  );
}
