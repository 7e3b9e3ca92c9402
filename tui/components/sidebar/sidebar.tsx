/** The sidebar's view: groups, then contacts, each with its Alt+N number, online mark, unread count and pending state. */
import { Box, Text } from 'ink';
import { theme } from '../../theme.js';
import { entriesOf, type SidebarEntry, type SidebarState } from './use-sidebar-state.js';

function mark(e: SidebarEntry): string {
  if (e.pending === 'invite') return theme.invite;
  if (e.pending === 'incoming') return theme.request;
  if (e.pending === 'outgoing') return '…';
  if (e.pending === 'blocked') return '×';
  if (e.kind === 'group') return e.warning === true ? '!' : ' ';
  return e.online ? theme.online : theme.offline;
}

function suffix(e: SidebarEntry): string {
  if (e.pending === 'invite') return ' invite';
  if (e.pending === 'incoming') return ' request';
  if (e.pending === 'outgoing') return ' asked';
  if (e.pending === 'blocked') return ' blocked';
  return '';
}

export function Sidebar({ state, height }: { readonly state: SidebarState; readonly height: number }) {
  const entries = entriesOf(state);
  const w = theme.sidebarWidth - 2;
  return (
    <Box flexDirection="column" width={theme.sidebarWidth} height={height} borderStyle="single" borderRight borderTop={false} borderBottom={false} borderLeft={false} borderColor={theme.dim}>
      {entries.length === 0 ? <Text color={theme.dim}>no conversations yet: /add ADDRESS</Text> : null}
      {entries.slice(0, Math.max(0, height)).map((e, n) => {
        const selected = e.key === state.selected;
        const num = n < 9 ? String(n + 1) : ' ';
        const unread = e.unread > 0 ? ` ${e.unread}` : '';
        const room = w - 4 - unread.length - suffix(e).length;
        const title = e.title.length > room ? e.title.slice(0, Math.max(1, room - 1)) + '…' : e.title;
        return (
          <Text key={e.key} inverse={selected} wrap="truncate">
            <Text color={theme.dim}>{num}</Text> <Text color={e.warning === true ? theme.warn : e.online ? theme.own : undefined}>{mark(e)}</Text> <Text bold={e.unread > 0}>{title}</Text>
            <Text color={theme.warn}>{suffix(e)}</Text>
            <Text color={theme.accent} bold>{unread}</Text>
          </Text>
        );
      })}
    </Box>
  );
}
