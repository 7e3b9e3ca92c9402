/** The UI's colours and marks, in one place. */
export const theme = {
  accent: 'cyan',
  own: 'green',
  author: 'magenta',
  dim: 'gray',
  error: 'red',
  warn: 'yellow',
  online: '●',
  offline: '○',
  request: '?',
  invite: '+',
  sidebarWidth: 26,
} as const;
