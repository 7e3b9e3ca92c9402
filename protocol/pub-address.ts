/**
 * Pub addresses in binary form, as group settings and pub-list changes carry them
 * (docs/protocol.md, "Pub addresses"):
 *
 *   pub = 0x01 || onion public key [32]     "<56 chars>.onion"          (a v3 onion service)
 *       | 0x02 || port u16 (1..65535)        "ws://127.0.0.1:PORT"       (development only)
 *
 * The development form is flagged as such (`development: true`): a daemon outside development
 * mode refuses to use it. A list of pubs keeps its order (a preference) and names no pub twice.
 */
import { ByteReader, ByteWriter, bytesEqual } from './bytes.js';
import { ED25519_PUBLIC_KEY_BYTES } from './crypto.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { onionAddressFromPublicKey, publicKeyFromOnionAddress } from './identity.js';

export const PubAddressType = { ONION: 0x01, LOOPBACK_WS: 0x02 } as const;

/** The largest encoded pub address (an onion one). */
export const PUB_ADDRESS_MAX_BYTES = 1 + ED25519_PUBLIC_KEY_BYTES;

export interface ParsedPubAddress {
  /** Canonical text: "<56 chars>.onion" or "ws://127.0.0.1:PORT". */
  readonly text: string;
  readonly bytes: Uint8Array;
  /** True for the loopback development form. */
  readonly development: boolean;
}

const LOOPBACK_RE = /^ws:\/\/127\.0\.0\.1:([1-9][0-9]{0,4})$/;

function loopback(port: number): ParsedPubAddress {
  return { text: `ws://127.0.0.1:${port}`, bytes: new ByteWriter(3).u8(PubAddressType.LOOPBACK_WS).u16(port).finish(), development: true };
}

/**
 * Parses a pub address: a v3 onion address (with or without ".onion") or "ws://127.0.0.1:PORT"
 * (PORT 1..65535, no leading zeros). MALFORMED, BAD_CHECKSUM, BAD_KEY or UNSUPPORTED_VERSION.
 */
export function parsePubAddress(address: string): ParsedPubAddress {
  const m = LOOPBACK_RE.exec(address);
  if (m !== null) {
    const port = Number(m[1]);
    if (port > 0xffff) throw new ProtocolError(ProtocolErrorCode.MALFORMED, 'loopback pub port must be 1..65535');
    return loopback(port);
  }
  if (address.startsWith('ws:')) throw new ProtocolError(ProtocolErrorCode.MALFORMED, 'a development pub address is ws://127.0.0.1:PORT');
  const publicKey = publicKeyFromOnionAddress(address);
  return {
    text: onionAddressFromPublicKey(publicKey),
    bytes: new ByteWriter(33).u8(PubAddressType.ONION).fixed(publicKey, ED25519_PUBLIC_KEY_BYTES).finish(),
    development: false,
  };
}

/** True when `address` is the development (loopback) form. */
export function isDevelopmentPubAddress(address: string): boolean {
  return LOOPBACK_RE.test(address);
}

/** Reads one binary pub address (INVALID_FIELD for an unknown type or port 0; BAD_KEY). */
export function readPubAddress(r: ByteReader): ParsedPubAddress {
  const type = r.u8('pub type');
  if (type === PubAddressType.ONION) {
    const publicKey = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'pub key');
    return { text: onionAddressFromPublicKey(publicKey), bytes: Uint8Array.of(type, ...publicKey), development: false };
  }
  if (type === PubAddressType.LOOPBACK_WS) {
    const port = r.u16('pub port');
    if (port === 0) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'pub port 0');
    return loopback(port);
  }
  throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `unknown pub address type ${type}`);
}

/** count u8 (0..max) || pub * count; names no pub twice (NON_CANONICAL). */
export function writePubList(w: ByteWriter, pubs: readonly string[], max: number): void {
  if (pubs.length > max) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `at most ${max} pubs`);
  const parsed = pubs.map((p) => parsePubAddress(p).bytes);
  checkDistinct(parsed);
  w.u8(parsed.length);
  for (const p of parsed) w.raw(p);
}

/** Reads `count u8 || pub * count`, returning canonical texts. */
export function readPubList(r: ByteReader, max: number): string[] {
  const count = r.u8('pub count');
  if (count > max) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `at most ${max} pubs`);
  const pubs: ParsedPubAddress[] = [];
  for (let i = 0; i < count; i++) pubs.push(readPubAddress(r));
  checkDistinct(pubs.map((p) => p.bytes));
  return pubs.map((p) => p.text);
}

function checkDistinct(pubs: readonly Uint8Array[]): void {
  for (let i = 0; i < pubs.length; i++) {
    for (let j = 0; j < i; j++) {
      if (bytesEqual(pubs[i]!, pubs[j]!)) throw new ProtocolError(ProtocolErrorCode.NON_CANONICAL, 'a pub is named twice');
    }
  }
}
