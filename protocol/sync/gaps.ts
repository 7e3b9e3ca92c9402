/**
 * Gap finding over a log's chain metadata (docs/peer-protocol.md, "Sync"): from the (id, author,
 * seq, prev, heads) of the entries a member holds, which entries it knows it lacks. Pure.
 *
 * - A **missing range** is a run of an author's sequence numbers below the highest one held
 *   that is not held: 1..min-1 when the author's first entry is missing, and every hole between
 *   two held seqs. Ranges are bounded by held entries, so a claim of seq 2^53-1 is one range,
 *   never 2^53 items.
 * - A **missing id** is an id named as a head (or as the prev of an entry whose seq - 1 is held
 *   under another id, see below) that the member does not hold: it lists who cited it.
 * - A **broken link** is an entry whose seq - 1 is held but none of the held entries at seq - 1
 *   has the id its prev names: its author signed two histories (tamper evidence, "broken-chain").
 * - A **fork** is two or more held entries of one author with one seq (equivocation).
 *
 * `contiguous` is the summary's position (protocol/summary.ts computeSummary): the highest seq
 * of a complete chain from 1, following prev links.
 *
 * With `floors` (a member that joined without history: protocol/summary.ts ChainFloors) an
 * author's entries below its floor are left out, and nothing below the floor is missing: the
 * chain counts from the floor as it otherwise does from 1.
 */
import { bytesEqual, compareBytes, toHex } from '../bytes.js';
import { authorHexer, computeSummary, type ChainFloors } from '../summary.js';

/** What gap finding needs of each held entry. */
export interface ChainMeta {
  readonly id: Uint8Array;
  readonly author: Uint8Array;
  readonly seq: number;
  /** Id of the author's entry seq - 1 (32 zero bytes for seq 1). */
  readonly prev: Uint8Array;
  readonly heads: readonly Uint8Array[];
  /** Lowercase hex of id, when the caller has it already (it must be toHex(id)). */
  readonly hex?: string;
}

export interface SeqSpan {
  readonly from: number;
  readonly to: number;
}

export interface AuthorGaps {
  readonly author: Uint8Array;
  /** Highest seq of the complete chain from 1 (0: none). */
  readonly contiguous: number;
  /** Id of entry `contiguous` (null when contiguous is 0). */
  readonly contiguousId: Uint8Array | null;
  /** Highest seq held. */
  readonly top: number;
  /** Missing seqs below `top`, ascending, disjoint. */
  readonly missing: readonly SeqSpan[];
  /** Number of distinct seqs held. */
  readonly held: number;
}

export interface MissingId {
  readonly id: Uint8Array;
  /** Ids of the held entries that name it. */
  readonly citedBy: readonly Uint8Array[];
  /** Their authors (parallel to citedBy). */
  readonly citers: readonly Uint8Array[];
}

export interface BrokenLink {
  readonly author: Uint8Array;
  readonly seq: number;
  /** The entry whose prev matches no held entry at seq - 1. */
  readonly id: Uint8Array;
  readonly prev: Uint8Array;
  /** The held entries at seq - 1. */
  readonly heldPrev: readonly Uint8Array[];
}

export interface Fork {
  readonly author: Uint8Array;
  readonly seq: number;
  /** Ascending. */
  readonly ids: readonly Uint8Array[];
}

export interface GapReport {
  /** Ascending by author. */
  readonly authors: readonly AuthorGaps[];
  readonly missingIds: readonly MissingId[];
  readonly brokenLinks: readonly BrokenLink[];
  readonly forks: readonly Fork[];
}

/** The number of missing seqs an author's report names (may exceed 2^32; a plain number). */
export function missingCount(a: AuthorGaps): number {
  let n = 0;
  for (const s of a.missing) n += s.to - s.from + 1;
  return n;
}

/** The gaps of a held set. Entries with the same id count once. */
export function findGaps(groupId: Uint8Array, entries: readonly ChainMeta[], floors?: ChainFloors): GapReport {
  const byId = new Map<string, ChainMeta>();
  const authorHex = authorHexer();
  for (const e of entries) byId.set(e.hex ?? toHex(e.id), e);
  const unique = floors === undefined ? [...byId.values()] : [...byId.values()].filter((e) => e.seq >= (floors.get(authorHex(e.author)) ?? 1));
  const summary = computeSummary(groupId, unique, floors);
  const position = new Map(summary.records.map((r) => [toHex(r.author), r]));

  const byAuthor = new Map<string, { author: Uint8Array; bySeq: Map<number, ChainMeta[]> }>();
  for (const e of unique) {
    const key = authorHex(e.author);
    let a = byAuthor.get(key);
    if (a === undefined) byAuthor.set(key, (a = { author: e.author, bySeq: new Map() }));
    let list = a.bySeq.get(e.seq);
    if (list === undefined) a.bySeq.set(e.seq, (list = []));
    list.push(e);
  }

  const authors: AuthorGaps[] = [];
  const brokenLinks: BrokenLink[] = [];
  const forks: Fork[] = [];
  for (const [key, a] of byAuthor) {
    const seqs = [...a.bySeq.keys()].sort((x, y) => x - y);
    const missing: SeqSpan[] = [];
    let last = (floors?.get(key) ?? 1) - 1;
    for (const s of seqs) {
      if (s > last + 1) missing.push({ from: last + 1, to: s - 1 });
      last = s;
      const here = a.bySeq.get(s)!;
      if (here.length > 1) forks.push({ author: a.author, seq: s, ids: here.map((e) => e.id).sort(compareBytes) });
      const below = a.bySeq.get(s - 1);
      if (s > 1 && below !== undefined) {
        for (const e of here) {
          if (!below.some((b) => bytesEqual(b.id, e.prev))) {
            brokenLinks.push({ author: a.author, seq: s, id: e.id, prev: e.prev, heldPrev: below.map((b) => b.id).sort(compareBytes) });
          }
        }
      }
    }
    const pos = position.get(key);
    authors.push({
      author: a.author,
      contiguous: pos?.seq ?? 0,
      contiguousId: pos?.id ?? null,
      top: last,
      missing,
      held: seqs.length,
    });
  }
  authors.sort((x, y) => compareBytes(x.author, y.author));
  brokenLinks.sort((x, y) => compareBytes(x.author, y.author) || x.seq - y.seq || compareBytes(x.id, y.id));
  forks.sort((x, y) => compareBytes(x.author, y.author) || x.seq - y.seq);

  const cited = new Map<string, { id: Uint8Array; citedBy: Uint8Array[]; citers: Uint8Array[] }>();
  const cite = (id: Uint8Array, by: ChainMeta): void => {
    const k = toHex(id);
    if (byId.has(k)) return;
    let c = cited.get(k);
    if (c === undefined) cited.set(k, (c = { id, citedBy: [], citers: [] }));
    c.citedBy.push(by.id);
    c.citers.push(by.author);
  };
  for (const e of unique) for (const h of e.heads) cite(h, e);
  // A prev that a broken link names is an entry its author signed and we lack.
  for (const b of brokenLinks) cite(b.prev, byId.get(toHex(b.id))!); // few: evidence
  const missingIds = [...cited.values()].sort((x, y) => compareBytes(x.id, y.id));
  return { authors, missingIds, brokenLinks, forks };
}
