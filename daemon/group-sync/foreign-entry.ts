/**
 * Foreign-entry evidence (protocol/sync/evidence.ts kind 0x03) from a blob the groups service
 * refused as invalid: one that opens under one of a group's epoch keys although its content is
 * not an entry of that epoch of that group: an entry of another group or another epoch sealed
 * again under this epoch's key (a replay by someone holding the key), or forged content. Blobs
 * that open under no key we hold (another group's traffic on a shared pub, corrupted bytes) are
 * not evidence of anything and never reach here as such.
 *
 * The check is verifyEvidence itself, so what is kept is exactly what every other member
 * holding the epoch's key will verify when the evidence is passed on. Run only for refused
 * blobs (rare), never on the ingest path of good ones.
 */
import { fromHex } from '../../protocol/bytes.js';
import { isProtocolError } from '../../protocol/errors.js';
import type { EpochKeys, EpochName } from '../../protocol/group.js';
import { createForeignEntryEvidence, verifyEvidence, type ForeignEntryEvidence } from '../../protocol/sync/evidence.js';

/** Foreign-entry evidence kept per (group, epoch): later ones prove nothing more and would only fill the store. */
export const FOREIGN_EVIDENCE_MAX = 8;

/** What the detector reads of the groups service. */
export interface ForeignEntryKeys {
  /** The epochs the group's roster names (epoch 0 first). */
  epochsOf(groupId: string): readonly EpochName[];
  epochKeys(groupId: string, epoch: EpochName): EpochKeys | null;
}

/**
 * The foreign-entry evidence a refused blob gives against one of the `candidates` (hex group
 * ids), or null when it opens under none of their epoch keys or holds a proper entry there.
 */
export function findForeignEntry(keys: ForeignEntryKeys, candidates: readonly string[], blob: Uint8Array): ForeignEntryEvidence | null {
  for (const hex of candidates) {
    let epochs: readonly EpochName[];
    try {
      epochs = keys.epochsOf(hex);
    } catch {
      continue; // the group went meanwhile
    }
    const groupId = fromHex(hex);
    for (const epoch of epochs) {
      if (keys.epochKeys(hex, epoch) === null) continue;
      try {
        const ev = createForeignEntryEvidence(groupId, epoch, blob);
        const check = verifyEvidence(ev, (e) => keys.epochKeys(hex, e));
        if (check.verified) return ev;
      } catch (err) {
        if (!isProtocolError(err)) throw err;
        // not this epoch's key (UNAUTHENTIC), a proper entry (INVALID_FIELD), or no blob shape
      }
    }
  }
  return null;
}
