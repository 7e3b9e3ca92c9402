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

/** A message's status: ours outbox, sent or delivered; theirs received. */
export const MESSAGE_STATUSES = ['outbox', 'sent', 'delivered', 'received'] as const;
export const MessageStatus = z.enum(MESSAGE_STATUSES);

/** On how many of a group's pubs one of its entries is (groups only). */
export const PubCounts = z.object({ accepted: z.int().min(0), total: z.int().min(0) });

/**
 * One item of a conversation as message/list and message/didReceive show it: a message
 * (`kind` 'message') or, in groups, a notice in its place (`kind` 'joined', 'pruned', 'left',
 * 'removed', 'gap', 'evidence', ...; later kinds may be added, so a client shows an unknown kind as a
 * notice). `author` is null for a notice no member wrote (a pub's "pruned").
 */
export const Message = z.object({
  id: EntryId,
  kind: z.string(),
  author: OnionAddress.nullable(),
  ts: z.int().min(0),
  text: z.string(),
  status: MessageStatus,
  /** Groups: on how many of the group's pubs the entry is (ours: accepted by; theirs: seen on). */
  pubs: PubCounts.optional(),
  /** The entry this one replies to (a reply), when there is one. */
  replyTo: EntryId.optional(),
  /** A "pruned" notice: the pub that pruned. */
  pub: z.string().optional(),
  /**
   * A "gap" notice (groups): `author`'s entries `from`..`to` (sequence numbers, inclusive) are
   * known to be missing; the notice stands after the author's last held entry before them and
   * goes once they arrive. Its `id` is not an entry id (not a before/after position).
   */
  gap: z.object({ from: z.int().min(1), to: z.int().min(1) }).optional(),
  /** An `evidence` notice (group sync's tamper evidence about its author, right after the entry it is about): the evidence's kind ('equivocation', 'broken-chain'). */
  evidence: z.object({ kind: z.string() }).optional(),
  // --- the message view (protocol/message-view.ts; daemon/groups/membership) ---
  /** Its author edited it: `text` is the latest edit's. */
  edited: z.boolean().optional(),
  /** Its author deleted it: `text` is empty. */
  deleted: z.boolean().optional(),
  /** Hidden: by an admin for everyone (`admin` their address), or by this member for itself; `text` is empty. */
  hidden: z.object({ by: z.enum(['admin', 'me']), admin: OnionAddress.nullable() }).optional(),
  /** Reactions counted by kind, most first; `mine` when this member's is among them. */
  reactions: z.array(z.object({ reaction: z.string(), count: z.int().min(1), mine: z.boolean() })).optional(),
});

/** A group id as the API names it: the genesis entry's id, 64 lowercase hex characters. */
export const GroupId = z.string().regex(/^[0-9a-f]{64}$/, 'a group id (64 lowercase hex characters)');

/** A group's name: 1 to 128 UTF-8 bytes after trimming, no control characters (protocol v2's genesis). */
export const GROUP_NAME_MAX_BYTES = 128;
export const GroupName = z
  .string()
  .trim()
  .min(1)
  .regex(NO_CONTROL_CHARS, 'a name has no control characters')
  .refine((v) => utf8.encode(v).length <= GROUP_NAME_MAX_BYTES, `at most ${GROUP_NAME_MAX_BYTES} UTF-8 bytes`);

/** The most pubs a group names (protocol v2's GROUP_PUBS_MAX). */
export const GROUP_PUBS_MAX = 16;
const DEV_PUB_RE = /^ws:\/\/127\.0\.0\.1:[1-9][0-9]{0,4}$/;
/**
 * A pub's address as a param: a v3 onion address, or in development `ws://127.0.0.1:PORT`; any
 * other form is -32602 ERR_BAD_ADDRESS. (Whether a loopback pub is allowed is the daemon's rule.)
 */
export const PubAddressParam = z.string().refine((v) => ONION_ADDRESS_RE.test(v) || DEV_PUB_RE.test(v), {
  message: 'not a pub address (<56 characters>.onion, or ws://127.0.0.1:PORT in development)',
  params: { [PARAMS_CODE_KEY]: 'ERR_BAD_ADDRESS' },
});

/** The longest invite text (protocol/invite.ts INVITE_TEXT_MAX_CHARS; a test keeps the two equal). */
export const INVITE_TEXT_MAX_CHARS = 340_588;
const INVITE_RE = /^snug2[a-z2-7]+$/;
/**
 * An invite string as a param: "snug2" and base32, surrounding whitespace trimmed. Any other form
 * is -32602 ERR_BAD_INVITE; so is one that does not decode or verify (the daemon checks that).
 */
export const InviteParam = z
  .string()
  .trim()
  .refine((v) => v.length <= INVITE_TEXT_MAX_CHARS && INVITE_RE.test(v), {
    message: 'not an invite (snug2...)',
    params: { [PARAMS_CODE_KEY]: 'ERR_BAD_INVITE' },
  });

/** A member's role in a group. */
export const ROLES = ['admin', 'member'] as const;
export const Role = z.enum(ROLES);

/** A pub link's state (daemon/group-pubs/types.ts PubLinkState). */
export const PUB_LINK_STATES = ['connecting', 'catching-up', 'live', 'failing'] as const;
export const PubLinkState = z.enum(PUB_LINK_STATES);

/** One pub link as group/list, daemon/status and pub/didChange show it. */
export const PubLink = z.object({
  address: z.string(),
  state: PubLinkState,
  /** The last error's stable code while failing (ERR_DIAL_FAILED, ...), else null. */
  lastError: z.string().nullable(),
});

/** One group as group/list and group/didChange show it. */
export const Group = z.object({
  groupId: GroupId,
  name: z.string(),
  /** The group's pubs, in order of preference. */
  pubs: z.array(z.string()),
  /** Each of the group's pubs with its link state (in the order of `pubs`). */
  pubLinks: z.array(PubLink),
  /** How many members (whoever joined and has not been removed or left). */
  members: z.int().min(0),
  /** Messages received and not yet read. */
  unread: z.int().min(0),
  /** The caller's own role. */
  role: Role,
  /** The current key epoch's number. */
  epoch: z.int().min(0),
  // --- membership (issue 14) ---
  /** We are a member without the key of the epoch in use (a `locked-out` item in message/list says so) until an admin re-keys to us. */
  lockedOut: z.boolean().optional(),
  /** Our join was refused (`invite-expired`, `invite-used-up`, `no-invite`, ...; a `join-refused` item in message/list): we are not a member. */
  joinRefused: z.string().nullable().optional(),
  // --- group sync (issue 13; always present from this daemon) ---
  /** Open gaps: missing ranges of authors' sequence numbers (each a `gap` item in message/list). */
  gaps: z.int().min(0).optional(),
  /** Entries cited by held entries (as heads or prevs) and not held. */
  missing: z.int().min(0).optional(),
  /** Claims back-fill gave up on (no peer could fill them): recorded against their authors, never retried forever. */
  unfillable: z.int().min(0).optional(),
  /** Tamper evidence kept (equivocation, broken chain, ...). */
  evidence: z.int().min(0).optional(),
  /** Members the evidence proves equivocated or broke their chain: addresses (a signing key in hex when no certificate of it is held). */
  equivocators: z.array(z.string()).optional(),
});

/** Tamper evidence, as group/didChange names what was just kept. */
export const EvidenceNotice = z.object({
  /** protocol/sync/evidence.ts kind: 'equivocation', 'broken-chain', ... */
  kind: z.string(),
  /** Whom it proves against: an address (a signing key in hex when no certificate of it is held), or null when it is not an author (a pub). */
  author: z.string().nullable(),
});

/** One member as group/members shows it. */
export const GroupMember = z.object({
  address: OnionAddress,
  /** The contact's petname when the member is a contact, our own profile name for us, else null. */
  name: z.string().nullable(),
  role: Role,
  /** True while a peer link to the member is up (always true for ourselves). */
  online: z.boolean(),
});

/** One invite received over a peer link and not yet joined or declined. */
export const ReceivedInvite = z.object({
  /** Who sent it. */
  from: OnionAddress,
  /** The group's name, as the invite says. */
  name: z.string(),
  /** The invite string: group/join or group/decline it. */
  invite: z.string(),
  groupId: GroupId,
  /** When it arrived (ms since the epoch). */
  received: z.int().min(0),
});

/** The params of a method that takes none (absent params count as this). */
export const NoParams = z.strictObject({});
/** The result that says only "done" (not strict: a newer daemon may add members). */
export const EmptyResult = z.object({});
