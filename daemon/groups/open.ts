/**
 * Opening one received blob: the trial decryption and verification step of the groups
 * service's one verify-and-store path (service.ts ingestRun). Pure (no I/O, no state): the same
 * function runs on the event loop (#openOne, short runs) and in the open workers (open-pool.ts,
 * long runs), so there is one implementation of what "opened and verified" means.
 *
 * `candidates` are the groups the blob may belong to, each with the keys of every epoch we hold,
 * the current epoch first, then the others newest first. The first key under which the blob is
 * authentic decides: its entry is decoded and verified (protocol/entry.ts consumeGroupEntry,
 * signature under the epoch's binding, certificates); other groups are not tried after that.
 */
import { checkBlobShape, openBlob } from '../../protocol/blob.js';
import { consumeGroupEntry, entryId, type Entry } from '../../protocol/entry.js';
import type { EpochKeys } from '../../protocol/group.js';

export type OpenOutcome =
  /** Authentic under candidates[group]'s key, and its entry verified. */
  | { readonly kind: 'opened'; readonly group: number; readonly encoded: Uint8Array; readonly entry: Entry; readonly id: Uint8Array }
  /**
   * Authentic under candidates[group]'s key, but the entry did not verify under that epoch: the
   * caller may still accept it on its key package (a re-key posted again under an epoch we hold).
   */
  | { readonly kind: 'refused'; readonly group: number; readonly encoded: Uint8Array }
  /** Authentic under one of our keys yet not canonical, or of a shape no blob has. */
  | { readonly kind: 'invalid' }
  /** Authentic under none of the keys. */
  | { readonly kind: 'foreign' };

/** The keys of a group, the current epoch first, then the others newest first. */
export function keysNewestFirst(keys: Iterable<EpochKeys>): EpochKeys[] {
  return [...keys].sort((a, b) => b.epoch.number - a.epoch.number);
}

/** Opens and verifies `blob` under the candidates' keys (see the file's comment). */
export function openWith(candidates: readonly (readonly EpochKeys[])[], blob: Uint8Array): OpenOutcome {
  try {
    checkBlobShape(blob);
  } catch {
    return { kind: 'invalid' };
  }
  for (let g = 0; g < candidates.length; g++) {
    for (const k of candidates[g]!) {
      let encoded: Uint8Array | null;
      try {
        encoded = openBlob(k, blob); // checks the blob's shape first
      } catch {
        return { kind: 'invalid' }; // a blob of no valid shape, or authentic under our key yet not canonical
      }
      if (encoded === null) continue;
      let entry: Entry;
      try {
        entry = consumeGroupEntry(k, encoded);
      } catch {
        return { kind: 'refused', group: g, encoded };
      }
      return { kind: 'opened', group: g, encoded, entry, id: entryId(encoded) };
    }
  }
  return { kind: 'foreign' };
}
