/** Typed errors of the groups service; the API handlers answer ApiError names instead. */
import { SnugError, errorGuard } from '../../protocol/errors.js';

export const GroupErrorCode = {
  /** A stored group, entry, notice or invite record does not decode. */
  RECORD_INVALID: 'ERR_GROUP_RECORD_INVALID',
  /** The groups service is not open (the profile is locked). */
  CLOSED: 'ERR_GROUPS_CLOSED',
} as const;

export type GroupErrorCode = (typeof GroupErrorCode)[keyof typeof GroupErrorCode];

export class GroupError extends SnugError<GroupErrorCode> {}

export const isGroupError = errorGuard(GroupError);
