/**
 * What each membership and moderation method writes, decided from the roster and the log
 * before anything is signed: the entry contents to author, or the API error that refuses the
 * request (ERR_NOT_ADMIN, ERR_NOT_AUTHOR, ERR_NOT_MEMBER, ERR_LAST_ADMIN, ERR_NOT_FOUND,
 * ERR_TOO_LONG). Pure: the handlers (handlers.ts) fetch the roster and author the result.
 *
 * The roster's own rules (protocol/roster.ts) would ignore an entry that claims a power its
 * author lacks; these checks refuse such a request up front, so a member never posts an entry
 * the group will ignore, and say why in the API's terms.
 */
import { ApiError } from '../../../protocol/api/errors.js';
import { bytesEqual, utf8Encode } from '../../../protocol/bytes.js';
import { REACTION_MAX_BYTES } from '../../../protocol/constants.js';
import type { EntryContent } from '../../../protocol/entry.js';
import { publicKeyFromOnionAddress } from '../../../protocol/identity.js';
import type { Member, Roster } from '../../../protocol/roster.js';

/** Who is asking: this profile's identity key and profile signing key. */
export interface Me {
  readonly identityKey: Uint8Array;
  readonly signingKey: Uint8Array;
}

/** The roster member with this onion address, or null. */
export function memberByAddress(roster: Roster, address: string): Member | null {
  const key = publicKeyFromOnionAddress(address);
  return roster.members.find((m) => bytesEqual(m.identityKey, key)) ?? null;
}

function myMember(roster: Roster, me: Me): Member {
  const m = roster.members.find((x) => bytesEqual(x.identityKey, me.identityKey));
  if (m === undefined) throw new ApiError('ERR_NOT_MEMBER', 'this profile is not a member of the group');
  return m;
}

function requireAdmin(roster: Roster, me: Me): void {
  if (myMember(roster, me).role !== 'admin') throw new ApiError('ERR_NOT_ADMIN');
}

function requireMember(roster: Roster, address: string): Member {
  const m = memberByAddress(roster, address);
  if (m === null) throw new ApiError('ERR_NOT_MEMBER');
  return m;
}

/** group/removeMember: the identity key to remove (the re-key itself is protocol/rekey.ts buildRekey). */
export function planRemove(roster: Roster, me: Me, address: string): Uint8Array {
  requireAdmin(roster, me);
  const target = requireMember(roster, address);
  if (target.role === 'admin' && roster.admins.length === 1) throw new ApiError('ERR_LAST_ADMIN');
  return target.identityKey;
}

/**
 * group/leave: the entries to author, in order: a role entry making `successor` an admin when
 * this member is the last admin (ERR_LAST_ADMIN without one), then the leave.
 */
export function planLeave(roster: Roster, me: Me, successor?: string): EntryContent[] {
  const mine = myMember(roster, me);
  const out: EntryContent[] = [];
  if (mine.role === 'admin' && roster.admins.length === 1) {
    if (successor === undefined) throw new ApiError('ERR_LAST_ADMIN');
    const next = requireMember(roster, successor);
    if (bytesEqual(next.identityKey, me.identityKey)) throw new ApiError('ERR_LAST_ADMIN', 'name another member as successor');
    out.push({ kind: 'role', member: next.identityKey, role: 'admin' });
  } else if (successor !== undefined) {
    requireMember(roster, successor);
  }
  out.push({ kind: 'leave' });
  return out;
}

/** group/setRole: the role entry. */
export function planSetRole(roster: Roster, me: Me, address: string, role: 'admin' | 'member'): EntryContent {
  requireAdmin(roster, me);
  const target = requireMember(roster, address);
  if (target.role === 'admin' && role === 'member' && roster.admins.length === 1) throw new ApiError('ERR_LAST_ADMIN');
  return { kind: 'role', member: target.identityKey, role };
}

/** group/setPubs: the pub-list entry. */
export function planSetPubs(roster: Roster, me: Me, pubs: readonly string[]): EntryContent {
  requireAdmin(roster, me);
  return { kind: 'pubs', pubs: [...new Set(pubs)] };
}

/** What the log knows of a message a moderation or reaction names. */
export interface TargetInfo {
  /** The target's author key (profile signing key in groups, identity key in 1:1). */
  readonly author: Uint8Array;
  /** Whether it is a text or a reply (what edit, delete and reactions act on). */
  readonly isMessage: boolean;
}

function requireMessage(target: TargetInfo | null): TargetInfo {
  if (target === null || !target.isMessage) throw new ApiError('ERR_NOT_FOUND', 'no such message');
  return target;
}

/** message/hide: with forAll (admins only), the hide entry for `id`; without, null (kept locally). */
export function planHide(roster: Roster, me: Me, target: TargetInfo | null, id: Uint8Array, forAll: boolean): EntryContent | null {
  if (target === null) throw new ApiError('ERR_NOT_FOUND', 'no such entry');
  if (!forAll) return null;
  requireAdmin(roster, me);
  return { kind: 'hide', target: id };
}

/** message/react: the reaction entry (any member; 0..64 UTF-8 bytes). */
export function planReact(target: TargetInfo | null, id: Uint8Array, reaction: string): EntryContent {
  requireMessage(target);
  if (utf8Encode(reaction).length > REACTION_MAX_BYTES) throw new ApiError('ERR_TOO_LONG', `a reaction is at most ${REACTION_MAX_BYTES} UTF-8 bytes`);
  return { kind: 'reaction', target: id, reaction };
}

/** message/edit: the edit entry (own messages only). */
export function planEdit(target: TargetInfo | null, myAuthorKey: Uint8Array, id: Uint8Array, text: string): EntryContent {
  const t = requireMessage(target);
  if (!bytesEqual(t.author, myAuthorKey)) throw new ApiError('ERR_NOT_AUTHOR');
  return { kind: 'edit', target: id, text };
}

/** message/delete: the delete entry (own messages only). */
export function planDelete(target: TargetInfo | null, myAuthorKey: Uint8Array, id: Uint8Array): EntryContent {
  const t = requireMessage(target);
  if (!bytesEqual(t.author, myAuthorKey)) throw new ApiError('ERR_NOT_AUTHOR');
  return { kind: 'delete', target: id };
}
