/**
 * Invites: the pasteable text form of everything needed to join a group
 * (docs/protocol.md, "Invite").
 *
 *   text    = "snug1" || base32(payload)                 (RFC 4648 lowercase, no padding)
 *   payload = version u8 (0x01) || secret [32] || nameLength u8 || name (UTF-8, 1..128) ||
 *             pubCount u8 (0..16) || pub* || checksum [4]
 *   pub     = 0x01 || onion public key [32]              "<56 chars>.onion"
 *           | 0x02 || port u16 (1..65535)                "ws://127.0.0.1:PORT" (development)
 *   checksum = BLAKE2b-256(key = "snug/v1/invite-checksum", all payload bytes before it)[0:4]
 *
 * Pubs keep their order (a preference) and must be distinct.
 */
import { base32Decode, base32Encode } from './base32.js';
import { ByteReader, ByteWriter, bytesEqual, isWellFormedText, utf8Decode, utf8Encode } from './bytes.js';
import { ED25519_PUBLIC_KEY_BYTES, labelledHash } from './crypto.js';
import {
  GROUP_NAME_MAX_BYTES,
  GROUP_SECRET_BYTES,
  INVITE_CHECKSUM_BYTES,
  INVITE_PUBS_MAX,
  INVITE_TEXT_PREFIX,
  INVITE_VERSION,
  LABEL_INVITE_CHECKSUM,
} from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { onionAddressFromPublicKey, publicKeyFromOnionAddress } from './identity.js';

/** Tag of a pub address in binary form. */
export const PubAddressType = { ONION: 0x01, LOOPBACK_WS: 0x02 } as const;

export interface Invite {
  /** The 32-byte group secret. */
  readonly secret: Uint8Array;
  /** The group's name, 1..128 UTF-8 bytes. */
  readonly name: string;
  /** Pub addresses in canonical text form: "<56 chars>.onion" or "ws://127.0.0.1:PORT". */
  readonly pubs: readonly string[];
}

/** The largest binary invite. */
const INVITE_MAX_BYTES = 1 + GROUP_SECRET_BYTES + 1 + GROUP_NAME_MAX_BYTES + 1 + INVITE_PUBS_MAX * (1 + 32) + INVITE_CHECKSUM_BYTES;
/** The longest invite text. */
const INVITE_TEXT_MAX_CHARS = INVITE_TEXT_PREFIX.length + Math.ceil((INVITE_MAX_BYTES * 8) / 5);

const LOOPBACK_RE = /^ws:\/\/127\.0\.0\.1:([1-9][0-9]{0,4})$/;

function malformed(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.MALFORMED, message);
}

/**
 * Parses a pub address into its canonical text and binary form. Accepts a v3 onion address
 * (with or without ".onion") or, for development, "ws://127.0.0.1:PORT" (PORT 1..65535, no
 * leading zeros).
 */
export function parsePubAddress(address: string): { text: string; bytes: Uint8Array } {
  const m = LOOPBACK_RE.exec(address);
  if (m !== null) {
    const port = Number(m[1]);
    if (port > 0xffff) throw malformed('loopback pub port must be 1..65535');
    return { text: `ws://127.0.0.1:${port}`, bytes: new ByteWriter(3).u8(PubAddressType.LOOPBACK_WS).u16(port).finish() };
  }
  if (address.startsWith('ws:')) throw malformed('a development pub address is ws://127.0.0.1:PORT');
  const publicKey = publicKeyFromOnionAddress(address);
  return {
    text: onionAddressFromPublicKey(publicKey),
    bytes: new ByteWriter(33).u8(PubAddressType.ONION).fixed(publicKey, ED25519_PUBLIC_KEY_BYTES).finish(),
  };
}

function readPub(r: ByteReader): { text: string; bytes: Uint8Array } {
  const type = r.u8('pub type');
  if (type === PubAddressType.ONION) {
    const publicKey = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'pub key');
    return { text: onionAddressFromPublicKey(publicKey), bytes: Uint8Array.of(type, ...publicKey) };
  }
  if (type === PubAddressType.LOOPBACK_WS) {
    const port = r.u16('pub port');
    if (port === 0) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'pub port 0');
    return { text: `ws://127.0.0.1:${port}`, bytes: Uint8Array.of(type, port >>> 8, port & 0xff) };
  }
  throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `unknown pub address type ${type}`);
}

function checksum(body: Uint8Array): Uint8Array {
  return labelledHash(LABEL_INVITE_CHECKSUM, [body]).subarray(0, INVITE_CHECKSUM_BYTES);
}

function checkDistinct(pubs: readonly Uint8Array[]): void {
  for (let i = 0; i < pubs.length; i++) {
    for (let j = 0; j < i; j++) {
      if (bytesEqual(pubs[i]!, pubs[j]!)) throw new ProtocolError(ProtocolErrorCode.NON_CANONICAL, 'an invite names a pub twice');
    }
  }
}

/** The binary form of an invite, checksum included. */
export function encodeInviteBytes(invite: Invite): Uint8Array {
  if (invite.secret.length !== GROUP_SECRET_BYTES) throw new ProtocolError(ProtocolErrorCode.BAD_KEY, 'a group secret is 32 bytes');
  if (!isWellFormedText(invite.name)) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'group name has a lone surrogate');
  const name = utf8Encode(invite.name);
  if (name.length < 1 || name.length > GROUP_NAME_MAX_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `group name must be 1..${GROUP_NAME_MAX_BYTES} UTF-8 bytes`);
  }
  if (invite.pubs.length > INVITE_PUBS_MAX) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `at most ${INVITE_PUBS_MAX} pubs`);
  const pubs = invite.pubs.map((p) => parsePubAddress(p).bytes);
  checkDistinct(pubs);
  const w = new ByteWriter(INVITE_MAX_BYTES);
  w.u8(INVITE_VERSION).fixed(invite.secret, GROUP_SECRET_BYTES).bytes8(name, GROUP_NAME_MAX_BYTES).u8(pubs.length);
  for (const p of pubs) w.raw(p);
  const body = w.finish();
  return new ByteWriter(body.length + INVITE_CHECKSUM_BYTES).raw(body).raw(checksum(body)).finish();
}

/** Decodes a binary invite: checksum, then version, then fields, canonical form. */
export function decodeInviteBytes(bytes: Uint8Array): Invite {
  if (bytes.length > INVITE_MAX_BYTES) throw new ProtocolError(ProtocolErrorCode.OVERSIZED, 'invite too long');
  if (bytes.length < 1 + INVITE_CHECKSUM_BYTES) throw new ProtocolError(ProtocolErrorCode.TRUNCATED, 'invite too short');
  const body = bytes.subarray(0, bytes.length - INVITE_CHECKSUM_BYTES);
  if (!bytesEqual(checksum(body), bytes.subarray(body.length))) {
    throw new ProtocolError(ProtocolErrorCode.BAD_CHECKSUM, 'invite checksum does not match');
  }
  const r = new ByteReader(body);
  const version = r.u8('invite version');
  if (version !== INVITE_VERSION) throw new ProtocolError(ProtocolErrorCode.UNSUPPORTED_VERSION, `invite version ${version}`);
  const secret = r.fixed(GROUP_SECRET_BYTES, 'group secret');
  const nameBytes = r.bytes8(GROUP_NAME_MAX_BYTES, 'group name');
  if (nameBytes.length === 0) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'empty group name');
  const name = utf8Decode(nameBytes, 'group name');
  const count = r.u8('pub count');
  if (count > INVITE_PUBS_MAX) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `at most ${INVITE_PUBS_MAX} pubs`);
  const pubs: { text: string; bytes: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) pubs.push(readPub(r));
  r.end('invite');
  checkDistinct(pubs.map((p) => p.bytes));
  return { secret, name, pubs: pubs.map((p) => p.text) };
}

/** The pasteable text form: "snug1" followed by lowercase base32 of the binary invite. */
export function encodeInvite(invite: Invite): string {
  return INVITE_TEXT_PREFIX + base32Encode(encodeInviteBytes(invite));
}

/**
 * Parses the text form. Strict: no whitespace, lowercase only (callers trim pasted text).
 * Fails with MALFORMED, OVERSIZED, TRUNCATED, NON_CANONICAL, BAD_CHECKSUM,
 * UNSUPPORTED_VERSION, INVALID_FIELD or BAD_KEY.
 */
export function decodeInvite(text: string): Invite {
  if (text.length > INVITE_TEXT_MAX_CHARS) throw new ProtocolError(ProtocolErrorCode.OVERSIZED, 'invite text too long');
  if (!text.startsWith(INVITE_TEXT_PREFIX)) throw malformed(`an invite starts with "${INVITE_TEXT_PREFIX}"`);
  return decodeInviteBytes(base32Decode(text.slice(INVITE_TEXT_PREFIX.length)));
}
