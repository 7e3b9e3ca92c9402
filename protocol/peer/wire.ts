/**
 * The peer protocol's frames (docs/peer-protocol.md, "Frames"): what two daemons say to each
 * other once the handshake (protocol/peer/handshake.ts) is complete. Each frame is the plaintext
 * of one PeerCipher message, and each encrypted frame is one WebSocket binary message.
 *
 *   frame = u8 version (0x01) || u8 type || body
 *
 *   0x01 HELLO            u8 count (0..32) || count x (u8 len (1..32) || feature, [a-z0-9._/-]),
 *                         strictly ascending bytewise
 *   0x02 CONTACT_REQUEST  u8 len || name (UTF-8, 0..64) || u16 len || message (UTF-8, 0..1024) ||
 *                         u64 timeBucket || u64 powNonce
 *   0x03 CONTACT_ACCEPT   u8 len || name (UTF-8, 0..64)
 *   0x04 REPLY            (empty): the one answer a stranger ever gets
 *   0x05 DIRECT_ENTRY     a 1:1 entry (protocol/direct.ts), the rest of the frame
 *   0x06 ACK              entryId [32]: that direct entry is durable here
 *   0x07 PING             token [8]
 *   0x08 PONG             token [8] (the PING's)
 *   0x09 BYE              u8 reason (0 normal, 1 duplicate link, 2 going away)
 *   0x20 GROUP_INVITE     a binary invite (protocol/invite.ts encodeInviteBytes), the rest of the frame
 *   0x21 GROUP_INVITE_ACK inviteEntry [32]: that invite is durable here (stop resending it)
 *   0x22..0x3f            reserved: group frames (later versions)
 *   0x40..0x7f            reserved: sync / back-fill (a later issue)
 *
 * The contact request's proof of work (protocol/pow.ts's hashcash, 2^difficulty hashes) is bound
 * to both addresses, a time bucket and the request's own name and message:
 *
 *   powContext = BLAKE2b-256(key = "snug/v2/contact-pow", fromKey [32] || toKey [32] || u64 bucket)
 *   powHash    = BLAKE2b-256(key = "snug/v2/contact-request", u8 len || name || u16 len || message)
 *   proof holds when verifyPow(powContext, powHash, powNonce, difficulty)
 *
 * Decoders never throw anything but a ProtocolError: TRUNCATED, OVERSIZED (a field over its
 * bound, trailing bytes, a frame over PEER_FRAME_MAX_BYTES), UNSUPPORTED_VERSION, INVALID_FIELD
 * (an unknown or reserved type, a value out of range, bad UTF-8), NON_CANONICAL (features out
 * of order) and, for contact requests checked with `checkContactRequest`, UNAUTHENTIC (the work
 * does not hold) or INVALID_FIELD (a time bucket outside the window).
 */
import { ByteReader, ByteWriter, isWellFormedText, utf8Decode, utf8Encode } from '../bytes.js';
import { labelledHash } from '../crypto.js';
import { decodeDirectEntry } from '../direct.js';
import { decodeInviteBytes } from '../invite.js';
import { ProtocolError, ProtocolErrorCode } from '../errors.js';
import { publicKeyFromOnionAddress, type OnionAddress } from '../identity.js';
import { POW_DIFFICULTY_MAX, solvePow, verifyPow, type PowSearch } from '../pow.js';
import { PEER_CIPHER_PLAINTEXT_MAX_BYTES, type PeerCipher } from './handshake.js';

/** Version byte of every frame. */
export const PEER_FRAME_VERSION = 0x01;
/** The largest frame (plaintext), the largest a PeerCipher message carries. */
export const PEER_FRAME_MAX_BYTES = PEER_CIPHER_PLAINTEXT_MAX_BYTES;
/** Bytes of a frame before its body. */
export const PEER_FRAME_HEADER_BYTES = 2;

export const PeerFrameType = {
  HELLO: 0x01,
  CONTACT_REQUEST: 0x02,
  CONTACT_ACCEPT: 0x03,
  REPLY: 0x04,
  DIRECT_ENTRY: 0x05,
  ACK: 0x06,
  PING: 0x07,
  PONG: 0x08,
  BYE: 0x09,
  GROUP_INVITE: 0x20,
  GROUP_INVITE_ACK: 0x21,
} as const;
export type PeerFrameType = (typeof PeerFrameType)[keyof typeof PeerFrameType];

/** Frame types reserved for later issues: [first, last] inclusive. */
export const RESERVED_FRAME_TYPES = {
  groupInvites: [0x22, 0x3f],
  sync: [0x40, 0x7f],
} as const;

export const HELLO_FEATURES_MAX = 32;
export const HELLO_FEATURE_MAX_BYTES = 32;
const FEATURE_PATTERN = /^[a-z0-9._/-]{1,32}$/;
/** The longest name a contact request or accept proposes (UTF-8 bytes). */
export const CONTACT_NAME_MAX_BYTES = 64;
/** The longest contact request message (UTF-8 bytes). */
export const CONTACT_MESSAGE_MAX_BYTES = 1024;
/** Length of a contact request's time bucket, ms: ten minutes. */
export const CONTACT_POW_BUCKET_MS = 600_000;
/** Buckets either side of the receiver's own that it accepts (clock skew and solving time). */
export const CONTACT_POW_BUCKET_SLACK = 1;
/** The work a daemon asks of a contact request, in leading zero bits (2^20 hashes expected, about a second). */
export const CONTACT_POW_DIFFICULTY = 20;
export const LABEL_CONTACT_POW = 'snug/v2/contact-pow';
export const LABEL_CONTACT_REQUEST = 'snug/v2/contact-request';
/** Bytes of an ACK's entry id and of a PING/PONG token. */
export const ENTRY_ID_BYTES = 32;
export const PING_TOKEN_BYTES = 8;
/** The largest direct entry one frame carries. */
export const DIRECT_ENTRY_FRAME_MAX_BYTES = PEER_FRAME_MAX_BYTES - PEER_FRAME_HEADER_BYTES;
/** The largest binary invite one frame carries (every invite fits: INVITE_MAX_BYTES is 57,210). */
export const GROUP_INVITE_FRAME_MAX_BYTES = PEER_FRAME_MAX_BYTES - PEER_FRAME_HEADER_BYTES;

export const ByeReason = {
  NORMAL: 0x00,
  /** Both sides dialled at once; this link is the one the rule drops. */
  DUPLICATE_LINK: 0x01,
  /** The daemon is stopping or locking. */
  GOING_AWAY: 0x02,
} as const;
export type ByeReason = (typeof ByeReason)[keyof typeof ByeReason];
const BYE_REASONS: ReadonlySet<number> = new Set(Object.values(ByeReason));

export interface HelloFrame {
  readonly type: 'hello';
  readonly features: readonly string[];
}
export interface ContactRequestFrame {
  readonly type: 'contact-request';
  readonly name: string;
  readonly message: string;
  /** floor(ms / CONTACT_POW_BUCKET_MS) when the work was done. */
  readonly timeBucket: number;
  readonly powNonce: bigint;
}
export interface ContactAcceptFrame {
  readonly type: 'contact-accept';
  readonly name: string;
}
export interface ReplyFrame {
  readonly type: 'reply';
}
export interface DirectEntryFrame {
  readonly type: 'direct-entry';
  /** The entry's encoding (structure checked; the MAC is the conversation's to check). */
  readonly entry: Uint8Array;
}
export interface AckFrame {
  readonly type: 'ack';
  readonly entryId: Uint8Array;
}
export interface PingFrame {
  readonly type: 'ping';
  readonly token: Uint8Array;
}
export interface PongFrame {
  readonly type: 'pong';
  readonly token: Uint8Array;
}
export interface GroupInviteFrame {
  readonly type: 'group-invite';
  /** The binary invite (structure checked; signatures are the groups service's to check). */
  readonly invite: Uint8Array;
}
export interface GroupInviteAckFrame {
  readonly type: 'group-invite-ack';
  /** The id of the invite entry the acknowledged invite carries. */
  readonly inviteEntry: Uint8Array;
}
export interface ByeFrame {
  readonly type: 'bye';
  readonly reason: ByeReason;
}
export type PeerFrame =
  | HelloFrame
  | ContactRequestFrame
  | ContactAcceptFrame
  | ReplyFrame
  | DirectEntryFrame
  | AckFrame
  | PingFrame
  | PongFrame
  | ByeFrame
  | GroupInviteFrame
  | GroupInviteAckFrame;
export type PeerFrameKind = PeerFrame['type'];

/** The frame types a side accepts from an address the user has not accepted (docs: "Strangers"). */
export const STRANGER_FRAME_KINDS: ReadonlySet<PeerFrameKind> = new Set<PeerFrameKind>(['hello', 'contact-request', 'ping', 'bye']);

const TYPE_OF: Readonly<Record<PeerFrameKind, PeerFrameType>> = {
  hello: PeerFrameType.HELLO,
  'contact-request': PeerFrameType.CONTACT_REQUEST,
  'contact-accept': PeerFrameType.CONTACT_ACCEPT,
  reply: PeerFrameType.REPLY,
  'direct-entry': PeerFrameType.DIRECT_ENTRY,
  ack: PeerFrameType.ACK,
  ping: PeerFrameType.PING,
  pong: PeerFrameType.PONG,
  bye: PeerFrameType.BYE,
  'group-invite': PeerFrameType.GROUP_INVITE,
  'group-invite-ack': PeerFrameType.GROUP_INVITE_ACK,
};

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkFeatures(features: readonly string[]): void {
  if (features.length > HELLO_FEATURES_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `at most ${HELLO_FEATURES_MAX} features`);
  for (let i = 0; i < features.length; i++) {
    const f = features[i]!;
    if (typeof f !== 'string' || !FEATURE_PATTERN.test(f)) fail(ProtocolErrorCode.INVALID_FIELD, 'a feature is 1..32 of [a-z0-9._/-]');
    if (i > 0 && compareAscii(features[i - 1]!, f) >= 0) fail(ProtocolErrorCode.NON_CANONICAL, 'features are strictly ascending');
  }
}

function encodeText(text: string, max: number, what: string): Uint8Array {
  if (typeof text !== 'string' || !isWellFormedText(text)) fail(ProtocolErrorCode.INVALID_FIELD, `${what} is not well-formed text`);
  const bytes = utf8Encode(text);
  if (bytes.length > max) fail(ProtocolErrorCode.TOO_LONG, `${what} is at most ${max} UTF-8 bytes`);
  return bytes;
}

function checkBytes(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) fail(ProtocolErrorCode.INVALID_FIELD, `${what} is ${length} bytes`);
}

function checkBucket(bucket: number): void {
  if (!Number.isSafeInteger(bucket) || bucket < 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a time bucket is an integer in 0..2^53-1');
}

/** Encodes a frame (INVALID_FIELD / TOO_LONG / OVERSIZED for a value out of bounds). */
export function encodeFrame(frame: PeerFrame): Uint8Array {
  const type = TYPE_OF[frame.type];
  if (type === undefined) fail(ProtocolErrorCode.INVALID_FIELD, 'unknown frame type');
  const w = new ByteWriter(64);
  w.u8(PEER_FRAME_VERSION).u8(type);
  switch (frame.type) {
    case 'hello': {
      checkFeatures(frame.features);
      w.u8(frame.features.length);
      for (const f of frame.features) w.bytes8(utf8Encode(f), HELLO_FEATURE_MAX_BYTES);
      break;
    }
    case 'contact-request': {
      checkBucket(frame.timeBucket);
      w.bytes8(encodeText(frame.name, CONTACT_NAME_MAX_BYTES, 'a proposed name'), CONTACT_NAME_MAX_BYTES);
      w.bytes16(encodeText(frame.message, CONTACT_MESSAGE_MAX_BYTES, 'a request message'), CONTACT_MESSAGE_MAX_BYTES);
      w.u64(frame.timeBucket).u64Big(frame.powNonce);
      break;
    }
    case 'contact-accept':
      w.bytes8(encodeText(frame.name, CONTACT_NAME_MAX_BYTES, 'a proposed name'), CONTACT_NAME_MAX_BYTES);
      break;
    case 'reply':
      break;
    case 'direct-entry':
      if (!(frame.entry instanceof Uint8Array) || frame.entry.length === 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a direct entry frame carries an entry');
      if (frame.entry.length > DIRECT_ENTRY_FRAME_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a direct entry frame carries at most ${DIRECT_ENTRY_FRAME_MAX_BYTES} bytes`);
      decodeDirectEntry(frame.entry);
      w.raw(frame.entry);
      break;
    case 'ack':
      checkBytes(frame.entryId, ENTRY_ID_BYTES, 'an entry id');
      w.fixed(frame.entryId, ENTRY_ID_BYTES);
      break;
    case 'ping':
    case 'pong':
      checkBytes(frame.token, PING_TOKEN_BYTES, 'a ping token');
      w.fixed(frame.token, PING_TOKEN_BYTES);
      break;
    case 'bye':
      if (!BYE_REASONS.has(frame.reason)) fail(ProtocolErrorCode.INVALID_FIELD, 'unknown bye reason');
      w.u8(frame.reason);
      break;
    case 'group-invite':
      if (!(frame.invite instanceof Uint8Array) || frame.invite.length === 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a group invite frame carries an invite');
      if (frame.invite.length > GROUP_INVITE_FRAME_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a group invite frame carries at most ${GROUP_INVITE_FRAME_MAX_BYTES} bytes`);
      decodeInviteBytes(frame.invite, { development: true });
      w.raw(frame.invite);
      break;
    case 'group-invite-ack':
      checkBytes(frame.inviteEntry, ENTRY_ID_BYTES, 'an invite entry id');
      w.fixed(frame.inviteEntry, ENTRY_ID_BYTES);
      break;
  }
  if (w.length > PEER_FRAME_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a frame is at most ${PEER_FRAME_MAX_BYTES} bytes`);
  return w.finish();
}

function inRange(type: number, [first, last]: readonly [number, number]): boolean {
  return type >= first && type <= last;
}

/** Decodes one frame, canonical form only. */
export function decodeFrame(bytes: Uint8Array): PeerFrame {
  if (!(bytes instanceof Uint8Array)) fail(ProtocolErrorCode.INVALID_FIELD, 'a frame is bytes');
  if (bytes.length > PEER_FRAME_MAX_BYTES) fail(ProtocolErrorCode.OVERSIZED, `a frame is at most ${PEER_FRAME_MAX_BYTES} bytes`);
  const r = new ByteReader(bytes);
  const version = r.u8('frame version');
  if (version !== PEER_FRAME_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `peer frame version ${version}`);
  const type = r.u8('frame type');
  let frame: PeerFrame;
  switch (type) {
    case PeerFrameType.HELLO: {
      const count = r.u8('feature count');
      if (count > HELLO_FEATURES_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `at most ${HELLO_FEATURES_MAX} features`);
      const features: string[] = [];
      for (let i = 0; i < count; i++) {
        const raw = r.bytes8(HELLO_FEATURE_MAX_BYTES, 'feature');
        features.push(utf8Decode(raw, 'feature'));
      }
      checkFeatures(features);
      frame = { type: 'hello', features };
      break;
    }
    case PeerFrameType.CONTACT_REQUEST: {
      const name = utf8Decode(r.bytes8(CONTACT_NAME_MAX_BYTES, 'proposed name'), 'proposed name');
      const message = utf8Decode(r.bytes16(CONTACT_MESSAGE_MAX_BYTES, 'request message'), 'request message');
      const timeBucket = r.u64('time bucket');
      const powNonce = r.u64Big('pow nonce');
      frame = { type: 'contact-request', name, message, timeBucket, powNonce };
      break;
    }
    case PeerFrameType.CONTACT_ACCEPT:
      frame = { type: 'contact-accept', name: utf8Decode(r.bytes8(CONTACT_NAME_MAX_BYTES, 'proposed name'), 'proposed name') };
      break;
    case PeerFrameType.REPLY:
      frame = { type: 'reply' };
      break;
    case PeerFrameType.DIRECT_ENTRY: {
      if (r.remaining === 0) fail(ProtocolErrorCode.TRUNCATED, 'a direct entry frame carries an entry');
      const entry = r.rest();
      decodeDirectEntry(entry);
      frame = { type: 'direct-entry', entry };
      break;
    }
    case PeerFrameType.ACK:
      frame = { type: 'ack', entryId: r.fixed(ENTRY_ID_BYTES, 'entry id') };
      break;
    case PeerFrameType.PING:
      frame = { type: 'ping', token: r.fixed(PING_TOKEN_BYTES, 'ping token') };
      break;
    case PeerFrameType.PONG:
      frame = { type: 'pong', token: r.fixed(PING_TOKEN_BYTES, 'ping token') };
      break;
    case PeerFrameType.BYE: {
      const reason = r.u8('bye reason');
      if (!BYE_REASONS.has(reason)) fail(ProtocolErrorCode.INVALID_FIELD, `unknown bye reason ${reason}`);
      frame = { type: 'bye', reason: reason as ByeReason };
      break;
    }
    case PeerFrameType.GROUP_INVITE: {
      if (r.remaining === 0) fail(ProtocolErrorCode.TRUNCATED, 'a group invite frame carries an invite');
      const invite = r.rest();
      decodeInviteBytes(invite, { development: true });
      frame = { type: 'group-invite', invite };
      break;
    }
    case PeerFrameType.GROUP_INVITE_ACK:
      frame = { type: 'group-invite-ack', inviteEntry: r.fixed(ENTRY_ID_BYTES, 'invite entry id') };
      break;
    default:
      if (inRange(type, RESERVED_FRAME_TYPES.groupInvites) || inRange(type, RESERVED_FRAME_TYPES.sync)) {
        fail(ProtocolErrorCode.INVALID_FIELD, `frame type ${type} is reserved for a later version`);
      }
      fail(ProtocolErrorCode.INVALID_FIELD, `unknown frame type ${type}`);
  }
  r.end('frame');
  return frame;
}

/** Decodes a frame and checks it is of kind `kind` (INVALID_FIELD otherwise). */
export function consumeFrameOf<K extends PeerFrameKind>(bytes: Uint8Array, kind: K): Extract<PeerFrame, { type: K }> {
  const frame = decodeFrame(bytes);
  if (frame.type !== kind) fail(ProtocolErrorCode.INVALID_FIELD, `expected a ${kind} frame, got ${frame.type}`);
  return frame as Extract<PeerFrame, { type: K }>;
}

/** Encrypts a frame with the link's send cipher: the bytes of one WebSocket binary message. */
export function sealFrame(cipher: PeerCipher, frame: PeerFrame): Uint8Array {
  return cipher.encrypt(encodeFrame(frame));
}

/** Decrypts and decodes one WebSocket binary message of an established link. */
export function openFrame(cipher: PeerCipher, message: Uint8Array): PeerFrame {
  return decodeFrame(cipher.decrypt(message));
}

// ---- createX / consumeX pairs ----

export function createHello(features: readonly string[]): Uint8Array {
  return encodeFrame({ type: 'hello', features: [...features].sort(compareAscii) });
}
export function consumeHello(bytes: Uint8Array): HelloFrame {
  return consumeFrameOf(bytes, 'hello');
}

export function createContactRequest(init: Omit<ContactRequestFrame, 'type'>): Uint8Array {
  return encodeFrame({ type: 'contact-request', ...init });
}
export function consumeContactRequest(bytes: Uint8Array): ContactRequestFrame {
  return consumeFrameOf(bytes, 'contact-request');
}

export function createContactAccept(name = ''): Uint8Array {
  return encodeFrame({ type: 'contact-accept', name });
}
export function consumeContactAccept(bytes: Uint8Array): ContactAcceptFrame {
  return consumeFrameOf(bytes, 'contact-accept');
}

/** The uniform REPLY frame: the same two bytes whatever the reason. */
export function createReply(): Uint8Array {
  return encodeFrame({ type: 'reply' });
}
export function consumeReply(bytes: Uint8Array): ReplyFrame {
  return consumeFrameOf(bytes, 'reply');
}

export function createDirectEntryFrame(entry: Uint8Array): Uint8Array {
  return encodeFrame({ type: 'direct-entry', entry });
}
export function consumeDirectEntryFrame(bytes: Uint8Array): DirectEntryFrame {
  return consumeFrameOf(bytes, 'direct-entry');
}

export function createAck(entryId: Uint8Array): Uint8Array {
  return encodeFrame({ type: 'ack', entryId });
}
export function consumeAck(bytes: Uint8Array): AckFrame {
  return consumeFrameOf(bytes, 'ack');
}

export function createPing(token: Uint8Array): Uint8Array {
  return encodeFrame({ type: 'ping', token });
}
export function consumePing(bytes: Uint8Array): PingFrame {
  return consumeFrameOf(bytes, 'ping');
}
export function createPong(token: Uint8Array): Uint8Array {
  return encodeFrame({ type: 'pong', token });
}
export function consumePong(bytes: Uint8Array): PongFrame {
  return consumeFrameOf(bytes, 'pong');
}

export function createGroupInviteFrame(invite: Uint8Array): Uint8Array {
  return encodeFrame({ type: 'group-invite', invite });
}
export function consumeGroupInviteFrame(bytes: Uint8Array): GroupInviteFrame {
  return consumeFrameOf(bytes, 'group-invite');
}
export function createGroupInviteAck(inviteEntry: Uint8Array): Uint8Array {
  return encodeFrame({ type: 'group-invite-ack', inviteEntry });
}
export function consumeGroupInviteAck(bytes: Uint8Array): GroupInviteAckFrame {
  return consumeFrameOf(bytes, 'group-invite-ack');
}

export function createBye(reason: ByeReason = ByeReason.NORMAL): Uint8Array {
  return encodeFrame({ type: 'bye', reason });
}
export function consumeBye(bytes: Uint8Array): ByeFrame {
  return consumeFrameOf(bytes, 'bye');
}

// ---- The contact request's proof of work ----

/** The time bucket of `nowMs`. */
export function contactTimeBucket(nowMs: number): number {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a time is an integer number of ms');
  return Math.floor(nowMs / CONTACT_POW_BUCKET_MS);
}

function u64Bytes(value: number): Uint8Array {
  return new ByteWriter(8).u64(value).finish();
}

/** The PoW context of a request from `from` to `to` in `bucket`. */
export function contactPowContext(from: OnionAddress | string, to: OnionAddress | string, bucket: number): Uint8Array {
  checkBucket(bucket);
  return labelledHash(LABEL_CONTACT_POW, [publicKeyFromOnionAddress(from), publicKeyFromOnionAddress(to), u64Bytes(bucket)]);
}

/** What the work is bound to besides the context: the request's name and message. */
export function contactRequestHash(name: string, message: string): Uint8Array {
  const body = new ByteWriter(64)
    .bytes8(encodeText(name, CONTACT_NAME_MAX_BYTES, 'a proposed name'), CONTACT_NAME_MAX_BYTES)
    .bytes16(encodeText(message, CONTACT_MESSAGE_MAX_BYTES, 'a request message'), CONTACT_MESSAGE_MAX_BYTES)
    .finish();
  return labelledHash(LABEL_CONTACT_REQUEST, [body]);
}

export interface ContactPowInput {
  readonly from: OnionAddress | string;
  readonly to: OnionAddress | string;
  readonly name: string;
  readonly message: string;
  readonly timeBucket: number;
  readonly difficulty: number;
}

/** Searches (a bounded slice of) nonces for the request's proof; null when none in the slice holds. */
export function solveContactRequest(input: ContactPowInput, search: PowSearch): bigint | null {
  return solvePow(contactPowContext(input.from, input.to, input.timeBucket), contactRequestHash(input.name, input.message), input.difficulty, search);
}

export interface ContactRequestCheck {
  /** The requester: the address its certificate certified in the handshake. */
  readonly from: OnionAddress | string;
  /** This side's own address. */
  readonly to: OnionAddress | string;
  readonly nowMs: number;
  readonly difficulty: number;
}

/**
 * Checks a decoded contact request: its time bucket within CONTACT_POW_BUCKET_SLACK of now
 * (INVALID_FIELD) and its proof of work (UNAUTHENTIC).
 */
export function checkContactRequest(frame: ContactRequestFrame, check: ContactRequestCheck): void {
  if (!Number.isInteger(check.difficulty) || check.difficulty < 0 || check.difficulty > POW_DIFFICULTY_MAX) {
    fail(ProtocolErrorCode.INVALID_FIELD, `a difficulty is 0..${POW_DIFFICULTY_MAX}`);
  }
  const now = contactTimeBucket(check.nowMs);
  if (Math.abs(frame.timeBucket - now) > CONTACT_POW_BUCKET_SLACK) fail(ProtocolErrorCode.INVALID_FIELD, 'the request is for another time');
  const ok = verifyPow(contactPowContext(check.from, check.to, frame.timeBucket), contactRequestHash(frame.name, frame.message), frame.powNonce, check.difficulty);
  if (!ok) fail(ProtocolErrorCode.UNAUTHENTIC, 'the request\'s proof of work does not hold');
}
