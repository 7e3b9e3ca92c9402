/**
 * Padding of an encoded entry to a fixed length before it is sealed into a blob:
 *
 *   padded = length u32 (big-endian) || data [length] || zero bytes up to the padded size
 *
 * Unpadding is canonical: the length must fit and every fill byte must be zero.
 */
import { BLOB_OVERHEAD_BYTES, BLOB_SIZES, PADDING_PREFIX_BYTES } from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** The smallest blob size whose padded plaintext holds `dataLength` bytes, or null if none does. */
export function blobSizeFor(dataLength: number): number | null {
  for (const size of BLOB_SIZES) {
    if (dataLength + PADDING_PREFIX_BYTES + BLOB_OVERHEAD_BYTES <= size) return size;
  }
  return null;
}

/** Pads `data` to exactly `paddedLength` bytes. */
export function pad(data: Uint8Array, paddedLength: number): Uint8Array {
  if (data.length + PADDING_PREFIX_BYTES > paddedLength) {
    throw new ProtocolError(ProtocolErrorCode.OVERSIZED, 'data does not fit the padded length');
  }
  const out = new Uint8Array(paddedLength);
  new DataView(out.buffer).setUint32(0, data.length, false);
  out.set(data, PADDING_PREFIX_BYTES);
  return out;
}

/** Removes the padding; rejects a length that does not fit and non-zero fill (NON_CANONICAL). */
export function unpad(padded: Uint8Array): Uint8Array {
  if (padded.length < PADDING_PREFIX_BYTES) throw new ProtocolError(ProtocolErrorCode.TRUNCATED, 'padded data shorter than its prefix');
  const len = padded[0]! * 0x100_0000 + ((padded[1]! << 16) | (padded[2]! << 8) | padded[3]!);
  if (len > padded.length - PADDING_PREFIX_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.OVERSIZED, 'padding length prefix exceeds the padded data');
  }
  const end = PADDING_PREFIX_BYTES + len;
  let acc = 0;
  for (let i = end; i < padded.length; i++) acc |= padded[i]!;
  if (acc !== 0) throw new ProtocolError(ProtocolErrorCode.NON_CANONICAL, 'padding fill is not all zero');
  return padded.slice(PADDING_PREFIX_BYTES, end);
}
