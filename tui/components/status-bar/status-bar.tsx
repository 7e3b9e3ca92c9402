/** The status bar: the link to the daemon, tor's state, pubs live and peers online, who you are. */
import { Box, Text } from 'ink';
import type { TorView } from '../../model/types.js';
import type { LinkState } from '../../link/daemon-link.js';
import { theme } from '../../theme.js';

export interface StatusBarProps {
  readonly link: LinkState;
  readonly tor: TorView | null;
  readonly pubs: { readonly live: number; readonly total: number };
  readonly peersOnline: number;
  readonly me: string | null;
}

export function torLabel(tor: TorView | null): string {
  if (!tor) return 'tor ?';
  if (tor.transport === 'direct') return 'direct (no tor: development)';
  if (tor.state === 'ready') return tor.onion === 'published' ? 'tor ready' : `tor ready, onion ${tor.onion}`;
  return `tor ${tor.state} ${tor.bootstrap}%`;
}

export function StatusBar({ link, tor, pubs, peersOnline, me }: StatusBarProps) {
  const linkText = link === 'open' ? null : link === 'reconnecting' ? 'daemon: reconnecting' : link === 'connecting' ? 'daemon: connecting' : 'stopped';
  return (
    <Box>
      <Text inverse wrap="truncate">
        {linkText ? <Text color={theme.error}> {linkText} │</Text> : null}
        {` ${torLabel(tor)} │ pubs ${pubs.live}/${pubs.total} live │ peers ${peersOnline} online │ ${me ?? ''} │ ? help `}
      </Text>
    </Box>
  );
}
