/**
 * Typed errors of the profile (daemon/profile/). Callers and tests branch on `code`; c1's API
 * maps the first five onto the application error codes of CONTRACT.md.
 */
import { SnugError, errorGuard } from '../../protocol/errors.js';

export const ProfileErrorCode = {
  /** There is no profile in this directory (no header). */
  NO_PROFILE: 'ERR_NO_PROFILE',
  /** create() where a profile already is. */
  PROFILE_EXISTS: 'ERR_PROFILE_EXISTS',
  /** The passphrase does not unwrap the data key (reported after the full KDF cost). */
  BAD_PASSPHRASE: 'ERR_BAD_PASSPHRASE',
  /** The operation needs the unlocked profile. */
  LOCKED: 'ERR_LOCKED',
  /** The header or the profile record is malformed, or the records do not belong together. */
  PROFILE_CORRUPT: 'ERR_PROFILE_CORRUPT',
  /** A header of a format version this build does not read. */
  PROFILE_UNSUPPORTED: 'ERR_PROFILE_UNSUPPORTED',
  /** KDF parameters outside the accepted bounds (docs/profile.md). */
  BAD_KDF_PARAMS: 'ERR_PROFILE_BAD_KDF_PARAMS',
  /** The Argon2id worker failed (e.g. could not allocate its memory). */
  KDF_FAILED: 'ERR_PROFILE_KDF_FAILED',
  /** A name or passphrase outside the limits (empty, too long, not well-formed text). */
  BAD_INPUT: 'ERR_PROFILE_BAD_INPUT',
  /** Reading or writing the profile's files failed. */
  IO: 'ERR_PROFILE_IO',
  /** The caller's signal aborted the operation (while it waited for its turn or the delay). */
  ABORTED: 'ERR_PROFILE_ABORTED',
} as const;

export type ProfileErrorCode = (typeof ProfileErrorCode)[keyof typeof ProfileErrorCode];

export class ProfileError extends SnugError<ProfileErrorCode> {}

export const isProfileError = errorGuard(ProfileError);
