/**
 * The groups service on a large log, in this process over a real encrypted store (LevelDB):
 *
 * - a group of 5 members whose log holds SNUG_BENCH_GROUP_ENTRIES entries (default 100,000:
 *   joins and texts of 4 members, chained and citing each other as heads), written to the store
 *   in batches (the fill is not what is measured);
 * - unlock: GroupsService.open() reading and indexing all of it (roster, chain index, causal
 *   order), and the process's RSS and V8 heap before and after;
 * - message/list of 50 from that log: the newest page, and pages before random ids, p50 / p99;
 * - the receive pipeline: 2,000 blobs of a second member handed to the sink one by one (trial
 *   decryption, verification, a synced write each), messages/s, beside the ed25519 verify rate
 *   measured in the same run.
 */
import { join } from 'node:path';
import { sealBlob } from '../protocol/blob.js';
import { toHex } from '../protocol/bytes.js';
import { createCertificate, generateProfileKeys } from '../protocol/certificate.js';
import { ed25519Verify, ready, randomBytes } from '../protocol/crypto.js';
import { createEntry, encodeEntry, entryId } from '../protocol/entry.js';
import { deriveEpochKeys, type EpochKeys } from '../protocol/group.js';
import { generateIdentity } from '../protocol/identity.js';
import { decodeInvite } from '../protocol/invite.js';
import { GROUP_ENTRIES_NAMESPACE } from '../daemon/groups/constants.js';
import { entryRecordCodec, groupScopedId } from '../daemon/groups/records.js';
import type { StoreOperation } from '../daemon/store/store.js';
import { makeMember, offline } from '../test/helpers/groups.js';
import { makeTempDir, removeDir } from '../test/helpers/temp.js';
import { MiB, figure, fmt, heading, note, nowMs, quantile } from './stats.js';

const ENTRIES_DEFAULT = 100_000;
const PUB = 'ws://127.0.0.1:9';
const LIST_CALLS = 500;
const INGEST_BLOBS = 2_000;

function entryCount(): number {
  const raw = process.env['SNUG_BENCH_GROUP_ENTRIES'];
  const n = raw === undefined ? ENTRIES_DEFAULT : Number(raw);
  if (!Number.isSafeInteger(n) || n < 10) throw new RangeError('SNUG_BENCH_GROUP_ENTRIES must be an integer of at least 10');
  return n;
}

interface Writer {
  readonly signing: ReturnType<typeof generateProfileKeys>['signing'];
  seq: number;
  last: Uint8Array | null;
}

function joiner(keys: EpochKeys, inviteId: Uint8Array, ts: number): { w: Writer; bytes: Uint8Array; id: Uint8Array } {
  const identity = generateIdentity();
  const profile = generateProfileKeys();
  const certificate = createCertificate(identity, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, ts);
  const e = createEntry(keys, profile.signing, { seq: 1, timestamp: ts, heads: [inviteId], content: { kind: 'join', invite: inviteId, certificate } });
  const bytes = encodeEntry(e);
  const id = entryId(bytes);
  return { w: { signing: profile.signing, seq: 1, last: id }, bytes, id };
}

export async function runGroupsBench(): Promise<void> {
  await ready();
  const count = entryCount();
  heading(`groups: a log of ${count.toLocaleString('en-US')} entries (GroupsService in this process, real LevelDB)`);
  const dir = await makeTempDir('bench-groups');
  try {
    // no pub links: nothing is posted, nothing dialled
    const m = await makeMember(dir, 'founder', undefined, false);
    const groupId = await m.groups.create('bench', [PUB]);
    const inv = decodeInvite(await m.groups.exportInvite(groupId, false), { development: true });
    const gid = Buffer.from(groupId, 'hex');
    const keys = deriveEpochKeys(inv.current.secret, gid, inv.current.epoch);
    await m.groups.close();

    // the fill: 4 joins, then texts round robin, each citing the last entry of the one before
    const t0 = nowMs();
    let ts = Date.now() - count * 1000;
    const writers: Writer[] = [];
    let ops: StoreOperation[] = [];
    let lastOther: Uint8Array = inv.inviteEntry;
    const put = (id: Uint8Array, bytes: Uint8Array) => {
      ops.push({ type: 'put', namespace: GROUP_ENTRIES_NAMESPACE, id: groupScopedId(gid, id), value: entryRecordCodec.encode({ own: false, arrival: ts, pubs: [PUB], entry: bytes }) });
    };
    for (let i = 0; i < 4; i++) {
      const j = joiner(keys, inv.inviteEntry, (ts += 1000));
      writers.push(j.w);
      put(j.id, j.bytes);
      lastOther = j.id;
    }
    for (let i = 4; i < count; i++) {
      const w = writers[i % writers.length]!;
      const e = createEntry(keys, w.signing, { seq: w.seq + 1, prev: w.last!, timestamp: (ts += 1000), heads: [lastOther], content: { kind: 'text', text: `message ${i} of the bench, about as long as a chat line is` } });
      const bytes = encodeEntry(e);
      const id = entryId(bytes);
      w.seq += 1;
      w.last = id;
      lastOther = id;
      put(id, bytes);
      if (ops.length >= 2000) {
        await m.store.batch(ops);
        ops = [];
      }
    }
    await m.store.batch(ops);
    note(`fill: ${count.toLocaleString('en-US')} signed entries written in ${fmt((nowMs() - t0) / 1000)} s (batched; not a figure of the service)`);

    // unlock: read and index everything
    global.gc?.();
    const before = process.memoryUsage();
    const t1 = nowMs();
    await m.groups.open({
      store: m.store,
      address: m.identity.address,
      name: m.name,
      identityKey: m.identity.publicKey,
      keys: m.keys,
      certificate: m.certificate,
      journal: m.journal,
      peers: { petname: () => null, isAccepted: () => false, isOnline: () => false, sendFrame: () => false },
    });
    const openMs = nowMs() - t1;
    global.gc?.();
    const after = process.memoryUsage();
    figure('unlock: open and index the log', openMs, 'ms', `${m.groups.entryCount.toLocaleString('en-US')} entries, roster of ${m.groups.roster(groupId).members.length}`);
    figure('RSS after unlock', after.rss / MiB, 'MiB', `${fmt((after.rss - before.rss) / MiB)} MiB more than before the open`);
    figure('V8 heap used after unlock', after.heapUsed / MiB, 'MiB', `${fmt((after.heapUsed - before.heapUsed) / MiB)} MiB more`);
    figure('array buffers after unlock', after.arrayBuffers / MiB, 'MiB', `${fmt((after.arrayBuffers - before.arrayBuffers) / MiB)} MiB more; external ${fmt(after.external / MiB)} MiB; V8 heap committed ${fmt(after.heapTotal / MiB)} MiB`);

    // message/list of 50
    const all = await m.groups.listMessages(groupId, { limit: 500 });
    const newest: number[] = [];
    for (let i = 0; i < LIST_CALLS; i++) {
      const t = nowMs();
      await m.groups.listMessages(groupId, { limit: 50 });
      newest.push(nowMs() - t);
    }
    figure('message/list 50, newest page, p50', quantile(newest, 0.5), 'ms');
    figure('message/list 50, newest page, p99', quantile(newest, 0.99), 'ms');
    // pages before ids anywhere in the log: walk back from the newest page to collect ids
    const ids: string[] = all.map((i) => i.id);
    let cursor = ids[0];
    while (ids.length < Math.min(count, 20_000) && cursor !== undefined) {
      const page = await m.groups.listMessages(groupId, { limit: 500, before: cursor });
      if (page.length === 0) break;
      ids.unshift(...page.map((i) => i.id));
      cursor = page[0]!.id;
    }
    const random: number[] = [];
    for (let i = 0; i < LIST_CALLS; i++) {
      const before = ids[Math.floor(Math.random() * ids.length)]!;
      const t = nowMs();
      await m.groups.listMessages(groupId, { limit: 50, before });
      random.push(nowMs() - t);
    }
    figure('message/list 50 before a random id, p50', quantile(random, 0.5), 'ms', `ids from the newest ${ids.length.toLocaleString('en-US')}`);
    figure('message/list 50 before a random id, p99', quantile(random, 0.99), 'ms');

    // the receive pipeline: blobs of one member, one by one
    const w = writers[0]!;
    const blobs: Uint8Array[] = [];
    for (let i = 0; i < INGEST_BLOBS; i++) {
      const e = createEntry(keys, w.signing, { seq: w.seq + 1, prev: w.last!, timestamp: (ts += 1000), heads: [lastOther], content: { kind: 'text', text: `catch-up ${i}` } });
      const bytes = encodeEntry(e);
      w.seq += 1;
      w.last = entryId(bytes);
      blobs.push(sealBlob(keys, bytes));
    }
    const t2 = nowMs();
    for (const b of blobs) await m.groups.blobReceived(PUB, b);
    const ingestS = (nowMs() - t2) / 1000;
    const msg = randomBytes(200);
    const sig = (await import('../protocol/crypto.js')).ed25519Sign(msg, w.signing.secretKey);
    const t3 = nowMs();
    let verified = 0;
    while (nowMs() - t3 < 1000) {
      ed25519Verify(sig, msg, w.signing.publicKey);
      verified++;
    }
    const verifyRate = verified / ((nowMs() - t3) / 1000);
    figure('receive pipeline (open, verify, synced write, index)', INGEST_BLOBS / ingestS, 'messages/s', `${INGEST_BLOBS} blobs one by one`);
    figure('ed25519 verify, same run', verifyRate, '/s', `the pipeline reaches ${fmt((INGEST_BLOBS / ingestS / verifyRate) * 100)} % of it`);
    note('the pipeline is bound by one synced LevelDB write per blob (the sink resolves only once the entry is durable)');
    void toHex;
    await offline(m);
  } finally {
    await removeDir(dir);
  }
}
