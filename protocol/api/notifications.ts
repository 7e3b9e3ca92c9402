/**
 * The notifications the daemon sends to a subscribed connection (event/subscribe), one
 * descriptor each. Every notification's params carry `seq`, which increases by one per
 * notification and survives a restart. Only notifications something sends are listed. Params
 * are not strict: the daemon writes them, and a newer daemon may add members.
 */
import { z } from 'zod';
import { defineNotification } from './descriptor.js';
import { Bootstrap, Contact, EntryId, Message, OnionAddress, OnionState, Seq, TorState } from './schemas.js';

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
  summary: 'A 1:1 message arrived from a contact (it is durable here and acknowledged).',
  params: z.object({ seq: Seq, address: OnionAddress, message: Message }),
});

export const messageDidChange = defineNotification({
  method: 'message/didChange',
  summary: "One of our 1:1 messages changed status: sent, or delivered (the contact acknowledged it).",
  params: z.object({ seq: Seq, address: OnionAddress, id: EntryId, status: z.enum(['outbox', 'sent', 'delivered']) }),
});

/** Every notification, by name. */
export const NOTIFICATIONS = {
  [torDidProgress.method]: torDidProgress,
  [contactDidRequest.method]: contactDidRequest,
  [contactDidChange.method]: contactDidChange,
  [messageDidReceive.method]: messageDidReceive,
  [messageDidChange.method]: messageDidChange,
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
