/**
 * A contact record, one sealed record in the profile's store per address (namespace
 * "contacts", id the address's 32-byte identity key):
 *
 *   version u8 (0x01) | identity key [32] | state u8 | flags u8 | created u64 | updated u64 |
 *   last seen u64 (0: never) | unread u32 | petname: u16 len + UTF-8 | proposed name: u16 len +
 *   UTF-8 | message: u16 len + UTF-8
 *
 * state: 1 outgoing, 2 incoming, 3 accepted, 4 blocked. flags: bit 0 "the request was delivered"
 * (outgoing: the other side answered it, so it is not sent again). Empty strings stand for
 * "none". `message` is ours for an outgoing request (sent with each attempt) and theirs for an
 * incoming one. Decoding checks every field; a record that does not is ERR_CONTACT_RECORD_INVALID.
 */
import { ByteReader, ByteWriter, bytesEqual, isWellFormedText, utf8Decode, utf8Encode } from '../../protocol/bytes.js';
import { type OnionAddress, onionAddressFromPublicKey, publicKeyFromOnionAddress } from '../../protocol/identity.js';
import type { RecordCodec } from '../store/store.js';
import { CONTACT_MESSAGE_MAX_BYTES, CONTACT_NAME_MAX_BYTES } from './constants.js';
import { ContactError, ContactErrorCode } from './errors.js';

export const CONTACT_RECORD_VERSION = 0x01;

export type ContactState = 'outgoing' | 'incoming' | 'accepted' | 'blocked';
const STATE_CODES: Readonly<Record<ContactState, number>> = { outgoing: 1, incoming: 2, accepted: 3, blocked: 4 };
const STATES_BY_CODE = new Map(Object.entries(STATE_CODES).map(([k, v]) => [v, k as ContactState]));

const FLAG_DELIVERED = 0x01;

export interface ContactRecord {
  readonly address: OnionAddress;
  readonly state: ContactState;
  /** Outgoing: the other side answered our request (it is not sent again). */
  readonly delivered: boolean;
  readonly created: number;
  readonly updated: number;
  /** When a link last came up (ms), or null. */
  readonly lastSeen: number | null;
  readonly unread: number;
  /** The user's own name for the contact. */
  readonly petname: string | null;
  /** What the contact proposed as its name in its request. */
  readonly proposedName: string | null;
  /** Outgoing: the message we send with the request; incoming: theirs. */
  readonly message: string | null;
}

/** The store id of an address: its identity key. */
export function contactId(address: string): Uint8Array {
  return publicKeyFromOnionAddress(address);
}

function checkText(value: string | null, max: number, what: string): string {
  const text = value ?? '';
  // eslint-disable-next-line no-control-regex
  if (!isWellFormedText(text) || /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text)) {
    throw new ContactError(ContactErrorCode.RECORD_INVALID, `a contact's ${what} is text without control characters`);
  }
  if (utf8Encode(text).length > max) throw new ContactError(ContactErrorCode.RECORD_INVALID, `a contact's ${what} is at most ${max} bytes`);
  return text;
}

function nullable(text: string): string | null {
  return text === '' ? null : text;
}

export const contactRecordCodec: RecordCodec<ContactRecord> = {
  what: 'contact record',
  encode(c: ContactRecord): Uint8Array {
    return new ByteWriter(128)
      .u8(CONTACT_RECORD_VERSION)
      .fixed(contactId(c.address), 32)
      .u8(STATE_CODES[c.state])
      .u8(c.delivered ? FLAG_DELIVERED : 0)
      .u64(c.created)
      .u64(c.updated)
      .u64(c.lastSeen ?? 0)
      .u32(c.unread)
      .bytes16(utf8Encode(checkText(c.petname, CONTACT_NAME_MAX_BYTES, 'petname')), CONTACT_NAME_MAX_BYTES)
      .bytes16(utf8Encode(checkText(c.proposedName, CONTACT_NAME_MAX_BYTES, 'proposed name')), CONTACT_NAME_MAX_BYTES)
      .bytes16(utf8Encode(checkText(c.message, CONTACT_MESSAGE_MAX_BYTES, 'message')), CONTACT_MESSAGE_MAX_BYTES)
      .finish();
  },
  decode(bytes: Uint8Array): ContactRecord {
    const r = new ByteReader(bytes);
    const version = r.u8('contact record version');
    if (version !== CONTACT_RECORD_VERSION) throw new ContactError(ContactErrorCode.RECORD_INVALID, `contact record version ${version}`);
    const key = r.fixed(32, 'identity key');
    const address = onionAddressFromPublicKey(key);
    const state = STATES_BY_CODE.get(r.u8('state'));
    if (state === undefined) throw new ContactError(ContactErrorCode.RECORD_INVALID, 'an unknown contact state');
    const flags = r.u8('flags');
    if ((flags & ~FLAG_DELIVERED) !== 0) throw new ContactError(ContactErrorCode.RECORD_INVALID, 'unknown contact flags');
    const created = r.u64('created');
    const updated = r.u64('updated');
    const lastSeen = r.u64('last seen');
    const unread = r.u32('unread');
    const petname = checkText(utf8Decode(r.bytes16(CONTACT_NAME_MAX_BYTES, 'petname'), 'petname'), CONTACT_NAME_MAX_BYTES, 'petname');
    const proposedName = checkText(utf8Decode(r.bytes16(CONTACT_NAME_MAX_BYTES, 'proposed name'), 'proposed name'), CONTACT_NAME_MAX_BYTES, 'proposed name');
    const message = checkText(utf8Decode(r.bytes16(CONTACT_MESSAGE_MAX_BYTES, 'message'), 'message'), CONTACT_MESSAGE_MAX_BYTES, 'message');
    r.end('contact record');
    if (!bytesEqual(contactId(address), key)) throw new ContactError(ContactErrorCode.RECORD_INVALID, 'a contact key that is not an address');
    return {
      address,
      state,
      delivered: (flags & FLAG_DELIVERED) !== 0,
      created,
      updated,
      lastSeen: lastSeen === 0 ? null : lastSeen,
      unread,
      petname: nullable(petname),
      proposedName: nullable(proposedName),
      message: nullable(message),
    };
  },
};
