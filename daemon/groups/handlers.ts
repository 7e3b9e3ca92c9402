/**
 * The handlers of group/* and of the message/* methods (descriptors in protocol/api/methods.ts):
 * the `groupId` form goes to the groups service, the `address` form to the contacts service.
 * While locked they answer ERR_LOCKED (ERR_NO_PROFILE in a home without a profile).
 */
import { ApiError } from '../../protocol/api/errors.js';
import type { Handlers } from '../api/server.js';
import { type ContactsService, checkAddress } from '../contacts/service.js';
import type { ProfileService } from '../profile/profile.js';
import type { GroupsService } from './service.js';

export interface GroupHandlerComponents {
  readonly groups: GroupsService;
  readonly contacts: ContactsService;
  readonly profile: ProfileService;
}

export function groupHandlers(c: GroupHandlerComponents): Handlers {
  const closed = async (): Promise<never> => {
    throw new ApiError((await c.profile.state()) === 'absent' ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
  };
  const groups = async (): Promise<GroupsService> => (c.groups.isOpen ? c.groups : closed());
  const contacts = async (): Promise<ContactsService> => (c.contacts.isOpen ? c.contacts : closed());
  return {
    'group/create': async (p) => ({ groupId: await (await groups()).create(p.name, p.pubs) }),
    'group/invite': async (p) => {
      const address = checkAddress(p.address);
      await (await groups()).invitePeer(p.groupId, address, p.history, limitsOf(p));
      return {};
    },
    'group/invites': async () => ({ invites: (await groups()).invites() }),
    'group/decline': async (p) => {
      await (await groups()).decline(p.invite);
      return {};
    },
    'group/exportInvite': async (p) => ({ invite: await (await groups()).exportInvite(p.groupId, p.history, limitsOf(p)) }),
    'group/join': async (p) => ({ groupId: await (await groups()).join(p.invite) }),
    'group/list': async () => ({ groups: (await groups()).list() }),
    'group/members': async (p) => ({ members: (await groups()).members(p.groupId) }),
    'message/send': async (p) => {
      if (p.groupId !== undefined) return { id: await (await groups()).send(p.groupId, p.text, p.replyTo) };
      const address = checkAddress(p.address!);
      return { id: await (await contacts()).sendMessage(address, p.text) };
    },
    'message/list': async (p) => {
      if (p.groupId !== undefined) return { messages: await (await groups()).listMessages(p.groupId, p) };
      const address = checkAddress(p.address!);
      return { messages: await (await contacts()).listMessages(address, p) };
    },
    'message/markRead': async (p) => {
      if (p.groupId !== undefined) await (await groups()).markRead(p.groupId, p.id);
      else await (await contacts()).markRead(checkAddress(p.address!), p.id);
      return {};
    },
  };
}

/** The invite limits a request gave (the groups service fills in the defaults). */
function limitsOf(p: { readonly expiresInMs?: number | undefined; readonly uses?: number | undefined }): { expiresInMs?: number; uses?: number } {
  return { ...(p.expiresInMs !== undefined ? { expiresInMs: p.expiresInMs } : {}), ...(p.uses !== undefined ? { uses: p.uses } : {}) };
}
