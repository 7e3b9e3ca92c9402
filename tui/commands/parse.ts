/**
 * The input line's commands, parsed into typed values (pure). A line that starts with `/` is
 * a command; `//text` sends "/text". Unknown commands and missing arguments are errors in
 * words, shown in place.
 */

export type Command =
  | { readonly name: 'add'; readonly address: string; readonly petname?: string | undefined }
  | { readonly name: 'accept'; readonly who?: string | undefined }
  | { readonly name: 'decline'; readonly who?: string | undefined }
  | { readonly name: 'block'; readonly who?: string | undefined }
  | { readonly name: 'group'; readonly groupName: string; readonly pubs: readonly string[] }
  | { readonly name: 'invite'; readonly who: string }
  | { readonly name: 'export' }
  | { readonly name: 'join'; readonly invite: string }
  | { readonly name: 'leave' }
  | { readonly name: 'remove'; readonly who: string }
  | { readonly name: 'me' }
  | { readonly name: 'help' }
  | { readonly name: 'quit' };

export interface CommandSpec {
  readonly name: Command['name'];
  readonly usage: string;
  readonly summary: string;
}

/** Every command with its usage, in the order /help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  { name: 'add', usage: '/add ADDRESS [NAME]', summary: 'ask someone to be your contact (their .onion address)' },
  { name: 'accept', usage: '/accept [CONTACT]', summary: 'accept the selected contact request or group invite' },
  { name: 'decline', usage: '/decline', summary: 'decline the selected group invite' },
  { name: 'block', usage: '/block [CONTACT]', summary: 'block the selected contact (or request) for good' },
  { name: 'group', usage: '/group NAME PUB...', summary: 'make a group using these pubs' },
  { name: 'invite', usage: '/invite CONTACT', summary: 'invite a contact to this group' },
  { name: 'export', usage: '/export', summary: "this group's invite as text and a QR code" },
  { name: 'join', usage: '/join INVITE', summary: 'join a group from an invite' },
  { name: 'leave', usage: '/leave', summary: 'leave this group' },
  { name: 'remove', usage: '/remove MEMBER', summary: 'remove a member from this group (admins)' },
  { name: 'me', usage: '/me', summary: 'your address and a QR code of it' },
  { name: 'help', usage: '/help', summary: 'every key and command' },
  { name: 'quit', usage: '/quit', summary: 'close the UI (the daemon keeps running)' },
];

export type Parsed = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'command'; readonly command: Command } | { readonly kind: 'error'; readonly error: string };

export function parseLine(line: string): Parsed {
  if (!line.startsWith('/') || line.startsWith('//')) return { kind: 'text', text: line.startsWith('//') ? line.slice(1) : line };
  const [head = '', ...args] = line.slice(1).trim().split(/\s+/).filter((x) => x !== '');
  const name = head.toLowerCase();
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) return { kind: 'error', error: `no command /${head}; /help lists them` };
  const usage = (): Parsed => ({ kind: 'error', error: `usage: ${spec.usage}` });
  switch (spec.name) {
    case 'add':
      if (args.length < 1) return usage();
      return { kind: 'command', command: { name: 'add', address: args[0]!, petname: args.length > 1 ? args.slice(1).join(' ') : undefined } };
    case 'accept':
    case 'decline':
    case 'block':
      return { kind: 'command', command: { name: spec.name, who: args.length > 0 ? args.join(' ') : undefined } };
    case 'group':
      if (args.length < 2) return usage();
      return { kind: 'command', command: { name: 'group', groupName: args[0]!, pubs: args.slice(1) } };
    case 'invite':
    case 'remove':
      if (args.length < 1) return usage();
      return { kind: 'command', command: { name: spec.name, who: args.join(' ') } };
    case 'join':
      if (args.length !== 1) return usage();
      return { kind: 'command', command: { name: 'join', invite: args[0]! } };
    case 'export':
    case 'leave':
    case 'me':
    case 'help':
    case 'quit':
      return { kind: 'command', command: { name: spec.name } };
  }
}
