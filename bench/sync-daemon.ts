/**
 * `sync-daemon`: group sync between two real `snug daemon` processes (issue 13's bench), over the
 * direct transport and over a private Tor network, each beside a bare transfer over the same
 * transport in the same run:
 *   - two daemons whose logs of one group hold 10,000 entries from 10 authors (10 members in this
 *     process, each a join and 999 texts) and differ by 1,000 (the last 100 entries of authors
 *     0-4 only alice holds, those of authors 5-9 only bob);
 *   - bytes sent by both sides during the sync, beside the bytes of the 1,000 missing blobs
 *     (target: at most 1.1x);
 *   - time to converge (peer sync switched on at both until both hold every entry) beside the
 *     raw transfer time of the missing blobs' bytes over the same transport (a bulk download,
 *     counted the same way, so sync bytes / bare bytes is the protocol's own overhead even where
 *     the counter sees the transport's: Tor's cells).
 *
 * Seeding uses the real ingest path only: the 10 members' blobs are injected into a hostile test
 * pub (test/helpers/hostile-pub.ts) that both daemons read as the group's pub, so each daemon
 * fetches, opens, verifies and stores them as from any pub. The difference is played by the pub:
 * bob is locked while alice reads her 500, then the pub forgets them (HostileFace.forget); alice
 * is locked while bob reads his, then the pub dies for good. Only then do the two become contacts
 * (each with group/setSettings peerSync off, so nothing syncs while the link comes up); the
 * measured window starts when both switch peer sync on.
 *
 * How bytes are counted:
 *   direct  each daemon's entry in the development peer directory is pointed at a TCP proxy in
 *           this process in front of its listener, so the peer link (whoever dials) runs through
 *           a proxy that counts every byte either way: WebSocket framing, Noise's 16-byte tag per
 *           frame, the frames. The bare transfer runs through the same kind of proxy.
 *   tor     each daemon attaches to a tor of its own that this process started (--tor-control),
 *           so tor's counters (GETINFO traffic/written, traffic/read) of both tors over the window
 *           give what went to the network: cells (514 bytes, up to 498 of payload) and TLS. The
 *           bare transfer (a bulk download from an onion service on bob's tor, dialled from
 *           alice's) is counted the same way.
 * Prints figures; never asserts (it does check that the logs became identical and says so).
 *
 * Sizes: SNUG_BENCH_SYNC_AUTHORS (10), SNUG_BENCH_SYNC_PER_AUTHOR (1,000), SNUG_BENCH_SYNC_DIFFER
 * (100 per author); SNUG_BENCH_SYNC_TRANSPORTS (direct,tor). SNUG_BENCH_SYNC_CPU_PROF=DIR restarts
 * both daemons after seeding under `node --cpu-prof`, writing their profiles to DIR at the end.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ApiClient } from '../daemon/api/client.js';
import { SOCKET_NAME } from '../daemon/api/constants.js';
import { DevPeerDirectory } from '../daemon/peer-links/dev-directory.js';
import type { TorService } from '../daemon/tor/service.js';
import { torDialer } from '../daemon/transport/tor.js';
import { sealBlob } from '../protocol/blob.js';
import { createCertificate, generateProfileKeys } from '../protocol/certificate.js';
import { ready } from '../protocol/crypto.js';
import { createEntry, encodeEntry, entryId } from '../protocol/entry.js';
import { deriveEpochKeys } from '../protocol/group.js';
import { generateIdentity } from '../protocol/identity.js';
import { decodeInvite, inviteGroupId } from '../protocol/invite.js';
import { PEER_PASSPHRASE, type Peer } from '../test/helpers/contacts.js';
import { FAST_DAEMON_ARGS, SNUG_BIN, callOnce, startDaemon, waitUntilServing, type DaemonProcess } from '../test/helpers/daemon.js';
import { groupMessages } from '../test/helpers/group-daemons.js';
import { blobHashHex, HostilePub } from '../test/helpers/hostile-pub.js';
import { makeTempDir, removeDir } from '../test/helpers/temp.js';
import { bulkDownload, openWs, startEchoServer } from './baseline.js';
import { figure, fmt, heading, note, nowMs, sleep } from './stats.js';
import { dialUntilReachable, publish, startClient, startRig, stopRig, type Rig } from './tor.js';

function size(name: string, full: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? full : Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer`);
  return n;
}

const AUTHORS = size('SNUG_BENCH_SYNC_AUTHORS', 10);
const PER_AUTHOR = size('SNUG_BENCH_SYNC_PER_AUTHOR', 1000);
const DIFFER = size('SNUG_BENCH_SYNC_DIFFER', 100);
/** Blobs injected into the pub at once while seeding. */
const SEED_RUN = 500;
/** A directory: after seeding, both daemons restart under `node --cpu-prof` writing there (see bench/README.md). */
const CPU_PROF_DIR = process.env['SNUG_BENCH_SYNC_CPU_PROF'];
const TRANSPORTS = (process.env['SNUG_BENCH_SYNC_TRANSPORTS'] ?? 'direct,tor').split(',').filter((t) => t !== '');

async function until<T>(what: string, withinMs: number, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(everyMs);
  }
}

/** A TCP proxy in front of a loopback port that counts the bytes it forwards, each way. */
class CountingProxy {
  /** Bytes from the dialler to the listener, and back. */
  toListener = 0;
  toDialler = 0;
  readonly #sockets = new Set<Socket>();
  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<CountingProxy> {
    let self: CountingProxy | null = null;
    const server = createServer((inbound) => {
      const p = self!;
      const outbound = connect({ host: '127.0.0.1', port: targetPort });
      for (const s of [inbound, outbound]) {
        p.#sockets.add(s);
        s.on('error', () => {
          inbound.destroy();
          outbound.destroy();
        });
        s.on('close', () => p.#sockets.delete(s));
      }
      inbound.on('data', (d: Buffer) => {
        p.toListener += d.length;
        if (!outbound.write(d)) inbound.pause();
      });
      outbound.on('drain', () => inbound.resume());
      outbound.on('data', (d: Buffer) => {
        p.toDialler += d.length;
        if (!inbound.write(d)) outbound.pause();
      });
      inbound.on('drain', () => outbound.resume());
      inbound.on('end', () => outbound.end());
      outbound.on('end', () => inbound.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    self = new CountingProxy(server, (server.address() as { port: number }).port);
    return self;
  }

  get total(): number {
    return this.toListener + this.toDialler;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A member in this process: joins with an invite string (its join citing the invite entry,
 * its own certificate), then writes texts in its chain, each sealed under the group's epoch.
 */
class BenchAuthor {
  readonly #keys: ReturnType<typeof deriveEpochKeys>;
  readonly #profile = generateProfileKeys();
  readonly #inviteEntry: Uint8Array;
  #seq = 0;
  #last: Uint8Array | null = null;
  #ts = Date.now() - 3_600_000;

  constructor(invite: string) {
    const inv = decodeInvite(invite, { development: true });
    this.#keys = deriveEpochKeys(inv.current.secret, inviteGroupId(inv), inv.current.epoch);
    this.#inviteEntry = inv.inviteEntry;
  }

  #next(content: Parameters<typeof createEntry>[2]['content']): Uint8Array {
    this.#seq += 1;
    this.#ts += 1;
    const e = createEntry(this.#keys, this.#profile.signing, { seq: this.#seq, ...(this.#last !== null ? { prev: this.#last } : {}), timestamp: this.#ts, heads: [this.#inviteEntry], content });
    const bytes = encodeEntry(e);
    this.#last = entryId(bytes);
    return sealBlob(this.#keys, bytes);
  }

  /** Entry `seq` of this author's chain: 1 is the join, the rest texts. */
  next(): Uint8Array {
    if (this.#seq === 0) {
      const certificate = createCertificate(generateIdentity(), { signingKey: this.#profile.signing.publicKey, dhKey: this.#profile.dh.publicKey }, Date.now());
      return this.#next({ kind: 'join', invite: this.#inviteEntry, certificate });
    }
    return this.#next({ kind: 'text', text: `entry ${this.#seq} of a bench author, about as long as a line of chat is` });
  }
}

/** `snug daemon` as spawnDaemon starts it, with node flags (--cpu-prof is not allowed in NODE_OPTIONS). */
async function startProfiled(home: string, args: readonly string[], nodeFlags: readonly string[]): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [...nodeFlags, SNUG_BIN, 'daemon', '--home', home, '--log-format', 'json', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBUG: '' } });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-100_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const socketPath = join(home, SOCKET_NAME);
  const d: DaemonProcess = {
    child,
    home,
    socketPath,
    stderr: () => stderr,
    stdout: () => '',
    exited,
    connect: () => ApiClient.connect(socketPath),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  await waitUntilServing(d, 30_000);
  return d;
}

async function startPeer(dir: string, name: string, args: readonly string[], daemons: DaemonProcess[]): Promise<Peer> {
  const home = join(dir, name);
  const daemon = await startDaemon(home, args);
  daemons.push(daemon);
  const { address } = await callOnce(daemon, (c) => c.call('profile/create', { name, passphrase: PEER_PASSPHRASE }));
  return { daemon, home, address, name };
}

async function row(c: ApiClient, groupId: string) {
  const g = (await c.call('group/list')).groups.find((x) => x.groupId === groupId);
  if (g === undefined) throw new Error('the group is not listed');
  return g;
}

/** Waits until the member's unread count of the group reaches `target`. */
async function unreadReaches(p: Peer, groupId: string, target: number, withinMs: number): Promise<void> {
  const c = await p.daemon.connect();
  try {
    let last = -1;
    await until(`${p.name} holds ${target} texts (last ${last})`, withinMs, async () => {
      last = (await row(c, groupId)).unread;
      return last >= target ? true : undefined;
    }, 100);
  } finally {
    await c.close();
  }
}

/** Every message id of the group at `p`, sorted (message/list paged back). */
async function itemIds(p: Peer, groupId: string): Promise<string[]> {
  return (await groupMessages(p, groupId)).filter((m) => m.kind === 'message').map((m) => m.id).sort();
}

interface Counter {
  /** What both sides have put on the link (or the network) so far. */
  read(): Promise<{ sent: number; aToB?: number; bToA?: number }>;
  readonly how: string;
}

interface Setup {
  readonly args: (name: 'alice' | 'bob') => string[];
  /** Called once both daemons are unlocked for good, before they become contacts. */
  link(alice: Peer, bob: Peer): Promise<Counter>;
  /** The bare transfer of `bytes` over the same transport: ms, and what the counter saw. */
  bare(bytes: number): Promise<{ ms: number; counted: number }>;
  stop(): Promise<void>;
}

async function directSetup(dir: string): Promise<Setup> {
  const peers = join(dir, 'peers');
  const proxies: CountingProxy[] = [];
  const echo = await startEchoServer();
  return {
    args: () => [...FAST_DAEMON_ARGS, '--dev-peer-dir', peers],
    async link(alice, bob) {
      const directory = new DevPeerDirectory(peers);
      const pair: CountingProxy[] = [];
      for (const p of [alice, bob]) {
        const url = await directory.lookup(p.address);
        if (url === null) throw new Error(`${p.name} is not in the development directory`);
        const proxy = await CountingProxy.start(Number(/:(\d+)$/.exec(url)![1]));
        proxies.push(proxy);
        pair.push(proxy);
        await directory.publish(p.address, `ws://127.0.0.1:${proxy.port}`);
      }
      const [toAlice, toBob] = pair as [CountingProxy, CountingProxy];
      return {
        how: 'TCP bytes through counting proxies in front of both listeners (WebSocket framing, Noise tags, frames)',
        read: async () => ({ sent: toAlice.total + toBob.total, aToB: toAlice.toDialler + toBob.toListener, bToA: toAlice.toListener + toBob.toDialler }),
      };
    },
    async bare(bytes) {
      const proxy = await CountingProxy.start(echo.port);
      proxies.push(proxy);
      const ws = await openWs(`ws://127.0.0.1:${proxy.port}`);
      try {
        const before = proxy.total;
        const ms = await bulkDownload(ws, bytes);
        return { ms, counted: proxy.total - before };
      } finally {
        ws.close();
      }
    },
    async stop() {
      for (const p of proxies) await p.stop().catch(() => undefined);
      await echo.stop();
    },
  };
}

async function torTraffic(tor: TorService): Promise<{ read: number; written: number }> {
  const info = await tor.getInfo(['traffic/read', 'traffic/written']);
  return { read: Number(info.get('traffic/read')), written: Number(info.get('traffic/written')) };
}

async function torSetup(): Promise<Setup> {
  const rig: Rig = await startRig();
  const tors: Record<string, TorService> = {};
  const args: Record<string, string[]> = {};
  for (const name of ['alice', 'bob'] as const) {
    const tor = await startClient(rig, `tor-${name}`);
    tors[name] = tor;
    const control = (await tor.getInfo(['net/listeners/control'])).get('net/listeners/control') ?? '';
    const port = /127\.0\.0\.1:(\d+)/.exec(control)?.[1];
    if (port === undefined) throw new Error(`tor reports no control port: ${control}`);
    args[name] = ['--dev', '--dev-kdf', 'fast', '--tor-control', `127.0.0.1:${port}`, '--tor-socks', `${tor.socks.host}:${tor.socks.port}`, '--tor-cookie', join(rig.dir, `tor-${name}`, 'control_auth_cookie')];
  }
  const echo = await startEchoServer();
  const both = async () => {
    const [a, b] = await Promise.all([torTraffic(tors['alice']!), torTraffic(tors['bob']!)]);
    return { sent: a.written + b.written, aToB: a.written, bToA: b.written };
  };
  return {
    args: (name) => args[name]!,
    async link() {
      return { how: "tor's own counters (traffic/written) of both daemons' tors: cells and TLS to the network", read: both };
    },
    async bare(bytes) {
      const onion = await publish(tors['bob']!, echo.port);
      await onion.uploaded();
      const ws = await dialUntilReachable(torDialer(tors['alice']!), onion.address);
      try {
        const before = (await both()).sent;
        const ms = await bulkDownload(ws, bytes);
        return { ms, counted: (await both()).sent - before };
      } finally {
        ws.close();
      }
    },
    async stop() {
      await echo.stop();
      await stopRig(rig);
    },
  };
}

async function waitPublished(p: Peer): Promise<void> {
  await until(`${p.name} published`, 180_000, async () => {
    const st = await callOnce(p.daemon, (c) => c.call('daemon/status'));
    return st.tor.onion === 'published' || st.tor.state === 'off' ? true : undefined;
  }, 250);
}

async function runOne(transport: string): Promise<void> {
  heading(`sync-daemon over ${transport === 'tor' ? 'a private Tor network' : 'the direct transport'}: ${(AUTHORS * PER_AUTHOR).toLocaleString('en-US')} entries of ${AUTHORS} authors, logs differing by ${(AUTHORS * DIFFER).toLocaleString('en-US')}`);
  const dir = await makeTempDir('bench-sync-daemon');
  const daemons: DaemonProcess[] = [];
  let pub: HostilePub | null = null;
  let setup: Setup | null = null;
  try {
    const tSetup = nowMs();
    setup = transport === 'tor' ? await torSetup() : await directSetup(dir);
    const [alice, bob] = await Promise.all([startPeer(dir, 'alice', setup.args('alice'), daemons), startPeer(dir, 'bob', setup.args('bob'), daemons)]);
    if (transport === 'tor') await Promise.all([waitPublished(alice), waitPublished(bob)]);
    pub = await HostilePub.start();
    const face = await pub.face();
    const { groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'sync bench', pubs: [face.url] }));
    await callOnce(alice.daemon, (c) => c.call('group/setSettings', { groupId, peerSync: false }));
    // one invite string for bob and the AUTHORS members (uses 0: any number of joins)
    const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId, uses: 0 }));
    await callOnce(bob.daemon, (c) => c.call('group/join', { invite }));
    await callOnce(bob.daemon, (c) => c.call('group/setSettings', { groupId, peerSync: false }));

    // The log: AUTHORS members' chains of PER_AUTHOR entries, made round by round.
    const tMake = nowMs();
    const authors = Array.from({ length: AUTHORS }, () => new BenchAuthor(invite));
    const common: Uint8Array[] = [];
    const onlyA: Uint8Array[] = [];
    const onlyB: Uint8Array[] = [];
    for (let seq = 1; seq <= PER_AUTHOR; seq++) {
      authors.forEach((a, i) => {
        const blob = a.next();
        if (seq <= PER_AUTHOR - DIFFER) common.push(blob);
        else (i < AUTHORS / 2 ? onlyA : onlyB).push(blob);
      });
    }
    const makeMs = nowMs() - tMake;
    const missing = [...onlyA, ...onlyB];
    const missingBytes = missing.reduce((n, b) => n + b.length, 0);
    const texts = (PER_AUTHOR - 1) * AUTHORS; // every entry but the joins is a text

    const tSeed = nowMs();
    await until('alice sees bob', 60_000, async () => ((await callOnce(alice.daemon, (c) => row(c, groupId))).members === 2 ? true : undefined));
    // In runs of SEED_RUN blobs, each read by both before the next: a burst beyond a live link's
    // queue (LIVE_QUEUE_BYTES) would only make the pub links drop and catch up again.
    let shown = 0;
    for (let i = 0; i < common.length; i += SEED_RUN) {
      const run = common.slice(i, i + SEED_RUN);
      pub.inject(run);
      shown += run.filter((_, k) => i + k >= AUTHORS).length; // the first AUTHORS are the joins
      await Promise.all([unreadReaches(alice, groupId, shown, 600_000), unreadReaches(bob, groupId, shown, 600_000)]);
    }
    const commonTexts = texts - missing.length;
    await callOnce(bob.daemon, (c) => c.call('profile/lock'));
    pub.inject(onlyA);
    await unreadReaches(alice, groupId, commonTexts + onlyA.length, 300_000);
    face.forget(new Set(onlyA.map(blobHashHex)));
    await callOnce(alice.daemon, (c) => c.call('profile/lock'));
    await callOnce(bob.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    pub.inject(onlyB);
    await unreadReaches(bob, groupId, commonTexts + onlyB.length, 300_000);
    await pub.close(); // dead for good: whatever moves now moves over the peer link
    pub = null;
    await callOnce(alice.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    await unreadReaches(alice, groupId, commonTexts + onlyA.length, 120_000);
    const seedMs = nowMs() - tSeed;
    if (CPU_PROF_DIR !== undefined) {
      // the profiles then cover unlock, the link and the sync, not the seeding
      for (const p of [alice, bob]) {
        await callOnce(p.daemon, (c) => c.call('daemon/shutdown'));
        await p.daemon.exited;
        p.daemon = await startProfiled(p.home, setup.args(p.name as 'alice' | 'bob'), ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, `--cpu-prof-name=${p.name}-${transport}.cpuprofile`]);
        daemons.push(p.daemon);
        await callOnce(p.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
      }
      if (transport === 'tor') await Promise.all([waitPublished(alice), waitPublished(bob)]);
      await Promise.all([unreadReaches(alice, groupId, commonTexts + onlyA.length, 120_000), unreadReaches(bob, groupId, commonTexts + onlyB.length, 120_000)]);
    }

    const counter = await setup.link(alice, bob);
    await callOnce(alice.daemon, (c) => c.call('contact/add', { address: bob.address }));
    await until('bob sees the request', 180_000, async () => ((await callOnce(bob.daemon, (c) => c.call('contact/list'))).contacts.some((x) => x.address === alice.address && x.state === 'incoming') ? true : undefined), 250);
    await callOnce(bob.daemon, (c) => c.call('contact/accept', { address: alice.address }));
    await until('the link is up', 180_000, async () => ((await callOnce(alice.daemon, (c) => c.call('contact/list'))).contacts.some((x) => x.address === bob.address && x.online) ? true : undefined), 250);
    await sleep(2_000); // the link's own start (contact exchange) settles before the window opens
    note(`set up in ${fmt((nowMs() - tSetup) / 1000)} s: made and signed ${(AUTHORS * PER_AUTHOR).toLocaleString('en-US')} entries in ${fmt(makeMs / 1000)} s; both daemons read them through the pub (real ingest) in ${fmt(seedMs / 1000)} s`);

    const before = await counter.read();
    const t0 = nowMs();
    await Promise.all([alice, bob].map((p) => callOnce(p.daemon, (c) => c.call('group/setSettings', { groupId, peerSync: true }))));
    await Promise.all([unreadReaches(alice, groupId, texts, 600_000), unreadReaches(bob, groupId, texts, 600_000)]);
    const convergeMs = nowMs() - t0;
    const after = await counter.read();
    const sent = after.sent - before.sent;
    const aToB = (after.aToB ?? 0) - (before.aToB ?? 0);
    const bToA = (after.bToA ?? 0) - (before.bToA ?? 0);
    const [idsA, idsB] = await Promise.all([itemIds(alice, groupId), itemIds(bob, groupId)]);
    const rows = await Promise.all([alice, bob].map((p) => callOnce(p.daemon, (c) => row(c, groupId))));
    note(`logs identical after sync: ${idsA.length === idsB.length && idsA.every((id, i) => id === idsB[i])} (${idsA.length} and ${idsB.length} messages); gaps ${rows.map((r) => r.gaps).join(' and ')}`);
    note(`bytes counted as: ${counter.how}`);
    figure('  missing blobs', missingBytes, 'bytes', `(${missing.length.toLocaleString('en-US')} blobs)`);
    figure('  sent by both sides during sync', sent, 'bytes', `ratio ${fmt(sent / missingBytes, 3)}x (target <= 1.1x; alice->bob ${aToB}, bob->alice ${bToA})`);
    figure('  time to converge', fmt(convergeMs, 0), 'ms', '(peer sync on at both until both hold every entry)');
    const bare = await setup.bare(missingBytes);
    figure('  bare transfer of the missing bytes', fmt(bare.ms, 0), 'ms', `(one bulk download of ${missingBytes} bytes over the same transport; ${bare.counted} bytes counted the same way)`);
    figure('  sync bytes / bare transfer bytes', fmt(sent / bare.counted, 3), 'x', '(both counted the same way: the protocol\'s own overhead)');
    figure('  converge / bare transfer time', fmt(convergeMs / bare.ms, 1), 'x');
    if (CPU_PROF_DIR !== undefined) {
      for (const p of [alice, bob]) {
        await callOnce(p.daemon, (c) => c.call('daemon/shutdown'));
        await p.daemon.exited;
      }
      note(`cpu profiles of both daemons (unlock, link, sync) in ${CPU_PROF_DIR}`);
    }
  } finally {
    await pub?.close().catch(() => undefined);
    await Promise.all(daemons.map((d) => d.kill()));
    await setup?.stop().catch(() => undefined);
    await removeDir(dir);
  }
}

export async function runSyncDaemonBench(): Promise<void> {
  await ready();
  for (const t of TRANSPORTS) {
    if (t !== 'direct' && t !== 'tor') throw new RangeError(`SNUG_BENCH_SYNC_TRANSPORTS: unknown transport ${t}`);
    await runOne(t);
  }
}
