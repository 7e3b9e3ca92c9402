/**
 * The handler of group/setSettings (this member's own settings for a group; descriptor in
 * protocol/api/methods.ts): `peerSync` goes to group sync, which keeps it in the profile's store.
 * While locked it answers ERR_LOCKED (ERR_NO_PROFILE in a home without a profile); a group this
 * profile is not in is ERR_NOT_FOUND.
 */
import { ApiError } from '../../protocol/api/errors.js';
import type { Handlers } from '../api/server.js';
import type { GroupsService } from '../groups/service.js';
import type { ProfileService } from '../profile/profile.js';
import type { GroupSync } from './service.js';

export interface GroupSyncHandlerComponents {
  readonly sync: GroupSync;
  readonly groups: GroupsService;
  readonly profile: ProfileService;
}

export function groupSyncHandlers(c: GroupSyncHandlerComponents): Handlers {
  return {
    'group/setSettings': async (p) => {
      if (!c.groups.isOpen || !c.sync.isOpen) throw new ApiError((await c.profile.state()) === 'absent' ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
      if (!c.groups.list().some((g) => g.groupId === p.groupId)) throw new ApiError('ERR_NOT_FOUND');
      if (p.peerSync !== undefined) await c.sync.setPeerSync(p.groupId, p.peerSync);
      return {};
    },
  };
}
