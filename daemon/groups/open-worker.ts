/**
 * An open worker (a worker_thread, see open-pool.ts): opens and verifies a slice of a run of
 * received blobs with open.ts openWith, the same function the event loop uses, and answers each
 * blob's outcome. It stores nothing and keeps nothing: the keys it is given are wiped once the
 * slice is done.
 *
 * In:  { id, candidates: EpochKeys[][] (per candidate group, newest epoch first), blobs }
 * Out: { id, outcomes } where an outcome is
 *        { k: 'o', g, encoded, entryId }   opened and verified under candidates[g]
 *        { k: 'r', g, encoded }            authentic under candidates[g], entry refused
 *        { k: 'i' } | { k: 'f' }           invalid | foreign
 *      or { id, error }; { id: 0 } once ready.
 */
import { parentPort } from 'node:worker_threads';
import { ready, wipe } from '../../protocol/crypto.js';
import type { EpochKeys } from '../../protocol/group.js';
import { openWith } from './open.js';

export interface OpenWorkerRequest {
  readonly id: number;
  readonly candidates: readonly (readonly EpochKeys[])[];
  readonly blobs: readonly Uint8Array[];
}

export type OpenWorkerOutcome =
  | { readonly k: 'o'; readonly g: number; readonly encoded: Uint8Array; readonly entryId: Uint8Array }
  | { readonly k: 'r'; readonly g: number; readonly encoded: Uint8Array }
  | { readonly k: 'i' }
  | { readonly k: 'f' };

export type OpenWorkerReply = { readonly id: number; readonly outcomes?: readonly OpenWorkerOutcome[]; readonly error?: string };

const port = parentPort!;
await ready();
port.on('message', (m: OpenWorkerRequest) => {
  try {
    const outcomes: OpenWorkerOutcome[] = m.blobs.map((blob) => {
      const o = openWith(m.candidates, blob);
      if (o.kind === 'opened') return { k: 'o', g: o.group, encoded: o.encoded, entryId: o.id };
      if (o.kind === 'refused') return { k: 'r', g: o.group, encoded: o.encoded };
      return { k: o.kind === 'invalid' ? 'i' : 'f' };
    });
    port.postMessage({ id: m.id, outcomes } satisfies OpenWorkerReply);
  } catch (err) {
    port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) } satisfies OpenWorkerReply);
  } finally {
    for (const ks of m.candidates) for (const k of ks) {
      wipe(k.secret);
      wipe(k.blobKey);
      wipe(k.binding);
    }
  }
});
port.postMessage({ id: 0 } satisfies OpenWorkerReply); // ready
