/**
 * The frames a peer link carries after the handshake, one per encrypted WebSocket message
 * (until protocol/peer/wire.ts lands, this is the daemon's own, versioned, strictly decoded):
 *
 *   frame = u8 version (0x01) | u8 type | body
 *   0x01 CONTACT_REQUEST  u16 len + UTF-8 proposed name (0 = none) | u16 len + UTF-8 message
 *                         (0 = none) | u64 nonce (the proof of work, below)
 *   0x02 CONTACT_ACCEPT   (empty)  "I accept you", and between contacts "open the link"
 *   0x03 REPLY            (empty)  the one answer a stranger, a pending requester or a blocked
 *                                  address gets to a request: the same bytes for all three
 *   0x10 PING, 0x11 PONG  (empty)
 *
 * The proof of work of a request is protocol/pow.ts's, bound to this handshake (so work cannot
 * be replayed on another connection): powContext = BLAKE2b-256("snug/v2/peer-request-pow" ||
 * handshake hash), hash = BLAKE2b-256("snug/v2/peer-request" || handshake hash).
 */
import { ByteReader, ByteWriter, isWellFormedText, utf8Decode, utf8Encode } from '../../protocol/bytes.js';
import { blake2bParts } from '../../protocol/crypto.js';
import { ProtocolError, ProtocolErrorCode } from '../../protocol/errors.js';
import { solvePow, verifyPow } from '../../protocol/pow.js';

export const FRAME_VERSION = 0x01;
export const FrameType = { CONTACT_REQUEST: 0x01, CONTACT_ACCEPT: 0x02, REPLY: 0x03, PING: 0x10, PONG: 0x11 } as const;
/** The most bytes of a request's proposed name and message. */
export const REQUEST_NAME_MAX_BYTES = 256;
export const REQUEST_MESSAGE_MAX_BYTES = 2048;

export type PeerFrame =
  | { readonly type: 'contactRequest'; readonly name: string | null; readonly message: string | null; readonly nonce: bigint }
  | { readonly type: 'contactAccept' }
  | { readonly type: 'reply' }
  | { readonly type: 'ping' }
  | { readonly type: 'pong' };

const EMPTY_TYPES = { contactAccept: FrameType.CONTACT_ACCEPT, reply: FrameType.REPLY, ping: FrameType.PING, pong: FrameType.PONG } as const;

function text(bytes: Uint8Array, what: string): string | null {
  if (bytes.length === 0) return null;
  const t = utf8Decode(bytes, what);
  // eslint-disable-next-line no-control-regex
  if (!isWellFormedText(t) || /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(t)) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `${what} has control characters`);
  return t;
}

export function encodePeerFrame(frame: PeerFrame): Uint8Array {
  const w = new ByteWriter(64).u8(FRAME_VERSION);
  if (frame.type === 'contactRequest') {
    return w
      .u8(FrameType.CONTACT_REQUEST)
      .bytes16(utf8Encode(frame.name ?? ''), REQUEST_NAME_MAX_BYTES)
      .bytes16(utf8Encode(frame.message ?? ''), REQUEST_MESSAGE_MAX_BYTES)
      .u64Big(frame.nonce)
      .finish();
  }
  return w.u8(EMPTY_TYPES[frame.type]).finish();
}

export function decodePeerFrame(bytes: Uint8Array): PeerFrame {
  const r = new ByteReader(bytes);
  const version = r.u8('frame version');
  if (version !== FRAME_VERSION) throw new ProtocolError(ProtocolErrorCode.UNSUPPORTED_VERSION, `frame version ${version}`);
  const type = r.u8('frame type');
  let frame: PeerFrame;
  switch (type) {
    case FrameType.CONTACT_REQUEST: {
      const name = text(r.bytes16(REQUEST_NAME_MAX_BYTES, 'proposed name'), 'proposed name');
      const message = text(r.bytes16(REQUEST_MESSAGE_MAX_BYTES, 'message'), 'message');
      frame = { type: 'contactRequest', name, message, nonce: r.u64Big('nonce') };
      break;
    }
    case FrameType.CONTACT_ACCEPT:
      frame = { type: 'contactAccept' };
      break;
    case FrameType.REPLY:
      frame = { type: 'reply' };
      break;
    case FrameType.PING:
      frame = { type: 'ping' };
      break;
    case FrameType.PONG:
      frame = { type: 'pong' };
      break;
    default:
      throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `unknown frame type ${type}`);
  }
  r.end('frame');
  return frame;
}

const utf8 = new TextEncoder();
const POW_CONTEXT_LABEL = utf8.encode('snug/v2/peer-request-pow');
const POW_HASH_LABEL = utf8.encode('snug/v2/peer-request');

function powInputs(handshakeHash: Uint8Array): { context: Uint8Array; hash: Uint8Array } {
  return { context: blake2bParts(32, [POW_CONTEXT_LABEL, handshakeHash]), hash: blake2bParts(32, [POW_HASH_LABEL, handshakeHash]) };
}

export function checkRequestPow(handshakeHash: Uint8Array, nonce: bigint, bits: number): boolean {
  const { context, hash } = powInputs(handshakeHash);
  return verifyPow(context, hash, nonce, bits);
}

/** Solves the request's proof of work in slices, yielding to the event loop between them. */
export async function solveRequestPow(handshakeHash: Uint8Array, bits: number, signal?: AbortSignal): Promise<bigint> {
  const { context, hash } = powInputs(handshakeHash);
  const slice = 4096;
  for (let start = 0n; ; start += BigInt(slice)) {
    signal?.throwIfAborted();
    const nonce = solvePow(context, hash, bits, { start, attempts: slice });
    if (nonce !== null) return nonce;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The one reply to a request that is not answered by an accept. */
export function uniformReply(): PeerFrame {
  return { type: 'reply' };
}
