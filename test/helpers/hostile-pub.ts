/**
 * A hostile test pub: it speaks the real pub protocol (protocol/pub-wire.ts) in front of a real
 * pub (daemon/pub/server.ts, in process), and misbehaves on purpose, one mode per *face*.
 *
 * - The **upstream** is a real PubServer: posts go there (its proof of work, dedupe, durable
 *   acks), and a real PubClient subscribed to it from cursor 0 feeds every stored blob, in
 *   order, into the hostile pub's **base** log.
 * - A **face** is a listening WebSocket (its own ws://127.0.0.1:PORT) that serves a view of the
 *   base: each face has a mode that decides what its clients see, with its own cursors (1, 2,
 *   3, … in the order it serves; a real pub's cursors are its own business too). A pub cannot
 *   read blobs or tell members apart; a test points different members at different faces (the
 *   dialer is the one thing tests may swap), which is how "withhold from one member" and "two
 *   members get different halves" are played.
 *
 * Modes (`FaceMode`):
 *   honest                    everything, in order
 *   drop {share}              leaves out about `share` of the blobs (those whose hash's first
 *                             byte is below share × 256: the same blobs on every face)
 *   withhold {hashes, match}  leaves out the blobs with these hashes (hex of protocol/blob.ts
 *                             blobHash), or that `match` picks (the test's choice of a set);
 *                             `face.withhold(hash)` adds more; `face.forget(hashes)` stops
 *                             serving blobs served before; `face.release()` serves what was
 *                             left out after all, at fresh cursors
 *   half {part}               serves the base's blobs of even (part 0) or odd (part 1) position
 *   reorder {window}          serves each `window` blobs in reverse (a partial window after
 *                             `flushMs` without a new blob), with fresh cursors in serving order,
 *                             so the client's cursor checks hold and the order is still wrong
 *   duplicate                 serves every blob twice, at two cursors
 *   replay {every}            after every `every`-th blob, serves an older blob again at a new
 *                             cursor
 *   corrupt {share}           flips one byte (offset 100) of about `share` of the blobs (by hash)
 *   regress                   serves each pair of blobs with their cursors swapped: out of its
 *                             own cursor order, which the real client refuses
 * and on the whole pub:
 *   losePosts                 (HostilePubInit) acknowledges the first post of each blob and
 *                             drops it: the pub lacks it although the poster believes it is there
 *   inject(blobs)             adds blobs (of another group, say) to the base, as if stored
 *   wipe()                    loses its whole store: cuts every connection, stops the upstream,
 *                             deletes its home and starts an empty one (new PoW context);
 *                             every face's cursors start again from 1
 */
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { toHex } from '../../protocol/bytes.js';
import { blobHash } from '../../protocol/blob.js';
import {
  PubCloseCode,
  PubFrameType,
  ErrorFrameCode,
  decodeClientFrame,
  encodeBlob,
  encodeError,
  encodeHello,
  encodePage,
  encodePostAck,
  encodeSubscribed,
  type PageEntry,
  type PubPolicy,
} from '../../protocol/pub-wire.js';
import { PubServer } from '../../daemon/pub/server.js';
import { PubClient } from '../../daemon/pub-links/client.js';
import { DirectDialer } from '../../daemon/transport/direct.js';
import { TEST_PUB_LIMITS } from './pub-fixtures.js';
import { makeTempDir } from './temp.js';

export type FaceMode =
  | { readonly kind: 'honest' }
  | { readonly kind: 'drop'; readonly share: number }
  | { readonly kind: 'withhold'; readonly hashes?: readonly string[]; readonly match?: (blob: Uint8Array) => boolean }
  | { readonly kind: 'half'; readonly part: 0 | 1 }
  | { readonly kind: 'reorder'; readonly window?: number; readonly flushMs?: number }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'replay'; readonly every?: number }
  | { readonly kind: 'corrupt'; readonly share: number }
  | { readonly kind: 'regress' };

/** The blob hash (hex) pubs dedupe by. */
export function blobHashHex(blob: Uint8Array): string {
  return toHex(blobHash(blob));
}

function chosen(blob: Uint8Array, share: number): boolean {
  return blobHash(blob)[0]! < Math.round(share * 256);
}

interface Subscriber {
  readonly ws: WebSocket;
  readonly requestId: number;
  /** Index into the view of the next entry to push. */
  next: number;
}

/** One listening face of the hostile pub with its own mode, view and cursors. */
export class HostileFace {
  readonly url: string;
  /** What this face serves, in serving order. */
  readonly view: PageEntry[] = [];
  /** Blobs of the base left out so far (drop, withhold, half). */
  readonly left: Uint8Array[] = [];
  private readonly withheld = new Set<string>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly sockets = new Set<WebSocket>();
  private cursor = 0n;
  private seen = 0;
  private window: Uint8Array[] = [];
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pub: HostilePub,
    private readonly wss: WebSocketServer,
    readonly mode: FaceMode,
  ) {
    this.url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    if (mode.kind === 'withhold') for (const h of mode.hashes ?? []) this.withheld.add(h);
    wss.on('connection', (ws) => this.accept(ws));
  }

  /** Withholds one more blob (by blobHashHex) from now on. */
  withhold(hash: string): void {
    this.withheld.add(hash);
  }

  /**
   * Stops serving blobs it served before (by blobHashHex): they leave this face's view, cursors
   * of the rest unchanged, so a member reading from its saved cursor never gets them (a pub
   * that withholds after the fact; the bench seeds two members' logs differently this way).
   */
  forget(hashes: ReadonlySet<string>): void {
    const served = [...this.subscribers].map((s) => ({ s, last: s.next > 0 ? this.view[s.next - 1]!.cursor : 0n }));
    for (let i = this.view.length - 1; i >= 0; i--) if (hashes.has(blobHashHex(this.view[i]!.blob))) this.view.splice(i, 1);
    for (const { s, last } of served) s.next = this.firstAfter(last);
  }

  /**
   * Serves, from now on and at fresh cursors, the blobs this face has left out so far (a pub
   * that withheld blobs for a while and then hands them over after all).
   */
  release(): void {
    const left = this.left.splice(0);
    for (const b of left) this.withheld.delete(blobHashHex(b));
    for (const b of left) this.append(b);
    if (left.length > 0) this.pushLive();
  }

  /** Connections open now. */
  get connections(): number {
    return this.sockets.size;
  }

  private append(blob: Uint8Array): void {
    this.view.push({ cursor: ++this.cursor, blob });
  }

  /** A blob entered the base (at position `index`). */
  onBase(blob: Uint8Array, index: number): void {
    const m = this.mode;
    const before = this.view.length;
    this.seen++;
    switch (m.kind) {
      case 'honest':
        this.append(blob);
        break;
      case 'drop':
        if (chosen(blob, m.share)) this.left.push(blob);
        else this.append(blob);
        break;
      case 'withhold':
        if (this.withheld.has(blobHashHex(blob)) || m.match?.(blob) === true) this.left.push(blob);
        else this.append(blob);
        break;
      case 'half':
        if (index % 2 === m.part) this.append(blob);
        else this.left.push(blob);
        break;
      case 'reorder': {
        this.window.push(blob);
        if (this.window.length >= (m.window ?? 4)) this.flush();
        else this.armFlush(m.flushMs ?? 150);
        break;
      }
      case 'duplicate':
        this.append(blob);
        this.append(blob);
        break;
      case 'replay': {
        this.append(blob);
        const every = m.every ?? 3;
        if (this.seen % every === 0 && this.view.length > 1) this.append(this.view[(this.seen * 7) % (this.view.length - 1)]!.blob);
        break;
      }
      case 'corrupt': {
        if (chosen(blob, m.share)) {
          const bad = blob.slice();
          bad[100]! ^= 0xff;
          this.append(bad);
        } else {
          this.append(blob);
        }
        break;
      }
      case 'regress':
        this.window.push(blob);
        if (this.window.length === 2) {
          const [a, b] = this.window as [Uint8Array, Uint8Array];
          this.window = [];
          this.view.push({ cursor: this.cursor + 2n, blob: a }, { cursor: this.cursor + 1n, blob: b });
          this.cursor += 2n;
        }
        break;
    }
    if (this.view.length > before) this.pushLive();
  }

  private armFlush(ms: number): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => this.flush(), ms);
    this.flushTimer.unref();
  }

  /** Releases a partial reorder window now. */
  flush(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.mode.kind !== 'reorder' || this.window.length === 0) return;
    for (const b of this.window.reverse()) this.append(b);
    this.window = [];
    this.pushLive();
  }

  private pushLive(): void {
    for (const s of this.subscribers) {
      while (s.next < this.view.length && s.ws.readyState === s.ws.OPEN) {
        const e = this.view[s.next++]!;
        s.ws.send(encodeBlob(s.requestId, e.cursor, e.blob));
      }
    }
  }

  private get head(): bigint {
    return this.cursor;
  }

  private firstAfter(since: bigint): number {
    const i = this.view.findIndex((e) => e.cursor > since);
    return i < 0 ? this.view.length : i;
  }

  private accept(ws: WebSocket): void {
    if (this.pub.restarting) {
      // while the store is being replaced: a hello now would name the old store's PoW context
      ws.terminate();
      return;
    }
    this.sockets.add(ws);
    ws.on('error', () => {});
    let poster: Promise<PubClient> | null = null;
    ws.on('close', () => {
      this.sockets.delete(ws);
      for (const s of this.subscribers) if (s.ws === ws) this.subscribers.delete(s);
      if (poster !== null) void poster.then((c) => c.close()).catch(() => {});
    });
    const policy = this.pub.policy;
    ws.send(encodeHello(policy));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return void ws.close(PubCloseCode.UNSUPPORTED_DATA);
      let frame;
      try {
        frame = decodeClientFrame(new Uint8Array(data), { maxBytes: policy.maxFrameBytes });
      } catch {
        ws.send(encodeError(0, ErrorFrameCode.MALFORMED_FRAME));
        return void ws.close(PubCloseCode.PROTOCOL_ERROR);
      }
      switch (frame.type) {
        case PubFrameType.HELLO_REQUEST:
          ws.send(encodeHello(this.pub.policy));
          break;
        case PubFrameType.POST: {
          const { requestId, nonce, blob } = frame;
          if (this.pub.losePosts && !this.pub.lost.has(blobHashHex(blob))) {
            this.pub.lost.add(blobHashHex(blob));
            ws.send(encodePostAck(requestId, BigInt(this.pub.base.length + 1), false));
            break;
          }
          if (poster === null) {
            // a connection made while the upstream restarts (wipe) fails: the next post tries again
            const p = this.pub.upstreamClient();
            poster = p;
            p.catch(() => {
              if (poster === p) poster = null;
            });
          }
          void poster
            .then((c) => c.post(blob.slice(), { nonce }))
            .then(
              (ack) => ws.readyState === ws.OPEN && ws.send(encodePostAck(requestId, ack.cursor, ack.duplicate)),
              () => ws.readyState === ws.OPEN && ws.send(encodeError(requestId, ErrorFrameCode.BAD_POW)),
            );
          break;
        }
        case PubFrameType.FETCH: {
          const start = this.firstAfter(frame.since);
          const max = Math.min(frame.limit, policy.maxPageBlobs);
          const blobs: PageEntry[] = [];
          let bytes = 0;
          for (let i = start; i < this.view.length && blobs.length < max; i++) {
            const e = this.view[i]!;
            if (blobs.length > 0 && bytes + e.blob.length > policy.maxPageBytes) break;
            blobs.push(e);
            bytes += e.blob.length;
          }
          const more = start + blobs.length < this.view.length;
          const next = blobs.length > 0 ? blobs[blobs.length - 1]!.cursor : frame.since;
          ws.send(encodePage({ requestId: frame.requestId, more, pruned: false, start: 1n, next, head: this.head, blobs }));
          break;
        }
        case PubFrameType.SUBSCRIBE: {
          if ([...this.subscribers].some((s) => s.ws === ws)) {
            ws.send(encodeError(frame.requestId, ErrorFrameCode.ALREADY_SUBSCRIBED));
            break;
          }
          ws.send(encodeSubscribed(frame.requestId, false, 1n, this.head));
          this.subscribers.add({ ws, requestId: frame.requestId, next: this.firstAfter(frame.since) });
          this.pushLive();
          break;
        }
      }
    });
  }

  /** Forgets everything served (the pub lost its store) and cuts every connection. */
  reset(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.subscribers.clear();
    this.view.length = 0;
    this.left.length = 0;
    this.window = [];
    this.cursor = 0n;
    this.seen = 0;
  }

  async close(): Promise<void> {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    for (const ws of this.sockets) ws.terminate();
    await new Promise((r) => this.wss.close(r));
  }
}

export interface HostilePubInit {
  /** The upstream's limits (default: the test pubs' low PoW difficulty and no rate limit). */
  readonly limits?: Partial<PubServer['limits']>;
  /** Acknowledge the first post of each blob without storing it. */
  readonly losePosts?: boolean;
}

/** A hostile pub: a real upstream pub, its feed, and faces that misbehave. */
export class HostilePub {
  /** Every blob the upstream stored (and every injected one), in order. */
  readonly base: Uint8Array[] = [];
  readonly faces: HostileFace[] = [];
  private upstream!: PubServer;
  private home!: string;
  private feed!: PubClient;
  private upstreamUrl = '';
  private readonly posters = new Set<Promise<PubClient>>();
  private readonly limits: Partial<PubServer['limits']>;
  readonly losePosts: boolean;
  /** Blobs (hash hex) whose first post was acknowledged and dropped. */
  readonly lost = new Set<string>();
  private generation = 0;
  /** True while wipe() replaces the store (faces cut every connection that comes in meanwhile). */
  restarting = false;
  private waiters: (() => void)[] = [];

  private constructor(init: HostilePubInit) {
    this.limits = init.limits ?? TEST_PUB_LIMITS;
    this.losePosts = init.losePosts ?? false;
  }

  static async start(init: HostilePubInit = {}): Promise<HostilePub> {
    const pub = new HostilePub(init);
    await pub.startUpstream();
    return pub;
  }

  private async startUpstream(): Promise<void> {
    this.home = await makeTempDir('hostile-pub');
    this.upstream = new PubServer({ home: this.home, listen: { host: '127.0.0.1', port: 0 }, limits: this.limits });
    const { port } = await this.upstream.start();
    this.upstreamUrl = `ws://127.0.0.1:${port}`;
    const generation = ++this.generation;
    this.feed = await PubClient.connect(new DirectDialer(), this.upstreamUrl);
    await this.feed.subscribe(0n, (b) => {
      if (generation === this.generation) this.add(b.blob.slice());
    });
  }

  /** The policy every face announces: the upstream's (its PoW context, so posts verify there). */
  get policy(): PubPolicy {
    return this.feed.policy;
  }

  /** A client of the upstream that posts what a face's client posted. */
  upstreamClient(): Promise<PubClient> {
    const c = PubClient.connect(new DirectDialer(), this.upstreamUrl);
    this.posters.add(c);
    c.catch(() => {});
    return c;
  }

  private add(blob: Uint8Array): void {
    const index = this.base.length;
    this.base.push(blob);
    for (const f of this.faces) f.onBase(blob, index);
    for (const w of this.waiters.splice(0)) w();
  }

  /** A new face with `mode`, listening on its own port. */
  async face(mode: FaceMode = { kind: 'honest' }): Promise<HostileFace> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 4 * 1024 * 1024, perMessageDeflate: false });
    await new Promise((r) => wss.once('listening', r));
    const f = new HostileFace(this, wss, mode);
    this.faces.push(f);
    this.base.forEach((b, i) => f.onBase(b, i));
    return f;
  }

  /** Adds blobs to the base as if the pub had stored them (they reach every face's view). */
  inject(blobs: readonly Uint8Array[]): void {
    for (const b of blobs) this.add(b.slice());
  }

  /** Resolves once the base holds at least `count` blobs. */
  async waitForBase(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.base.length < count) {
      if (Date.now() > deadline) throw new Error(`the hostile pub's base holds ${this.base.length} of ${count} blobs`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100).unref();
      });
    }
  }

  /** Loses the whole store: cuts every connection, and starts again empty. */
  async wipe(): Promise<void> {
    this.generation++;
    this.restarting = true;
    try {
      for (const f of this.faces) f.reset();
      this.base.length = 0;
      await this.stopUpstream();
      await this.startUpstream();
    } finally {
      this.restarting = false;
    }
  }

  private async stopUpstream(): Promise<void> {
    await this.feed.close().catch(() => {});
    for (const p of this.posters) await p.then((c) => c.close()).catch(() => {});
    this.posters.clear();
    await this.upstream.stop();
    await rm(this.home, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    this.generation++;
    for (const f of this.faces) await f.close();
    await this.stopUpstream();
  }
}
