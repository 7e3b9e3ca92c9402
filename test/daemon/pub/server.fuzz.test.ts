/**
 * The pub under hostile input: over 100,000 random and mutated frames over real WebSocket
 * connections to a pub in its own process (plus oversized frames, text frames, raw non-WebSocket
 * bytes and abrupt closes). Afterwards the process must still be up and a well-behaved client
 * must still post and fetch correctly. Seeded: set SNUG_FUZZ_SEED to replay a run.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { PubClient } from '../../../daemon/pub-links/client.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { ready } from '../../../protocol/crypto.js';
import { blobHash, solvePow } from '../../../protocol/pow.js';
import {
  PubFrameType, decodeClientFrame, decodeServerFrame, encodeFetch, encodePost, encodeSubscribe, type PubPolicy,
} from '../../../protocol/pub-wire.js';
import { BLOB_SIZES } from '../../../protocol/constants.js';
import {
  Prng, bytesEqual, makeBlob, makeTempDir, removeDir, spawnTestPub, type PubChild,
} from '../../helpers/pub-fixtures.js';

const FRAMES = 100_000;
const WORKERS = 8;
/** Frames sent on a connection before a sentinel fetch (with it, below the pub's 16 requests in flight). */
const WINDOW = 14;
/** Request ids at or above this are the workers' sentinels; fuzz frames use lower ones. */
const SENTINEL_BASE = 0xfff0_0000;
const SEED = Number(process.env['SNUG_FUZZ_SEED'] ?? 0x5eed_f022);
/** The longest a connection may go without a frame from the pub while a sentinel waits (ms). */
const SENTINEL_SILENCE_MS = 10_000;
/** The longest a sentinel fetch may wait for its answer, whatever else streams meanwhile (ms). */
const SENTINEL_MAX_MS = 60_000;

interface Counts {
  frames: number;
  /** Frames that decode as client frames (answered one by one), and those that do not. */
  decodable: number;
  undecodable: number;
  connections: number;
  closedByPub: number;
  abrupt: number;
  oversized: number;
  text: number;
  raw: number;
  /** Connection-ending frames after which the pub did not close the connection. */
  notClosed: string[];
  /** Frames received from the pub, by frame type. */
  replies: Map<number, number>;
  /** The longest a sentinel fetch waited for its answer or the close (ms). */
  slowestSentinelMs: number;
}

/** Frames a well-formed client could send, with fields anywhere in their ranges. */
function validFrame(prng: Prng, policy: PubPolicy | undefined): Uint8Array {
  const rid = prng.int(SENTINEL_BASE);
  const since = prng.chance(0.5) ? BigInt(prng.int(1000)) : (BigInt(prng.next32()) << 32n) | BigInt(prng.next32());
  switch (prng.int(4)) {
    case 0:
      // mostly small pages (a full page is 512 KiB to send back), sometimes up to a page, rarely
      // any limit at all (above a page, the pub streams up to that many blobs: the whole store)
      return encodeFetch(rid, since, prng.chance(0.9) ? prng.int(8) : prng.chance(0.99) ? prng.int(257) : 257 + prng.int(1000));
    case 1:
      // mostly from far ahead: a subscription from the start streams the whole store back
      return encodeSubscribe(rid, prng.chance(0.03) ? since : (1n << 40n) + since);
    default: {
      // a post: usually a proper blob with the work done, sometimes a wrong size or version
      const size = prng.chance(0.9) ? (prng.chance(0.9) ? BLOB_SIZES[0]! : prng.pick(BLOB_SIZES)) : prng.int(4096);
      const blob = makeBlob(prng, size);
      if (size > 0 && prng.chance(0.05)) blob[0] = prng.int(256);
      let nonce = (BigInt(prng.next32()) << 32n) | BigInt(prng.next32());
      if (policy && prng.chance(0.7)) {
        nonce = solvePow(policy.powContext, blobHash(blob), policy.powDifficulty, { start: 0n, attempts: 1 << 22 }) ?? nonce;
      }
      return encodePost(rid, nonce, blob);
    }
  }
}

/** A valid frame with a random mutation: bit flips, byte stamps, truncation, extension, splices. */
function mutate(prng: Prng, frame: Uint8Array): Uint8Array<ArrayBuffer> {
  let out = Uint8Array.from(frame);
  const edits = 1 + prng.int(4);
  for (let e = 0; e < edits; e++) {
    const op = prng.int(8);
    if (out.length === 0) out = prng.bytes(1 + prng.int(8));
    const at = prng.int(out.length);
    switch (op) {
      case 0: // flip a bit
        out[at] = out[at]! ^ (1 << prng.int(8));
        break;
      case 1: // stamp an edge value
        out[at] = prng.pick([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]);
        break;
      case 2: // the version or type byte
        out[prng.int(Math.min(2, out.length))] = prng.int(256);
        break;
      case 3: // truncate
        out = out.slice(0, at);
        break;
      case 4: // extend with random bytes
        out = concat(out, prng.bytes(1 + prng.int(prng.chance(0.9) ? 16 : 4096)));
        break;
      case 5: { // a length or count field (bytes 6..22 of most frames) set to extremes
        const p = Math.min(out.length - 1, 6 + prng.int(16));
        for (let i = 0; i < 4 && p + i < out.length; i++) out[p + i] = prng.chance(0.5) ? 0xff : 0x00;
        break;
      }
      case 6: { // splice a copy of a span elsewhere
        const len = prng.int(Math.min(64, out.length - at) + 1);
        out = concat(out.slice(0, prng.int(out.length)), out.slice(at, at + len), out.slice(prng.int(out.length)));
        break;
      }
      default: // random bytes over a span
        for (let i = at; i < Math.min(out.length, at + 1 + prng.int(8)); i++) out[i] = prng.int(256);
    }
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function randomFrame(prng: Prng): Uint8Array {
  const r = prng.int(10);
  const len = r < 2 ? prng.int(3) : r < 8 ? prng.int(64) : prng.int(8192);
  const out = prng.bytes(len);
  if (len >= 2 && prng.chance(0.5)) out[0] = 0x01; // the right version byte, to get past the first check
  return out;
}

function openSocket(address: string): Promise<{ ws: WebSocket; policy: PubPolicy | undefined } | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(address, { perMessageDeflate: false, maxPayload: 32 * 1024 * 1024 });
    const timer = setTimeout(() => finish(null), 5_000);
    const finish = (v: { ws: WebSocket; policy: PubPolicy | undefined } | null) => {
      clearTimeout(timer);
      ws.off('message', onHello);
      if (!v) ws.terminate();
      resolve(v);
    };
    const onHello = (data: Buffer) => {
      try {
        const frame = decodeServerFrame(new Uint8Array(data));
        finish({ ws, policy: frame.type === PubFrameType.HELLO ? frame.policy : undefined });
      } catch {
        finish({ ws, policy: undefined });
      }
    };
    ws.on('error', () => finish(null));
    ws.on('message', onHello);
  });
}

/** Sends one raw TCP connection's worth of non-WebSocket bytes, then drops it. */
function rawGarbage(prng: Prng, port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const timer = setTimeout(() => s.destroy(), 2_000);
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.on('connect', () => {
      const junk = prng.chance(0.5)
        ? Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${Buffer.from(prng.bytes(prng.int(24))).toString('base64')}\r\n${prng.chance(0.5) ? '\r\n' : ''}`)
        : Buffer.from(prng.bytes(1 + prng.int(2048)));
      s.write(junk, () => (prng.chance(0.5) ? s.destroy() : s.end()));
    });
  });
}

/** What one window ends with: at most one thing that should make the pub close the connection. */
type Ender =
  | { readonly kind: 'binary'; readonly bytes: Uint8Array }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'oversized'; readonly bytes: Uint8Array }
  | { readonly kind: 'abrupt'; readonly bytes: Uint8Array };

function decodes(bytes: Uint8Array, maxBytes: number): boolean {
  try {
    decodeClientFrame(bytes, { maxBytes });
    return true;
  } catch {
    return false;
  }
}

/**
 * One fuzzing worker. Each window sends frames that decode (valid ones and mutants that still
 * decode, which the pub must answer one by one) and then at most one frame that does not
 * (random bytes, a mutant that no longer decodes, a text frame, an oversized frame, or an abrupt
 * close), which normally ends the connection; then it reconnects.
 */
async function worker(id: number, address: string, port: number, quota: number, counts: Counts): Promise<void> {
  const prng = new Prng(SEED + id * 7919);
  let sent = 0;
  let sentinel = SENTINEL_BASE + id * 0x10000;
  while (sent < quota) {
    if (prng.chance(0.01)) {
      await rawGarbage(prng, port);
      counts.raw += 1;
      continue;
    }
    const conn = await openSocket(address);
    if (!conn) throw new Error('the pub stopped accepting WebSocket connections');
    counts.connections += 1;
    const { ws, policy } = conn;
    const maxBytes = policy?.maxFrameBytes ?? 140_000;
    let closed = false;
    let waiting: { id: number; done: () => void } | undefined;
    let lastFrameAt = Date.now();
    let framesSince = 0;
    ws.on('close', () => {
      closed = true;
      waiting?.done();
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      lastFrameAt = Date.now();
      framesSince += 1;
      if (!isBinary || data.length < 2) return;
      counts.replies.set(data[1]!, (counts.replies.get(data[1]!) ?? 0) + 1);
      if (waiting && data.length >= 6 && data.readUInt32BE(2) === waiting.id) waiting.done();
    });
    while (!closed && sent < quota) {
      // frames that decode: valid ones and mutants that still decode
      const frames: Uint8Array[] = [];
      let undecodable: Uint8Array | undefined;
      while (frames.length < WINDOW) {
        const kind = prng.int(100);
        const bytes = kind < 45 ? validFrame(prng, policy)
          : kind < 90 ? mutate(prng, validFrame(prng, policy))
          : kind < 97 ? randomFrame(prng)
          : prng.bytes(prng.int(40));
        if (decodes(bytes, maxBytes)) frames.push(bytes);
        else undecodable ??= bytes;
      }
      // then, in half the windows, one thing that ends the connection
      const r = prng.int(100);
      const ender: Ender | undefined = r < 50 ? undefined
        : r < 80 ? { kind: 'binary', bytes: undecodable ?? randomFrame(prng) }
        : r < 88 ? { kind: 'text', text: prng.chance(0.5) ? Buffer.from(prng.bytes(prng.int(64))).toString('latin1') : 'hello pub' }
        : r < 91 ? { kind: 'oversized', bytes: prng.bytes(maxBytes + 1 + prng.int(65536)) }
        : { kind: 'abrupt', bytes: mutate(prng, validFrame(prng, policy)) };
      for (const f of frames) ws.send(f);
      sent += frames.length;
      counts.frames += frames.length;
      counts.decodable += frames.length;

      // a sentinel fetch: the pub must answer it (or have closed the connection) in good time.
      // Its answer may queue behind what this connection asked for before it (a fuzzed fetch
      // or subscription from the start streams the whole store), which a slow machine takes a
      // while to read: the pub must answer within SENTINEL_MAX_MS and never leave the
      // connection without a frame for SENTINEL_SILENCE_MS meanwhile.
      sentinel += 1;
      const sid = sentinel;
      await new Promise<void>((resolve, reject) => {
        const sentAt = Date.now();
        framesSince = 0;
        const timer = setInterval(() => {
          const now = Date.now();
          const silent = now - Math.max(sentAt, lastFrameAt);
          if (silent > SENTINEL_SILENCE_MS || now - sentAt > SENTINEL_MAX_MS) {
            clearInterval(timer);
            reject(new Error(`the pub neither answered a fetch nor closed within ${now - sentAt} ms, silent for the last ${silent} ms, ${framesSince} other frames meanwhile (worker ${id})`));
          }
        }, 250);
        waiting = {
          id: sid,
          done: () => {
            clearInterval(timer);
            counts.slowestSentinelMs = Math.max(counts.slowestSentinelMs, Date.now() - sentAt);
            resolve();
          },
        };
        if (closed) return waiting.done();
        ws.send(encodeFetch(sid, 0n, 1), (err) => { if (err) waiting?.done(); });
      });
      waiting = undefined;
      sent += 1;
      counts.frames += 1;
      counts.decodable += 1;
      if (closed || !ender) continue;

      sent += 1;
      counts.frames += 1;
      if (ender.kind === 'abrupt') {
        ws.send(ender.bytes);
        ws.terminate();
        counts.abrupt += 1;
        break;
      }
      if (ender.kind === 'text') {
        ws.send(ender.text);
        counts.text += 1;
      } else {
        ws.send(ender.bytes);
        counts[ender.kind === 'oversized' ? 'oversized' : 'undecodable'] += 1;
      }
      // the pub must close a connection that sent a frame it cannot take
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          counts.notClosed.push(ender.kind);
          resolve();
        }, 10_000);
        waiting = { id: -1, done: () => { clearTimeout(timer); resolve(); } };
        if (closed) waiting.done();
      });
      waiting = undefined;
      break;
    }
    if (closed) counts.closedByPub += 1;
    else {
      ws.terminate();
      await new Promise<void>((resolve) => (closed ? resolve() : ws.once('close', () => resolve())));
    }
  }
}

describe('pub server under fuzzed frames', function () {
  // 100,000 frames take about 60 s on an idle 2-core machine and 120 s on a loaded one; hangs
  // are caught sooner by the sentinel fetches (SENTINEL_MAX_MS)
  this.timeout(480_000);

  let home: string | undefined;
  let pub: PubChild | undefined;
  let client: PubClient | undefined;

  before(async () => {
    await ready();
  });

  afterEach(async () => {
    await client?.close().catch(() => {});
    client = undefined;
    await pub?.kill();
    pub = undefined;
    await removeDir(home);
    home = undefined;
  });

  it(`stays up and serves a well-behaved client after ${FRAMES.toLocaleString('en-US')} hostile frames (seed ${SEED})`, async () => {
    home = await makeTempDir('pub-fuzz');
    pub = await spawnTestPub(home);
    const counts: Counts = { frames: 0, decodable: 0, undecodable: 0, connections: 0, closedByPub: 0, abrupt: 0, oversized: 0, text: 0, raw: 0, notClosed: [], replies: new Map(), slowestSentinelMs: 0 };
    const running = pub;
    let died = false;
    running.child.once('exit', () => { died = true; });
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w, running.address, running.port, Math.ceil(FRAMES / WORKERS), counts)));

    assert.equal(died, false, `the pub process exited; stderr: ${running.stderr()}`);
    assert.ok(counts.frames >= FRAMES, `only ${counts.frames} frames were sent`);
    const summary = JSON.stringify({ ...counts, replies: Object.fromEntries(counts.replies) });
    assert.ok(counts.oversized > 0 && counts.text > 0 && counts.abrupt > 0 && counts.raw > 0 && counts.undecodable > 0, summary);
    assert.ok(counts.undecodable + counts.text + counts.oversized > 1000, summary);
    assert.deepEqual(counts.notClosed, [], `the pub kept connections open after frames it cannot take: ${summary}`);
    // the fuzz reached the pub's request handling: posts stored, pages served, errors answered
    for (const t of [PubFrameType.POST_ACK, PubFrameType.PAGE, PubFrameType.SUBSCRIBED, PubFrameType.ERROR]) {
      assert.ok((counts.replies.get(t) ?? 0) > 0, `no reply of type ${t}: ${summary}`);
    }
    if (process.env['SNUG_FUZZ_VERBOSE']) console.log(counts);

    // a well-behaved client still posts and fetches correctly
    client = await PubClient.connect(new DirectDialer(), running.address);
    const { head } = await client.fetch(0n, { limit: 1 });
    const prng = new Prng(SEED ^ 0xabcdef);
    const mine = Array.from({ length: 5 }, (_, i) => makeBlob(prng, BLOB_SIZES[i % 2]));
    const cursors: bigint[] = [];
    for (const blob of mine) {
      const ack = await client.post(blob);
      assert.equal(ack.duplicate, false);
      assert.ok(ack.cursor > head, `cursor ${ack.cursor} is not after the head ${head}`);
      cursors.push(ack.cursor);
    }
    assert.deepEqual([...cursors].sort((a, b) => (a < b ? -1 : 1)), cursors, 'cursors are not increasing');
    // (a fuzz post still in flight when the workers stopped may have landed in between)
    const page = await client.fetch(cursors[0]! - 1n);
    const held = new Map(page.blobs.map((b) => [b.cursor, b.blob]));
    mine.forEach((blob, i) => {
      const got = held.get(cursors[i]!);
      assert.ok(got && bytesEqual(got, blob), `blob ${i} is not at its cursor ${cursors[i]} unaltered`);
    });
    // and a repeated post is recognised as a duplicate of the first
    const again = await client.post(mine[0]!);
    assert.deepEqual(again, { cursor: cursors[0], duplicate: true });
    assert.equal(died, false, `the pub process exited; stderr: ${running.stderr()}`);
  });
});
