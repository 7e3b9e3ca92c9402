/**
 * Writes the committed group-format vectors (test/vectors/{summary,checkpoint,key-package,
 * group-invite,roster}.json) from fixed inputs, beside generate.ts (which writes the entry and
 * blob vectors). Run by hand after a deliberate format change:
 * `npx tsc -p tsconfig.json && node dist/test/vectors/generate-groups.js`. The tests only read
 * the files and never regenerate them.
 */
import { toHex, utf8Encode } from '../../protocol/bytes.js';
import { blake2b, ready } from '../../protocol/crypto.js';
import { computeSummary, diffSummaries, encodeSummary, type Summary, type SummaryInputEntry } from '../../protocol/summary.js';
import type { SeqRangeJson, SummaryDiffVector, SummaryVector, SummaryVectors } from '../helpers/group-vectors.js';
import { writeVectors } from '../helpers/vectors.js';

/** Deterministic bytes from a name, so inputs are reproducible and unremarkable. */
function fixed(name: string, n = 32): Uint8Array {
  return blake2b(n, utf8Encode(`snug group vector ${name}`));
}

const ZERO = new Uint8Array(32);

function rangesJson(ranges: readonly { author: Uint8Array; from: number; to: number }[]): SeqRangeJson[] {
  return ranges.map((r) => ({ author: toHex(r.author), from: r.from, to: r.to }));
}

function summaries(): SummaryVectors {
  const groupId = fixed('group id');
  const authors = [fixed('author a'), fixed('author b'), fixed('author c')];
  /** A chain of `n` entries of `author`, ids named by `tag`. */
  function chain(author: Uint8Array, tag: string, n: number, from = 1, prev0: Uint8Array = ZERO): SummaryInputEntry[] {
    const out: SummaryInputEntry[] = [];
    let prev = prev0;
    for (let seq = from; seq < from + n; seq++) {
      const id = fixed(`${tag} ${seq}`);
      out.push({ author, seq, prev, id });
      prev = id;
    }
    return out;
  }
  const [a, b, c] = authors as [Uint8Array, Uint8Array, Uint8Array];
  const aChain = chain(a, 'a', 5);
  const bChain = chain(b, 'b', 3);
  const cChain = chain(c, 'c', 2);
  const fork = { author: b, seq: 3, prev: bChain[1]!.id, id: fixed('b 3 fork') };
  const cases: { description: string; entries: SummaryInputEntry[] }[] = [
    { description: 'no entries', entries: [] },
    { description: 'three complete chains, given out of order', entries: [...cChain, ...aChain.slice().reverse(), ...bChain] },
    { description: 'a gap at a 3 stops a at 2; c without its seq 1 has no record', entries: [...aChain.filter((e) => e.seq !== 3), ...bChain, cChain[1]!] },
    { description: 'b equivocated at seq 3: the smaller id wins', entries: [...aChain, ...bChain, fork, ...cChain] },
    { description: 'a duplicate entry counts once', entries: [...aChain.slice(0, 2), aChain[1]!, ...bChain] },
  ];
  const computed: Summary[] = [];
  const vectors: SummaryVector[] = cases.map(({ description, entries }) => {
    const s = computeSummary(groupId, entries);
    computed.push(s);
    return {
      description,
      groupId: toHex(groupId),
      entries: entries.map((e) => ({ author: toHex(e.author), seq: e.seq, prev: toHex(e.prev), id: toHex(e.id) })),
      records: s.records.map((r) => ({ author: toHex(r.author), seq: r.seq, id: toHex(r.id) })),
      encoding: toHex(encodeSummary(s)),
    };
  });
  const pairs: [string, number, number][] = [
    ['empty against full: I miss everything', 0, 1],
    ['a gapped holder against a full one: I miss the gap and the unheld author', 2, 1],
    ['a fork at the same seq', 3, 1],
    ['the forked holder against the gapped one: they miss two ranges, and a fork', 3, 2],
    ['identical summaries: nothing missing', 1, 1],
  ];
  const diffs: SummaryDiffVector[] = pairs.map(([description, i, j]) => {
    const d = diffSummaries(computed[i]!, computed[j]!);
    return {
      description,
      mine: vectors[i]!.encoding,
      theirs: vectors[j]!.encoding,
      iMiss: rangesJson(d.iMiss),
      theyMiss: rangesJson(d.theyMiss),
      forked: d.forked.map(toHex),
    };
  });
  return { description: 'held entries -> per-author summary -> encoding; two summaries -> what each side misses', summaries: vectors, diffs };
}

async function main(): Promise<void> {
  await ready();
  writeVectors('summary', summaries());
}

await main();
