/** Typed errors of the contacts service; the API handlers map them onto the API's names. */
import { SnugError } from '../../protocol/errors.js';

export const ContactErrorCode = {
  /** A stored contact record does not decode (wrong version, layout or values). */
  RECORD_INVALID: 'ERR_CONTACT_RECORD_INVALID',
  /** The contacts service is not open (the profile is locked). */
  CLOSED: 'ERR_CONTACTS_CLOSED',
} as const;

export type ContactErrorCode = (typeof ContactErrorCode)[keyof typeof ContactErrorCode];

export class ContactError extends SnugError {
  declare readonly code: ContactErrorCode;
  constructor(code: ContactErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ContactError';
  }
}

export function isContactError(err: unknown, code?: ContactErrorCode): err is ContactError {
  return err instanceof ContactError && (code === undefined || err.code === code);
}
