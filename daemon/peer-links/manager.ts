/**
 * LinkManager: the daemon's peer links while the profile is unlocked. It speaks the peer
 * protocol (docs/peer-protocol.md); whom to trust is its PeerPolicy's (daemon/contacts/).
 *
 * Listener side, for each connection the peer listener hands over: the handshake as
 * responder, then the dialler's first frame decides:
 *   CONTACT_REQUEST  priced (a proof of work bound to this handshake) and rate-limited (per
 *                    address and in total); a request failing either is dropped. From an
 *                    accepted or outgoing address (a mutual request): CONTACT_ACCEPT and the
 *                    link is kept. From anyone else (a stranger, a pending requester, a blocked
 *                    address) the same REPLY at once, before any lookup that could take longer
 *                    for one than for another, and the connection is closed; the policy then
 *                    records the request (or, blocked, ignores it).
 *   CONTACT_ACCEPT   from an accepted or outgoing address: CONTACT_ACCEPT back, the link is kept
 *                    (and an outgoing contact becomes accepted); from anyone else: dropped.
 *   anything else    dropped quietly (debug log).
 * Dialler side: the targets the policy names, dialled with bounded concurrency, most
 * recently reachable first, at most COLD_DIAL_SLOTS of them to addresses whose last dial failed
 * (so offline contacts never starve the rest), and a dial still hanging after DIAL_STALL_MS
 * gives its slot up (an offline contact that was reachable lately holds a slot only that long);
 * failures back off exponentially with jitter, to a cap. A 'request' target sends CONTACT_REQUEST and takes REPLY (delivered) or CONTACT_ACCEPT
 * (they had asked too, or accepted already: linked); a 'link' target sends CONTACT_ACCEPT and
 * expects it back.
 *
 * Member sync links (members.ts): an incoming connection whose first frame is SYNC_LINK goes,
 * rate-limited per address and in total and bounded in number, to the member link handler (group
 * sync), which keeps it or has it dropped quietly; `dialMember` opens one the other way. A
 * member link carries sync frames, PING/PONG and BYE only; any other frame ends it quietly.
 *
 * One link per contact pair: when two links to the same peer are up (both dialled at once),
 * both sides keep the one dialled by the lower of the two addresses (the same rule computed on
 * both sides) and close the other. A kept link is pinged when idle and closed when silent too
 * long; when it drops, it is dialled again after a short jittered delay, then with backoff.
 */
import { setMaxListeners } from 'node:events';
import debugFactory from 'debug';
import type { WebSocket } from 'ws';
import type { OnionAddress } from '../../protocol/identity.js';
import type { Log } from '../log.js';
import type { Dialer } from '../transport/types.js';
import {
  ANSWER_TIMEOUT_MS,
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  COLD_DIAL_SLOTS,
  DIAL_CONCURRENCY,
  DIAL_STALL_MS,
  DIAL_TIMEOUT_MS,
  FIRST_FRAME_TIMEOUT_MS,
  HANDSHAKE_TIMEOUT_MS,
  IDLE_TIMEOUT_MS,
  MEMBER_LINKS_MAX,
  MEMBER_OPEN_PER_ADDRESS_BURST,
  MEMBER_OPEN_PER_ADDRESS_PERIOD_MS,
  MEMBER_OPEN_TOTAL_BURST,
  MEMBER_OPEN_TOTAL_PERIOD_MS,
  PING_INTERVAL_MS,
  RECONNECT_DELAY_MS,
  REQUEST_MAX_ADDRESSES,
  REQUEST_PER_ADDRESS_BURST,
  REQUEST_PER_ADDRESS_PERIOD_MS,
  REQUEST_TOTAL_BURST,
  REQUEST_TOTAL_PERIOD_MS,
} from './constants.js';
import { PeerConnection } from './connection.js';
import { PeerLinkErrorCode } from './errors.js';
import type { DialTarget, PeerPolicy } from './policy.js';
import { RequestLimiter, type RequestLimitInit } from './rate-limit.js';
import { randomBytes } from '../../protocol/crypto.js';
import { ByeReason, CONTACT_MESSAGE_MAX_BYTES, CONTACT_NAME_MAX_BYTES, CONTACT_POW_DIFFICULTY, PING_TOKEN_BYTES } from '../../protocol/peer/wire.js';
import { type OwnPeer, type PeerFrame, createPricedRequest, requestPriced, uniformReply } from './secure.js';
import { isSyncFrame, type SyncLinkFrame } from '../../protocol/sync/frames.js';
import type { MemberLink, MemberLinkHandler, MemberLinkSink } from './members.js';

const debug = debugFactory('snug:daemon:peer-links');

export interface LinkManagerComponents {
  readonly policy: PeerPolicy;
  readonly dialer: Dialer;
  readonly log: Log;
}

export interface LinkManagerInit {
  readonly own: OwnPeer;
  readonly concurrency?: number;
  readonly coldSlots?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly reconnectDelayMs?: number;
  readonly dialTimeoutMs?: number;
  /** A dial still open after this long stops counting against the concurrency (ms). */
  readonly stallMs?: number;
  readonly pingIntervalMs?: number;
  readonly idleTimeoutMs?: number;
  readonly requestLimits?: Partial<RequestLimitInit>;
  /** Leading zero bits of the proof of work on contact requests (both what we send and require). */
  readonly powBits?: number;
  /** Member links up at once (MEMBER_LINKS_MAX). */
  readonly memberLinksMax?: number;
}

interface Peer {
  readonly address: OnionAddress;
  link: PeerConnection | null;
  /** Who dialled the link: us (true) or them. */
  linkOurs: boolean;
  dialing: boolean;
  failures: number;
  notBefore: number;
}

/** Backoff for the n-th failure in a row (n >= 1): BASE * 2^(n-1), capped, full jitter in [1/2, 1]. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** `text` cut (at a code point) to at most `max` UTF-8 bytes. */
export function fitUtf8(text: string, max: number): string {
  const enc = new TextEncoder();
  if (enc.encode(text).length <= max) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = enc.encode(ch).length;
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** The dial order: most recently reachable first, never-reached last, then by address (stable). */
export function dialOrder(a: DialTarget, b: DialTarget): number {
  return (b.lastSeen ?? -1) - (a.lastSeen ?? -1) || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);
}

export class LinkManager {
  readonly #policy: PeerPolicy;
  readonly #dialer: Dialer;
  readonly #log: Log;
  readonly #own: OwnPeer;
  readonly #cfg: Required<Omit<LinkManagerInit, 'own' | 'requestLimits'>>;
  readonly #limiter: RequestLimiter;
  readonly #memberLimiter: RequestLimiter;
  #members: MemberLinkHandler | null = null;
  readonly #memberLinks = new Set<PeerConnection>();
  readonly #peers = new Map<OnionAddress, Peer>();
  readonly #incoming = new Set<PeerConnection>();
  #controller: AbortController | null = null;
  #timer: NodeJS.Timeout | null = null;
  #keepalive: NodeJS.Timeout | null = null;
  #inFlight = 0;
  #coldInFlight = 0;
  readonly #dials = new Set<Promise<void>>();

  constructor(components: LinkManagerComponents, init: LinkManagerInit) {
    this.#policy = components.policy;
    this.#dialer = components.dialer;
    this.#log = components.log;
    this.#own = init.own;
    this.#cfg = {
      concurrency: init.concurrency ?? DIAL_CONCURRENCY,
      coldSlots: init.coldSlots ?? COLD_DIAL_SLOTS,
      backoffBaseMs: init.backoffBaseMs ?? BACKOFF_BASE_MS,
      backoffMaxMs: init.backoffMaxMs ?? BACKOFF_MAX_MS,
      reconnectDelayMs: init.reconnectDelayMs ?? RECONNECT_DELAY_MS,
      dialTimeoutMs: init.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
      stallMs: init.stallMs ?? DIAL_STALL_MS,
      pingIntervalMs: init.pingIntervalMs ?? PING_INTERVAL_MS,
      idleTimeoutMs: init.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
      powBits: init.powBits ?? CONTACT_POW_DIFFICULTY,
      memberLinksMax: init.memberLinksMax ?? MEMBER_LINKS_MAX,
    };
    this.#memberLimiter = new RequestLimiter({
      perAddressBurst: MEMBER_OPEN_PER_ADDRESS_BURST,
      perAddressPeriodMs: MEMBER_OPEN_PER_ADDRESS_PERIOD_MS,
      totalBurst: MEMBER_OPEN_TOTAL_BURST,
      totalPeriodMs: MEMBER_OPEN_TOTAL_PERIOD_MS,
      maxAddresses: REQUEST_MAX_ADDRESSES,
    });
    this.#limiter = new RequestLimiter({
      perAddressBurst: REQUEST_PER_ADDRESS_BURST,
      perAddressPeriodMs: REQUEST_PER_ADDRESS_PERIOD_MS,
      totalBurst: REQUEST_TOTAL_BURST,
      totalPeriodMs: REQUEST_TOTAL_PERIOD_MS,
      maxAddresses: REQUEST_MAX_ADDRESSES,
      ...init.requestLimits,
    });
  }

  get running(): boolean {
    return this.#controller !== null;
  }

  async start(): Promise<void> {
    if (this.#controller) return;
    this.#controller = new AbortController();
    setMaxListeners(0, this.#controller.signal); // one listener per dial in flight
    this.#keepalive = setInterval(() => this.#tick(), Math.max(250, Math.min(this.#cfg.pingIntervalMs, this.#cfg.idleTimeoutMs) / 2));
    this.#keepalive.unref();
    this.refresh();
  }

  /** Closes every link and connection, aborts the dials and waits for them. */
  async stop(): Promise<void> {
    const controller = this.#controller;
    if (!controller) return;
    this.#controller = null;
    controller.abort();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#keepalive) clearInterval(this.#keepalive);
    this.#timer = this.#keepalive = null;
    for (const c of this.#incoming) c.fail(PeerLinkErrorCode.CLOSED, 'stopping');
    for (const c of this.#memberLinks) c.close();
    for (const p of this.#peers.values()) p.link?.close();
    await Promise.allSettled([...this.#dials]);
    this.#peers.clear();
  }

  /** Where incoming member links go (group sync while unlocked; null: they are dropped). */
  attachMembers(handler: MemberLinkHandler | null): void {
    this.#members = handler;
  }

  /** Member links up now. */
  get memberLinkCount(): number {
    return this.#memberLinks.size;
  }

  /** Dials a member link (members.ts MemberLinkDialer). */
  async dialMember(address: OnionAddress, first: (handshakeHash: Uint8Array) => SyncLinkFrame, sink: (link: MemberLink) => MemberLinkSink): Promise<MemberLink> {
    const signal = this.#controller?.signal;
    if (!signal || signal.aborted) throw Object.assign(new Error('the link manager is stopped'), { code: PeerLinkErrorCode.CLOSED });
    if (this.#memberLinks.size >= this.#cfg.memberLinksMax) throw Object.assign(new Error('too many member links'), { code: PeerLinkErrorCode.RATE_LIMITED });
    const ws = await this.#dialer.dial(address, { signal, timeoutMs: this.#cfg.dialTimeoutMs, isolationKey: `member:${address}` });
    let conn: PeerConnection;
    try {
      conn = await PeerConnection.initiate(ws, this.#own, address, HANDSHAKE_TIMEOUT_MS);
    } catch (err) {
      ws.terminate();
      throw err;
    }
    if (signal.aborted || this.#memberLinks.size >= this.#cfg.memberLinksMax) {
      conn.close();
      throw Object.assign(new Error('stopped or full'), { code: PeerLinkErrorCode.CLOSED });
    }
    try {
      conn.send(first(conn.handshakeHash));
    } catch (err) {
      conn.close();
      throw err;
    }
    return this.#adoptMember(conn, true, sink);
  }

  #adoptMember(conn: PeerConnection, ours: boolean, sinkOf: (link: MemberLink) => MemberLinkSink | null): MemberLink {
    const link: MemberLink = {
      address: conn.remoteAddress,
      handshakeHash: conn.handshakeHash,
      dialledByUs: ours,
      send: (frame) => {
        if (conn.closed) return false;
        conn.send(frame);
        return true;
      },
      close: () => conn.close(),
      get closed() {
        return conn.closed;
      },
    };
    const sink = sinkOf(link);
    if (sink === null) {
      conn.fail(PeerLinkErrorCode.UNEXPECTED, 'a member link the handler refused');
      return link;
    }
    this.#memberLinks.add(conn);
    conn.addEventListener('close', () => {
      this.#memberLinks.delete(conn);
      sink.closed();
    });
    conn.stream((frame) => {
      if (isSyncFrame(frame)) return sink.frame(frame);
      if (frame.type === 'ping') return conn.send({ type: 'pong', token: frame.token });
      if (frame.type === 'pong' || frame.type === 'hello') return;
      if (frame.type === 'bye') return conn.close();
      conn.fail(PeerLinkErrorCode.UNEXPECTED, `a ${frame.type} frame on a member link`);
    });
    return link;
  }

  isOnline(address: OnionAddress): boolean {
    return this.#peers.get(address)?.link != null;
  }

  /** Sends `frame` on the link to `address`: false when no link is up. */
  sendFrame(address: OnionAddress, frame: PeerFrame): boolean {
    const link = this.#peers.get(address)?.link;
    if (!link || link.closed) return false;
    link.send(frame);
    return true;
  }

  /** Whether the link to `address` is up, and whether we dialled it. */
  linkOf(address: OnionAddress): { readonly dialledByUs: boolean } | null {
    const p = this.#peers.get(address);
    return p?.link ? { dialledByUs: p.linkOurs } : null;
  }

  /** Addresses with a link up (daemon/status). */
  linked(): OnionAddress[] {
    return [...this.#peers.values()].filter((p) => p.link !== null).map((p) => p.address);
  }

  #peer(address: OnionAddress): Peer {
    let p = this.#peers.get(address);
    if (p === undefined) {
      p = { address, link: null, linkOurs: false, dialing: false, failures: 0, notBefore: 0 };
      this.#peers.set(address, p);
    }
    return p;
  }

  /** The policy changed: close links that are no longer wanted, dial what is. */
  refresh(): void {
    if (!this.#controller) return;
    for (const p of this.#peers.values()) {
      if (p.link !== null && this.#policy.relation(p.address) !== 'accepted') {
        debug('closing a link the policy no longer wants');
        const link = p.link;
        p.link = null;
        link.close();
        this.#policy.linkChanged(p.address, false);
      }
    }
    this.#pump();
  }

  #pump(): void {
    if (!this.#controller) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const now = Date.now();
    let soonest = Infinity;
    const ready: Array<{ target: DialTarget; peer: Peer }> = [];
    for (const target of this.#policy.dialTargets()) {
      const peer = this.#peer(target.address);
      if (peer.link !== null || peer.dialing) continue;
      if (peer.notBefore > now) {
        soonest = Math.min(soonest, peer.notBefore);
        continue;
      }
      ready.push({ target, peer });
    }
    ready.sort((a, b) => dialOrder(a.target, b.target));
    for (const { target, peer } of ready) {
      if (this.#inFlight >= this.#cfg.concurrency) break;
      const cold = peer.failures > 0;
      if (cold && this.#coldInFlight >= this.#cfg.coldSlots) continue;
      this.#startDial(target, peer, cold);
    }
    if (soonest !== Infinity) {
      this.#timer = setTimeout(() => this.#pump(), Math.max(10, soonest - now));
      this.#timer.unref();
    }
  }

  #startDial(target: DialTarget, peer: Peer, cold: boolean): void {
    peer.dialing = true;
    this.#inFlight += 1;
    if (cold) this.#coldInFlight += 1;
    // a dial that hangs (an offline onion takes up to the dial timeout to fail) gives its slot up
    // after stallMs and goes on outside the limit, so the contacts behind it are dialled too
    let holdsSlot = true;
    const release = () => {
      if (!holdsSlot) return;
      holdsSlot = false;
      this.#inFlight -= 1;
      if (cold) this.#coldInFlight -= 1;
    };
    const stall = setTimeout(() => {
      release();
      this.#pump();
    }, this.#cfg.stallMs);
    stall.unref();
    const run = this.#dial(target, peer)
      .then(
        () => {
          peer.failures = 0;
          peer.notBefore = 0;
        },
        (err: unknown) => {
          peer.failures += 1;
          peer.notBefore = Date.now() + backoffDelay(peer.failures, this.#cfg.backoffBaseMs, this.#cfg.backoffMaxMs);
          debug('dial failed (%s), attempt %d', (err as { code?: string }).code ?? 'error', peer.failures);
        },
      )
      .finally(() => {
        clearTimeout(stall);
        peer.dialing = false;
        release();
        this.#dials.delete(run);
        this.#pump();
      });
    this.#dials.add(run);
  }

  async #dial(target: DialTarget, peer: Peer): Promise<void> {
    const signal = this.#controller?.signal;
    if (!signal || signal.aborted) return;
    const ws = await this.#dialer.dial(target.address, { signal, timeoutMs: this.#cfg.dialTimeoutMs, isolationKey: `peer:${target.address}` });
    let conn: PeerConnection;
    try {
      conn = await PeerConnection.initiate(ws, this.#own, target.address, HANDSHAKE_TIMEOUT_MS);
    } catch (err) {
      ws.terminate();
      throw err;
    }
    if (signal.aborted) return conn.close();
    if (target.intent === 'request') {
      const request = target.request ?? { name: null, message: null };
      conn.send(
        await createPricedRequest(
          { from: this.#own.address, to: target.address, name: fitUtf8(request.name ?? '', CONTACT_NAME_MAX_BYTES), message: fitUtf8(request.message ?? '', CONTACT_MESSAGE_MAX_BYTES), difficulty: this.#cfg.powBits },
          signal,
        ),
      );
    } else {
      conn.send({ type: 'contact-accept', name: '' });
    }
    const answer = await conn.next(ANSWER_TIMEOUT_MS);
    if (answer.type === 'reply' && target.intent === 'request') {
      conn.close();
      await this.#policy.requestDelivered(target.address);
      return;
    }
    if (answer.type === 'contact-accept' && (await this.#policy.acceptReceived(target.address))) {
      this.#adopt(peer, conn, true);
      return;
    }
    conn.fail(PeerLinkErrorCode.UNEXPECTED, `answer ${answer.type}`);
    throw Object.assign(new Error('unexpected answer'), { code: PeerLinkErrorCode.UNEXPECTED });
  }

  /** A connection from the peer listener. */
  accept(ws: WebSocket): void {
    if (!this.#controller) {
      ws.terminate();
      return;
    }
    void this.#serve(ws).catch((err: unknown) => debug('incoming connection dropped (%s)', (err as { code?: string }).code ?? 'error'));
  }

  async #serve(ws: WebSocket): Promise<void> {
    const conn = await PeerConnection.respond(ws, this.#own, HANDSHAKE_TIMEOUT_MS);
    this.#incoming.add(conn);
    conn.addEventListener('close', () => this.#incoming.delete(conn));
    const remote = conn.remoteAddress;
    const first = await conn.next(FIRST_FRAME_TIMEOUT_MS);
    if (first.type === 'contact-request') {
      if (!requestPriced(first, remote, this.#own.address, this.#cfg.powBits)) return conn.fail(PeerLinkErrorCode.BAD_POW, 'request without its price');
      if (!this.#limiter.take(remote)) return conn.fail(PeerLinkErrorCode.RATE_LIMITED, 'too many requests');
      const relation = this.#policy.relation(remote);
      if (relation === 'accepted' || relation === 'outgoing') {
        if (await this.#policy.acceptReceived(remote)) {
          conn.send({ type: 'contact-accept', name: '' });
          this.#incoming.delete(conn);
          this.#adopt(this.#peer(remote), conn, false);
          return;
        }
      }
      conn.send(uniformReply());
      conn.close();
      await this.#policy.requestReceived(remote, { name: first.name === '' ? null : first.name, message: first.message === '' ? null : first.message }, conn.remoteCertificate);
      return;
    }
    if (first.type === 'sync-link') {
      // a member link (members.ts): the handler decides; refused, over a limit or without a
      // handler, the connection is dropped with no answer, the same in every case
      const handler = this.#members;
      if (handler === null || this.#memberLinks.size >= this.#cfg.memberLinksMax || !this.#memberLimiter.take(remote)) {
        return conn.fail(PeerLinkErrorCode.UNEXPECTED, 'a member link not taken');
      }
      this.#incoming.delete(conn);
      this.#adoptMember(conn, false, (link) => handler.incoming(link, first));
      return;
    }
    if (first.type === 'contact-accept') {
      if (await this.#policy.acceptReceived(remote)) {
        conn.send({ type: 'contact-accept', name: '' });
        this.#incoming.delete(conn);
        this.#adopt(this.#peer(remote), conn, false);
        return;
      }
      return conn.fail(PeerLinkErrorCode.UNEXPECTED, 'an accept from an address that is not a contact');
    }
    conn.fail(PeerLinkErrorCode.UNEXPECTED, `a first frame ${first.type}`);
  }

  /** Keeps `conn` as the link to `peer`, or the link already up, by the lower-dialler rule. */
  #adopt(peer: Peer, conn: PeerConnection, ours: boolean): void {
    if (!this.#controller) return conn.close();
    const existing = peer.link;
    if (existing !== null && !existing.closed) {
      const lowerIsUs = this.#own.address < peer.address;
      // the link to keep is the one the lower address dialled
      const keepNew = ours === lowerIsUs && peer.linkOurs !== lowerIsUs;
      if (!keepNew) {
        debug('a second link to a peer: keeping the first');
        conn.send({ type: 'bye', reason: ByeReason.DUPLICATE_LINK });
        conn.close();
        return;
      }
      debug('a second link to a peer: keeping the one the lower address dialled');
      peer.link = null;
      existing.send({ type: 'bye', reason: ByeReason.DUPLICATE_LINK });
      existing.close();
    }
    peer.link = conn;
    peer.linkOurs = ours;
    peer.failures = 0;
    peer.notBefore = 0;
    conn.stream((frame) => this.#onFrame(peer, conn, frame));
    conn.addEventListener('close', () => {
      if (peer.link !== conn) return;
      peer.link = null;
      this.#policy.linkChanged(peer.address, false);
      peer.notBefore = Date.now() + backoffDelay(1, this.#cfg.reconnectDelayMs, this.#cfg.reconnectDelayMs);
      this.#pump();
    });
    if (existing === null || existing.closed) this.#policy.linkChanged(peer.address, true, conn.remoteCertificate);
  }

  #onFrame(peer: Peer, conn: PeerConnection, frame: PeerFrame): void {
    switch (frame.type) {
      case 'ping':
        conn.send({ type: 'pong', token: frame.token });
        return;
      case 'pong':
      case 'hello':
        return;
      case 'bye':
        conn.close();
        return;
      case 'direct-entry':
      case 'ack':
      case 'group-invite':
      case 'group-invite-ack':
        this.#policy.frameReceived(peer.address, frame, conn.remoteCertificate).then(
          (answer) => {
            if (answer !== null) conn.send(answer);
          },
          (err: unknown) => debug('a frame the policy could not take (%s)', (err as { code?: string }).code ?? 'error'),
        );
        return;
      default:
        if (isSyncFrame(frame)) {
          // group sync (0x40..0x7f): the policy hands it on in arrival order; nothing to answer here
          void this.#policy.frameReceived(peer.address, frame, conn.remoteCertificate).catch((err: unknown) =>
            debug('a sync frame the policy could not take (%s)', (err as { code?: string }).code ?? 'error'),
          );
          return;
        }
        debug('an unexpected frame on a link: %s', frame.type);
        return;
    }
  }

  #tick(): void {
    const now = Date.now();
    for (const link of this.#memberLinks) {
      if (now - link.lastReceived > this.#cfg.idleTimeoutMs) link.fail(PeerLinkErrorCode.TIMEOUT, 'a silent member link');
      else if (now - link.lastSent > this.#cfg.pingIntervalMs) link.send({ type: 'ping', token: randomBytes(PING_TOKEN_BYTES) });
    }
    for (const p of this.#peers.values()) {
      const link = p.link;
      if (link === null) continue;
      if (now - link.lastReceived > this.#cfg.idleTimeoutMs) link.fail(PeerLinkErrorCode.TIMEOUT, 'a silent link');
      else if (now - link.lastSent > this.#cfg.pingIntervalMs) link.send({ type: 'ping', token: randomBytes(PING_TOKEN_BYTES) });
    }
  }
}
