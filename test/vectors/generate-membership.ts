/**
 * Writes test/vectors/membership.json: concurrent membership changes in real entries v2 (two
 * admins removing different members at once and a join racing them, then the duty admin's
 * settling re-key) with the roster every member computes at each step, and the re-key duty
 * rule's trigger and ranking from raw inputs (docs/groups.md, section 8). Run by hand after a
 * deliberate change: `npx tsc -p tsconfig.json && node dist/test/vectors/generate-membership.js`.
 * Sealed boxes are random, so the key packages of a committed file are kept (their checkpoints
 * and signatures are deterministic) and the entries stay the same.
 */
import { existsSync } from 'node:fs';
import { toHex, utf8Encode } from '../../protocol/bytes.js';
import { createCertificate, profileKeysFromSeeds } from '../../protocol/certificate.js';
import { blake2b, ed25519KeyPairFromSeed, ready } from '../../protocol/crypto.js';
import { createEntry, createGenesis, decodeEntry, encodeEntry, entryId, type EntryContent } from '../../protocol/entry.js';
import { deriveEpochKeys, firstEpoch, type EpochKeys, type EpochName } from '../../protocol/group.js';
import { buildRekey, dutyRanking, rekeyDuty } from '../../protocol/rekey.js';
import { computeRoster, rosterEntryOf, type Roster } from '../../protocol/roster.js';
import type { MembershipVectors, RaceSnapshotJson } from '../helpers/membership-vectors.js';
import { readVectors, vectorPath, writeVectors } from '../helpers/vectors.js';

function fixed(name: string, n = 32): Uint8Array {
  return blake2b(n, utf8Encode(`snug membership vector ${name}`));
}

const ZERO = new Uint8Array(32);

function person(name: string) {
  const identity = ed25519KeyPairFromSeed(fixed(`identity ${name}`));
  const profile = profileKeysFromSeeds(fixed(`signing ${name}`), fixed(`dh ${name}`));
  const certificate = createCertificate(identity, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, 1_767_225_600_000);
  return { name, identity, profile, certificate };
}
type Person = ReturnType<typeof person>;

/** The key packages of the committed file, in the order its re-key entries were made. */
function committedPackages(): Uint8Array[] {
  if (!existsSync(vectorPath('membership'))) return [];
  const v = readVectors<MembershipVectors>('membership');
  const out: Uint8Array[] = [];
  for (const race of v.races) {
    for (const hex of race.entries) {
      const c = decodeEntry(Buffer.from(hex, 'hex')).content;
      if (c.kind === 'remove') out.push(c.keyPackage);
    }
  }
  return out;
}

function snapshot(description: string, groupId: Uint8Array, encodings: readonly Uint8Array[], people: readonly Person[]): RaceSnapshotJson {
  const r: Roster = computeRoster(
    groupId,
    encodings.map((bytes) => rosterEntryOf(decodeEntry(bytes), entryId(bytes))),
  );
  const name = (k: Uint8Array) => people.find((p) => toHex(p.identity.publicKey) === toHex(k))!.name;
  const duty = rekeyDuty(r);
  return {
    description,
    entries: encodings.length,
    expected: {
      epoch: { number: r.epoch.number, opener: toHex(r.epoch.opener) },
      members: r.members.map((m) => ({ name: name(m.identityKey), role: m.role })),
      superseded: r.superseded.map(toHex),
      exposed: r.exposed.map(name),
      lockedOut: r.lockedOut.map(name),
      ignored: r.ignored.map((i) => ({ id: toHex(i.id), reason: i.reason })),
      duty: duty === null ? null : { trigger: toHex(duty.trigger), ranked: duty.ranked.map(name) },
    },
  };
}

function race(): MembershipVectors['races'][number] {
  const keep = committedPackages();
  const [ada, bo, cy, dee, eve, fay] = ['ada', 'bo', 'cy', 'dee', 'eve', 'fay'].map(person) as [Person, Person, Person, Person, Person, Person];
  const people = [ada, bo, cy, dee, eve, fay];
  const genesis = createGenesis(ada.profile.signing, {
    certificate: ada.certificate,
    timestamp: 1_767_225_600_000,
    settings: { name: 'the race', pubs: [], membersMayInvite: false },
    salt: fixed('genesis salt'),
  });
  const groupId = genesis.groupId;
  const epoch0 = firstEpoch(groupId);
  const secrets: { epoch: EpochName; secret: Uint8Array }[] = [{ epoch: epoch0, secret: fixed('epoch 0 secret') }];
  const keys0 = deriveEpochKeys(secrets[0]!.secret, groupId, epoch0);
  const encodings: Uint8Array[] = [genesis.encoding];
  const chains = new Map<Person, { seq: number; prev: Uint8Array }>([[ada, { seq: 1, prev: groupId }]]);
  let time = 1_767_225_600_000;
  function post(who: Person, keys: EpochKeys, heads: Uint8Array[], content: EntryContent): Uint8Array {
    const chain = chains.get(who) ?? { seq: 0, prev: ZERO };
    const entry = createEntry(keys, who.profile.signing, { seq: chain.seq + 1, prev: chain.prev, timestamp: (time += 1000), heads, content });
    const encoding = encodeEntry(entry);
    const id = entryId(encoding);
    chains.set(who, { seq: chain.seq + 1, prev: id });
    encodings.push(encoding);
    return id;
  }
  const roster = (n = encodings.length) =>
    computeRoster(
      groupId,
      encodings.slice(0, n).map((b) => rosterEntryOf(decodeEntry(b), entryId(b))),
    );
  let made = 0;
  function rekey(who: Person, keys: EpochKeys, heads: Uint8Array[], removed: Person[], seen: number, label: string): { id: Uint8Array; secret: Uint8Array } {
    const rk = buildRekey(roster(seen), { signer: who.profile.signing, removed: removed.map((p) => p.identity.publicKey), secret: fixed(label) });
    const keyPackage = keep[made] ?? rk.content.keyPackage;
    made++;
    return { id: post(who, keys, heads, { ...rk.content, keyPackage }), secret: rk.secret };
  }
  const inv = post(ada, keys0, [], { kind: 'invite', inviteId: fixed('invite', 16), includesHistory: false, expires: 0, uses: 0 });
  let last = inv;
  for (const p of [bo, cy, dee, eve]) last = post(p, keys0, [last], { kind: 'join', invite: inv, certificate: p.certificate });
  const role = post(ada, keys0, [last], { kind: 'role', member: bo.identity.publicKey, role: 'admin' });
  const seen = encodings.length;
  // at once, none having seen the others: ada removes cy, bo removes dee, fay joins
  const x = rekey(ada, keys0, [role], [cy], seen, 'epoch secret of ada');
  const y = rekey(bo, keys0, [role], [dee], seen, 'epoch secret of bo');
  const j = post(fay, keys0, [role], { kind: 'join', invite: inv, certificate: fay.certificate });
  const raced = snapshot('two admins removing different members at once and a join racing them', groupId, encodings, people);
  const winner = toHex(x.id) === raced.expected.epoch.opener ? x : y;
  const epoch1: EpochName = { number: 1, opener: winner.id };
  secrets.push({ epoch: epoch1, secret: winner.secret });
  const keys1 = deriveEpochKeys(winner.secret, groupId, epoch1);
  const r = roster();
  const duty = rekeyDuty(r)!;
  const first = people.find((p) => toHex(p.identity.publicKey) === toHex(duty.ranked[0]!))!;
  const settle = rekey(first, keys1, [x.id, y.id, j].sort((a, b) => (toHex(a) < toHex(b) ? -1 : 1)), [], encodings.length, 'epoch 2 secret');
  secrets.push({ epoch: { number: 2, opener: settle.id }, secret: settle.secret });
  const settled = snapshot("the first-ranked admin's plain re-key to the merged roster", groupId, encodings, people);
  return {
    description: 'ada founds, invites; bo, cy, dee, eve join; bo becomes an admin; then at once ada removes cy, bo removes dee and fay joins; the duty admin settles',
    groupId: toHex(groupId),
    epochs: secrets.map((s) => ({ number: s.epoch.number, opener: toHex(s.epoch.opener), secret: toHex(s.secret) })),
    people: people.map((p) => ({ name: p.name, identityKey: toHex(p.identity.publicKey), dhSecretKey: toHex(p.profile.dh.secretKey), dhPublicKey: toHex(p.profile.dh.publicKey) })),
    entries: encodings.map(toHex),
    snapshots: [raced, settled],
  };
}

function duties(): MembershipVectors['duty'] {
  const groupId = fixed('duty group');
  const admins = ['a', 'b', 'c', 'd'].map((n) => ed25519KeyPairFromSeed(fixed(`duty admin ${n}`)).publicKey);
  const others = ['x', 'y'].map((n) => ed25519KeyPairFromSeed(fixed(`duty member ${n}`)).publicKey);
  const cases = [
    { description: 'a leave in epoch 3: one exposed', epoch: { number: 3, opener: fixed('opener 3') }, exposed: [others[0]!], lockedOut: [] },
    { description: 'a join racing the re-key of epoch 4: one locked out', epoch: { number: 4, opener: fixed('opener 4') }, exposed: [], lockedOut: [others[1]!] },
    { description: 'both at once, in epoch 4', epoch: { number: 4, opener: fixed('opener 4') }, exposed: [others[0]!], lockedOut: [others[1]!] },
  ];
  return cases.map((c) => {
    const d = dutyRanking({ groupId, epoch: c.epoch, exposed: c.exposed, lockedOut: c.lockedOut, admins });
    return {
      description: c.description,
      groupId: toHex(groupId),
      epoch: { number: c.epoch.number, opener: toHex(c.epoch.opener) },
      exposed: c.exposed.map(toHex),
      lockedOut: c.lockedOut.map(toHex),
      admins: admins.map(toHex),
      trigger: toHex(d.trigger),
      ranked: d.ranked.map(toHex),
    };
  });
}

async function main(): Promise<void> {
  await ready();
  writeVectors('membership', {
    description: 'concurrent membership changes in real entries v2 -> the roster at each step (with the re-key duty); the duty rule from raw inputs',
    races: [race()],
    duty: duties(),
  } satisfies MembershipVectors);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
