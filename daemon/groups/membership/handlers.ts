/**
 * The handlers of the membership methods (descriptors in protocol/api/membership.ts): the
 * `groupId` form goes to the membership service. While locked they answer ERR_LOCKED
 * (ERR_NO_PROFILE in a home without a profile).
 *
 * Not built: the `address` (1:1) form of message/react, message/edit and message/delete; it
 * answers ERR_NOT_FOUND with a message saying so (the contacts service sends texts only).
 */
import { ApiError } from '../../../protocol/api/errors.js';
import type { Handlers } from '../../api/server.js';
import { checkAddress } from '../../contacts/service.js';
import type { ProfileService } from '../../profile/profile.js';
import type { MembershipService } from './service.js';

export interface MembershipHandlerComponents {
  readonly membership: MembershipService;
  readonly profile: ProfileService;
}

export function membershipHandlers(c: MembershipHandlerComponents): Handlers {
  const open = async (): Promise<MembershipService> => {
    if (c.membership.isOpen) return c.membership;
    throw new ApiError((await c.profile.state()) === 'absent' ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
  };
  const group = (p: { groupId?: string | undefined; address?: string | undefined }): string => {
    if (p.groupId !== undefined) return p.groupId;
    checkAddress(p.address!);
    throw new ApiError('ERR_NOT_FOUND', 'reactions, edits and deletes in 1:1 conversations are not built yet');
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
      const m = await open();
      return { id: await m.react(group(p), p.id, p.reaction) };
    },
    'message/edit': async (p) => {
      const m = await open();
      return { id: await m.edit(group(p), p.id, p.text) };
    },
    'message/delete': async (p) => {
      const m = await open();
      return { id: await m.delete(group(p), p.id) };
    },
  };
}
