/**
 * Mutated handshake messages and post-handshake frames over real sockets against a real
 * daemon's peer listener: each connection is dropped (or refused by version), the daemon stays
 * up, and nothing a stranger sent is stored. SNUG_PEER_FUZZ_N sets the count (default 10,000,
 * what CI runs, about 35 s on the 2-core VM; `npm run fuzz` runs 100,000, about 265 s). The timeout grows
 * with the count.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { ready, randomBytes } from '../../../protocol/crypto.js';
import { generateIdentity, type OnionAddress } from '../../../protocol/identity.js';
import { createInitiator } from '../../../protocol/peer/handshake.js';
import { encodeFrame } from '../../../protocol/peer/wire.js';
import { DevPeerDirectory } from '../../../daemon/peer-links/dev-directory.js';
import { ownPeerFor } from '../../../daemon/peer-links/secure.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { callOnce } from '../../helpers/daemon.js';
import { contacts, peerArgs, startPeer, type Peer } from '../../helpers/contacts.js';

const N = Number(process.env['SNUG_PEER_FUZZ_N'] ?? 10_000);

/** A small PRNG, so a failing round can be replayed from its seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function mutate(bytes: Uint8Array, r: () => number): Uint8Array {
  const out = Array.from(bytes);
  const ops = 1 + Math.floor(r() * 4);
  for (let i = 0; i < ops; i++) {
    const k = r();
    if (k < 0.5 && out.length > 0) out[Math.floor(r() * out.length)]! ^= 1 << Math.floor(r() * 8);
    else if (k < 0.7) out.splice(Math.floor(r() * (out.length + 1)), Math.floor(r() * 8));
    else if (k < 0.9) out.splice(Math.floor(r() * (out.length + 1)), 0, ...randomBytes(1 + Math.floor(r() * 16)));
    else out.length = Math.floor(r() * out.length);
  }
  return Uint8Array.from(out);
}

function next(ws: WebSocket, ms: number): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => done(null), ms);
    const onMsg = (d: Buffer) => done(new Uint8Array(d));
    const onClose = () => done(null);
    const done = (v: Uint8Array | null) => {
      clearTimeout(t);
      ws.off('message', onMsg);
      ws.off('close', onClose);
      resolve(v);
    };
    ws.on('message', onMsg);
    ws.once('close', onClose);
  });
}

describe('a daemon\'s peer listener under mutated input over real sockets', function () {
  // ~3.7 ms an input on the 2-core VM; ten times that leaves room for a loaded machine
  this.timeout(60_000 + N * 10);
  let dir: string;
  let bob: Peer;
  let dial: (a: string) => Promise<WebSocket>;

  before(async () => {
    await ready();
    dir = await makeTempDir('peer-fuzz');
    const peerDir = join(dir, 'peers');
    bob = await startPeer(dir, 'bob', peerArgs(peerDir));
    const dialer = new DevPeerDirectory(peerDir).dialer();
    dial = (a) => dialer.dial(a);
  });
  after(async () => {
    await bob?.daemon.kill();
    await removeDir(dir);
  });

  it(`drops ${N} mutated handshakes and frames and stays up, storing nothing`, async function () {
    const stranger = ownPeerFor(generateIdentity());
    let answered = 0;
    let wrongAnswers = 0;
    const one = async (i: number): Promise<void> => {
      const r = rng(i + 1);
      const ws = await dial(bob.address);
      ws.on('error', () => {});
      try {
        const hs = createInitiator({ staticKeys: stranger.keys.dh, certificate: stranger.certificateBytes, remoteAddress: bob.address as OnionAddress });
        const m1 = hs.writeMessage();
        const mode = i % 3;
        if (mode === 0) {
          // a mutated message 1 may still be a message 1 (any 32 bytes are an ephemeral key): then
          // message 2 comes back; else a version refusal or nothing
          ws.send(mutate(m1, r));
          if ((await next(ws, 500)) !== null) answered += 1;
          return;
        }
        ws.send(m1);
        const m2 = await next(ws, 2_000);
        if (m2 === null) throw new Error('no message 2 to a good message 1');
        hs.readMessage(m2);
        const m3 = hs.writeMessage();
        if (mode === 1) {
          ws.send(mutate(m3, r));
        } else {
          ws.send(m3);
          const { send } = hs.result();
          const frame = encodeFrame({ type: 'contact-request', name: 'fuzz', message: 'x'.repeat(Math.floor(r() * 40)), timeBucket: 1, powNonce: 0n });
          ws.send(r() < 0.5 ? send.encrypt(mutate(frame, r)) : mutate(send.encrypt(frame), r));
        }
        // a bad message 3 or a bad frame from a stranger is never answered
        if ((await next(ws, 500)) !== null) wrongAnswers += 1;
      } finally {
        ws.terminate();
      }
    };
    const started = Date.now();
    for (let i = 0; i < N; i += 16) await Promise.all(Array.from({ length: Math.min(16, N - i) }, (_, k) => one(i + k)));
    const s = await callOnce(bob.daemon, (c) => c.call('daemon/status'));
    assert.equal(s.profile?.locked, false);
    assert.deepEqual(await contacts(bob), [], 'nothing a stranger sent is stored');
    assert.equal(wrongAnswers, 0);
    this.test!.title += ` [${Date.now() - started} ms; ${answered} of the mutated first messages answered, by message 2 or the version refusal]`;
  });
});
