/**
 * Schemas shared by several descriptors. Each limit is a named constant.
 */
import { z } from 'zod';

/**
 * Characters of a v3 onion address before ".onion" (protocol/identity.ts ONION_ADDRESS_CHARS; a
 * test keeps the two equal). Not imported from there: identity.ts loads libsodium, which every
 * `snug rpc` would then pay for at start-up.
 */
export const ONION_ADDRESS_CHARS = 56;

/** A profile's display name: 1 to 64 characters after trimming, no control characters. */
export const PROFILE_NAME_MAX_CHARS = 64;
/** A passphrase: 1 to 1024 characters (UTF-16 code units), taken as given (not trimmed). */
export const PASSPHRASE_MAX_CHARS = 1024;

// Control characters (C0, DEL, C1) have no place in a name shown to other people.
// eslint-disable-next-line no-control-regex
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f-\u009f]*$/;

export const ProfileName = z.string().trim().min(1).max(PROFILE_NAME_MAX_CHARS).regex(NO_CONTROL_CHARS, 'a name has no control characters');

export const Passphrase = z.string().min(1).max(PASSPHRASE_MAX_CHARS);

const ONION_ADDRESS_RE = new RegExp(`^[a-z2-7]{${ONION_ADDRESS_CHARS}}\\.onion$`);

/** A v3 onion address as the daemon prints it: 56 lowercase base32 characters and ".onion". */
export const OnionAddress = z.string().regex(ONION_ADDRESS_RE, 'a v3 onion address');

/**
 * The issue param that names the -32602 variant an invalid param answers with: a refinement
 * with `params: { [PARAMS_CODE_KEY]: 'ERR_BAD_ADDRESS' }` makes the server answer data.code
 * ERR_BAD_ADDRESS instead of ERR_INVALID_PARAMS (daemon/api/envelope.ts invalidParamsResponse).
 */
export const PARAMS_CODE_KEY = 'apiCode';

/**
 * An onion address given as a param: one that is not well formed answers -32602 ERR_BAD_ADDRESS
 * (a value that is not even a string, ERR_INVALID_PARAMS). The form only (length, alphabet,
 * suffix); the checksum and version byte are checked where the key is decoded (protocol/identity.ts).
 */
export const AddressParam = z.string().refine((v) => ONION_ADDRESS_RE.test(v), {
  message: 'not a v3 onion address (<56 characters>.onion)',
  params: { [PARAMS_CODE_KEY]: 'ERR_BAD_ADDRESS' },
});

/** A notification's sequence number: 1, 2, ... for ever (it survives restarts). */
export const Seq = z.int().min(1);
/** `since` in event/subscribe: the last seq the caller has seen; 0 for "from the start". */
export const SinceSeq = z.int().min(0);

/** tor.state in daemon/status and tor/didProgress. */
export const TOR_STATES = ['off', 'starting', 'bootstrapping', 'ready', 'restarting', 'failed'] as const;
export const TorState = z.enum(TOR_STATES);
/** The state of the profile's onion service. */
export const ONION_STATES = ['off', 'publishing', 'published', 'failed'] as const;
export const OnionState = z.enum(ONION_STATES);
/** tor's bootstrap percentage. */
export const Bootstrap = z.int().min(0).max(100);

/** A contact's petname (the user's own name for them): the same rules as a profile name. */
export const ContactName = ProfileName;
/** The message that goes with a contact request: at most this many characters (UTF-16 code units). */
export const CONTACT_MESSAGE_MAX_CHARS = 500;
// Newlines and tabs are fine in a request's message; other control characters are not.
// eslint-disable-next-line no-control-regex
const NO_CONTROL_CHARS_BUT_LINES = /^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$/;
/** ... and at most this many UTF-8 bytes (what the peer protocol's request carries). */
export const CONTACT_MESSAGE_MAX_BYTES = 1024;
const utf8 = new TextEncoder();
export const ContactMessage = z
  .string()
  .min(1)
  .max(CONTACT_MESSAGE_MAX_CHARS)
  .regex(NO_CONTROL_CHARS_BUT_LINES, 'no control characters but newlines and tabs')
  .refine((v) => utf8.encode(v).length <= CONTACT_MESSAGE_MAX_BYTES, `at most ${CONTACT_MESSAGE_MAX_BYTES} UTF-8 bytes`);

/** A contact's state (CONTRACT.md, "Contacts"). */
export const CONTACT_STATES = ['outgoing', 'incoming', 'accepted', 'blocked'] as const;
export const ContactState = z.enum(CONTACT_STATES);

/** One contact as contact/list and contact/didChange show it. */
export const Contact = z.object({
  address: OnionAddress,
  /** The user's own petname for the contact; null when the user gave none. */
  name: z.string().nullable(),
  state: ContactState,
  /** True only while accepted and linked. */
  online: z.boolean(),
  /** Messages received and not yet read. */
  unread: z.int().min(0),
  /** The name the contact proposed in its request: shown as theirs, never as the petname. */
  proposedName: z.string().nullable(),
  /** The message of the request: theirs (incoming) or ours (outgoing); null when none. */
  message: z.string().nullable(),
  /** When a link to the contact last came up (ms since the epoch), or null. */
  lastSeen: z.int().min(0).nullable(),
});

/**
 * A message's text: not empty. What a direct entry holds (MESSAGE_TEXT_MAX_BYTES of UTF-8) is
 * checked by the daemon: a longer text is ERR_TOO_LONG (an application error, not -32602).
 */
export const MESSAGE_TEXT_MAX_BYTES = 16_384;
export const MessageText = z.string().min(1);
/** An entry id: 64 lowercase hex characters. */
export const EntryId = z.string().regex(/^[0-9a-f]{64}$/, 'an entry id (64 lowercase hex characters)');
/** How many messages message/list answers by default, and at most. */
export const MESSAGE_LIST_DEFAULT = 50;
export const MESSAGE_LIST_MAX = 500;

/** One message as message/list and message/didReceive show it. */
export const Message = z.object({
  id: EntryId,
  kind: z.string(),
  author: OnionAddress,
  ts: z.int().min(0),
  text: z.string(),
  /** Ours: outbox, sent or delivered; theirs: received. */
  status: z.enum(['outbox', 'sent', 'delivered', 'received']),
});

/** The params of a method that takes none (absent params count as this). */
export const NoParams = z.strictObject({});
/** The result that says only "done" (not strict: a newer daemon may add members). */
export const EmptyResult = z.object({});
