/**
 * The roster base of a group joined without history (docs/groups.md, "Roster from a base"): a
 * joiner whose invite carries no earlier epochs cannot open any entry before the epoch it joins,
 * so its roster starts from the invite's checkpoint and member certificates (a version 3 invite)
 * instead of from the genesis.
 *
 * Stored in the profile's store, namespace `group-base`, id = group id [32], value:
 *   version u8 (0x01) || the binary invite (protocol/invite.ts, version 3)
 * written in the same synced batch as the group record when the group is joined; read on unlock.
 */
import type { Invite } from '../../../protocol/invite.js';
import { decodeInviteBytes, encodeInviteBytes, inviteRosterBase } from '../../../protocol/invite.js';
import type { RecordCodec } from '../../store/store.js';

/** The store namespace of roster bases. */
export const GROUP_BASE_NAMESPACE = 'group-base';
const BASE_RECORD_VERSION = 0x01;

/** The base an invite gives, or null when it needs none (protocol/invite.ts inviteRosterBase). */
export const rosterBaseOf = inviteRosterBase;

/** The stored base record: the invite it came from (verified when it was joined). */
export const baseRecordCodec: RecordCodec<Invite> = {
  what: 'group base record',
  // development: the record is ours and was accepted when joined (a loopback pub in tests)
  encode: (invite) => {
    const bytes = encodeInviteBytes(invite, { development: true });
    const out = new Uint8Array(1 + bytes.length);
    out[0] = BASE_RECORD_VERSION;
    out.set(bytes, 1);
    return out;
  },
  decode: (bytes) => {
    if (bytes.length < 2 || bytes[0] !== BASE_RECORD_VERSION) throw new RangeError('unknown group base record');
    return decodeInviteBytes(bytes.subarray(1), { development: true });
  },
};
