/** Typed errors of group sync (daemon/group-sync/). */
import { SnugError, errorGuard } from '../../protocol/errors.js';

export const GroupSyncErrorCode = {
  /** Group sync is not open (the profile is locked). */
  CLOSED: 'ERR_GROUP_SYNC_CLOSED',
  /** A stored per-peer sync state or evidence record does not decode. */
  RECORD_INVALID: 'ERR_GROUP_SYNC_RECORD_INVALID',
} as const;

export type GroupSyncErrorCode = (typeof GroupSyncErrorCode)[keyof typeof GroupSyncErrorCode];

export class GroupSyncError extends SnugError<GroupSyncErrorCode> {}

export const isGroupSyncError = errorGuard(GroupSyncError);
