/**
 * Catch-up through a pub over the direct transport, in this process: a member's GroupsService
 * and GroupPubs catching up on a backlog a real PubServer on loopback holds, beside the ed25519
 * verify rate measured in the same run (issue 12's target: at least 0.5 of it). The group-chat
 * bench measures the same over Tor; this one has no Tor in the way, so what it measures is the
 * receive path: fetch, trial decryption, verification, one synced batch per fetched run,
 * indexes and notifications.
 *
 * The founder creates a group on the pub and is then copied (its closed store directory) once
 * per round, so every round catches up from cursor 0 into the same fresh state. A writer in this
 * process joins by the founder's invite and posts its join and the texts (PubClient, pipelined,
 * the pub at the bench limits). Rounds alternate the open workers on (the default) and off
 * (openWorkers 0: everything on the event loop), each printed with its wall time, the process's
 * CPU time (every thread) and the event loop's busy time, per message.
 */
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryJournal } from '../daemon/api/journal.js';
import { GroupPubs } from '../daemon/group-pubs/group-pubs.js';
import { GroupsService } from '../daemon/groups/service.js';
import { OPEN_WORKERS_DEFAULT } from '../daemon/groups/constants.js';
import { PubClient } from '../daemon/pub-links/client.js';
import { DirectDialer } from '../daemon/transport/direct.js';
import { sealBlob } from '../protocol/blob.js';
import { createCertificate, generateProfileKeys } from '../protocol/certificate.js';
import { ed25519Sign, ed25519Verify, randomBytes } from '../protocol/crypto.js';
import { createEntry, encodeEntry, entryId } from '../protocol/entry.js';
import { deriveEpochKeys } from '../protocol/group.js';
import { generateIdentity } from '../protocol/identity.js';
import { decodeInvite } from '../protocol/invite.js';
import { FAST_PUBS, NO_PEERS, makeMember, offline } from '../test/helpers/groups.js';
import { openRecordStore, startLoopbackPub } from '../test/helpers/group-pubs.js';
import { BENCH_LIMITS } from './pow.js';
import { profileWhile, summariseProfile } from './cpuprofile-summary.js';
import { figure, fmt, median, note, nowMs } from './stats.js';

const POST_WINDOW = 64;

/**
 * Runs `fn`, under V8's sampling profiler when SNUG_BENCH_GROUP_PROFILE is set (a directory:
 * the .cpuprofile is kept there), printing the summary by self time.
 */
export async function profiledIf(name: string, fn: () => Promise<void>): Promise<void> {
  const dir = process.env['SNUG_BENCH_GROUP_PROFILE'];
  if (!dir) return fn();
  const profile = await profileWhile(fn);
  await writeFile(join(dir, `groups-${name}.cpuprofile`), JSON.stringify(profile));
  note(`CPU profile of ${name} (sampled every 200 µs; main thread):`);
  process.stdout.write(summariseProfile(profile, 25).replace(/^/gm, '    '));
}


/** ed25519 verifications per second for ~1 s (libsodium, one core, this thread). */
export function verifyRate(): number {
  const keys = generateProfileKeys();
  const msg = randomBytes(200);
  const sig = ed25519Sign(msg, keys.signing.secretKey);
  const t0 = nowMs();
  let n = 0;
  while (nowMs() - t0 < 1000) {
    ed25519Verify(sig, msg, keys.signing.publicKey);
    n++;
  }
  return n / ((nowMs() - t0) / 1000);
}

export async function runCatchupBench(dir: string, messages: number, rounds: number): Promise<void> {
  const pub = await startLoopbackPub(join(dir, 'pub'), BENCH_LIMITS);
  try {
    const founder = await makeMember(dir, 'founder', undefined, false);
    const groupId = await founder.groups.create('catch-up', [pub.address]);
    const inv = decodeInvite(await founder.groups.exportInvite(groupId, false), { development: true });
    const keys = deriveEpochKeys(inv.current.secret, Buffer.from(groupId, 'hex'), inv.current.epoch);
    const base = founder.groups.entryCount;
    await offline(founder);

    // the writer: a member by the invite (its join cites the invite entry), then texts
    const profile = generateProfileKeys();
    const certificate = createCertificate(generateIdentity(), { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, Date.now());
    let ts = Date.now() - messages * 10;
    let seq = 0;
    let prev: Uint8Array | null = null;
    const blobs: Uint8Array[] = [];
    const t0 = nowMs();
    for (let i = -1; i < messages; i++) {
      seq += 1;
      const content = i < 0 ? ({ kind: 'join', invite: inv.inviteEntry, certificate } as const) : ({ kind: 'text', text: `catch-up message ${i}, about as long as a line of chat is` } as const);
      const e = createEntry(keys, profile.signing, { seq, ...(prev !== null ? { prev } : {}), timestamp: (ts += 10), heads: [prev ?? inv.inviteEntry], content });
      const bytes = encodeEntry(e);
      prev = entryId(bytes);
      blobs.push(sealBlob(keys, bytes));
    }
    const client = await PubClient.connect(new DirectDialer(), pub.address, { timeoutMs: 60_000 });
    try {
      const inflight = new Set<Promise<unknown>>();
      for (const blob of blobs) {
        const p: Promise<unknown> = client.post(blob, { nonce: await client.solve(blob), timeoutMs: 120_000 }).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= POST_WINDOW) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    } finally {
      await client.close();
    }
    note(`backlog: a member in this process posted its join and ${messages.toLocaleString('en-US')} texts to a pub on loopback in ${fmt((nowMs() - t0) / 1000)} s (made, sealed, PoW at the bench difficulty, posted); then ${rounds} rounds, each a copy of the founder's store catching up from cursor 0`);

    const rates: Record<string, number[]> = { pool: [], loop: [] };
    const workersEnv = process.env['SNUG_BENCH_GROUP_OPEN_WORKERS'];
    const workers = workersEnv !== undefined && Number(workersEnv) > 0 ? Number(workersEnv) : OPEN_WORKERS_DEFAULT;
    for (let r = 0; r < rounds; r++) {
      const variant = r % 2 === 0 ? 'pool' : 'loop';
      const roundDir = join(dir, `round-${r}`);
      await cp(founder.dir, roundDir, { recursive: true });
      const { store } = await openRecordStore(roundDir, founder.storeKey);
      const groups = new GroupsService({ log: () => {} }, { development: true, openWorkers: variant === 'pool' ? workers : 0 });
      const journal = new MemoryJournal();
      await groups.open({ store, address: founder.identity.address, name: founder.name, identityKey: founder.identity.publicKey, keys: founder.keys, certificate: founder.certificate, journal, peers: NO_PEERS });
      const verifyBefore = verifyRate();
      const cpu0 = process.cpuUsage();
      const elu0 = performance.eventLoopUtilization();
      const t1 = nowMs();
      const links = new GroupPubs({ dialer: new DirectDialer(), log: () => {}, sink: groups, store }, FAST_PUBS);
      links.addEventListener('change', (e) => groups.pubChanged(e.detail));
      await links.start();
      groups.attachPubs(links);
      const target = base + messages + 1;
      const deadline = Date.now() + 600_000;
      await profiledIf(`catch-up-${r + 1}-${variant}`, async () => {
        while (groups.entryCount < target && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
      });
      const wall = nowMs() - t1;
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      const got = groups.entryCount - base;
      const verifyAfter = verifyRate();
      const verify = (verifyBefore + verifyAfter) / 2; // the machine's load moves it: the mean of just before and just after
      await groups.close();
      await links.stop();
      await store.close();
      if (got < messages + 1) throw new Error(`round ${r} stored ${got} of ${messages + 1}`);
      const rate = (messages + 1) / (wall / 1000);
      rates[variant]!.push(rate / verify);
      const label = variant === 'pool' ? `open workers (${workers})` : 'event loop only';
      figure(`round ${r + 1}, ${label}: catch-up`, rate, 'messages/s', `${(rate / verify).toFixed(2)} x the verify rate of ${Math.round(verify).toLocaleString('en-US')}/s (mean of ${Math.round(verifyBefore).toLocaleString('en-US')} just before and ${Math.round(verifyAfter).toLocaleString('en-US')} just after); per message: CPU ${fmt(((cpu.user + cpu.system) / 1000 / (messages + 1)) * 1000)} µs (all threads), event loop busy ${fmt((elu.active / (messages + 1)) * 1000)} µs`);
    }
    if (rates['pool']!.length > 0) figure('catch-up / verify rate, open workers, median (target >= 0.5)', median(rates['pool']!), 'x', rates['pool']!.map((x) => x.toFixed(2)).join(', '));
    if (rates['loop']!.length > 0) figure('catch-up / verify rate, event loop only, median', median(rates['loop']!), 'x', rates['loop']!.map((x) => x.toFixed(2)).join(', '));
  } finally {
    await pub.server.stop();
  }
}
