/**
 * Carrying out a parsed command against the daemon. Each asks the daemon and reports what it
 * answered; a method this daemon does not offer fails with its own error (shown in words by
 * the caller), never a pretended success.
 */
import { createGroup, exportInvite, groupMembers, joinGroup } from './api.js';
import type { AppState } from './state.js';
import { contactKey, groupKey, type ContactRow, type ConversationKey } from '../model/types.js';
import { contactTitle, selectedEntry } from '../components/sidebar/use-sidebar-state.js';
import { targetMessage } from '../components/conversation/use-conversation-state.js';
import type { Item } from '../model/types.js';
import type { DaemonLink } from '../link/daemon-link.js';
import { qrLines } from '../qr.js';
import type { Command } from '../commands/parse.js';

export interface CommandContext {
  readonly link: DaemonLink;
  readonly state: AppState;
  readonly select: (key: ConversationKey | `i:${string}`) => void;
  /** Fetches the sidebar's lists again. */
  readonly reload: () => Promise<void>;
  readonly show: (title: string, lines: readonly string[], qr?: readonly string[]) => void;
  readonly info: (text: string) => void;
  readonly help: () => void;
  readonly quit: () => void;
  /** Drops the pick of a message in the open conversation. */
  readonly unpick: () => void;
  /** Fetches the open conversation's newest page again (to show a reply, a reaction, an edit). */
  readonly refresh: () => Promise<void>;
}

/** A user-facing failure that is not the daemon's (no such contact, no group selected). */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** The contact a name, a petname, a proposed name or an address (or its start) names. */
export function resolveContact(contacts: readonly ContactRow[], who: string): ContactRow {
  const w = who.toLowerCase().replace(/^~/, '');
  const exact = contacts.filter((c) => c.address === w || c.name?.toLowerCase() === w || c.proposedName?.toLowerCase() === w);
  if (exact.length === 1) return exact[0]!;
  const prefix = contacts.filter((c) => c.address.startsWith(w) || contactTitle(c).toLowerCase().replace(/^~/, '').startsWith(w));
  if (prefix.length === 1) return prefix[0]!;
  throw new CommandError(prefix.length === 0 && exact.length === 0 ? `no contact named ${who}` : `${who} names more than one contact; say more`);
}

function selectedContact(ctx: CommandContext, who: string | undefined): ContactRow {
  if (who !== undefined) return resolveContact(ctx.state.sidebar.contacts, who);
  const e = selectedEntry(ctx.state.sidebar);
  const c = e?.kind === 'contact' ? ctx.state.sidebar.contacts.find((x) => contactKey(x.address) === e.key) : undefined;
  if (!c) throw new CommandError('select a contact first (or name one)');
  return c;
}

function selectedGroupId(ctx: CommandContext): string {
  const e = selectedEntry(ctx.state.sidebar);
  if (e?.kind !== 'group') throw new CommandError('open a group first');
  return e.key.slice(2);
}

/** The open conversation and the message a command acts on (picked, else the newest that `ok` takes). */
function pickedMessage(ctx: CommandContext, ok: (i: Item) => boolean, what: string): { target: { address: string } | { groupId: string }; item: Item } {
  const e = selectedEntry(ctx.state.sidebar);
  if (!e || (e.kind !== 'group' && e.kind !== 'contact') || e.pending !== null) throw new CommandError('open a conversation first');
  const conv = ctx.state.conversations[e.key];
  const item = conv ? targetMessage(conv, ok) : undefined;
  if (!item) throw new CommandError(`no ${what} here`);
  return { target: e.key.startsWith('g:') ? { groupId: e.key.slice(2) } : { address: e.key.slice(2) }, item };
}

export async function runCommand(cmd: Command, ctx: CommandContext): Promise<void> {
  const { link } = ctx;
  const me = ctx.state.me?.address ?? '';
  switch (cmd.name) {
    case 'reply': {
      const { target, item } = pickedMessage(ctx, () => true, 'message to reply to');
      await link.call('message/send', { ...target, text: cmd.text, replyTo: item.id });
      ctx.unpick();
      return ctx.refresh();
    }
    case 'react': {
      const { target, item } = pickedMessage(ctx, (i) => i.author !== me, 'message to react to');
      await link.call('message/react', { ...target, id: item.id, reaction: cmd.reaction });
      ctx.unpick();
      return ctx.refresh();
    }
    case 'edit': {
      const { target, item } = pickedMessage(ctx, (i) => i.author === me, 'message of yours');
      await link.call('message/edit', { ...target, id: item.id, text: cmd.text });
      ctx.unpick();
      return ctx.refresh();
    }
    case 'delete': {
      const { target, item } = pickedMessage(ctx, (i) => i.author === me, 'message of yours');
      await link.call('message/delete', { ...target, id: item.id });
      ctx.unpick();
      return ctx.refresh();
    }
    case 'hide': {
      const { target, item } = pickedMessage(ctx, (i) => i.author !== me, 'message to hide');
      if (!('groupId' in target)) throw new CommandError('only a group message can be hidden');
      await link.call('message/hide', { groupId: target.groupId, id: item.id, forAll: cmd.forAll });
      ctx.unpick();
      return ctx.refresh();
    }
    case 'help':
      return ctx.help();
    case 'quit':
      return ctx.quit();
    case 'me': {
      const profile = ctx.state.me;
      if (!profile) throw new CommandError('not unlocked');
      return ctx.show(`You: ${profile.name}`, ['Give this address to a contact; they /add it:', profile.address], qrLines(profile.address));
    }
    case 'add': {
      await link.call('contact/add', { address: cmd.address.toLowerCase(), ...(cmd.petname ? { name: cmd.petname } : {}) });
      await ctx.reload();
      ctx.select(contactKey(cmd.address.toLowerCase()));
      return ctx.info(`asked ${cmd.petname ?? cmd.address.slice(0, 10)} to be your contact; it shows once they accept`);
    }
    case 'accept': {
      const e = selectedEntry(ctx.state.sidebar);
      if (cmd.who === undefined && e?.kind === 'invite') {
        const groupId = await joinGroup(link, e.key.slice(2));
        await ctx.reload();
        ctx.select(groupKey(groupId));
        return ctx.info(`joined ${e.title}`);
      }
      const c = selectedContact(ctx, cmd.who);
      await link.call('contact/accept', { address: c.address });
      await ctx.reload();
      return ctx.info(`${contactTitle(c)} is a contact now`);
    }
    case 'decline': {
      const e = selectedEntry(ctx.state.sidebar);
      if (e?.kind !== 'invite') throw new CommandError('select a group invite first');
      await link.call('group/decline', { invite: e.key.slice(2) });
      await ctx.reload();
      return ctx.info(`declined ${e.title}`);
    }
    case 'block': {
      const c = selectedContact(ctx, cmd.who);
      await link.call('contact/block', { address: c.address });
      await ctx.reload();
      return ctx.info(`${contactTitle(c)} is blocked`);
    }
    case 'group': {
      const groupId = await createGroup(link, cmd.groupName, cmd.pubs);
      await ctx.reload();
      ctx.select(groupKey(groupId));
      return ctx.info(`made #${cmd.groupName}; /invite CONTACT or /export to bring people in`);
    }
    case 'invite': {
      const groupId = selectedGroupId(ctx);
      const c = resolveContact(ctx.state.sidebar.contacts, cmd.who);
      await link.call('group/invite', { groupId, address: c.address });
      return ctx.info(`invited ${contactTitle(c)}`);
    }
    case 'export': {
      const groupId = selectedGroupId(ctx);
      const invite = await exportInvite(link, groupId);
      return ctx.show('Invite to this group', ['Whoever has this can join with /join INVITE:', invite], qrLines(invite));
    }
    case 'join': {
      const groupId = await joinGroup(link, cmd.invite);
      await ctx.reload();
      ctx.select(groupKey(groupId));
      return ctx.info('joined');
    }
    case 'leave': {
      const groupId = selectedGroupId(ctx);
      await link.call('group/leave', { groupId });
      await ctx.reload();
      return ctx.info('you left the group');
    }
    case 'remove': {
      const groupId = selectedGroupId(ctx);
      const members = await groupMembers(link, groupId);
      const w = cmd.who.toLowerCase();
      let address: string | undefined = members.find((m) => m.address === w || m.name?.toLowerCase() === w)?.address;
      if (!address) {
        try {
          address = resolveContact(ctx.state.sidebar.contacts, cmd.who).address;
        } catch {
          throw new CommandError(`no member named ${cmd.who}`);
        }
      }
      await link.call('group/removeMember', { groupId, address });
      return ctx.info(`removed ${cmd.who}`);
    }
  }
}

