/**
 * RFC 4648 base32, lowercase alphabet, no padding: the encoding of onion addresses.
 * Decoding is strict: only lowercase letters a-z and digits 2-7, and the unused low bits of
 * the last character must be zero (so every string has exactly one byte form and back).
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const LOOKUP: Int8Array = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Uint8Array {
  const outLen = Math.floor((text.length * 5) / 8);
  // Lengths whose leftover bits could not come from any whole number of bytes.
  const leftover = (text.length * 5) % 8;
  if (leftover >= 5) throw new ProtocolError(ProtocolErrorCode.MALFORMED, 'base32 text has an impossible length');
  const out = new Uint8Array(outLen);
  let buffer = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new ProtocolError(ProtocolErrorCode.MALFORMED, 'base32 text has a character outside a-z2-7');
    buffer = (buffer << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (buffer >>> bits) & 0xff;
    }
    buffer &= (1 << bits) - 1;
  }
  if (buffer !== 0) throw new ProtocolError(ProtocolErrorCode.NON_CANONICAL, 'base32 text has non-zero padding bits');
  return out;
}
