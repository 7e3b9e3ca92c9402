/**
 * The methods the daemon serves, one descriptor each (CONTRACT.md's table; docs/local-api.md
 * documents each with an example). Only methods something implements are listed; later issues
 * add theirs here. Params are strict objects (an unknown member is -32602); results are not
 * strict, so a newer daemon may add members without breaking an older client.
 */
import { z } from 'zod';
import { defineMethod } from './descriptor.js';
import { MEMBERSHIP_METHODS } from './membership.js';
import {
  AddressParam, Bootstrap, Contact, ContactMessage, ContactName, EmptyResult, EntryId, GROUP_PUBS_MAX, Group, GroupId, GroupMember, GroupName, InviteParam,
  MESSAGE_LIST_DEFAULT, MESSAGE_LIST_MAX, Message, MessageText, NoParams, OnionAddress, OnionState, Passphrase, ProfileName, PubAddressParam,
  ReceivedInvite, SinceSeq, TorState,
} from './schemas.js';

export const TorStatus = z.object({
  /** 'tor' normally; 'direct' on the development loopback transport (then state is 'off'). */
  transport: z.enum(['tor', 'direct']),
  bootstrap: Bootstrap,
  state: TorState,
  onion: OnionState,
});

export const ProfileStatus = z.object({
  /** null while locked. */
  address: OnionAddress.nullable(),
  /** null while locked. */
  name: z.string().nullable(),
  locked: z.boolean(),
});

/** A pub this daemon holds a subscription to (daemon/group-pubs): its link state. */
export const PubStatus = z.object({ address: z.string(), state: z.string(), lastError: z.string().nullable().optional() });
/** A peer this daemon links with (filled in by the issue that links peers). */
export const PeerStatus = z.object({ address: z.string(), state: z.string() });

/** Present only in development mode: what differs from what users get. */
export const DevelopmentStatus = z.object({
  /** The test-only low Argon2id cost is in use. */
  testKdf: z.boolean(),
  /** On the direct transport: the peer listener's ws://127.0.0.1:PORT while online, else null. */
  listener: z.string().nullable(),
});

export const daemonStatus = defineMethod({
  method: 'daemon/status',
  summary: "The daemon's version, tor and onion service state, and profile (address and name null while locked).",
  params: NoParams,
  result: z.object({
    version: z.string(),
    pid: z.int().min(1),
    tor: TorStatus,
    profile: ProfileStatus.nullable(),
    pubs: z.array(PubStatus),
    peers: z.array(PeerStatus),
    development: DevelopmentStatus.nullable(),
  }),
  errors: [],
});

export const daemonShutdown = defineMethod({
  method: 'daemon/shutdown',
  summary: 'Answers {} and then stops every service and exits.',
  params: NoParams,
  result: EmptyResult,
  errors: [],
});

export const profileCreate = defineMethod({
  method: 'profile/create',
  summary: 'Makes a new identity and profile in this home and leaves it unlocked.',
  params: z.strictObject({ name: ProfileName, passphrase: Passphrase }),
  result: z.object({ address: OnionAddress }),
  errors: ['ERR_PROFILE_EXISTS'],
});

export const profileUnlock = defineMethod({
  method: 'profile/unlock',
  summary: 'Opens the profile with its passphrase; the daemon goes online.',
  params: z.strictObject({ passphrase: Passphrase }),
  result: z.object({ address: OnionAddress }),
  errors: ['ERR_NO_PROFILE', 'ERR_BAD_PASSPHRASE'],
});

export const profileLock = defineMethod({
  method: 'profile/lock',
  summary: 'Wipes the keys from memory and takes the onion service down.',
  params: NoParams,
  result: EmptyResult,
  errors: ['ERR_NO_PROFILE'],
});

export const profileChangePassphrase = defineMethod({
  method: 'profile/changePassphrase',
  summary: 'Re-wraps the data key under a new passphrase (the data is not re-encrypted).',
  params: z.strictObject({ passphrase: Passphrase, newPassphrase: Passphrase }),
  result: EmptyResult,
  errors: ['ERR_NO_PROFILE', 'ERR_LOCKED', 'ERR_BAD_PASSPHRASE'],
});

export const eventSubscribe = defineMethod({
  method: 'event/subscribe',
  summary: 'Sends this connection every notification after `since` (replayed from the journal), then live ones.',
  params: z.strictObject({ since: SinceSeq.optional() }),
  result: z.object({
    /** How many notifications after `since` the journal no longer holds (0 when none were lost). */
    missed: z.int().min(0),
    /** The seq of the newest notification when the subscription started (0 if none yet). */
    latest: z.int().min(0),
  }),
  errors: ['ERR_LOCKED', 'ERR_NO_PROFILE', 'ERR_ALREADY_SUBSCRIBED'],
});

export const contactAdd = defineMethod({
  method: 'contact/add',
  summary: 'Sends a contact request to the address (state outgoing); on an incoming request from it, accepts it.',
  params: z.strictObject({ address: AddressParam, name: ContactName.optional(), message: ContactMessage.optional() }),
  result: z.object({ contact: Contact }),
  errors: ['ERR_BAD_ADDRESS', 'ERR_LOCKED', 'ERR_NO_PROFILE'],
});

export const contactAccept = defineMethod({
  method: 'contact/accept',
  summary: "Accepts the address's contact request; the requester is told over a link this daemon dials.",
  params: z.strictObject({ address: AddressParam }),
  result: z.object({ contact: Contact }),
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_FOUND', 'ERR_LOCKED', 'ERR_NO_PROFILE'],
});

export const contactBlock = defineMethod({
  method: 'contact/block',
  summary: 'Silences the address for good (a stranger gets a blocked row); it cannot tell.',
  params: z.strictObject({ address: AddressParam }),
  result: z.object({ contact: Contact }),
  errors: ['ERR_BAD_ADDRESS', 'ERR_LOCKED', 'ERR_NO_PROFILE'],
});

export const contactRemove = defineMethod({
  method: 'contact/remove',
  summary: 'Forgets the contact (its link is closed); a later request from it is a stranger\'s.',
  params: z.strictObject({ address: AddressParam }),
  result: EmptyResult,
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_FOUND', 'ERR_LOCKED', 'ERR_NO_PROFILE'],
});

export const contactList = defineMethod({
  method: 'contact/list',
  summary: 'Every contact: outgoing, incoming, accepted and blocked, with online and unread.',
  params: NoParams,
  result: z.object({ contacts: z.array(Contact) }),
  errors: ['ERR_LOCKED', 'ERR_NO_PROFILE'],
});

/**
 * The conversation a message/* method is about: a group (`groupId`) or a 1:1 contact
 * (`address`), exactly one of them.
 */
const CONVERSATION_ERROR = { message: 'name exactly one of groupId and address', path: ['groupId'] };
function oneConversation(v: { groupId?: string | undefined; address?: string | undefined }): boolean {
  return (v.groupId === undefined) !== (v.address === undefined);
}

export const messageSend = defineMethod({
  method: 'message/send',
  summary: 'Sends a message to a group or an accepted contact; answers once it is signed (or MACd) and durable in the outbox.',
  params: z
    .strictObject({ groupId: GroupId.optional(), address: AddressParam.optional(), text: MessageText, replyTo: EntryId.optional() })
    .refine(oneConversation, CONVERSATION_ERROR),
  result: z.object({ id: EntryId }),
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_FOUND', 'ERR_NOT_CONTACT', 'ERR_TOO_LONG', 'ERR_LOCKED', 'ERR_NO_PROFILE'],
});

export const messageList = defineMethod({
  method: 'message/list',
  summary: 'The messages (and, in groups, notices) of a group or a contact, oldest first, with the status of each.',
  params: z
    .strictObject({
      groupId: GroupId.optional(),
      address: AddressParam.optional(),
      before: EntryId.optional(),
      after: EntryId.optional(),
      limit: z.int().min(1).max(MESSAGE_LIST_MAX).default(MESSAGE_LIST_DEFAULT),
    })
    .refine(oneConversation, CONVERSATION_ERROR),
  result: z.object({ messages: z.array(Message) }),
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_FOUND', 'ERR_LOCKED', 'ERR_NO_PROFILE'],
});

export const messageMarkRead = defineMethod({
  method: 'message/markRead',
  summary: 'Marks everything up to and including `id` in a group or a 1:1 conversation as read.',
  params: z.strictObject({ groupId: GroupId.optional(), address: AddressParam.optional(), id: EntryId }).refine(oneConversation, CONVERSATION_ERROR),
  result: EmptyResult,
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_FOUND', 'ERR_LOCKED', 'ERR_NO_PROFILE'],
});

const GROUP_ERRORS = ['ERR_NOT_FOUND', 'ERR_LOCKED', 'ERR_NO_PROFILE'] as const;

export const groupCreate = defineMethod({
  method: 'group/create',
  summary: 'Founds a group on one or more pubs (writing its genesis entry); the caller is its admin.',
  params: z.strictObject({ name: GroupName, pubs: z.array(PubAddressParam).min(1).max(GROUP_PUBS_MAX) }),
  result: z.object({ groupId: GroupId }),
  errors: ['ERR_BAD_ADDRESS', 'ERR_LOCKED', 'ERR_NO_PROFILE'],
});

/** Invite expiry and uses (extensions of group/invite and group/exportInvite; defaults in docs/local-api.md). */
const INVITE_LIMITS = {
  /** ms from now until the invite admits no join: 1 minute..365 days; default 7 days. */
  expiresInMs: z.number().int().min(60_000).max(365 * 24 * 60 * 60 * 1000).optional(),
  /** Joins it admits, 1..1,000,000, or 0 for any number; default 1. */
  uses: z.number().int().min(0).max(1_000_000).optional(),
};

export const groupInvite = defineMethod({
  method: 'group/invite',
  summary:
    'Invites an accepted contact over the peer link (posting an invite entry); the contact decides whether to join. history (default true): the joiner reads the group\'s past; false: the group is re-keyed first (admins only) and the joiner reads only from the invite on. One use and 7 days unless uses / expiresInMs say otherwise.',
  params: z.strictObject({ groupId: GroupId, address: AddressParam, history: z.boolean().default(true), ...INVITE_LIMITS }),
  result: EmptyResult,
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_CONTACT', 'ERR_NOT_ADMIN', 'ERR_TOO_LONG', ...GROUP_ERRORS],
});

export const groupInvites = defineMethod({
  method: 'group/invites',
  summary: 'The invites received from contacts and not yet joined or declined, oldest first.',
  params: NoParams,
  result: z.object({ invites: z.array(ReceivedInvite) }),
  errors: ['ERR_LOCKED', 'ERR_NO_PROFILE'],
});

export const groupDecline = defineMethod({
  method: 'group/decline',
  summary: 'Forgets a received invite without joining (the inviter is not told).',
  params: z.strictObject({ invite: InviteParam }),
  result: EmptyResult,
  errors: ['ERR_BAD_INVITE', ...GROUP_ERRORS],
});

export const groupExportInvite = defineMethod({
  method: 'group/exportInvite',
  summary:
    'Posts an invite entry and answers the pasteable invite string (a secret: it reads the group). history (default true): the joiner reads the group\'s past; false: the group is re-keyed first (admins only) and the joiner reads only from the invite on. One use and 7 days unless uses / expiresInMs say otherwise.',
  params: z.strictObject({ groupId: GroupId, history: z.boolean().default(true), ...INVITE_LIMITS }),
  result: z.object({ invite: z.string() }),
  errors: ['ERR_NOT_ADMIN', ...GROUP_ERRORS],
});

export const groupJoin = defineMethod({
  method: 'group/join',
  summary: 'Joins the group of an invite string (posting the join entry with this profile\'s certificate).',
  params: z.strictObject({ invite: InviteParam }),
  result: z.object({ groupId: GroupId }),
  errors: ['ERR_BAD_INVITE', 'ERR_LOCKED', 'ERR_NO_PROFILE'],
});

export const groupList = defineMethod({
  method: 'group/list',
  summary: 'Every group this profile is in: name, pubs and their states, member count, unread, own role.',
  params: NoParams,
  result: z.object({ groups: z.array(Group) }),
  errors: ['ERR_LOCKED', 'ERR_NO_PROFILE'],
});

export const groupMembers = defineMethod({
  method: 'group/members',
  summary: "A group's members (from its log's roster), with role and whether a peer link to each is up.",
  params: z.strictObject({ groupId: GroupId }),
  result: z.object({ members: z.array(GroupMember) }),
  errors: [...GROUP_ERRORS],
});

export const groupSetSettings = defineMethod({
  method: 'group/setSettings',
  summary: "This member's own settings for a group: peerSync (default true) lets members sync this group's log over peer links.",
  params: z.strictObject({ groupId: GroupId, peerSync: z.boolean().optional() }),
  result: EmptyResult,
  errors: [...GROUP_ERRORS],
});

export const rpcDiscover = defineMethod({
  method: 'rpc.discover',
  summary: 'The OpenRPC document of this API.',
  params: NoParams,
  result: z.looseObject({
    openrpc: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    methods: z.array(z.looseObject({ name: z.string() })),
  }),
  errors: [],
});

/** Every method, by name. */
export const METHODS = {
  [daemonStatus.method]: daemonStatus,
  [daemonShutdown.method]: daemonShutdown,
  [profileCreate.method]: profileCreate,
  [profileUnlock.method]: profileUnlock,
  [profileLock.method]: profileLock,
  [profileChangePassphrase.method]: profileChangePassphrase,
  [eventSubscribe.method]: eventSubscribe,
  [contactAdd.method]: contactAdd,
  [contactAccept.method]: contactAccept,
  [contactBlock.method]: contactBlock,
  [contactRemove.method]: contactRemove,
  [contactList.method]: contactList,
  [messageSend.method]: messageSend,
  [messageList.method]: messageList,
  [messageMarkRead.method]: messageMarkRead,
  [groupCreate.method]: groupCreate,
  [groupInvite.method]: groupInvite,
  [groupInvites.method]: groupInvites,
  [groupDecline.method]: groupDecline,
  [groupExportInvite.method]: groupExportInvite,
  [groupJoin.method]: groupJoin,
  [groupList.method]: groupList,
  [groupMembers.method]: groupMembers,
  [groupSetSettings.method]: groupSetSettings,
  [rpcDiscover.method]: rpcDiscover,
  ...MEMBERSHIP_METHODS,
} as const;

export type Methods = typeof METHODS;
export type MethodName = keyof Methods;
export type AnyMethod = Methods[MethodName];

export function isMethodName(value: unknown): value is MethodName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(METHODS, value);
}
