/**
 * The handlers of the membership methods (descriptors in protocol/api/membership.ts): the
 * `groupId` form goes to the membership service; the `address` form of message/react, edit and
 * delete (1:1) to the contacts service, checked the same way (plan.ts; in a 1:1 conversation an
 * author is an identity key). While locked they answer ERR_LOCKED (ERR_NO_PROFILE in a home
 * without a profile).
 */
import { ApiError } from '../../../protocol/api/errors.js';
import { fromHex } from '../../../protocol/bytes.js';
import type { EntryContent } from '../../../protocol/entry.js';
import type { DirectContent } from '../../../protocol/direct.js';
import type { Handlers } from '../../api/server.js';
import { checkAddress, type ContactsService } from '../../contacts/service.js';
import type { ProfileService } from '../../profile/profile.js';
import { planDelete, planEdit, planReact, type TargetInfo } from './plan.js';
import type { MembershipService } from './service.js';

export interface MembershipHandlerComponents {
  readonly membership: MembershipService;
  readonly contacts: ContactsService;
  readonly profile: ProfileService;
}

export function membershipHandlers(c: MembershipHandlerComponents): Handlers {
  const open = async (): Promise<MembershipService> => {
    if (c.membership.isOpen) return c.membership;
    throw new ApiError((await c.profile.state()) === 'absent' ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
  };
  /** A 1:1 reaction, edit or delete: checked against the conversation, then sent. */
  const direct = async (address: string, id: string, make: (target: TargetInfo | null, me: Uint8Array) => EntryContent): Promise<string> => {
    const a = checkAddress(address);
    await open(); // ERR_LOCKED / ERR_NO_PROFILE while locked
    const me = c.profile.unlocked;
    if (me === null || !c.contacts.isOpen) throw new ApiError('ERR_LOCKED');
    const info = await c.contacts.directEntryInfo(a, id);
    const target = info === null ? null : { author: info.author, isMessage: info.kind === 'text' || info.kind === 'reply' };
    return c.contacts.sendContent(a, make(target, me.identity.publicKey) as DirectContent);
  };
  return {
    'group/removeMember': async (p) => {
      await (await open()).removeMember(p.groupId, checkAddress(p.address));
      return {};
    },
    'group/leave': async (p) => {
      await (await open()).leave(p.groupId, p.successor === undefined ? undefined : checkAddress(p.successor));
      return {};
    },
    'group/setRole': async (p) => {
      await (await open()).setRole(p.groupId, checkAddress(p.address), p.role);
      return {};
    },
    'group/setPubs': async (p) => {
      await (await open()).setPubs(p.groupId, p.pubs);
      return {};
    },
    'message/hide': async (p) => {
      await (await open()).hide(p.groupId, p.id, p.forAll);
      return {};
    },
    'message/react': async (p) => {
      if (p.groupId === undefined) return { id: await direct(p.address!, p.id, (t) => planReact(t, fromHex(p.id), p.reaction)) };
      return { id: await (await open()).react(p.groupId, p.id, p.reaction) };
    },
    'message/edit': async (p) => {
      if (p.groupId === undefined) return { id: await direct(p.address!, p.id, (t, me) => planEdit(t, me, fromHex(p.id), p.text)) };
      return { id: await (await open()).edit(p.groupId, p.id, p.text) };
    },
    'message/delete': async (p) => {
      if (p.groupId === undefined) return { id: await direct(p.address!, p.id, (t, me) => planDelete(t, me, fromHex(p.id))) };
      return { id: await (await open()).delete(p.groupId, p.id) };
    },
  };
}
