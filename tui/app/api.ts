/**
 * The calls the UI makes, validated at the edge into its own types (tui/app/types.ts). Methods
 * this version of protocol/api describes are checked against their descriptors; the others
 * (those a newer daemon may offer) against the shapes CONTRACT.md gives them. A daemon that does
 * not offer a method answers ERR_METHOD_NOT_FOUND, which the UI shows in words.
 */
import { z } from 'zod';
import { Contact, Message, METHODS, type MethodName } from '../../protocol/api/index.js';
import { ApiTransportError } from '../../daemon/api/errors.js';
import type { DaemonLink } from '../link/daemon-link.js';
import type { ContactRow, GroupRow, InviteRow, Item, Target } from '../model/types.js';

const GroupSchema = z.object({
  groupId: z.string(),
  name: z.string(),
  unread: z.int().min(0).default(0),
  members: z.int().min(0).default(0),
  role: z.string().default('member'),
  pubs: z.array(z.string()).default([]),
  gaps: z.int().min(0).default(0),
  missing: z.int().min(0).default(0),
  unfillable: z.int().min(0).default(0),
  evidence: z.int().min(0).default(0),
  equivocators: z.array(z.string()).default([]),
});
const InviteSchema = z.object({ from: z.string(), name: z.string(), invite: z.string() });
const ItemSchema = Message.extend({
  status: z.string(),
  pubs: z.object({ accepted: z.int().min(0), total: z.int().min(0) }).optional(),
  edited: z.boolean().optional(),
  deleted: z.boolean().optional(),
  hidden: z.object({ by: z.enum(['admin', 'me']) }).loose().optional(),
  reactions: z.array(z.object({ reaction: z.string(), count: z.int().min(1), mine: z.boolean() })).optional(),
  replyTo: z.string().optional(),
}).loose();

const schemas = {
  groupList: z.object({ groups: z.array(GroupSchema) }),
  groupInvites: z.object({ invites: z.array(InviteSchema) }),
  groupCreate: z.object({ groupId: z.string() }),
  groupJoin: z.object({ groupId: z.string() }),
  exportInvite: z.object({ invite: z.string() }),
  members: z.object({ members: z.array(z.object({ address: z.string(), name: z.string().nullable().optional(), role: z.string().optional() })) }),
  messages: z.object({ messages: z.array(ItemSchema) }),
  id: z.object({ id: z.string() }),
};

/** One call, its result checked: by the method's descriptor when this version has one, else by `schema`. */
export async function callChecked<T>(link: DaemonLink, method: string, params: unknown, schema: z.ZodType<T>): Promise<T> {
  const result = await link.call(method, params);
  const described = Object.prototype.hasOwnProperty.call(METHODS, method) ? METHODS[method as MethodName].result.safeParse(result) : null;
  if (described && !described.success) throw new ApiTransportError('ERR_API_PROTOCOL', `the daemon's result for ${method} does not match this version's schema`);
  const checked = schema.safeParse(result);
  if (!checked.success) throw new ApiTransportError('ERR_API_PROTOCOL', `the daemon's result for ${method} is not what this UI expects`);
  return checked.data;
}

export function toItem(m: z.output<typeof ItemSchema>): Item {
  const status = m.status === 'outbox' || m.status === 'sent' || m.status === 'delivered' || m.status === 'received' ? m.status : 'received';
  return { id: m.id, kind: m.kind, author: m.author ?? '', ts: m.ts, text: m.text, status, pubs: m.pubs, edited: m.edited, deleted: m.deleted, hidden: m.hidden?.by, reactions: m.reactions, replyTo: m.replyTo };
}

export function parseItem(value: unknown): Item | null {
  const r = ItemSchema.safeParse(value);
  return r.success ? toItem(r.data) : null;
}

export function parseContact(value: unknown): ContactRow | null {
  const r = Contact.safeParse(value);
  return r.success ? r.data : null;
}

export function parseGroup(value: unknown): GroupRow | null {
  const r = GroupSchema.safeParse(value);
  return r.success ? r.data : null;
}

export function parseInvite(value: unknown): InviteRow | null {
  const r = InviteSchema.safeParse(value);
  return r.success ? r.data : null;
}

export async function listContacts(link: DaemonLink): Promise<ContactRow[]> {
  return (await callChecked(link, 'contact/list', undefined, z.object({ contacts: z.array(Contact) }))).contacts;
}

export async function listGroups(link: DaemonLink): Promise<GroupRow[]> {
  return (await callChecked(link, 'group/list', undefined, schemas.groupList)).groups;
}

export async function listInvites(link: DaemonLink): Promise<InviteRow[]> {
  return (await callChecked(link, 'group/invites', undefined, schemas.groupInvites)).invites;
}

export async function listMessages(link: DaemonLink, target: Target, page: { before?: string; after?: string; limit: number }): Promise<Item[]> {
  const r = await callChecked(link, 'message/list', { ...target, ...page }, schemas.messages);
  return r.messages.map(toItem);
}

export async function sendMessage(link: DaemonLink, target: Target, text: string): Promise<string> {
  return (await callChecked(link, 'message/send', { ...target, text }, schemas.id)).id;
}

export async function editMessage(link: DaemonLink, target: Target, id: string, text: string): Promise<string> {
  return (await callChecked(link, 'message/edit', { ...target, id, text }, schemas.id)).id;
}

export async function markRead(link: DaemonLink, target: Target, id: string): Promise<void> {
  await link.call('message/markRead', { ...target, id });
}

export async function createGroup(link: DaemonLink, name: string, pubs: readonly string[]): Promise<string> {
  return (await callChecked(link, 'group/create', { name, pubs }, schemas.groupCreate)).groupId;
}

export async function joinGroup(link: DaemonLink, invite: string): Promise<string> {
  return (await callChecked(link, 'group/join', { invite }, schemas.groupJoin)).groupId;
}

export async function exportInvite(link: DaemonLink, groupId: string): Promise<string> {
  return (await callChecked(link, 'group/exportInvite', { groupId }, schemas.exportInvite)).invite;
}

export async function groupMembers(link: DaemonLink, groupId: string): Promise<Array<{ address: string; name?: string | null | undefined }>> {
  return (await callChecked(link, 'group/members', { groupId }, schemas.members)).members;
}

export const METHOD_LIST = z.object({ methods: z.array(z.looseObject({ name: z.string() })) });
