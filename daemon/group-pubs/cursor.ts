/**
 * The per-pub cursor: how far this member has read a pub, saved in the profile's encrypted
 * store (namespace CURSOR_NAMESPACE, id = the pub's address as UTF-8) only after the sink
 * handled every blob up to it, and the rule for the `since` sent to the pub.
 *
 * Record, version 1 (9 bytes): `01 || cursor u64` (big-endian).
 */
import { U64_MAX } from '../../protocol/bytes.js';
import type { RecordCodec } from '../store/store.js';
import { CURSOR_ROUND_BLOBS } from './constants.js';

export const CURSOR_RECORD_VERSION = 1;
const CURSOR_RECORD_BYTES = 9;

export const cursorCodec: RecordCodec<bigint> = {
  what: 'pub cursor',
  encode(cursor: bigint): Uint8Array {
    if (cursor < 0n || cursor > U64_MAX) throw new RangeError('a cursor is a u64');
    const out = new Uint8Array(CURSOR_RECORD_BYTES);
    out[0] = CURSOR_RECORD_VERSION;
    new DataView(out.buffer).setBigUint64(1, cursor);
    return out;
  },
  decode(bytes: Uint8Array): bigint {
    if (bytes.length !== CURSOR_RECORD_BYTES) throw new RangeError(`a pub cursor record is ${CURSOR_RECORD_BYTES} bytes`);
    if (bytes[0] !== CURSOR_RECORD_VERSION) throw new RangeError(`unknown pub cursor record version ${bytes[0]}`);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(1);
  },
};

/**
 * The `since` a new connection asks from: the saved cursor rounded down to a multiple of
 * `roundBlobs` (CURSOR_ROUND_BLOBS). It depends on nothing but the cursor, so every member who
 * last read anywhere in the same window asks the same thing (docs/daemon.md, "Pub links").
 */
export function cursorSince(saved: bigint, roundBlobs: number = CURSOR_ROUND_BLOBS): bigint {
  if (!Number.isInteger(roundBlobs) || roundBlobs < 1) throw new RangeError('the cursor rounding is a positive integer');
  const g = BigInt(roundBlobs);
  return (saved / g) * g;
}
