/**
 * `group-chat`: group chat between real `snug daemon` processes through a real `snug pub`, over
 * a private Tor network (5 authorities on 127.0.0.1), in one run, each figure beside its
 * baseline measured in the same run:
 *   - send-to-receive latency: message/send on daemon A until message/didReceive on daemon B
 *     (event/subscribe), one message at a time, through the pub's onion service; beside the raw
 *     onion WebSocket round trip (an echo onion service on the same network);
 *   - catch-up of a backlog: member B locks its profile, a backlog is posted to the pub by a
 *     third member, B unlocks; messages/s fetched, decrypted, verified and stored by B, beside
 *     the ed25519 verify rate of this process; bytes/s beside tor's bulk throughput;
 *   - a 100,000-entry log at a third daemon C on the direct transport, filled through a second
 *     `snug pub` on loopback (to save time): C's RSS, and message/list of 50, p50/p99.
 * The third member (the backlog's author) runs in this process with the protocol's own code
 * (protocol/entry.ts, protocol/blob.ts): it joins with an invite string exported by A, as any
 * member would, signs its entries, seals them and posts them with PubClient (pipelined on one
 * connection, its own proof of work per post). Prints figures; never asserts.
 *
 * Sizes: SNUG_BENCH_CHAT_MESSAGES (default 200), SNUG_BENCH_CHAT_BACKLOG (10,000),
 * SNUG_BENCH_CHAT_LOG (100,000); SNUG_BENCH_CHAT_QUICK=1 sets 50 / 1,000 / 5,000.
 * SNUG_BENCH_CHAT_ONLY_LOG=1 runs the log part alone (no Tor network).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiClient } from '../daemon/api/client.js';
import { PubClient } from '../daemon/pub-links/client.js';
import { DirectDialer } from '../daemon/transport/direct.js';
import { torDialer } from '../daemon/transport/tor.js';
import type { Dialer } from '../daemon/transport/types.js';
import { sealBlob } from '../protocol/blob.js';
import { createCertificate, generateProfileKeys } from '../protocol/certificate.js';
import { BLOB_SIZE_STANDARD } from '../protocol/constants.js';
import { ed25519Sign, ed25519Verify, randomBytes, ready } from '../protocol/crypto.js';
import { createEntry, encodeEntry, entryId } from '../protocol/entry.js';
import { deriveEpochKeys } from '../protocol/group.js';
import { generateIdentity } from '../protocol/identity.js';
import { decodeInvite, inviteGroupId } from '../protocol/invite.js';
import { Level } from 'level';
import { PEER_PASSPHRASE, type Peer } from '../test/helpers/contacts.js';
import { FAST_DAEMON_ARGS, callOnce, startDaemon, type DaemonProcess } from '../test/helpers/daemon.js';
import { SNUG_BIN, TEST_PUB_ARGS, launcher, makeTempDir, processRss, removeDir, spawnTestPub } from '../test/helpers/pub-fixtures.js';
import { bulkDownload, echoRoundTrips, startEchoServer } from './baseline.js';
import { MB, MiB, figure, fmt, heading, median, note, nowMs, quantile, sleep } from './stats.js';
import { dialUntilReachable, publish, startClient, startRig, stopRig } from './tor.js';

const QUICK = process.env['SNUG_BENCH_CHAT_QUICK'] === '1';

function size(name: string, full: number, quick: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? (QUICK ? quick : full) : Number(raw);
  if (!Number.isSafeInteger(n) || n < 10) throw new RangeError(`${name} must be an integer of at least 10`);
  return n;
}

const MESSAGES = size('SNUG_BENCH_CHAT_MESSAGES', 200, 50);
const BACKLOG = size('SNUG_BENCH_CHAT_BACKLOG', 10_000, 1_000);
const LOG = size('SNUG_BENCH_CHAT_LOG', 100_000, 5_000);
const WARMUP = 5;
const RAW_CIRCUITS = 4;
const ONION_BULK_BYTES = 32 * MB;
const LIST_CALLS = 500;
/** Posts in flight on the backlog author's one connection (the pub allows 16; the client queues the rest in order). */
const POST_WINDOW = 64;
const DAEMON_ARGS = (torrc: string) => ['--dev', '--dev-kdf', 'fast', '--tor-config', torrc];

async function until<T>(what: string, withinMs: number, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(everyMs);
  }
}

/** user + system CPU seconds of a process so far (/proc/PID/stat), or NaN. */
async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

interface OnionPub {
  readonly child: ChildProcess;
  readonly address: string;
  kill(): Promise<void>;
}

/** `snug pub --home HOME --tor-config TORRC` (its own tor, an onion service): resolves on its `pub address:` line. */
function spawnOnionPub(home: string, torrc: string): Promise<OnionPub> {
  const launch = launcher();
  const child = spawn(process.execPath, [...launch.execArgv, SNUG_BIN, 'pub', '--home', home, '--tor-config', torrc, ...TEST_PUB_ARGS], {
    env: { ...process.env, ...launch.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const reap = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    reap();
    await exited;
    process.off('exit', reap);
  };
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-16_000)));
  return new Promise<OnionPub>((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`the onion pub printed no address within 180 s: ${stderr}`));
    }, 180_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /pub address:\s*(\S+)/.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      resolve({ child, address: m[1]!, kill });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the onion pub exited (${code}) before announcing its address: ${stderr}`));
    });
  });
}

async function startPeer(dir: string, name: string, args: readonly string[], daemons: DaemonProcess[]): Promise<Peer> {
  const home = join(dir, name);
  const daemon = await startDaemon(home, args);
  daemons.push(daemon);
  const { address } = await callOnce(daemon, (c) => c.call('profile/create', { name, passphrase: PEER_PASSPHRASE }));
  return { daemon, home, address, name };
}

async function torReady(p: Peer): Promise<void> {
  await until(`${p.name}'s tor ready`, 180_000, async () => ((await callOnce(p.daemon, (c) => c.call('daemon/status'))).tor.state === 'ready' ? true : undefined), 250);
}

async function groupRow(p: Peer, groupId: string) {
  return (await callOnce(p.daemon, (c) => c.call('group/list'))).groups.find((g) => g.groupId === groupId);
}

async function linksLive(p: Peer, groupId: string, withinMs = 180_000): Promise<void> {
  let last = '';
  await until(`${p.name}'s pub links live`, withinMs, async () => {
    const g = await groupRow(p, groupId);
    last = JSON.stringify(g?.pubLinks ?? null);
    return g !== undefined && g.pubLinks.length > 0 && g.pubLinks.every((l) => l.state === 'live') ? true : undefined;
  }, 250).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last pubLinks ${last}`);
  });
}

/**
 * A member in this process: joins with an invite string (its join entry citing the invite
 * entry, its own certificate), then writes text entries in its chain, each sealed into a blob
 * under the group's current epoch.
 */
class BenchMember {
  readonly #keys: ReturnType<typeof deriveEpochKeys>;
  readonly #signing = generateProfileKeys();
  readonly #inviteEntry: Uint8Array;
  #seq = 0;
  #last: Uint8Array | null = null;
  #ts = Date.now();

  constructor(invite: string) {
    const inv = decodeInvite(invite, { development: true });
    this.#keys = deriveEpochKeys(inv.current.secret, inviteGroupId(inv), inv.current.epoch);
    this.#inviteEntry = inv.inviteEntry;
  }

  #next(content: Parameters<typeof createEntry>[2]['content']): Uint8Array {
    this.#seq += 1;
    // timestamps a millisecond apart, ending about now (an arrival clamps later ones anyway)
    this.#ts = Math.max(this.#ts + 1, Date.now() - 600_000);
    const e = createEntry(this.#keys, this.#signing.signing, {
      seq: this.#seq,
      ...(this.#last !== null ? { prev: this.#last } : {}),
      timestamp: this.#ts,
      heads: [this.#inviteEntry],
      content,
    });
    const bytes = encodeEntry(e);
    this.#last = entryId(bytes);
    return sealBlob(this.#keys, bytes);
  }

  join(): Uint8Array {
    const identity = generateIdentity();
    const certificate = createCertificate(identity, { signingKey: this.#signing.signing.publicKey, dhKey: this.#signing.dh.publicKey }, Date.now());
    return this.#next({ kind: 'join', invite: this.#inviteEntry, certificate });
  }

  text(i: number): Uint8Array {
    return this.#next({ kind: 'text', text: `backlog message ${i}, about as long as a line of chat is` });
  }

  /** A signature over `bytes` with this member's key, and its public key (for the verify baseline). */
  sign(bytes: Uint8Array): { sig: Uint8Array; pk: Uint8Array } {
    return { sig: ed25519Sign(bytes, this.#signing.signing.secretKey), pk: this.#signing.signing.publicKey };
  }
}

/** Posts the member's join and `count` texts in chain order on one connection (pipelined); ms for the whole. */
async function postBacklog(dialer: Dialer, pub: string, member: BenchMember, count: number): Promise<{ ms: number; bytes: number }> {
  const client = await PubClient.connect(dialer, pub, { timeoutMs: 120_000 });
  try {
    const t0 = nowMs();
    let bytes = 0;
    const inflight = new Set<Promise<unknown>>();
    let failure: unknown = null;
    for (let i = -1; i < count; i++) {
      const blob = i < 0 ? member.join() : member.text(i);
      bytes += blob.length;
      const nonce = await client.solve(blob);
      // the client sends requests in call order and queues beyond the pub's in-flight limit
      const p: Promise<unknown> = client.post(blob, { nonce, timeoutMs: 300_000 }).then(
        (): void => void inflight.delete(p),
        (err: unknown) => {
          failure ??= err;
          inflight.delete(p);
        },
      );
      inflight.add(p);
      if (inflight.size >= POST_WINDOW) await Promise.race(inflight);
      if (failure !== null) throw failure;
    }
    await Promise.all(inflight);
    if (failure !== null) throw failure;
    return { ms: nowMs() - t0, bytes };
  } finally {
    await client.close();
  }
}

/** Polls B's unread count of the group until it reaches `target`; the times of the first rise and of reaching it. */
async function waitUnread(p: Peer, groupId: string, from: number, target: number, t0: number, withinMs: number, everyMs: number): Promise<{ firstMs: number; allMs: number; last: number }> {
  const client = await p.daemon.connect();
  try {
    let firstMs = NaN;
    let last = from;
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      try {
        const g = (await client.call('group/list')).groups.find((x) => x.groupId === groupId);
        last = g?.unread ?? last;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_LOCKED') throw err;
      }
      const t = nowMs() - t0;
      if (last > from && Number.isNaN(firstMs)) firstMs = t;
      if (last >= target) return { firstMs, allMs: t, last };
      await sleep(everyMs);
    }
    return { firstMs, allMs: NaN, last };
  } finally {
    await client.close();
  }
}

/** Synced LevelDB batches of two records (an entry and its blob) one after another, per second, in `dir`. */
async function syncedBatchRate(dir: string, count: number): Promise<number> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    const blob = randomBytes(BLOB_SIZE_STANDARD);
    const entry = randomBytes(400);
    const t0 = nowMs();
    for (let i = 0; i < count; i++) {
      const k = randomBytes(32);
      await db.batch([{ type: 'put', key: Uint8Array.of(1, ...k), value: entry }, { type: 'put', key: Uint8Array.of(2, ...k), value: blob }], { sync: true });
    }
    return count / ((nowMs() - t0) / 1000);
  } finally {
    await db.close();
  }
}

function verifyRate(member: BenchMember, size: number): number {
  const msg = randomBytes(size);
  const { sig, pk } = member.sign(msg);
  let n = 0;
  const t0 = nowMs();
  while (nowMs() - t0 < 2000) {
    for (let i = 0; i < 100; i++) ed25519Verify(sig, msg, pk);
    n += 100;
  }
  return n / ((nowMs() - t0) / 1000);
}


/**
 * The 100,000-entry log (SNUG_BENCH_CHAT_LOG) at a third daemon on the direct transport, filled
 * through a loopback pub: its RSS, unlock, message/list of 50. `daemons` collects it for the caller to kill.
 */
async function logPart(dir: string, daemons: DaemonProcess[]): Promise<void> {
  // ---- a 100,000-entry log at a third daemon on the direct transport, filled through a loopback pub
  // (a daemon on the tor transport does not reach loopback pubs even in development mode: daemon.ts
  // does not pass `development` to the NetworkService, so its pubDialer refuses ws://127.0.0.1)
  const loopPub = await spawnTestPub(join(dir, 'loop-pub'));
  try {
    const c = await startPeer(dir, 'carl', FAST_DAEMON_ARGS, daemons);
    const { groupId: bigId } = await callOnce(c.daemon, (x) => x.call('group/create', { name: 'big', pubs: [loopPub.address] }));
    await linksLive(c, bigId, 60_000);
    const { invite: invite3 } = await callOnce(c.daemon, (x) => x.call('group/exportInvite', { groupId: bigId }));
    const dave = new BenchMember(invite3);
    const fillN = LOG - 2; // the genesis and the member's join are entries of the log too
    const tFill = nowMs();
    const cpuF0 = await cpuSeconds(c.daemon.child.pid ?? -1);
    const [fill, filled] = await Promise.all([
      postBacklog(new DirectDialer(), loopPub.address, dave, fillN),
      waitUnread(c, bigId, 0, fillN, tFill, 3_600_000, 1_000),
    ]);
    const cpuF1 = await cpuSeconds(c.daemon.child.pid ?? -1);
    note(`log fill (direct transport, to save time): a third daemon, carl (${FAST_DAEMON_ARGS.join(' ')}), founded a group on a second \`snug pub --listen 127.0.0.1:0\`; a member in this process posted its join and ${fillN.toLocaleString('en-US')} texts in ${fmt(fill.ms / 1000)} s; carl held all of them ${fmt(filled.allMs / 1000)} s after the first post (${filled.last.toLocaleString('en-US')} counted; carl's CPU ${fmt(cpuF1 - cpuF0)} s)`);
    figure('ingest over loopback (live, from the pub)', fillN / (filled.allMs / 1000), 'messages/s', 'carl receiving while the member posts');
    const rssFilled = await processRss(c.daemon.child.pid ?? -1);
    await callOnce(c.daemon, (x) => x.call('profile/lock'));
    await sleep(500);
    const tU = nowMs();
    await callOnce(c.daemon, (x) => x.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    const unlockBigMs = nowMs() - tU;
    const rssAfter: string[] = [];
    let rssUnlocked: { rss: number; hwm: number } | null = null;
    for (const at of [2, 10, 30, 60]) {
      await sleep(at * 1000 - (nowMs() - tU - unlockBigMs));
      const r = await processRss(c.daemon.child.pid ?? -1);
      if (r) rssAfter.push(`${at} s: ${fmt(r.rss / MiB, 0)}`);
      rssUnlocked ??= r;
    }
    note(`carl's log: ${LOG.toLocaleString('en-US')} entries in one group (${fillN.toLocaleString('en-US')} texts)`);
    if (rssFilled) figure("carl's RSS after the fill", rssFilled.rss / MiB, 'MiB', `VmHWM ${fmt(rssFilled.hwm / MiB)} MiB`);
    figure('profile/unlock with that log (open + index)', unlockBigMs, 'ms');
    if (rssUnlocked) figure("carl's RSS 2 s after that unlock", rssUnlocked.rss / MiB, 'MiB', `VmHWM ${fmt(rssUnlocked.hwm / MiB)} MiB (since the process started)`);
    note(`carl's RSS (MiB) after the unlock answered, idle: ${rssAfter.join(', ')}`);

    // message/list of 50 over carl's socket: the newest page, and pages before random ids
    const lister = await c.daemon.connect();
    try {
      const ids: string[] = [];
      let before: string | undefined;
      while (ids.length < Math.min(LOG, 20_000)) {
        const page = (await lister.call('message/list', { groupId: bigId, limit: 500, ...(before !== undefined ? { before } : {}) })).messages;
        if (page.length === 0) break;
        ids.unshift(...page.map((m) => m.id));
        before = page[0]!.id;
      }
      const newest: number[] = [];
      for (let i = 0; i < LIST_CALLS; i++) {
        const t = nowMs();
        await lister.call('message/list', { groupId: bigId, limit: 50 });
        newest.push(nowMs() - t);
      }
      const random: number[] = [];
      for (let i = 0; i < LIST_CALLS; i++) {
        const id = ids[Math.floor(Math.random() * ids.length)]!;
        const t = nowMs();
        await lister.call('message/list', { groupId: bigId, limit: 50, before: id });
        random.push(nowMs() - t);
      }
      const statusRtt: number[] = [];
      for (let i = 0; i < LIST_CALLS; i++) {
        const t = nowMs();
        await lister.call('daemon/status');
        statusRtt.push(nowMs() - t);
      }
      note(`message/list of 50 from the ${LOG.toLocaleString('en-US')}-entry log, ${LIST_CALLS} calls each, one ApiClient connection to carl's socket (answer parsed and checked by its schema); daemon/status on the same connection as the floor`);
      figure('message/list 50, newest page, p50', median(newest), 'ms');
      figure('message/list 50, newest page, p99', quantile(newest, 0.99), 'ms');
      figure('message/list 50 before a random id, p50', median(random), 'ms', `ids from the newest ${ids.length.toLocaleString('en-US')}`);
      figure('message/list 50 before a random id, p99', quantile(random, 0.99), 'ms');
      figure('daemon/status on the same socket, p50', median(statusRtt), 'ms');
      figure('daemon/status on the same socket, p99', quantile(statusRtt, 0.99), 'ms');
    } finally {
      await lister.close();
    }
    const rssEnd = await processRss(c.daemon.child.pid ?? -1);
    if (rssEnd) figure("carl's RSS after the message/list calls", rssEnd.rss / MiB, 'MiB');
  } finally {
    await loopPub.kill();
  }
}

/** Only the log part, without the Tor network (SNUG_BENCH_CHAT_ONLY_LOG=1). */
async function runLogOnly(): Promise<void> {
  heading(`group-chat (log part only): a ${LOG.toLocaleString('en-US')}-entry log at a snug daemon, filled through a snug pub on loopback`);
  await ready();
  const dir = await makeTempDir('bench-group-chat');
  const daemons: DaemonProcess[] = [];
  try {
    await logPart(dir, daemons);
  } finally {
    await Promise.allSettled(daemons.map((d) => d.kill()));
    await removeDir(dir);
  }
}

export async function runGroupChatBench(): Promise<void> {
  if (process.env['SNUG_BENCH_CHAT_ONLY_LOG'] === '1') return runLogOnly();
  heading('group-chat: two snug daemons and a snug pub over a private Tor network');
  await ready();
  note(`sizes: ${MESSAGES} messages, a backlog of ${BACKLOG.toLocaleString('en-US')}, a log of ${LOG.toLocaleString('en-US')}${QUICK ? ' (SNUG_BENCH_CHAT_QUICK)' : ''}`);
  const echo = await startEchoServer();
  const rig = await startRig();
  const daemons: DaemonProcess[] = [];
  let pub: OnionPub | null = null;
  try {
    const tSetup = nowMs();
    const [client, server] = await Promise.all([startClient(rig, 'client'), startClient(rig, 'server')]);
    const echoOnion = await publish(server, echo.port);
    const dialer = torDialer(client);
    pub = await spawnOnionPub(join(rig.dir, 'pub'), rig.torrc);
    const [a, b] = await Promise.all([startPeer(rig.dir, 'alice', DAEMON_ARGS(rig.torrc), daemons), startPeer(rig.dir, 'bob', DAEMON_ARGS(rig.torrc), daemons)]);
    await Promise.all([torReady(a), torReady(b)]);
    const { groupId } = await callOnce(a.daemon, (c) => c.call('group/create', { name: 'bench', pubs: [pub!.address] }));
    const { invite } = await callOnce(a.daemon, (c) => c.call('group/exportInvite', { groupId }));
    await callOnce(b.daemon, (c) => c.call('group/join', { invite }));
    await Promise.all([linksLive(a, groupId), linksLive(b, groupId)]);
    note(`rig: 5 authorities; \`snug pub\` (its own tor, onion service; ${TEST_PUB_ARGS.join(' ')}); daemons alice and bob (each its own tor, --dev --dev-kdf fast: the low KDF cost, the transport is Tor); two tors in this process for the baselines (an echo onion service and its client)`);
    note(`set up in ${fmt((nowMs() - tSetup) / 1000)} s; the pub at ${pub.address.slice(0, 12)}...`);

    // ---- send to receive, A -> pub -> B, beside the raw onion round trip
    const sub: ApiClient = await b.daemon.connect();
    const got = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    sub.addEventListener('message/didReceive', (e) => {
      const d = e.detail;
      if (!('groupId' in d) || d.groupId !== groupId) return;
      got.set(d.message.id, nowMs());
      waiters.get(d.message.id)?.();
    });
    await sub.call('event/subscribe', {});
    const sender = await a.daemon.connect();
    const sentAt = new Map<string, number>();
    sender.addEventListener('message/didChange', (e) => {
      const d = e.detail;
      if (d.groupId === groupId && d.status !== 'outbox' && !sentAt.has(d.id)) sentAt.set(d.id, nowMs());
    });
    await sender.call('event/subscribe', {});
    const toPub: number[] = [];
    const latency: number[] = [];
    const sendCall: number[] = [];
    for (let i = 0; i < WARMUP + MESSAGES; i++) {
      const t0 = nowMs();
      const { id } = await sender.call('message/send', { groupId, text: `latency ${i}` });
      const t1 = nowMs();
      if (!got.has(id)) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`message ${i} never reached bob`)), 120_000);
          waiters.set(id, () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      waiters.delete(id);
      if (i >= WARMUP) {
        latency.push(got.get(id)! - t0);
        sendCall.push(t1 - t0);
        const s = sentAt.get(id);
        if (s !== undefined) toPub.push(s - t0);
      }
    }
    await sender.close();
    await sub.close();
    await echoOnion.uploaded();
    await dialUntilReachable(dialer, echoOnion.address).then((ws) => ws.close());
    const raw: number[] = [];
    const perCircuit: number[] = [];
    const blobFrame = BLOB_SIZE_STANDARD + 64;
    for (let k = 0; k < RAW_CIRCUITS; k++) {
      const ws = await dialer.dial(echoOnion.address, { timeoutMs: 60_000 });
      const part = await echoRoundTrips(ws, Math.ceil(MESSAGES / RAW_CIRCUITS), blobFrame);
      ws.close();
      raw.push(...part);
      perCircuit.push(median(part));
    }
    note(`send to receive: message/send on alice (entry made, durable in the outbox) until message/didReceive of that id on bob (event/subscribe): alice seals it, pays the pub's proof of work, posts it over her tor to the pub's onion service, the pub stores it and pushes it to bob's subscription over his tor, bob opens, verifies and stores it; one at a time, ${MESSAGES} after ${WARMUP} to warm up`);
    note(`raw baseline: ${raw.length} echoes of a ${blobFrame}-byte WebSocket frame (a standard blob and its framing), ${Math.ceil(MESSAGES / RAW_CIRCUITS)} on each of ${RAW_CIRCUITS} onion connections with their own circuits (client tor -> echo onion service on another tor); per-circuit medians ${perCircuit.map((x) => x.toFixed(1)).join(', ')} ms`);
    figure('send to receive, p50', median(latency), 'ms');
    figure('send to receive, p99', quantile(latency, 0.99), 'ms');
    figure('  of which the message/send call, p50', median(sendCall), 'ms');
    figure('  send to the pub\'s ack (didChange sent), p50', median(toPub), 'ms', `${toPub.length} seen before the message reached bob`);
    figure('  send to the pub\'s ack, p99', quantile(toPub, 0.99), 'ms');
    figure('raw onion WebSocket round trip, p50', median(raw), 'ms');
    figure('raw onion WebSocket round trip, p99', quantile(raw, 0.99), 'ms');
    figure('send to receive p50 / raw round trip p50', median(latency) / median(raw), 'x');
    figure('send to receive p99 / raw round trip p99', quantile(latency, 0.99) / quantile(raw, 0.99), 'x');

    // ---- tor's bulk throughput on the same network
    const bulkWs = await dialer.dial(echoOnion.address, { timeoutMs: 60_000 });
    const bulkMs = await bulkDownload(bulkWs, ONION_BULK_BYTES);
    bulkWs.close();
    const torBulk = ONION_BULK_BYTES / MB / (bulkMs / 1000);

    // ---- catch-up: bob locks, a third member posts the backlog, bob unlocks
    const unreadBefore = (await groupRow(b, groupId))?.unread ?? 0;
    await callOnce(b.daemon, (c) => c.call('profile/lock'));
    const { invite: invite2 } = await callOnce(a.daemon, (c) => c.call('group/exportInvite', { groupId }));
    const carol = new BenchMember(invite2);
    const posted = await postBacklog(dialer, pub.address, carol, BACKLOG);
    note(`backlog: a member in this process (joined by an invite string exported by alice) posted its join and ${BACKLOG.toLocaleString('en-US')} texts (${fmt(posted.bytes / MB)} MB of blobs) to the pub's onion service in ${fmt(posted.ms / 1000)} s (one connection, ${POST_WINDOW} posts in flight, the pub takes 16 at once), while bob was locked`);
    await sleep(1_000);
    const cpu0 = await cpuSeconds(b.daemon.child.pid ?? -1);
    const t0 = nowMs();
    await callOnce(b.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    const unlockMs = nowMs() - t0;
    const caught = await waitUnread(b, groupId, unreadBefore, unreadBefore + BACKLOG, t0, 1_800_000, 100);
    const cpu1 = await cpuSeconds(b.daemon.child.pid ?? -1);
    const catchS = (caught.allMs - caught.firstMs) / 1000;
    const rate = BACKLOG / catchS;
    const verify = verifyRate(carol, 256);
    const synced = await syncedBatchRate(join(rig.dir, 'synced-baseline'), 500);
    const rssCatch = await processRss(b.daemon.child.pid ?? -1);
    note(`catch-up: bob's profile/unlock (answered in ${fmt(unlockMs)} ms; his tor is started again), then group/list polled every 100 ms until his unread count rose by ${BACKLOG.toLocaleString('en-US')}: every blob fetched from the pub over Tor, decrypted, its signature verified, stored with a synced write, indexed`);
    note(`unlock to the first backlog message counted ${fmt(caught.firstMs)} ms, to the last ${fmt(caught.allMs)} ms (${caught.last - unreadBefore} counted); the rate below is from the first to the last`);
    figure('catch-up, messages fetched+verified+stored', rate, 'messages/s', `${BACKLOG.toLocaleString('en-US')} in ${fmt(catchS)} s`);
    figure('catch-up from unlock (tor start included)', BACKLOG / (caught.allMs / 1000), 'messages/s');
    figure('ed25519 verify, this process, same run', verify, '/s', 'libsodium, 256-byte message, one core');
    figure('catch-up / verify rate (target >= 0.5)', rate / verify, 'x');
    figure('synced LevelDB batch (entry + blob), same disk', synced, '/s', '500 one after another, this process: what one synced write per message allows');
    figure('catch-up / synced batch rate', rate / synced, 'x');
    figure('catch-up, blob bytes', (BACKLOG * BLOB_SIZE_STANDARD) / MB / catchS, 'MB/s', `${BLOB_SIZE_STANDARD}-byte blobs`);
    figure('tor bulk throughput, same network', torBulk, 'MB/s', `${ONION_BULK_BYTES / MB} MB in 64 KiB frames over one onion connection`);
    figure('catch-up bytes / tor bulk', (BACKLOG * BLOB_SIZE_STANDARD) / MB / catchS / torBulk, 'x');
    figure("bob's CPU during the catch-up", cpu1 - cpu0, 's', `of ${fmt(caught.allMs / 1000)} s wall (user+system, the daemon process alone, not its tor)`);
    if (rssCatch) figure("bob's RSS after the catch-up", rssCatch.rss / MiB, 'MiB');

    await logPart(rig.dir, daemons);
  } finally {
    await Promise.allSettled(daemons.map((d) => d.kill()));
    await pub?.kill().catch(() => {});
    await stopRig(rig);
    await echo.stop();
  }
}
