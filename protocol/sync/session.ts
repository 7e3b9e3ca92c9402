/**
 * One sync session: the protocol of docs/peer-protocol.md "Sync" between me and one peer for one
 * group, as a pure state machine. The daemon feeds it frames in arrival order and does what it
 * returns (send frames, ingest blobs through the one verify-and-store path, keep evidence), and
 * tells it when the log changed. No I/O, no timers.
 *
 * - `start()` (on connect): my notes, full the first time this peer is met (or after a RESYNC),
 *   otherwise only the authors whose position changed since the notes last sent to it.
 * - On the peer's notes: merge them (RESYNC when their base does not match what I was told),
 *   then ask (WANT) for what they hold and I lack, bounded (backfill.ts).
 * - On a WANT: answer with the original blobs (BLOBS frames, parts for large ones) and END.
 * - On BLOBS: hand the blobs to the caller to ingest; the caller ingests them before giving the
 *   session the next frame. On END: settle the request (failed claims count towards
 *   "unfillable") and ask for the next window, if any.
 * - `changed()` (after the log changed, from any source): notes of what moved and, if no request
 *   is in flight, the next request.
 */
import { bytesEqual, toHex } from '../bytes.js';
import type { Summary } from '../summary.js';
import { answerWant, BackfillPlanner, type HeldBlobs, type UnfillableClaim } from './backfill.js';
import type { Evidence } from './evidence.js';
import { blobsFrames, SyncPartAssembler, syncFrames, type SyncFrame, type SyncKeyPackageFrame, type SyncKeyWantFrame, type SyncWantFrame } from './frames.js';
import type { GapReport } from './gaps.js';
import { receiveNotes, takeNotes, type PeerSyncState } from './notes.js';
import { ProtocolError, ProtocolErrorCode } from '../errors.js';

/** What a session reads of my log (the daemon's log store). */
export interface SyncLogView {
  summary(): Summary;
  gaps(): GapReport;
  /** True when I hold the author's entry `seq` with this id. */
  holds(author: Uint8Array, seq: number, id: Uint8Array): boolean;
  /**
   * The original blobs, read synchronously (an in-memory log). Without it, the session hands
   * each WANT to the caller (`SyncActions.wants`), who reads the blobs and calls `answer`.
   */
  readonly blobs?: HeldBlobs;
}

export interface SyncActions {
  /** Frames to send, in order (each fits one peer frame). */
  readonly send: SyncFrame[];
  /** Blobs to ingest (verify and store), in order, before the next frame is given. */
  readonly ingest: Uint8Array[];
  /** Evidence the peer passed on: verify it (evidence.ts verifyEvidence) and keep it. */
  readonly evidence: Evidence[];
  /** Claims that became unfillable with this frame. */
  readonly unfillable: UnfillableClaim[];
  /** Key requests and key packages for the caller (who knows rosters and secrets). */
  readonly keyWants: SyncKeyWantFrame[];
  readonly keyPackages: SyncKeyPackageFrame[];
  /** Requests to answer (only when the log view has no `blobs`): read them, then `answer`. */
  readonly wants: SyncWantFrame[];
}

function none(): { send: SyncFrame[]; ingest: Uint8Array[]; evidence: Evidence[]; unfillable: UnfillableClaim[]; keyWants: SyncKeyWantFrame[]; keyPackages: SyncKeyPackageFrame[]; wants: SyncWantFrame[] } {
  return { send: [], ingest: [], evidence: [], unfillable: [], keyWants: [], keyPackages: [], wants: [] };
}

export interface SyncSessionStats {
  notesSent: number;
  notesRecordsSent: number;
  wantsSent: number;
  blobsSent: number;
  blobsReceived: number;
}

export class SyncSession {
  private readonly assembler = new SyncPartAssembler();
  private nextRequestId = 1;
  private awaiting: number | null = null;
  readonly stats: SyncSessionStats = { notesSent: 0, notesRecordsSent: 0, wantsSent: 0, blobsSent: 0, blobsReceived: 0 };

  #probation: boolean;
  #heard = false;

  constructor(
    readonly groupId: Uint8Array,
    /** An opaque name of the peer (the planner keys its counts by it). */
    readonly peer: string,
    readonly state: PeerSyncState,
    readonly planner: BackfillPlanner,
    private readonly log: SyncLogView,
    options: { readonly probation?: boolean } = {},
  ) {
    if (!bytesEqual(state.groupId, groupId)) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'the peer state is of another group');
    this.#probation = options.probation === true;
  }

  /**
   * True while the peer is not (yet) known to be a member: a contact whose join has not reached
   * me. On probation a session reveals nothing of the log: it sends no notes, answers every
   * request with nothing, and asks only for the authors the peer's own notes named (so what it
   * asks tells the peer nothing it did not say). What the peer sends is verified like anything
   * else, so a member's join can arrive this way.
   */
  get probation(): boolean {
    return this.#probation;
  }

  /** The peer is now known to be a member: the frames that start the full exchange. */
  promote(): SyncFrame[] {
    if (!this.#probation) return [];
    this.#probation = false;
    return [...this.start(), ...this.want()];
  }

  /** True while my request to the peer awaits its END. */
  get requesting(): boolean {
    return this.awaiting !== null;
  }

  private notes(full: boolean, always: boolean): SyncFrame[] {
    if (this.#probation) return [];
    const notes = takeNotes(this.state, this.log.summary(), { full });
    if (!always && !notes.full && notes.records.length === 0) return [];
    this.stats.notesSent++;
    this.stats.notesRecordsSent += notes.records.length;
    return syncFrames({ type: 'sync-notes', notes });
  }

  private want(): SyncFrame[] {
    if (this.awaiting !== null) return [];
    const gaps = this.log.gaps();
    const report = this.#probation
      ? { authors: gaps.authors.filter((a) => this.state.received.has(toHex(a.author))), missingIds: [], brokenLinks: [], forks: [] }
      : gaps;
    const want = this.planner.plan(this.peer, report, this.state.received, (a, s, id) => this.log.holds(a, s, id));
    if (want === null) return [];
    const requestId = this.nextRequestId++;
    this.awaiting = requestId;
    this.stats.wantsSent++;
    return [{ type: 'sync-want', groupId: this.groupId, requestId, want }];
  }

  /** On connect: my notes (always sent, even with no records, so the peer checks its base). */
  start(): SyncFrame[] {
    return this.notes(false, true);
  }

  /** The log changed: notes of what moved, and the next request when none is in flight. */
  changed(): SyncFrame[] {
    return [...this.notes(false, false), ...this.want()];
  }

  /** The link went down: forget the request in flight (its attempt does not count). */
  close(): void {
    if (this.awaiting !== null) this.planner.abandon(this.peer);
    this.awaiting = null;
    this.assembler.reset();
  }

  /**
   * The frames answering the peer's request `requestId` with these original blobs (at most
   * ANSWER_BLOBS_MAX, as answerWant picks them): BLOBS frames (parts for large ones), then END.
   */
  answer(requestId: number, blobs: readonly Uint8Array[]): SyncFrame[] {
    const out: SyncFrame[] = [];
    this.stats.blobsSent += blobs.length;
    for (const f of blobsFrames(this.groupId, requestId, blobs)) out.push(...syncFrames(f));
    out.push({ type: 'sync-end', groupId: this.groupId, requestId, sent: blobs.length });
    return out;
  }

  /** One frame from the peer (a sync frame of this group; a part of any). */
  receive(frame: SyncFrame): SyncActions {
    const out = none();
    if (frame.type === 'sync-part') {
      const whole = this.assembler.push(frame);
      return whole === null ? out : this.receive(whole);
    }
    if (frame.type === 'sync-link') throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'link proofs are the link\'s, not a session\'s');
    if (!bytesEqual(groupOf(frame), this.groupId)) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'a sync frame of another group');
    switch (frame.type) {
      case 'sync-notes': {
        const outcome = receiveNotes(this.state, frame.notes);
        if (outcome.kind === 'resync') out.send.push({ type: 'sync-resync', groupId: this.groupId });
        else out.send.push(...this.want());
        // The first notes of this link: answer with mine (even with no records), so notes of
        // mine sent before the peer was listening show as a base mismatch there, not as silence.
        if (!this.#heard) {
          this.#heard = true;
          out.send.push(...this.notes(false, true));
        }
        break;
      }
      case 'sync-resync':
        out.send.push(...this.notes(true, true));
        break;
      case 'sync-want':
        if (this.#probation) out.send.push(...this.answer(frame.requestId, []));
        else if (this.log.blobs === undefined) out.wants.push(frame);
        else out.send.push(...this.answer(frame.requestId, answerWant(frame.want, this.log.blobs)));
        break;
      case 'sync-blobs':
        if (frame.requestId !== this.awaiting) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'blobs for a request not in flight');
        this.stats.blobsReceived += frame.blobs.length;
        out.ingest.push(...frame.blobs);
        break;
      case 'sync-end':
        if (frame.requestId !== this.awaiting) throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, 'an end for a request not in flight');
        this.awaiting = null;
        out.unfillable.push(...this.planner.settle(this.peer, this.log.gaps(), (a, s, id) => this.log.holds(a, s, id)));
        out.send.push(...this.notes(false, false), ...this.want());
        break;
      case 'sync-evidence':
        if (!this.#probation) out.evidence.push(frame.evidence);
        break;
      case 'sync-key-want':
        out.keyWants.push(frame);
        break;
      case 'sync-key-package':
        out.keyPackages.push(frame);
        break;
    }
    return out;
  }
}

/** The group a (non-part) sync frame is about. */
export function groupOf(frame: Exclude<SyncFrame, { type: 'sync-part' | 'sync-link' }>): Uint8Array {
  switch (frame.type) {
    case 'sync-notes':
      return frame.notes.groupId;
    case 'sync-evidence':
      return frame.evidence.groupId;
    default:
      return frame.groupId;
  }
}
