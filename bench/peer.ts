/**
 * `peer`: peer links between real `snug daemon` processes over a private Tor network, in one
 * run, each figure beside its Tor baseline:
 *   - handshake: dial + the snug Noise XX handshake against a daemon's onion service, beside a
 *     bare onion WebSocket connect to an echo onion service on the same tor;
 *   - 1:1 message round trip: message/send to message/didChange "delivered", p50/p99 over 200,
 *     beside the raw onion WebSocket round trip;
 *   - time from unlock until every link is up, 20 reachable contacts (daemons) with 0 and then
 *     with 20 unreachable ones (valid onion addresses with no service);
 *   - the uniform reply to a contact request from a stranger, a pending and a blocked address.
 * The hub daemon has its own tor (spawn mode); the 20 reachable daemons share one tor through
 * the attach mode (--tor-control/--tor-socks/--tor-cookie), each with its own onion service.
 * Prints figures; never asserts.
 */
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import type { ApiClient } from '../daemon/api/client.js';
import { PeerConnection } from '../daemon/peer-links/connection.js';
import { createPricedRequest, ownPeerFor, type OwnPeer } from '../daemon/peer-links/secure.js';
import type { TorService } from '../daemon/tor/service.js';
import { torDialer, type TorDialer } from '../daemon/transport/tor.js';
import { ready } from '../protocol/crypto.js';
import { generateIdentity, type OnionAddress } from '../protocol/identity.js';
import { CONTACT_POW_DIFFICULTY, type ContactRequestFrame } from '../protocol/peer/wire.js';
import { PEER_PASSPHRASE, type ContactItem, type Peer } from '../test/helpers/contacts.js';
import { callOnce, startDaemon, type DaemonProcess } from '../test/helpers/daemon.js';
import { echoRoundTrips, startEchoServer } from './baseline.js';
import { figure, heading, median, note, nowMs, quantile, sleep } from './stats.js';
import { dialUntilReachable, publish, startClient, startRig, stopRig } from './tor.js';

const REACHABLE = Number(process.env['SNUG_BENCH_PEER_REACHABLE'] ?? 20);
const UNREACHABLE = Number(process.env['SNUG_BENCH_PEER_UNREACHABLE'] ?? 20);
const MESSAGES = 200;
const RAW_CIRCUITS = 4;
const HANDSHAKES_COLD = 10;
const HANDSHAKES_WARM = 20;
/** Samples per class of the uniform reply (rate limits: 3 requests per address per 10 min, 30 a minute in total). */
const REPLY_SAMPLES = 8;

function fmtMs(samples: readonly number[]): string {
  return samples.map((x) => x.toFixed(0)).join(', ');
}

async function until<T>(what: string, withinMs: number, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(everyMs);
  }
}

function contactList(p: Peer): Promise<ContactItem[]> {
  return callOnce(p.daemon, async (c) => (await c.call('contact/list')).contacts);
}

async function waitPublished(p: Peer, withinMs = 180_000): Promise<void> {
  await until(`${p.name} published`, withinMs, async () => ((await callOnce(p.daemon, (c) => c.call('daemon/status'))).tor.onion === 'published' ? true : undefined), 250);
}

/** Runs `fn` over `items`, at most `n` at once. */
async function inBatches<T, R>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += n) out.push(...(await Promise.all(items.slice(i, i + n).map((x, k) => fn(x, i + k)))));
  return out;
}

/** Time from profile/unlock until `reachable` are all online in contact/list (with tor and onion milestones). */
async function unlockToLinks(hub: Peer, reachable: readonly string[]): Promise<{ torReadyMs: number; publishedMs: number; firstLinkMs: number; allMs: number; online: number }> {
  await callOnce(hub.daemon, (c) => c.call('profile/lock'));
  await sleep(1_000);
  const want = new Set(reachable);
  let torReadyMs = NaN;
  let publishedMs = NaN;
  let firstLinkMs = NaN;
  let online = 0;
  const t0 = nowMs();
  await callOnce(hub.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
  const client = await hub.daemon.connect();
  try {
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      const [status, list] = await Promise.all([client.call('daemon/status'), client.call('contact/list')]);
      const t = nowMs() - t0;
      if (Number.isNaN(torReadyMs) && status.tor.state === 'ready') torReadyMs = t;
      if (Number.isNaN(publishedMs) && status.tor.onion === 'published') publishedMs = t;
      online = list.contacts.filter((c) => c.online && want.has(c.address)).length;
      if (online > 0 && Number.isNaN(firstLinkMs)) firstLinkMs = t;
      if (online === want.size) return { torReadyMs, publishedMs, firstLinkMs, allMs: t, online };
      await sleep(100);
    }
    return { torReadyMs, publishedMs, firstLinkMs, allMs: NaN, online };
  } finally {
    await client.close();
  }
}

/** Dial and the snug handshake as a stranger; returns [connect ms, handshake ms]. */
async function handshakeOnce(dialer: TorDialer, own: OwnPeer, address: string, isolationKey?: string): Promise<[number, number]> {
  const t0 = nowMs();
  const ws = await dialer.dial(address, { timeoutMs: 60_000, ...(isolationKey !== undefined ? { isolationKey } : {}) });
  const t1 = nowMs();
  const conn = await PeerConnection.initiate(ws, own, address as OnionAddress, 60_000);
  const t2 = nowMs();
  conn.close();
  return [t1 - t0, t2 - t1];
}

async function bareConnectOnce(dialer: TorDialer, address: string, isolationKey?: string): Promise<number> {
  const t0 = nowMs();
  const ws = await dialer.dial(address, { timeoutMs: 60_000, ...(isolationKey !== undefined ? { isolationKey } : {}) });
  const t = nowMs() - t0;
  ws.close();
  return t;
}

/** A priced request's reply time: from sending the request frame to the reply frame. */
async function replyOnce(dialer: TorDialer, own: OwnPeer, to: string, frame: ContactRequestFrame): Promise<{ ms: number; bytes: string }> {
  const ws = await dialer.dial(to, { timeoutMs: 60_000, isolationKey: 'reply-bench' });
  const conn = await PeerConnection.initiate(ws, own, to as OnionAddress, 60_000);
  try {
    const t0 = nowMs();
    conn.send(frame);
    const answer = await conn.next(30_000);
    const ms = nowMs() - t0;
    return { ms, bytes: `${answer.type}:${Buffer.from(conn.lastFrameBytes ?? new Uint8Array()).toString('hex')}` };
  } finally {
    conn.close();
  }
}

export async function runPeerBench(): Promise<void> {
  heading('peer: snug daemons linked over a private Tor network');
  await ready();
  const echo = await startEchoServer();
  const rig = await startRig();
  const daemons: DaemonProcess[] = [];
  const start = async (name: string, args: readonly string[]): Promise<Peer> => {
    const home = join(rig.dir, 'homes', name);
    const daemon = await startDaemon(home, args);
    daemons.push(daemon);
    const { address } = await callOnce(daemon, (c) => c.call('profile/create', { name, passphrase: PEER_PASSPHRASE }));
    return { daemon, home, address, name };
  };
  try {
    const tSetup = nowMs();
    const client = await startClient(rig, 'client');
    const shared: TorService = await startClient(rig, 'shared');
    const control = (await shared.getInfo(['net/listeners/control'])).get('net/listeners/control') ?? '';
    const controlPort = /127\.0\.0\.1:(\d+)/.exec(control)?.[1];
    if (controlPort === undefined) throw new Error(`the shared tor reports no control port: ${control}`);
    const attachArgs = ['--dev', '--dev-kdf', 'fast', '--tor-control', `127.0.0.1:${controlPort}`, '--tor-socks', `${shared.socks.host}:${shared.socks.port}`, '--tor-cookie', join(rig.dir, 'shared', 'control_auth_cookie')];
    const echoOnion = await publish(shared, echo.port);
    await echoOnion.uploaded();
    const dialer = torDialer(client);

    const hub = await start('hub', ['--dev', '--dev-kdf', 'fast', '--tor-config', rig.torrc]);
    const reach = await inBatches(Array.from({ length: REACHABLE }, (_, i) => i), 5, (i) => start(`r${i}`, attachArgs));
    await Promise.all([hub, ...reach].map((p) => waitPublished(p)));
    const publishedAt = nowMs() - tSetup;
    // each reachable daemon asks the hub (its own proof of work), the hub accepts them all
    await inBatches(reach, 5, (r) => callOnce(r.daemon, (c) => c.call('contact/add', { address: hub.address, name: 'hub' })));
    await until('the hub sees every request', 300_000, async () => ((await contactList(hub)).filter((c) => c.state === 'incoming').length === reach.length ? true : undefined), 250);
    for (const r of reach) await callOnce(hub.daemon, (c) => c.call('contact/accept', { address: r.address }));
    await until('the hub linked with every contact', 300_000, async () => ((await contactList(hub)).filter((c) => c.online).length === reach.length ? true : undefined), 250);
    note(`rig: 5 authorities; the hub daemon with its own tor; ${reach.length} daemons sharing one tor (attach mode), each with its own onion service; a client tor for the baselines`);
    note(`set up in ${((nowMs() - tSetup) / 1000).toFixed(1)} s (all onion services published at ${(publishedAt / 1000).toFixed(1)} s; requests and accepts over Tor after that)`);

    // handshake beside a bare connect, both from the client tor to an onion service on the shared tor
    const target = reach[0]!;
    const stranger = ownPeerFor(generateIdentity());
    await dialUntilReachable(dialer, echoOnion.address).then((ws: WebSocket) => ws.close());
    const cold = { bare: [] as number[], connect: [] as number[], hs: [] as number[] };
    for (let i = 0; i < HANDSHAKES_COLD; i++) {
      cold.bare.push(await bareConnectOnce(dialer, echoOnion.address));
      const [c, h] = await handshakeOnce(dialer, stranger, target.address);
      cold.connect.push(c);
      cold.hs.push(h);
    }
    const warm = { bare: [] as number[], connect: [] as number[], hs: [] as number[] };
    for (let i = 0; i < HANDSHAKES_WARM; i++) {
      warm.bare.push(await bareConnectOnce(dialer, echoOnion.address, 'warm-echo'));
      const [c, h] = await handshakeOnce(dialer, stranger, target.address, 'warm-peer');
      warm.connect.push(c);
      warm.hs.push(h);
    }
    note(`handshake: dial of a daemon's onion service, then the Noise XX handshake (messages 1-3, certificates checked) as the peer-link dialler does it; beside a bare WebSocket connect to an echo onion service on the same tor; alternating`);
    note(`cold: a fresh isolation key each time (new circuits, as a daemon's first dial of a contact), ${HANDSHAKES_COLD} each; warm: one isolation key (circuits reused), ${HANDSHAKES_WARM} each`);
    figure('cold: bare onion WebSocket connect, p50', median(cold.bare), 'ms');
    figure('cold: dial of the daemon, p50', median(cold.connect), 'ms');
    figure('cold: + snug handshake, p50', median(cold.hs), 'ms');
    figure('cold: dial + handshake, p50', median(cold.connect.map((c, i) => c + cold.hs[i]!)), 'ms');
    figure('cold: dial + handshake / bare connect', median(cold.connect.map((c, i) => c + cold.hs[i]!)) / median(cold.bare), 'x');
    figure('warm: bare onion WebSocket connect, p50', median(warm.bare), 'ms');
    figure('warm: dial of the daemon, p50', median(warm.connect), 'ms');
    figure('warm: + snug handshake, p50', median(warm.hs), 'ms');
    figure('warm: + snug handshake, p99', quantile(warm.hs, 0.99), 'ms');
    figure('warm: dial + handshake / bare connect', median(warm.connect.map((c, i) => c + warm.hs[i]!)) / median(warm.bare), 'x');

    // 1:1 message round trip: hub -> reach[0] over their link, beside the raw onion round trip
    const sub: ApiClient = await hub.daemon.connect();
    const delivered = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    sub.addEventListener('message/didChange', (e) => {
      if (e.detail.status !== 'delivered') return;
      delivered.set(e.detail.id, nowMs());
      waiters.get(e.detail.id)?.();
    });
    await sub.call('event/subscribe', {});
    const rtt: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const t0 = nowMs();
      const { id } = await sub.call('message/send', { address: target.address, text: `bench message ${i}` });
      if (!delivered.has(id)) await new Promise<void>((resolve) => waiters.set(id, resolve));
      waiters.delete(id);
      rtt.push(delivered.get(id)! - t0);
    }
    await sub.close();
    // onion round trips are bimodal per circuit (README, "Variance to expect"): several circuits
    const raw: number[] = [];
    const perCircuit: number[] = [];
    for (let k = 0; k < RAW_CIRCUITS; k++) {
      const ws = await dialer.dial(echoOnion.address, { timeoutMs: 60_000 });
      const part = await echoRoundTrips(ws, MESSAGES / RAW_CIRCUITS, 256);
      ws.close();
      raw.push(...part);
      perCircuit.push(median(part));
    }
    note(`1:1 message round trip: message/send (made, MAC'd, durable in the outbox) to message/didChange "delivered" (the contact stored it durably and acked), one at a time, ${MESSAGES} messages, over the link hub -> one reachable daemon`);
    note(`raw baseline: ${MESSAGES} echoes of a 256-byte WebSocket frame, ${MESSAGES / RAW_CIRCUITS} on each of ${RAW_CIRCUITS} onion connections with their own circuits (client tor -> echo onion service on the shared tor); per-circuit medians ${perCircuit.map((x) => x.toFixed(1)).join(', ')} ms`);
    figure('message send to delivered, p50', median(rtt), 'ms');
    figure('message send to delivered, p99', quantile(rtt, 0.99), 'ms');
    figure('raw onion WebSocket round trip, p50', median(raw), 'ms');
    figure('raw onion WebSocket round trip, p99', quantile(raw, 0.99), 'ms');
    figure('message p50 / raw round trip p50', median(rtt) / median(raw), 'x');

    // unlock until every link is up: first the reachable alone, then with unreachable ones added
    const reachable = reach.map((r) => r.address);
    const alone = await unlockToLinks(hub, reachable);
    const unreachable = Array.from({ length: UNREACHABLE }, () => generateIdentity().address);
    for (const address of unreachable) await callOnce(hub.daemon, (c) => c.call('contact/add', { address }));
    await sleep(2_000);
    const withDead = await unlockToLinks(hub, reachable);
    const rows = await contactList(hub);
    note(`unlock to links: profile/lock, then profile/unlock of the hub (its tor is stopped on lock and started again: DataDirectory kept); time until contact/list shows every reachable contact online (polled every 100 ms)`);
    note(`first with ${reachable.length} reachable contacts alone, then with ${unreachable.length} unreachable added (valid onion addresses with no service, state ${rows.find((c) => c.address === unreachable[0])?.state ?? '?'}: dialled to deliver the request)`);
    for (const [label, r] of [[`${reachable.length} reachable + 0`, alone], [`${reachable.length} reachable + ${unreachable.length} unreachable`, withDead]] as const) {
      note(`${label}: tor ready at ${r.torReadyMs.toFixed(0)} ms, onion published at ${r.publishedMs.toFixed(0)} ms, first link at ${r.firstLinkMs.toFixed(0)} ms, ${r.online} of ${reachable.length} online`);
      figure(`unlock to all links up, ${label}`, r.allMs, 'ms');
    }
    note(`unreachable rows online at the end: ${rows.filter((c) => (unreachable as readonly string[]).includes(c.address) && c.online).length} of ${unreachable.length}`);

    // the uniform reply: stranger, pending, blocked, timed from the request frame to the reply
    const replyTarget = reach[1] ?? reach[0]!;
    const tPow = nowMs();
    const priced = async (own: OwnPeer) => ({ own, frame: await createPricedRequest({ from: own.address, to: replyTarget.address as OnionAddress, name: 'bench', message: 'hello?', difficulty: CONTACT_POW_DIFFICULTY }) });
    const strangers = await inBatches(Array.from({ length: REPLY_SAMPLES }, () => ownPeerFor(generateIdentity())), 1, priced);
    const pending = await inBatches(Array.from({ length: Math.ceil(REPLY_SAMPLES / 2) }, () => ownPeerFor(generateIdentity())), 1, priced);
    const blocked = await inBatches(Array.from({ length: Math.ceil(REPLY_SAMPLES / 3) }, () => ownPeerFor(generateIdentity())), 1, priced);
    const powMs = nowMs() - tPow;
    for (const b of blocked) await callOnce(replyTarget.daemon, (c) => c.call('contact/block', { address: b.own.address }));
    for (const p of pending) await replyOnce(dialer, p.own, replyTarget.address, p.frame);
    await until('the pending requests recorded', 60_000, async () => ((await contactList(replyTarget)).filter((c) => c.state === 'incoming').length >= pending.length ? true : undefined), 250);
    const times = { stranger: [] as number[], pending: [] as number[], blocked: [] as number[] };
    const replies = new Set<string>();
    for (let i = 0; i < REPLY_SAMPLES; i++) {
      for (const [kind, who] of [['stranger', strangers[i]!], ['pending', pending[Math.floor(i / 2)]!], ['blocked', blocked[Math.floor(i / 3)]!]] as const) {
        const r = await replyOnce(dialer, who.own, replyTarget.address, who.frame);
        times[kind].push(r.ms);
        replies.add(r.bytes);
      }
    }
    note(`uniform reply: a priced contact request (proof of work ${CONTACT_POW_DIFFICULTY} bits, ${strangers.length + pending.length + blocked.length} solved in ${(powMs / 1000).toFixed(1)} s) from a stranger, a pending requester and a blocked address, ${REPLY_SAMPLES} each, interleaved; request frame sent to reply frame received, over a warm circuit`);
    figure('reply to a stranger, p50', median(times.stranger), 'ms', `all: ${fmtMs(times.stranger)}`);
    figure('reply to a pending address, p50', median(times.pending), 'ms', `all: ${fmtMs(times.pending)}`);
    figure('reply to a blocked address, p50', median(times.blocked), 'ms', `all: ${fmtMs(times.blocked)}`);
    note(`distinct reply frames seen: ${replies.size} (${[...replies].join(' | ')})`);
  } finally {
    await Promise.allSettled(daemons.map((d) => d.kill()));
    await stopRig(rig);
    await echo.stop();
  }
}
