/**
 * Membership: a re-key of a 1,000-member group (key package and entry bytes with the blob class
 * it lands in, time to build it beside the bare sealing it consists of, time for a member to
 * find and open its key beside one bare sealed-box open), and a 10,000-entry log replayed into a
 * roster (beside ordering the same log alone). Pure computation, one process, no I/O.
 */
import { toHex } from '../protocol/bytes.js';
import { openSealed, ready, sealTo } from '../protocol/crypto.js';
import { createEntry, encodeEntry, entryId } from '../protocol/entry.js';
import { deriveEpochKeys, firstEpoch } from '../protocol/group.js';
import { buildRekey, openRekey, rekeyBlobSize, rekeyEntryBytes } from '../protocol/rekey.js';
import { computeRoster, rosterOrder, type Roster } from '../protocol/roster.js';
import { LogBuilder } from '../test/helpers/roster-log.js';
import { Prng } from '../test/helpers/pub-fixtures.js';
import { fmt, figure, heading, median, note, nowMs } from './stats.js';

const MEMBERS = 1000;
const BUILDS = 5;
const OPENS = 50;
const LOG_ENTRIES = 10_000;
const REPLAYS = 5;

function time<T>(fn: () => T): { ms: number; value: T } {
  const t = nowMs();
  const value = fn();
  return { ms: nowMs() - t, value };
}

/** A group of `n` members (the founder 'm0' an admin), all added in epoch 0. */
function bigGroup(n: number): { b: LogBuilder; roster: Roster } {
  const b = new LogBuilder('m0');
  for (let i = 1; i < n; i++) b.add('m0', `m${i}`);
  return { b, roster: computeRoster(b.groupId, b.entries) };
}

export async function runMembershipBench(): Promise<void> {
  await ready();
  heading(`membership: re-key of a ${MEMBERS}-member group (one member removed)`);
  const { b, roster } = bigGroup(MEMBERS + 1);
  const admin = b.who('m0').profile.signing;
  const removed = [b.who(`m${MEMBERS}`).identity.publicKey];
  const remaining = MEMBERS;
  const builds: number[] = [];
  let rk = buildRekey(roster, { signer: admin, removed });
  for (let i = 0; i < BUILDS; i++) {
    const t = time(() => buildRekey(roster, { signer: admin, removed }));
    builds.push(t.ms);
    rk = t.value;
  }
  const entryBytes = rekeyEntryBytes(remaining, 1, 16);
  figure('key package', rk.content.keyPackage.length, 'bytes', `${remaining} members: ${fmt(rk.content.keyPackage.length / remaining)} bytes each (80 sealed secret + 33 checkpoint record) + 268`);
  figure('remove-and-re-key entry, 16 heads', entryBytes, 'bytes', `padded to the ${rekeyBlobSize(remaining, 1, 16)}-byte blob class`);
  // baseline: the sealed boxes alone
  const dhKeys = rk.members.map((m) => m.certificate.dhKey);
  const seals: number[] = [];
  for (let i = 0; i < BUILDS; i++) seals.push(time(() => dhKeys.forEach((k) => sealTo(rk.secret, k))).ms);
  figure('build (buildRekey), median', median(builds), 'ms', `of ${BUILDS}; bare: ${remaining} sealed boxes alone ${fmt(median(seals))} ms (checkpoint key checks and two signatures are the rest)`);

  // a member finds and opens its key from the real entry
  const keys0 = deriveEpochKeys(new Uint8Array(32).fill(1), b.groupId, firstEpoch(b.groupId));
  const entry = createEntry(keys0, admin, { seq: MEMBERS + 1, prev: b.entries[b.entries.length - 1]!.id, timestamp: Date.now(), heads: [], content: rk.content });
  const id = entryId(encodeEntry(entry));
  const rng = new Prng(0x1000);
  const opens: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < OPENS; i++) {
    const who = b.who(`m${rng.int(MEMBERS)}`);
    const me = { identityKey: who.identity.publicKey, dh: who.profile.dh };
    const t = time(() => openRekey(entry, id, b.groupId, me));
    opens.push(t.ms);
    if (toHex(t.value.secret) !== toHex(rk.secret)) throw new Error('a member opened another secret');
    const slot = sealTo(rk.secret, who.profile.dh.publicKey);
    bare.push(time(() => openSealed(slot, who.profile.dh)).ms);
  }
  figure('member finds and opens its key (openRekey), median', median(opens), 'ms', `of ${OPENS} members; decode, both signatures, binary search, open, commitment, derive; bare sealed-box open ${fmt(median(bare), 3)} ms`);

  heading(`membership: a ${LOG_ENTRIES.toLocaleString('en')}-entry log replayed into a roster`);
  const log = new LogBuilder('ada', { admins: [] });
  const names = ['ada'];
  const lr = new Prng(0x2000);
  let invite = log.invite('ada');
  while (log.entries.length < LOG_ENTRIES) {
    const k = lr.int(100);
    if (k < 3 && names.length < 200) {
      const n = `p${names.length}`;
      log.join(n, invite);
      names.push(n);
    } else if (k === 3 && log.entries.length % 7 === 0) {
      // each re-key removes one member, who keeps posting (ignored): the closing rule's work
      const r = computeRoster(log.groupId, log.entries);
      const candidates = r.members.filter((m) => !m.identityKey.every((x, i) => x === log.who('ada').identity.publicKey[i]));
      const victim = candidates.length > 0 ? [lr.pick(candidates).identityKey] : [];
      const re = buildRekey(r, { signer: log.who('ada').profile.signing, removed: victim });
      const rid = log.post('ada', re.content, { epoch: r.epoch });
      log.epoch = { number: r.epoch.number + 1, opener: rid };
      invite = log.invite('ada'); // a re-key closes the open invites
    } else {
      log.text(lr.pick(names));
    }
  }
  const entries = log.entries.slice();
  const shuffled = entries.map((e) => ({ e, w: lr.next32() })).sort((x, y) => x.w - y.w).map((x) => x.e);
  const replays: number[] = [];
  const orders: number[] = [];
  let last: Roster | null = null;
  for (let i = 0; i < REPLAYS; i++) {
    const t = time(() => computeRoster(log.groupId, shuffled));
    replays.push(t.ms);
    last = t.value;
    orders.push(time(() => rosterOrder(shuffled)).ms);
  }
  const kinds = new Map<string, number>();
  for (const e of entries) kinds.set(e.action.kind, (kinds.get(e.action.kind) ?? 0) + 1);
  note(`log: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}; given in random order`);
  figure('computeRoster, median', median(replays), 'ms', `of ${REPLAYS}; ${last!.members.length} members, epoch ${last!.epoch.number}; ordering alone (rosterOrder) ${fmt(median(orders))} ms`);
  figure('per entry', (median(replays) / LOG_ENTRIES) * 1000, 'µs');
}
