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
  | { readonly name: 'reply'; readonly text: string }
  | { readonly name: 'react'; readonly reaction: string }
  | { readonly name: 'edit'; readonly text: string }
  | { readonly name: 'delete' }
  | { readonly name: 'hide'; readonly forAll: boolean }
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
  { name: 'reply', usage: '/reply TEXT', summary: 'reply to the picked message (Alt+Up/Down), else the last one' },
  { name: 'react', usage: '/react EMOJI', summary: 'react to the picked message, else the last one (/react alone withdraws)' },
  { name: 'edit', usage: '/edit TEXT', summary: 'edit the picked message of yours, else your last one' },
  { name: 'delete', usage: '/delete', summary: 'delete the picked message of yours, else your last one' },
  { name: 'hide', usage: '/hide [all]', summary: 'hide the picked message for you (all: for everyone, admins)' },
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
    case 'reply':
    case 'edit': {
      const text = line.slice(1).trim().slice(head.length).trim();
      if (text === '') return usage();
      return { kind: 'command', command: { name: spec.name, text } };
    }
    case 'react':
      return { kind: 'command', command: { name: 'react', reaction: args.join(' ') } };
    case 'hide':
      if (args.length > 1 || (args.length === 1 && args[0]!.toLowerCase() !== 'all')) return usage();
      return { kind: 'command', command: { name: 'hide', forAll: args.length === 1 } };
    case 'delete':
    case 'export':
    case 'leave':
    case 'me':
    case 'help':
    case 'quit':
      return { kind: 'command', command: { name: spec.name } };
  }
}
