/**
 * Bounded back-fill (docs/peer-protocol.md, "Sync", "Back-fill"): which entries to ask a peer
 * for, in requests of bounded size, and when to stop asking. Pure: the caller tells it what a
 * peer claims (its notes), what the log now lacks (gaps.ts) and when an answer ended.
 *
 * What is asked for, per author, lowest seq first, at most WANT_SEQS_MAX seqs and WANT_IDS_MAX
 * ids per request:
 * - the author's missing ranges (known gaps: below a held entry), from any peer;
 * - the seqs above my highest held one up to what this peer's notes claim it holds;
 * - ids cited by held entries that nobody has delivered;
 * - a seq at or below my highest one where the peer's note names an entry I do not hold (a
 *   fork: asking for it lets both entries meet and prove the equivocation).
 *
 * Every *claim* is counted: a known gap is keyed by (author, first missing seq), a peer's note by
 * (peer, author, claimed seq and id), a missing id by the id. An answered request that brings
 * nothing of a claim is one failed attempt. A peer is asked for a claim at most
 * ATTEMPTS_PER_PEER times without success; the first time a peer reaches that, the claim is
 * recorded as **unfillable** against the author that made it (with the peer, for a note). A
 * known gap or an id may still be asked of other peers until ATTEMPTS_TOTAL failed attempts in
 * all, then never again; a note, never again of that peer. A recorded claim that is filled after
 * all (by another peer, or a pub) is taken off the record. A known gap whose first missing seq
 * moves (part of it arrived) is a new claim. So a member who cites ids nobody holds, or signs
 * seq 2^53-1 after seq 5, costs a few bounded requests, once.
 */
import { toHex } from '../bytes.js';
import type { SummaryRecord } from '../summary.js';
import type { GapReport, SeqSpan } from './gaps.js';
import type { PositionMap } from './notes.js';

/** The most seqs one request names (summed over its ranges). */
export const WANT_SEQS_MAX = 1024;
/** The most ranges one request names. */
export const WANT_RANGES_MAX = 256;
/** The most ids one request names. */
export const WANT_IDS_MAX = 256;
/** Failed attempts of one claim at one peer before that peer is not asked for it again. */
export const ATTEMPTS_PER_PEER = 2;
/** Failed attempts of a known gap or a missing id over all peers before it is unfillable. */
export const ATTEMPTS_TOTAL = 6;

export interface WantRange {
  readonly author: Uint8Array;
  readonly from: number;
  readonly to: number;
}

/** A bounded request: ranges ascending by (author, from) and disjoint; ids ascending. */
export interface Want {
  readonly ranges: readonly WantRange[];
  readonly ids: readonly Uint8Array[];
}

export interface UnfillableClaim {
  readonly kind: 'gap' | 'note' | 'id';
  /** The author whose entry (or whose chain, for a note) makes the claim. */
  readonly author: Uint8Array;
  /** For 'gap' and 'note': the seqs that could not be had. */
  readonly from?: number;
  readonly to?: number;
  /** For 'id': the missing id. */
  readonly id?: Uint8Array;
  /** For 'note': the peer whose note claimed it. */
  readonly peer?: string;
  readonly attempts: number;
}

interface ClaimCount {
  total: number;
  perPeer: Map<string, number>;
  /** Never asked again. */
  dead: boolean;
  /** Recorded as unfillable (and not filled since). */
  reported: boolean;
  record: UnfillableClaim | null;
}

interface Pending {
  readonly want: Want;
  /** Claim keys the request covered, with what each asked for. */
  readonly claims: readonly { key: string; kind: 'gap' | 'note' | 'id'; author: Uint8Array; from?: number; to?: number; id?: Uint8Array; forkId?: Uint8Array }[];
}

export interface BackfillLimits {
  readonly wantSeqsMax?: number;
  readonly attemptsPerPeer?: number;
  readonly attemptsTotal?: number;
}

function spansWithin(spans: readonly SeqSpan[], max: number): SeqSpan[] {
  const out: SeqSpan[] = [];
  let left = max;
  for (const s of spans) {
    if (left <= 0) break;
    const to = Math.min(s.to, s.from + left - 1);
    out.push({ from: s.from, to });
    left -= to - s.from + 1;
  }
  return out;
}

function heldIn(report: GapReport, author: string, from: number, to: number): boolean {
  // True when at least one seq of from..to is no longer missing (or beyond the old top, now held).
  const a = report.authors.find((x) => toHex(x.author) === author);
  if (a === undefined) return false;
  if (a.top < from) return false;
  for (let seq = from; seq <= Math.min(to, a.top); ) {
    const hole = a.missing.find((m) => m.from <= seq && seq <= m.to);
    if (hole === undefined) return true;
    seq = hole.to + 1;
  }
  return false;
}

/** The back-fill planner of one group (one per group; peers are opaque strings). */
export class BackfillPlanner {
  private readonly counts = new Map<string, ClaimCount>();
  private readonly pending = new Map<string, Pending>();
  private readonly dead: UnfillableClaim[] = [];
  private readonly seqsMax: number;
  private readonly perPeerMax: number;
  private readonly totalMax: number;

  constructor(limits: BackfillLimits = {}) {
    this.seqsMax = Math.min(limits.wantSeqsMax ?? WANT_SEQS_MAX, WANT_SEQS_MAX);
    this.perPeerMax = limits.attemptsPerPeer ?? ATTEMPTS_PER_PEER;
    this.totalMax = limits.attemptsTotal ?? ATTEMPTS_TOTAL;
  }

  /** Claims that failed for good, in the order they failed. */
  unfillable(): readonly UnfillableClaim[] {
    return this.dead;
  }

  /** True while a request to `peer` awaits its end. */
  inFlight(peer: string): boolean {
    return this.pending.has(peer);
  }

  /** Forgets a request to a peer whose link went down (its attempt does not count). */
  abandon(peer: string): void {
    this.pending.delete(peer);
  }

  private count(key: string): ClaimCount {
    let c = this.counts.get(key);
    if (c === undefined) this.counts.set(key, (c = { total: 0, perPeer: new Map(), dead: false, reported: false, record: null }));
    return c;
  }

  private askable(key: string, peer: string, kind: 'gap' | 'note' | 'id'): boolean {
    const c = this.counts.get(key);
    if (c === undefined) return true;
    if (c.dead) return false;
    return (c.perPeer.get(peer) ?? 0) < this.perPeerMax && (kind === 'note' || c.total < this.totalMax);
  }

  /**
   * The next request to send `peer`, or null when there is nothing to ask it (or one is in
   * flight). `report` is my log's gaps now, `theirs` the peer's positions from its notes.
   */
  plan(peer: string, report: GapReport, theirs: PositionMap | null, holds?: (author: Uint8Array, seq: number, id: Uint8Array) => boolean): Want | null {
    if (this.pending.has(peer)) return null;
    const ranges: WantRange[] = [];
    const claims: Pending['claims'][number][] = [];
    let left = this.seqsMax;
    const mine = new Map(report.authors.map((a) => [toHex(a.author), a]));
    const authors = new Set<string>([...mine.keys(), ...(theirs === null ? [] : theirs.keys())]);
    for (const key of [...authors].sort()) {
      if (left <= 0 || ranges.length >= WANT_RANGES_MAX) break;
      const a = mine.get(key);
      const spans: { span: SeqSpan; claim: string; kind: 'gap' | 'note'; forkId?: Uint8Array }[] = [];
      if (a !== undefined && a.missing.length > 0) {
        const first = a.missing[0]!;
        const claim = `gap:${key}:${first.from}`;
        if (this.askable(claim, peer, 'gap')) for (const m of a.missing) spans.push({ span: m, claim, kind: 'gap' });
      }
      const their: SummaryRecord | undefined = theirs?.get(key);
      const top = a?.top ?? 0;
      if (their !== undefined && their.seq > top) {
        const claim = `note:${peer}:${key}:${their.seq}:${toHex(their.id)}`;
        if (this.askable(claim, peer, 'note')) spans.push({ span: { from: top + 1, to: their.seq }, claim, kind: 'note' });
      } else if (their !== undefined && holds !== undefined && !holds(their.author, their.seq, their.id)) {
        // A fork: the peer's chain has another entry at a seq I hold (or lack below my top). Ask
        // for that one seq, so both entries meet and prove the equivocation.
        const claim = `note:${peer}:${key}:${their.seq}:${toHex(their.id)}`;
        const inMissing = a?.missing.some((m) => m.from <= their.seq && their.seq <= m.to) === true;
        if (!inMissing && this.askable(claim, peer, 'note')) spans.push({ span: { from: their.seq, to: their.seq }, claim, kind: 'note', forkId: their.id });
      }
      if (spans.length === 0) continue;
      const author = a?.author ?? their!.author;
      spans.sort((x, y) => x.span.from - y.span.from);
      const taken = spansWithin(spans.map((s) => s.span), Math.min(left, WANT_SEQS_MAX));
      const used = new Set<string>();
      for (let i = 0; i < taken.length && ranges.length < WANT_RANGES_MAX; i++) {
        const t = taken[i]!;
        const s = spans[i]!;
        ranges.push({ author, from: t.from, to: t.to });
        left -= t.to - t.from + 1;
        if (!used.has(s.claim)) {
          used.add(s.claim);
          claims.push({ key: s.claim, kind: s.kind, author, from: t.from, to: s.span.to, ...(s.forkId !== undefined ? { forkId: s.forkId } : {}) });
        } else {
          const c = claims.find((x) => x.key === s.claim)!;
          (c as { to?: number }).to = s.span.to;
        }
      }
    }
    const ids: Uint8Array[] = [];
    for (const m of report.missingIds) {
      if (ids.length >= WANT_IDS_MAX) break;
      const claim = `id:${toHex(m.id)}`;
      if (!this.askable(claim, peer, 'id')) continue;
      ids.push(m.id);
      claims.push({ key: claim, kind: 'id', author: m.citers[0]!, id: m.id });
    }
    if (ranges.length === 0 && ids.length === 0) return null;
    const want: Want = { ranges, ids };
    this.pending.set(peer, { want, claims });
    return want;
  }

  /**
   * The request to `peer` ended (its END frame arrived) and everything it delivered has been
   * ingested; `report` is my log's gaps now. Counts each claim that got nothing as a failed
   * attempt and returns the claims that became unfillable.
   */
  settle(peer: string, report: GapReport, holds?: (author: Uint8Array, seq: number, id: Uint8Array) => boolean): readonly UnfillableClaim[] {
    const p = this.pending.get(peer);
    if (p === undefined) return [];
    this.pending.delete(peer);
    const stillMissing = new Set(report.missingIds.map((m) => toHex(m.id)));
    const failed: UnfillableClaim[] = [];
    for (const claim of p.claims) {
      const authorHex = toHex(claim.author);
      const progressed =
        claim.kind === 'id'
          ? !stillMissing.has(toHex(claim.id!))
          : claim.forkId !== undefined
            ? holds?.(claim.author, claim.from!, claim.forkId) === true
            : heldIn(report, authorHex, claim.from!, claim.to!);
      if (progressed) {
        const c = this.counts.get(claim.key);
        if (c !== undefined && c.reported) {
          // Filled after all (another peer, a pub): no longer unfillable.
          c.reported = false;
          const i = this.dead.findIndex((d) => d === c.record);
          if (i >= 0) this.dead.splice(i, 1);
        }
        continue;
      }
      const c = this.count(claim.key);
      c.total++;
      c.perPeer.set(peer, (c.perPeer.get(peer) ?? 0) + 1);
      if (claim.kind === 'note' ? c.perPeer.get(peer)! >= this.perPeerMax : c.total >= this.totalMax) c.dead = true;
      if (c.perPeer.get(peer)! >= this.perPeerMax && !c.reported && c.record === null) {
        c.reported = true;
        const u: UnfillableClaim =
          claim.kind === 'id'
            ? { kind: 'id', author: claim.author, id: claim.id!, attempts: c.total }
            : { kind: claim.kind, author: claim.author, from: claim.from!, to: claim.to!, attempts: c.total, ...(claim.kind === 'note' ? { peer } : {}) };
        c.record = u;
        this.dead.push(u);
        failed.push(u);
      }
    }
    return failed;
  }
}

/** What answering a request needs of my log: the original blobs of held entries. */
export interface HeldBlobs {
  /** Blobs of the author's entries with this seq (two or more when it equivocated). */
  bySeq(author: Uint8Array, seq: number): readonly Uint8Array[];
  /** The blob of the entry with this id, or null. */
  byId(id: Uint8Array): Uint8Array | null;
}

/** The most blobs one answer carries: two per seq (a fork and its twin) and one per id. */
export const ANSWER_BLOBS_MAX = 2 * WANT_SEQS_MAX + WANT_IDS_MAX;

/**
 * The blobs that answer a request, each once (by content), in the order asked, at most
 * ANSWER_BLOBS_MAX. A request over its bounds is answered up to them: the requester re-asks.
 */
export function answerWant(want: Want, log: HeldBlobs): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  const add = (blob: Uint8Array): boolean => {
    if (out.length >= ANSWER_BLOBS_MAX) return false;
    const key = toHex(blob.subarray(0, 64)) + blob.length;
    if (seen.has(key)) return true;
    seen.add(key);
    out.push(blob);
    return true;
  };
  let seqs = 0;
  for (const r of want.ranges) {
    for (let seq = r.from; seq <= r.to && seqs < WANT_SEQS_MAX; seq++, seqs++) {
      for (const b of log.bySeq(r.author, seq).slice(0, 2)) if (!add(b)) return out;
    }
  }
  for (const id of want.ids.slice(0, WANT_IDS_MAX)) {
    const b = log.byId(id);
    if (b !== null && !add(b)) return out;
  }
  return out;
}
