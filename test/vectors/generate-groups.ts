/**
 * Writes the committed group-format vectors (test/vectors/{summary,checkpoint,key-package,
 * group-invite,roster}.json) from fixed inputs, beside generate.ts (which writes the entry and
 * blob vectors). Run by hand after a deliberate format change:
 * `npx tsc -p tsconfig.json && node dist/test/vectors/generate-groups.js`. The tests only read
 * the files and never regenerate them.
 */
import { existsSync } from 'node:fs';
import { fromHex, toHex, utf8Encode } from '../../protocol/bytes.js';
import { createCheckpoint, encodeCheckpoint, LABEL_CHECKPOINT, type Role } from '../../protocol/checkpoint.js';
import { blake2b, ed25519KeyPairFromSeed, labelledSigningInput, ready, signLabelled, x25519KeyPairFromSeed } from '../../protocol/crypto.js';
import { createKeyPackage, encodeKeyPackage, LABEL_KEY_PACKAGE } from '../../protocol/key-package.js';
import { computeSummary, diffSummaries, encodeSummary, type Summary, type SummaryInputEntry } from '../../protocol/summary.js';
import type {
  CheckpointVector,
  KeyPackageVector,
  SeqRangeJson,
  SummaryDiffVector,
  SummaryVector,
  SummaryVectors,
} from '../helpers/group-vectors.js';
import { readVectors, vectorPath, writeVectors } from '../helpers/vectors.js';

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

/** A member of the vector groups: identity key from a named seed, X25519 key pair from another. */
function member(name: string, role: Role) {
  const identity = ed25519KeyPairFromSeed(fixed(`identity ${name}`));
  const dhSeed = fixed(`dh ${name}`);
  return { identityKey: identity.publicKey, role, dhSeed, dh: x25519KeyPairFromSeed(dhSeed) };
}

function checkpoints(): CheckpointVector[] {
  const groupId = fixed('group id');
  const signerSeed = fixed('admin signing key');
  const signer = ed25519KeyPairFromSeed(signerSeed);
  const cases = [
    { description: 'epoch 1 (after epoch 0, opened by the group id), one admin and two members', epoch: 1, previous: { number: 0, opener: groupId }, members: [member('ada', 'admin'), member('bo', 'member'), member('cy', 'member')] },
    { description: 'a later epoch, two admins', epoch: 7, previous: { number: 6, opener: fixed('opener of epoch 6') }, members: [member('ada', 'admin'), member('dee', 'admin'), member('cy', 'member')] },
    { description: 'a group of one admin', epoch: 0xffff_ffff, previous: { number: 0xffff_fffe, opener: fixed('opener of the last epoch') }, members: [member('ada', 'admin')] },
  ];
  return cases.map((c) => {
    const cp = createCheckpoint({ groupId, epoch: c.epoch, previous: c.previous, members: c.members }, signer);
    const encoding = encodeCheckpoint(cp);
    return {
      description: c.description,
      groupId: toHex(groupId),
      epoch: c.epoch,
      previous: { number: c.previous.number, opener: toHex(c.previous.opener) },
      members: cp.members.map((m) => ({ identityKey: toHex(m.identityKey), role: m.role })),
      signerSeed: toHex(signerSeed),
      signer: toHex(signer.publicKey),
      signedMessage: toHex(labelledSigningInput(LABEL_CHECKPOINT, encoding.subarray(0, encoding.length - 64))),
      signature: toHex(cp.signature),
      encoding: toHex(encoding),
    };
  });
}

function keyPackages(): KeyPackageVector[] {
  const previous = existsSync(vectorPath('key-package')) ? readVectors<{ vectors: KeyPackageVector[] }>('key-package').vectors : [];
  const groupId = fixed('group id');
  const signerSeed = fixed('admin signing key');
  const signer = ed25519KeyPairFromSeed(signerSeed);
  const cases = [
    { description: 'epoch 1 for an admin and two members', epoch: 1, previous: { number: 0, opener: groupId }, members: [member('ada', 'admin'), member('bo', 'member'), member('cy', 'member')], secret: fixed('epoch secret 1') },
    { description: 'epoch 4 for the admin alone', epoch: 4, previous: { number: 3, opener: fixed('opener of epoch 3') }, members: [member('ada', 'admin')], secret: fixed('epoch secret 4') },
  ];
  return cases.map((c) => {
    let pkg = createKeyPackage(
      { groupId, epoch: c.epoch, previous: c.previous, members: c.members.map((m) => ({ identityKey: m.identityKey, dhKey: m.dh.publicKey, role: m.role })), secret: c.secret },
      signer,
    );
    // Sealed boxes are randomised: keep the committed slots when the rest is unchanged, so that
    // regenerating does not rewrite this file for nothing.
    const old = previous.find((v) => v.description === c.description && v.checkpoint === toHex(encodeCheckpoint(pkg.checkpoint)));
    if (old !== undefined) {
      const slots = old.slots.map(fromHex);
      const unsigned = encodeKeyPackage({ ...pkg, slots, signature: new Uint8Array(64) }).subarray(0, -64);
      pkg = { ...pkg, slots, signature: signLabelled(LABEL_KEY_PACKAGE, unsigned, signer.secretKey) };
    }
    const encoding = encodeKeyPackage(pkg);
    const byKey = new Map(c.members.map((m) => [toHex(m.identityKey), m]));
    return {
      description: c.description,
      groupId: toHex(groupId),
      epoch: c.epoch,
      previous: { number: c.previous.number, opener: toHex(c.previous.opener) },
      recipients: pkg.checkpoint.members.map((m) => {
        const r = byKey.get(toHex(m.identityKey))!;
        return { identityKey: toHex(m.identityKey), role: m.role, dhSeed: toHex(r.dhSeed), dhKey: toHex(r.dh.publicKey) };
      }),
      signerSeed: toHex(signerSeed),
      secret: toHex(c.secret),
      commitment: toHex(pkg.commitment),
      checkpoint: toHex(encodeCheckpoint(pkg.checkpoint)),
      slots: pkg.slots.map(toHex),
      signedMessage: toHex(labelledSigningInput(LABEL_KEY_PACKAGE, encoding.subarray(0, encoding.length - 64))),
      signature: toHex(pkg.signature),
      encoding: toHex(encoding),
      size: encoding.length,
    };
  });
}

async function main(): Promise<void> {
  await ready();
  writeVectors('summary', summaries());
  writeVectors('checkpoint', { description: 'roster checkpoint fields + admin signing key -> signed message -> signature -> encoding', vectors: checkpoints() });
  writeVectors('key-package', { description: 'new epoch secret sealed to each member of a signed checkpoint, committed and signed (slots are randomised: committed as made)', vectors: keyPackages() });
}

await main();
