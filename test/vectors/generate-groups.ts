/**
 * Writes the committed group-format vectors (test/vectors/{summary,checkpoint,key-package,
 * invite,roster}.json) from fixed inputs, beside generate.ts (which writes the entry and
 * blob vectors). Run by hand after a deliberate format change:
 * `npx tsc -p tsconfig.json && node dist/test/vectors/generate-groups.js`. The tests only read
 * the files and never regenerate them.
 */
import { existsSync } from 'node:fs';
import { compareBytes, fromHex, toHex, utf8Encode } from '../../protocol/bytes.js';
import { createCheckpoint, encodeCheckpoint, LABEL_CHECKPOINT, type Role } from '../../protocol/checkpoint.js';
import { blake2b, ed25519KeyPairFromSeed, labelledSigningInput, ready, signLabelled, x25519KeyPairFromSeed } from '../../protocol/crypto.js';
import { createKeyPackage, encodeKeyPackage, LABEL_KEY_PACKAGE } from '../../protocol/key-package.js';
import { computeSummary, diffSummaries, encodeSummary, type Summary, type SummaryInputEntry } from '../../protocol/summary.js';
import { createCertificate, encodeCertificate, profileKeysFromSeeds } from '../../protocol/certificate.js';
import { createEntry, createGenesis, decodeEntry, encodeEntry, entryId, type EntryContent } from '../../protocol/entry.js';
import { deriveEpochKeys, firstEpoch, type EpochKeys, type EpochName } from '../../protocol/group.js';
import { identityFromSeed } from '../../protocol/identity.js';
import { consumeInvite, createInvite, encodeInvite, encodeInviteBytes, inviteRosterBase, type EpochSecret, type InviteInit } from '../../protocol/invite.js';
import { decodeKeyPackage } from '../../protocol/key-package.js';
import { computeRoster, rosterEntryOf } from '../../protocol/roster.js';
import type {
  CheckpointVector,
  EpochSecretJson,
  InviteVector,
  RosterBaseVector,
  RosterVector,
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

/** A member of the scenario: identity, profile keys and certificate, all from fixed seeds. */
function scenarioPerson(name: string) {
  const identity = ed25519KeyPairFromSeed(fixed(`scenario identity ${name}`));
  const profile = profileKeysFromSeeds(fixed(`scenario signing ${name}`), fixed(`scenario dh ${name}`));
  const certificate = createCertificate(identity, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, 1_767_225_600_000);
  return { identity, profile, certificate };
}

/**
 * One small group's life in real entries v2: ada founds it, invites; bo and cy join; cy becomes
 * an admin; ada removes bo and re-keys to epoch 1; bo, removed, still posts in epoch 0; ada
 * invites again in epoch 1 with history.
 */
function scenario() {
  const ada = scenarioPerson('ada');
  const bo = scenarioPerson('bo');
  const cy = scenarioPerson('cy');
  const pubA = identityFromSeed(fixed('pub a')).address;
  const pubB = identityFromSeed(fixed('pub b')).address;
  const genesis = createGenesis(ada.profile.signing, {
    certificate: ada.certificate,
    timestamp: 1_767_225_600_000,
    settings: { name: 'the snug', pubs: [pubA], membersMayInvite: false },
    salt: fixed('genesis salt'),
  });
  const groupId = genesis.groupId;
  const epoch0 = firstEpoch(groupId);
  const secret0 = fixed('epoch 0 secret');
  const keys0 = deriveEpochKeys(secret0, groupId, epoch0);
  const encodings: Uint8Array[] = [genesis.encoding];
  const chains = new Map<object, { seq: number; prev: Uint8Array }>([[ada, { seq: 1, prev: groupId }]]);
  let time = 1_767_225_600_000;
  function post(who: typeof ada, keys: EpochKeys, heads: Uint8Array[], content: EntryContent): Uint8Array {
    const chain = chains.get(who) ?? { seq: 0, prev: ZERO };
    const entry = createEntry(keys, who.profile.signing, { seq: chain.seq + 1, prev: chain.prev, timestamp: (time += 1000), heads, content });
    const encoding = encodeEntry(entry);
    const id = entryId(encoding);
    chains.set(who, { seq: chain.seq + 1, prev: id });
    encodings.push(encoding);
    return id;
  }
  const inv0 = post(ada, keys0, [], { kind: 'invite', inviteId: fixed('invite 0', 16), includesHistory: false, expires: 0, uses: 2 });
  const jb = post(bo, keys0, [inv0], { kind: 'join', invite: inv0, certificate: bo.certificate });
  const jc = post(cy, keys0, [inv0, jb], { kind: 'join', invite: inv0, certificate: cy.certificate });
  const role = post(ada, keys0, [jb, jc], { kind: 'role', member: cy.identity.publicKey, role: 'admin' });
  const tb = post(bo, keys0, [role], { kind: 'text', text: 'hello from bo' });
  const secret1 = fixed('epoch 1 secret');
  const keyPackage = createKeyPackage(
    {
      groupId,
      epoch: 1,
      previous: epoch0,
      members: [ada, cy].map((p) => ({ identityKey: p.identity.publicKey, dhKey: p.profile.dh.publicKey, role: 'admin' as const })),
      secret: secret1,
    },
    ada.profile.signing,
  );
  // Sealed boxes are random: keep the committed package when there is one, so the log is stable.
  const old = existsSync(vectorPath('roster')) ? readVectors<{ vectors: RosterVector[] }>('roster').vectors[0] : undefined;
  const keyPackageBytes = old !== undefined && old.groupId === toHex(groupId) ? committedKeyPackage(old) : encodeKeyPackage(keyPackage);
  const rk = post(ada, keys0, [tb], { kind: 'remove', removed: [bo.identity.publicKey], keyPackage: keyPackageBytes });
  const epoch1: EpochName = { number: 1, opener: rk };
  const keys1 = deriveEpochKeys(secret1, groupId, epoch1);
  // bo, removed, posts in epoch 0 as if it had not seen the re-key (naming only its own earlier
  // entry), with an id that sorts before the re-key's: closing the old epoch ignores it anyway
  for (let t = time + 1; ; t++) {
    const chain = chains.get(bo)!;
    const entry = createEntry(keys0, bo.profile.signing, { seq: chain.seq + 1, prev: chain.prev, timestamp: t, heads: [], content: { kind: 'text', text: 'bo, removed, not naming the re-key' } });
    const encoding = encodeEntry(entry);
    const id = entryId(encoding);
    if (compareBytes(id, rk) >= 0) continue;
    chains.set(bo, { seq: chain.seq + 1, prev: id });
    encodings.push(encoding);
    break;
  }
  post(bo, keys0, [rk], { kind: 'text', text: 'bo, removed, still posting in epoch 0' });
  const tc = post(cy, keys1, [rk], { kind: 'text', text: 'epoch 1' });
  const inv1 = post(ada, keys1, [tc], { kind: 'invite', inviteId: fixed('invite 1', 16), includesHistory: true, expires: 1_798_761_600_000, uses: 1 });
  const epochs: EpochSecret[] = [
    { epoch: epoch0, secret: secret0 },
    { epoch: epoch1, secret: secret1 },
  ];
  const certificates = [ada, bo, cy].map((p) => p.certificate);
  return { groupId, genesis: genesis.encoding, encodings, epochs, inv0, inv1, keyPackageBytes, pubA, pubB, certificates };
}

/** The key package inside the committed roster vector's re-key entry. */
function committedKeyPackage(v: RosterVector): Uint8Array {
  for (const hex of v.entries) {
    const content = decodeEntry(fromHex(hex)).content;
    if (content.kind === 'remove') return content.keyPackage;
  }
  throw new Error('the committed roster vector has no re-key entry');
}

function epochJson(e: EpochSecret): EpochSecretJson {
  return { number: e.epoch.number, opener: toHex(e.epoch.opener), secret: toHex(e.secret) };
}

function invites(sc: ReturnType<typeof scenario>): InviteVector[] {
  const checkpoint = decodeKeyPackage(sc.keyPackageBytes).checkpoint;
  const cases: { description: string; development: boolean; init: InviteInit }[] = [
    {
      description: 'epoch 0: no checkpoint, no history, one onion pub',
      development: false,
      init: { inviteEntry: sc.inv0, genesis: sc.genesis, checkpoint: null, current: sc.epochs[0]!, history: [], name: 'the snug', pubs: [sc.pubA] },
    },
    {
      description: 'epoch 1 with its checkpoint and the history of epoch 0, two pubs, a non-ASCII name',
      development: false,
      init: { inviteEntry: sc.inv1, genesis: sc.genesis, checkpoint, current: sc.epochs[1]!, history: [sc.epochs[0]!], name: 'Stammtisch 🍺', pubs: [sc.pubB, sc.pubA] },
    },
    {
      description: 'epoch 1 without history (version 3): its checkpoint and a certificate for each member it names, one pub',
      development: false,
      init: {
        inviteEntry: sc.inv1,
        genesis: sc.genesis,
        checkpoint,
        current: sc.epochs[1]!,
        history: [],
        certificates: checkpoint.members.map((m) => sc.certificates.find((c) => toHex(c.identityKey) === toHex(m.identityKey))!),
        name: 'the snug',
        pubs: [sc.pubA],
      },
    },
    {
      description: 'a development pub: decodes only in development mode',
      development: true,
      init: { inviteEntry: sc.inv0, genesis: sc.genesis, checkpoint: null, current: sc.epochs[0]!, history: [], name: 'dev', pubs: ['ws://127.0.0.1:8080', sc.pubA] },
    },
  ];
  return cases.map(({ description, development, init }) => {
    const inv = createInvite(init, { development });
    return {
      description,
      development,
      inviteEntry: toHex(init.inviteEntry),
      genesis: toHex(init.genesis),
      groupId: toHex(sc.groupId),
      checkpoint: init.checkpoint === null ? null : toHex(encodeCheckpoint(init.checkpoint)),
      current: epochJson(init.current),
      history: init.history.map(epochJson),
      ...((init.certificates ?? []).length > 0 ? { certificates: init.certificates!.map((c) => toHex(encodeCertificate(c))) } : {}),
      name: init.name,
      pubs: [...init.pubs],
      bytes: toHex(encodeInviteBytes(inv, { development })),
      text: encodeInvite(inv, { development }),
    };
  });
}

/**
 * A member that joined with the version 3 invite (epoch 1, no history): its roster from the
 * base that invite gives, over what it holds: the genesis, the epoch 1 entries, and (to show the
 * rule) an entry of epoch 0 it could not have opened, ignored as stale.
 */
function rosterBases(sc: ReturnType<typeof scenario>, inviteVectors: InviteVector[]): RosterBaseVector[] {
  const v3 = inviteVectors.find((v) => v.certificates !== undefined)!;
  const invite = consumeInvite(v3.text);
  const base = inviteRosterBase(invite)!;
  const decoded = sc.encodings.map((bytes) => ({ bytes, entry: decodeEntry(bytes) }));
  const held = decoded.filter(({ entry }) => entry.content.kind === 'genesis' || entry.epoch.number === 1 || (entry.content.kind === 'text' && entry.content.text === 'bo, removed, still posting in epoch 0'));
  const entries = held.map(({ bytes, entry }) => rosterEntryOf(entry, entryId(bytes)));
  const r = computeRoster(sc.groupId, entries, base);
  return [
    {
      description: 'a member joined with the version 3 invite of epoch 1 (no history): the roster from its base over the genesis, the entries of epoch 1, and one entry of epoch 0 (stale: before the base)',
      groupId: toHex(sc.groupId),
      invite: v3.text,
      epochs: sc.epochs.map(epochJson),
      entries: held.map(({ bytes }) => toHex(bytes)),
      expected: {
        name: r.name,
        pubs: [...r.pubs],
        membersMayInvite: r.membersMayInvite,
        epoch: { number: r.epoch.number, opener: toHex(r.epoch.opener) },
        members: r.members.map((m) => ({ identityKey: toHex(m.identityKey), role: m.role })),
        applied: r.applied.map(toHex),
        ignored: r.ignored.map((i) => ({ id: toHex(i.id), reason: i.reason })),
        pending: r.pending.map(toHex),
      },
    },
  ];
}

function rosters(sc: ReturnType<typeof scenario>): RosterVector[] {
  const entries = sc.encodings.map((bytes) => rosterEntryOf(decodeEntry(bytes), entryId(bytes)));
  const r = computeRoster(sc.groupId, entries);
  return [
    {
      description: 'found, invite, two joins, a role change, a removal with re-key, the removed member posting in the old epoch (once not naming the re-key, with an id below its id; once naming it), an invite in the new epoch',
      groupId: toHex(sc.groupId),
      epochs: sc.epochs.map(epochJson),
      entries: sc.encodings.map(toHex),
      expected: {
        name: r.name,
        pubs: [...r.pubs],
        membersMayInvite: r.membersMayInvite,
        epoch: { number: r.epoch.number, opener: toHex(r.epoch.opener) },
        members: r.members.map((m) => ({ identityKey: toHex(m.identityKey), role: m.role })),
        applied: r.applied.map(toHex),
        ignored: r.ignored.map((i) => ({ id: toHex(i.id), reason: i.reason })),
        pending: r.pending.map(toHex),
      },
    },
  ];
}

async function main(): Promise<void> {
  await ready();
  const sc = scenario();
  const inviteVectors = invites(sc);
  writeVectors('invite', { description: 'invite v2 and v3 fields -> binary invite -> pasteable text (snug2...)', vectors: inviteVectors });
  writeVectors('roster-base', { description: 'a version 3 invite (its roster base) and the entries a member joined with it holds -> its roster', vectors: rosterBases(sc, inviteVectors) });
  writeVectors('roster', { description: 'a log of real entries v2 (with the epoch secrets to verify them) -> the roster every member computes', vectors: rosters(sc) });
  writeVectors('summary', summaries());
  writeVectors('checkpoint', { description: 'roster checkpoint fields + admin signing key -> signed message -> signature -> encoding', vectors: checkpoints() });
  writeVectors('key-package', { description: 'new epoch secret sealed to each member of a signed checkpoint, committed and signed (slots are randomised: committed as made)', vectors: keyPackages() });
}

await main();
