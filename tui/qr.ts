/** A QR code as lines of Unicode half blocks (uqr), for an address or an invite to scan with another device. */
import { renderUnicodeCompact } from 'uqr';

export function qrLines(text: string): string[] {
  return renderUnicodeCompact(text, { ecc: 'L', border: 1 }).split('\n').filter((l) => l.length > 0);
}
