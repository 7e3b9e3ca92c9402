/** WebSocket helpers shared by the pub's server and client. */
import type { RawData } from 'ws';

/** The bytes of a received WebSocket message, without a copy where possible. */
export function rawDataBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
