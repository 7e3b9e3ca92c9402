/** What `?` and /help show: every key and every command (tui/commands/parse.ts COMMANDS). */
import { COMMANDS } from '../../commands/parse.js';

export const KEYS: ReadonlyArray<readonly [string, string]> = [
  ['Enter', 'send what is typed (or run the command)'],
  ['Alt+1..9', 'open the conversation with that number'],
  ['Ctrl+Up / Ctrl+Down', 'the previous / next conversation'],
  ['Alt+A', 'the next conversation with unread messages or a request'],
  ['Ctrl+K', 'find a conversation by name'],
  ['PgUp / PgDn', 'scroll (older messages are fetched as you go)'],
  ['Up (empty input)', 'edit your last message (when the daemon offers message/edit)'],
  ['Alt+Up / Alt+Down', 'pick a message for /reply, /react, /edit, /delete, /hide'],
  ['Tab', 'complete a command or a name'],
  ['Esc', 'close a box, stop editing'],
  ['? (empty input)', 'this help'],
  ['Ctrl+C', 'quit'],
];

export function helpLines(): string[] {
  const keyW = Math.max(...KEYS.map(([k]) => k.length));
  const cmdW = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    'Keys',
    ...KEYS.map(([k, what]) => `  ${k.padEnd(keyW)}  ${what}`),
    '',
    'Commands',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(cmdW)}  ${c.summary}`),
    '',
    'Start a line with // to send a message that begins with /.',
  ];
}
