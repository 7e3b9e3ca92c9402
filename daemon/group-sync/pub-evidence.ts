/**
 * What the pub links show group sync about the pubs and the blobs they serve (issue 13's tamper
 * evidence), without touching the ingest path of good blobs:
 *
 * - `watchPubOrder(dialer, onFault)`: a Dialer that hands over the dialled sockets unchanged and
 *   reads, beside the pub client, every PAGE and BLOB frame a pub sends (with their cursors) into
 *   a PubOrderWatch (protocol/sync/pub-watch.ts): a blob at a cursor not above the one served
 *   before it on the same connection (`regressed`: out of the pub's own cursor order, which the
 *   client then refuses, dropping the link), or one blob at two cursors (`repeated`: a pub
 *   dedupes identical blobs) becomes an observation for `onFault`. A connection starts a new
 *   order when it is first served (PAGE or SUBSCRIBED); a pub whose hello names another
 *   proof-of-work context, or whose head went below a cursor it served, has a new store (lost or
 *   replaced): what it served before is forgotten, so its blobs posted again are no repeat; nor
 *   is a blob at a new cursor whose first cursor is below the pub's start (it was pruned, and a
 *   member posted it again: repair after a "pruned" answer).
 *   At most PUB_WATCH_BLOBS blob hashes per pub are remembered.
 * - `refusalSink(groups, onRefused, log)`: the groups service as GroupPubs' sink (the same
 *   ingestRun and error handling as GroupsService.blobsReceived), which hands every blob the
 *   ingest refused as invalid (one that opened under a key we hold and did not verify) to
 *   `onRefused` with its pub, for foreign-entry evidence (foreign-entry.ts).
 */
import type { RawData, WebSocket } from 'ws';
import { isApiError } from '../../protocol/api/errors.js';
import { toHex } from '../../protocol/bytes.js';
import { PubFrameType, decodeServerFrameParts } from '../../protocol/pub-wire.js';
import { PubOrderWatch, type PubOrderObservation } from '../../protocol/sync/pub-watch.js';
import type { PubBlobSink } from '../group-pubs/types.js';
import type { GroupsService, IngestSource } from '../groups/service.js';
import type { Log } from '../log.js';
import { isStoreError } from '../store/errors.js';
import type { Dialer } from '../transport/types.js';

/** Blob hashes remembered per pub to see one blob served at two cursors; about 150 bytes each. */
export const PUB_WATCH_BLOBS = 10_000;

function parts(data: RawData): Uint8Array[] {
  if (Array.isArray(data)) return data;
  if (data instanceof ArrayBuffer) return [new Uint8Array(data)];
  return [data];
}

/** A Dialer whose pub connections are watched for pub-order faults (see above). */
export function watchPubOrder(inner: Dialer, onFault: (observation: PubOrderObservation) => void, capacity = PUB_WATCH_BLOBS): Dialer {
  const watch = new PubOrderWatch(capacity);
  const pubs = new Map<string, { context: string | null; highest: bigint; start: bigint }>();
  const pubState = (pub: string) => {
    let p = pubs.get(pub);
    if (p === undefined) pubs.set(pub, (p = { context: null, highest: 0n, start: 0n }));
    return p;
  };
  const newStore = (pub: string) => {
    watch.forget(pub);
    const p = pubState(pub);
    p.highest = 0n;
    p.start = 0n;
  };
  return {
    kind: inner.kind,
    async dial(address, options) {
      const ws: WebSocket = await inner.dial(address, options);
      let served = false;
      const startServing = () => {
        if (served) return;
        served = true;
        watch.restart(address);
      };
      const seen = (cursor: bigint, blob: Uint8Array) => {
        const p = pubState(address);
        if (cursor > p.highest) p.highest = cursor;
        const fault = watch.observe(address, cursor, blob);
        // a blob the pub pruned (below its start) and a member posted again is no repeat
        if (fault !== null && !(fault.fault === 'repeated' && fault.first.cursor < p.start)) onFault(fault);
      };
      const bounds = (start: bigint, h: bigint) => {
        if (h < pubState(address).highest) newStore(address);
        const p = pubState(address);
        if (start > p.start) p.start = start;
      };
      ws.on('message', (data: RawData, isBinary: boolean) => {
        if (!isBinary) return;
        let frame;
        try {
          frame = decodeServerFrameParts(parts(data));
        } catch {
          return; // the pub client refuses it and drops the link
        }
        try {
          switch (frame.type) {
            case PubFrameType.HELLO: {
              const context = toHex(frame.policy.powContext);
              const p = pubState(address);
              if (p.context !== null && p.context !== context) newStore(address);
              p.context = context;
              break;
            }
            case PubFrameType.PAGE:
              startServing();
              bounds(frame.start, frame.head);
              for (const e of frame.blobs) seen(e.cursor, e.blob);
              break;
            case PubFrameType.SUBSCRIBED:
              startServing();
              bounds(frame.start, frame.head);
              break;
            case PubFrameType.BLOB:
              startServing();
              seen(frame.cursor, frame.blob);
              break;
            default:
              break;
          }
        } catch {
          // an observer's failure never touches the link
        }
      });
      return ws;
    },
  };
}

/** What refusalSink needs of the groups service. */
type IngestingSink = PubBlobSink & Pick<GroupsService, 'ingestRun'>;

/** The groups service as GroupPubs' sink, with the blobs it refused as invalid handed to `onRefused`. */
export function refusalSink(groups: IngestingSink, onRefused: (blob: Uint8Array, source: IngestSource & { kind: 'pub' }) => void, log: Log): PubBlobSink {
  const run = async (pub: string, blobs: readonly Uint8Array[]): Promise<void> => {
    let results;
    try {
      results = await groups.ingestRun(null, blobs, { kind: 'pub', pub });
    } catch (err) {
      if (isStoreError(err) || isApiError(err, 'ERR_LOCKED')) throw err;
      log('group-ingest-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') });
      return;
    }
    results.forEach((r, i) => {
      if (r.status !== 'invalid') return;
      try {
        onRefused(blobs[i]!, { kind: 'pub', pub });
      } catch {
        // evidence is best effort; the blob is refused either way
      }
    });
  };
  return {
    blobReceived: (pub, blob) => run(pub, [blob]),
    blobsReceived: run,
    pruned: (pub, info) => groups.pruned(pub, info),
  };
}

/** Where the pub links' evidence goes (GroupSync). */
export interface PubEvidenceTarget {
  pubFault(observation: PubOrderObservation): void;
  refusedBlob(blob: Uint8Array, where: { readonly pub: string }): void;
}

/** GroupPubs' dialer and sink with both watches on, feeding `target`; unchanged when it is null. */
export function pubLinksWithEvidence(dialer: Dialer, groups: IngestingSink, target: PubEvidenceTarget | null, log: Log): { dialer: Dialer; sink: PubBlobSink } {
  if (target === null) return { dialer, sink: groups };
  return {
    dialer: watchPubOrder(dialer, (o) => target.pubFault(o)),
    sink: refusalSink(groups, (blob, source) => target.refusedBlob(blob, { pub: source.pub }), log),
  };
}
