/**
 * The handlers of group/* and of message/* for groups (descriptors in protocol/api/methods.ts).
 * INTERIM: this commit carries the descriptors only; until the groups service lands (next
 * commits on this branch) the group methods answer ERR_LOCKED / ERR_NO_PROFILE while locked
 * and ERR_INTERNAL while unlocked.
 */
import { ApiError } from '../../protocol/api/errors.js';
import type { Handlers } from '../api/server.js';
import type { ProfileService } from '../profile/profile.js';

export interface GroupHandlerComponents {
  readonly profile: ProfileService;
}

export function groupHandlers(c: GroupHandlerComponents): Handlers {
  const notYet = async (): Promise<never> => {
    if (c.profile.unlocked === null) throw new ApiError((await c.profile.state()) === 'absent' ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
    throw new ApiError('ERR_INTERNAL', 'the groups service is not built yet');
  };
  return {
    'message/markRead': notYet,
    'group/create': notYet,
    'group/invite': notYet,
    'group/invites': notYet,
    'group/decline': notYet,
    'group/exportInvite': notYet,
    'group/join': notYet,
    'group/list': notYet,
    'group/members': notYet,
  };
}
