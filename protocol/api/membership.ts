/**
 * The membership and moderation methods (issue 14; CONTRACT.md's table): removing a member with
 * a re-key, leaving, roles, pubs, hiding, and reactions, edits and deletes. Registered in
 * methods.ts METHODS beside the group methods; documented in docs/local-api.md.
 */
import { z } from 'zod';
import { defineMethod } from './descriptor.js';
import { AddressParam, EmptyResult, EntryId, GROUP_PUBS_MAX, GroupId, MessageText, PubAddressParam, Role } from './schemas.js';

const GROUP_ERRORS = ['ERR_NOT_FOUND', 'ERR_LOCKED', 'ERR_NO_PROFILE'] as const;

/** The longest reaction, in UTF-8 bytes (protocol/constants.ts REACTION_MAX_BYTES); longer is ERR_TOO_LONG. */
export const REACTION_MAX_BYTES = 64;
/** A reaction: a short string (an emoji); empty withdraws. */
export const Reaction = z.string();

const CONVERSATION_ERROR = { message: 'name exactly one of groupId and address', path: ['groupId'] };
function oneConversation(v: { groupId?: string | undefined; address?: string | undefined }): boolean {
  return (v.groupId === undefined) !== (v.address === undefined);
}

export const groupRemoveMember = defineMethod({
  method: 'group/removeMember',
  summary: 'Removes a member and re-keys the group (admins): one remove-and-re-key entry sealing a new epoch to everyone else.',
  params: z.strictObject({ groupId: GroupId, address: AddressParam }),
  result: EmptyResult,
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_ADMIN', 'ERR_NOT_MEMBER', 'ERR_LAST_ADMIN', ...GROUP_ERRORS],
});

export const groupLeave = defineMethod({
  method: 'group/leave',
  summary: 'Leaves the group (a leave entry); the last admin names a member to make admin first (`successor`).',
  params: z.strictObject({ groupId: GroupId, successor: AddressParam.optional() }),
  result: EmptyResult,
  errors: ['ERR_BAD_ADDRESS', 'ERR_LAST_ADMIN', 'ERR_NOT_MEMBER', ...GROUP_ERRORS],
});

export const groupSetRole = defineMethod({
  method: 'group/setRole',
  summary: 'Makes a member an admin or an ordinary member (admins; a role entry).',
  params: z.strictObject({ groupId: GroupId, address: AddressParam, role: Role }),
  result: EmptyResult,
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_ADMIN', 'ERR_NOT_MEMBER', 'ERR_LAST_ADMIN', ...GROUP_ERRORS],
});

export const groupSetPubs = defineMethod({
  method: 'group/setPubs',
  summary: "Replaces the group's pub list (admins; a pub-list entry): members post to and subscribe at the new pubs.",
  params: z.strictObject({ groupId: GroupId, pubs: z.array(PubAddressParam).min(1).max(GROUP_PUBS_MAX) }),
  result: EmptyResult,
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_ADMIN', ...GROUP_ERRORS],
});

export const messageHide = defineMethod({
  method: 'message/hide',
  summary: 'Hides a message: for this member only, or with `forAll` (admins) for everyone by a signed hide entry.',
  params: z.strictObject({ groupId: GroupId, id: EntryId, forAll: z.boolean().default(false) }),
  result: EmptyResult,
  errors: ['ERR_NOT_ADMIN', ...GROUP_ERRORS],
});

export const messageReact = defineMethod({
  method: 'message/react',
  summary: "Reacts to a message (one reaction per member per message; the latest counts; empty withdraws).",
  params: z
    .strictObject({ groupId: GroupId.optional(), address: AddressParam.optional(), id: EntryId, reaction: Reaction })
    .refine(oneConversation, CONVERSATION_ERROR),
  result: z.object({ id: EntryId }),
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_CONTACT', 'ERR_TOO_LONG', ...GROUP_ERRORS],
});

export const messageEdit = defineMethod({
  method: 'message/edit',
  summary: "Replaces the text of one of this member's own messages (an edit entry).",
  params: z
    .strictObject({ groupId: GroupId.optional(), address: AddressParam.optional(), id: EntryId, text: MessageText })
    .refine(oneConversation, CONVERSATION_ERROR),
  result: z.object({ id: EntryId }),
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_CONTACT', 'ERR_NOT_AUTHOR', 'ERR_TOO_LONG', ...GROUP_ERRORS],
});

export const messageDelete = defineMethod({
  method: 'message/delete',
  summary: "Deletes one of this member's own messages for everyone (a delete entry).",
  params: z
    .strictObject({ groupId: GroupId.optional(), address: AddressParam.optional(), id: EntryId })
    .refine(oneConversation, CONVERSATION_ERROR),
  result: z.object({ id: EntryId }),
  errors: ['ERR_BAD_ADDRESS', 'ERR_NOT_CONTACT', 'ERR_NOT_AUTHOR', ...GROUP_ERRORS],
});

/** The membership methods, by name (spread into METHODS). */
export const MEMBERSHIP_METHODS = {
  [groupRemoveMember.method]: groupRemoveMember,
  [groupLeave.method]: groupLeave,
  [groupSetRole.method]: groupSetRole,
  [groupSetPubs.method]: groupSetPubs,
  [messageHide.method]: messageHide,
  [messageReact.method]: messageReact,
  [messageEdit.method]: messageEdit,
  [messageDelete.method]: messageDelete,
} as const;
