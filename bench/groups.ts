/**
 * The groups service on a large log, in this process over a real encrypted store (LevelDB):
 *
 * - a group of 5 members whose log holds SNUG_BENCH_GROUP_ENTRIES entries (default 100,000:
 *   joins and texts of 4 members, chained and citing each other as heads), each with a blob
 *   record of the standard size as received entries have, written to the store in batches (the
 *   fill is not what is measured);
 * - unlock: GroupsService.open() reading and indexing all of it (roster, chain index, causal
 *   order), and the process's RSS and V8 heap before and after;
 * - message/list of 50 from that log: the newest page, and pages before random ids, p50 / p99;
 * - the receive pipeline: 2,000 blobs of a second member handed to the sink one by one (trial
 *   decryption, verification, a synced write each), then a 10,000-blob backlog handed in runs of
 *   CATCHUP_FETCH_BLOBS as GroupPubs hands a catch-up's pages (blobsReceived: one synced batch
 *   a run), messages/s, beside the ed25519 verify rate measured in the same run.
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
import { GROUP_BLOBS_NAMESPACE, GROUP_ENTRIES_NAMESPACE } from '../daemon/groups/constants.js';
import { CATCHUP_FETCH_BLOBS } from '../daemon/group-pubs/constants.js';
import { blobRecordCodec, entryRecordCodec, groupScopedId } from '../daemon/groups/records.js';
import { BLOB_SIZE_STANDARD } from '../protocol/constants.js';
import type { StoreOperation } from '../daemon/store/store.js';
import { makeMember, offline } from '../test/helpers/groups.js';
import { makeTempDir, removeDir } from '../test/helpers/temp.js';
import { profiledIf, runCatchupBench } from './groups-catchup.js';
import { MiB, figure, fmt, heading, note, nowMs, quantile } from './stats.js';

const ENTRIES_DEFAULT = 100_000;
const PUB = 'ws://127.0.0.1:9';
const LIST_CALLS = 500;
const INGEST_BLOBS = 2_000;
const BACKLOG_BLOBS = 10_000;
const CATCHUP_MESSAGES = 10_000;
const CATCHUP_ROUNDS = 4;

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
    const catchupMessages = Number(process.env['SNUG_BENCH_GROUP_CATCHUP'] ?? CATCHUP_MESSAGES);
    if (catchupMessages > 0) {
      note(`catch-up through a pub over the direct transport (loopback PubServer, GroupPubs, GroupsService; a small log), before the fill below`);
      await runCatchupBench(join(dir, 'catch-up'), catchupMessages, CATCHUP_ROUNDS);
    }
    // no pub links: nothing is posted, nothing dialled
    const workersEnv = process.env['SNUG_BENCH_GROUP_OPEN_WORKERS'];
    const m = await makeMember(dir, 'founder', undefined, false, workersEnv !== undefined ? { openWorkers: Number(workersEnv) } : {});
    const groupId = await m.groups.create('bench', [PUB]);
    const inv = decodeInvite(await m.groups.exportInvite(groupId, true, { uses: 0 }), { development: true });
    const gid = Buffer.from(groupId, 'hex');
    const keys = deriveEpochKeys(inv.current.secret, gid, inv.current.epoch);
    await m.groups.close();

    // the fill: 4 joins, then texts round robin, each citing the last entry of the one before
    const t0 = nowMs();
    let ts = Date.now() - count * 1000;
    const writers: Writer[] = [];
    let ops: StoreOperation[] = [];
    const placeholderBlob = randomBytes(BLOB_SIZE_STANDARD);
    let lastOther: Uint8Array = inv.inviteEntry;
    const put = (id: Uint8Array, bytes: Uint8Array) => {
      ops.push({ type: 'put', namespace: GROUP_ENTRIES_NAMESPACE, id: groupScopedId(gid, id), value: entryRecordCodec.encode({ own: false, arrival: ts, pubs: [PUB], entry: bytes }) });
      // every received entry is stored with its blob (placeholder bytes of the standard size: nothing here opens them)
      ops.push({ type: 'put', namespace: GROUP_BLOBS_NAMESPACE, id: groupScopedId(gid, id), value: blobRecordCodec.encode(placeholderBlob) });
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
    await profiledIf('unlock', () => m.groups.open({
      store: m.store,
      address: m.identity.address,
      name: m.name,
      identityKey: m.identity.publicKey,
      keys: m.keys,
      certificate: m.certificate,
      journal: m.journal,
      peers: { petname: () => null, isAccepted: () => false, isOnline: () => false, sendFrame: () => false },
    }));
    const openMs = nowMs() - t1;
    global.gc?.();
    const after = process.memoryUsage();
    const snapshot = process.env['SNUG_BENCH_HEAP_SNAPSHOT'];
    if (snapshot) note(`heap snapshot after unlock: ${(await import('node:v8')).writeHeapSnapshot(snapshot)}`);
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

    // the receive pipeline: blobs of one member, one by one, then a backlog in runs
    const w = writers[0]!;
    const nextBlobs = (n: number, label: string): Uint8Array[] => {
      const out: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        const e = createEntry(keys, w.signing, { seq: w.seq + 1, prev: w.last!, timestamp: (ts += 1000), heads: [lastOther], content: { kind: 'text', text: `${label} ${i}` } });
        const bytes = encodeEntry(e);
        w.seq += 1;
        w.last = entryId(bytes);
        out.push(sealBlob(keys, bytes));
      }
      return out;
    };
    const blobs = nextBlobs(INGEST_BLOBS, 'one by one');
    const t2 = nowMs();
    for (const b of blobs) await m.groups.blobReceived(PUB, b);
    const ingestS = (nowMs() - t2) / 1000;
    const backlog = nextBlobs(BACKLOG_BLOBS, 'catch-up');
    const before2 = m.groups.entryCount;
    const t4 = nowMs();
    await profiledIf('backlog', async () => {
      for (let i = 0; i < backlog.length; i += CATCHUP_FETCH_BLOBS) await m.groups.blobsReceived(PUB, backlog.slice(i, i + CATCHUP_FETCH_BLOBS));
    });
    const backlogS = (nowMs() - t4) / 1000;
    if (m.groups.entryCount !== before2 + BACKLOG_BLOBS) throw new Error(`the backlog stored ${m.groups.entryCount - before2} of ${BACKLOG_BLOBS}`);
    const msg = randomBytes(200);
    const sig = (await import('../protocol/crypto.js')).ed25519Sign(msg, w.signing.secretKey);
    const t3 = nowMs();
    let verified = 0;
    while (nowMs() - t3 < 1000) {
      ed25519Verify(sig, msg, w.signing.publicKey);
      verified++;
    }
    const verifyRate = verified / ((nowMs() - t3) / 1000);
    figure('receive pipeline, one blob at a time (open, verify, synced write, index)', INGEST_BLOBS / ingestS, 'messages/s', `${INGEST_BLOBS} blobs one by one (blobReceived)`);
    figure('receive pipeline, backlog in runs (catch-up)', BACKLOG_BLOBS / backlogS, 'messages/s', `${BACKLOG_BLOBS.toLocaleString('en-US')} blobs in runs of ${CATCHUP_FETCH_BLOBS} (blobsReceived: one synced batch a run)`);
    figure('ed25519 verify, same run', verifyRate, '/s', `one by one ${fmt((INGEST_BLOBS / ingestS / verifyRate) * 100)} % of it; the backlog in runs ${fmt((BACKLOG_BLOBS / backlogS / verifyRate) * 100)} % (target 50 %)`);
    note('one by one is bound by one synced LevelDB write per blob; a run costs one synced batch (GroupPubs hands each fetched page as one run)');
    void toHex;
    await offline(m);
  } finally {
    await removeDir(dir);
  }
}
