/** Defaults of the contacts service (daemon/contacts/). */

/** The store namespace of contact records (one per address, keyed by its identity key). */
export const CONTACTS_NAMESPACE = 'contacts';
/** The most bytes of a petname or a proposed name (UTF-8). */
export const CONTACT_NAME_MAX_BYTES = 256;
/** The most bytes of a request's message (UTF-8; the API allows 500 characters). */
export const CONTACT_MESSAGE_MAX_BYTES = 2048;
/** The most contact records a profile holds; a request beyond it is dropped (the reply is the same). */
export const CONTACTS_MAX = 10_000;
/** The most incoming (unanswered) requests kept; older ones give way to newer ones. */
export const INCOMING_MAX = 1_000;
