/**
 * The notifications the daemon sends to a subscribed connection (event/subscribe), one
 * descriptor each. Every notification's params carry `seq`, which increases by one per
 * notification and survives a restart. Only notifications something sends are listed. Params
 * are not strict: the daemon writes them, and a newer daemon may add members.
 */
import { z } from 'zod';
import { defineNotification } from './descriptor.js';
import { Bootstrap, Contact, EntryId, EvidenceNotice, Group, GroupId, Message, MessageStatus, OnionAddress, OnionState, PubCounts, PubLinkState, ReceivedInvite, Seq, TorState } from './schemas.js';

export const torDidProgress = defineNotification({
  method: 'tor/didProgress',
  summary: "tor's bootstrap percentage, its state or the onion service's state changed.",
  params: z.object({
    seq: Seq,
    bootstrap: Bootstrap,
    state: TorState,
    onion: OnionState,
    /** tor's own words for the bootstrap phase (e.g. "Done"), when it gave some. */
    summary: z.string().max(256).optional(),
  }),
});

export const contactDidRequest = defineNotification({
  method: 'contact/didRequest',
  summary: 'A stranger asked to be a contact: it shows as incoming, with the name and message it proposed.',
  params: z.object({
    seq: Seq,
    address: OnionAddress,
    /** The name the requester proposed (theirs, not a petname). */
    proposedName: z.string().nullable(),
    message: z.string().nullable(),
  }),
});

export const contactDidChange = defineNotification({
  method: 'contact/didChange',
  summary: "A contact's state, name, online or unread changed; contact is null once it was removed.",
  params: z.object({ seq: Seq, address: OnionAddress, contact: Contact.nullable() }),
});

export const messageDidReceive = defineNotification({
  method: 'message/didReceive',
  summary: 'A message (or a notice) arrived in a group or from a contact; it is durable here.',
  params: z.object({
    seq: Seq,
    /** The contact, for a 1:1 message (absent for a group's). */
    address: OnionAddress.optional(),
    /** The group, for a group's message (absent for a 1:1 one). */
    groupId: GroupId.optional(),
    message: Message,
  }),
});

export const messageDidChange = defineNotification({
  method: 'message/didChange',
  summary: 'One of our messages changed: its status, on how many pubs it is, or its id (re-made under a new epoch).',
  params: z.object({
    seq: Seq,
    address: OnionAddress.optional(),
    groupId: GroupId.optional(),
    /** The id the message had until now. */
    id: EntryId,
    status: MessageStatus.exclude(['received']),
    /** Groups: on how many of the group's pubs it is. */
    pubs: PubCounts.optional(),
    /** Present when the message was re-made (a new entry under a new epoch): its id from now on. */
    newId: EntryId.optional(),
  }),
});

export const groupDidInvite = defineNotification({
  method: 'group/didInvite',
  summary: 'A contact invited us to a group (see group/invites): group/join it or group/decline it.',
  params: z.object({ seq: Seq, invite: ReceivedInvite }),
});

export const groupDidChange = defineNotification({
  method: 'group/didChange',
  summary: "A group's name, pubs, members, unread count, our role, its open gaps or its tamper evidence changed; group is null once we are no longer in it; evidence names evidence just kept.",
  params: z.object({ seq: Seq, groupId: GroupId, group: Group.nullable(), evidence: EvidenceNotice.optional() }),
});

export const pubDidChange = defineNotification({
  method: 'pub/didChange',
  summary: "A pub link's state changed (connecting, catching-up, live, failing with its last error).",
  params: z.object({ seq: Seq, address: z.string(), state: PubLinkState, lastError: z.string().nullable() }),
});

export const messageDidUpdate = defineNotification({
  method: 'message/didUpdate',
  summary: "A message's view changed: an edit, a delete, a hide or a reaction arrived (or was made here); `message` is the item as message/list now shows it.",
  params: z.object({
    seq: Seq,
    /** The group, for a group's message; `address` for a 1:1 one. */
    groupId: GroupId.optional(),
    address: OnionAddress.optional(),
    message: Message,
  }),
});

/** Every notification, by name. */
export const NOTIFICATIONS = {
  [torDidProgress.method]: torDidProgress,
  [contactDidRequest.method]: contactDidRequest,
  [contactDidChange.method]: contactDidChange,
  [messageDidReceive.method]: messageDidReceive,
  [messageDidChange.method]: messageDidChange,
  [groupDidInvite.method]: groupDidInvite,
  [groupDidChange.method]: groupDidChange,
  [pubDidChange.method]: pubDidChange,
  [messageDidUpdate.method]: messageDidUpdate,
} as const;

export type Notifications = typeof NOTIFICATIONS;
export type NotificationName = keyof Notifications;
export type AnyNotification = Notifications[NotificationName];

/** A notification's params, `seq` included. */
export type NotificationParams<N extends NotificationName> = z.output<Notifications[N]['params']>;
/** What a publisher gives the journal: the params without `seq` (the journal assigns it). */
export type NotificationBody<N extends NotificationName> = Omit<NotificationParams<N>, 'seq'>;

/** One notification as the journal stores it and the server sends it (without `jsonrpc`). */
export type Notification = { [N in NotificationName]: { readonly method: N; readonly params: NotificationParams<N> } }[NotificationName];

export function isNotificationName(value: unknown): value is NotificationName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(NOTIFICATIONS, value);
}
