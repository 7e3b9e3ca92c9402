/**
 * In-process fuzz of the peer protocol: 100,000 mutated handshake messages and post-handshake
 * frames against the real decoders and state machines. Every outcome must be a success or a
 * ProtocolError (never a crash or an untyped throw), a mutated authenticated message must never
 * be accepted, and a frame that decodes must re-encode to exactly its bytes (canonical form).
 * Seeded, so a failure is reproducible.
 */
import assert from 'node:assert/strict';
import { bytesEqual, ByteWriter, fromHex, toHex } from '../../../protocol/bytes.js';
import { ready, x25519KeyPairFromSeed, blake2b } from '../../../protocol/crypto.js';
import { isProtocolError } from '../../../protocol/errors.js';
import {
  createInitiator,
  createResponder,
  createVersionRefusal,
  peerPrologue,
  PEER_PROTOCOL_VERSION,
  TEST_ONLY_EPHEMERAL,
  type PeerCipher,
  type PeerHandshake,
} from '../../../protocol/peer/handshake.js';
import { NoiseXX } from '../../../protocol/peer/noise.js';
import { decodeFrame, encodeFrame, openFrame } from '../../../protocol/peer/wire.js';
import { readVectors } from '../../helpers/vectors.js';
import { makeProfile, pairOf, run, type Profile } from './fixtures.js';
import type { FrameVectors } from './vectors.js';

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff];

/** One to four random mutations of `input` (never returns the input unchanged). */
function mutator(seed: number) {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const once = (x: Uint8Array): Uint8Array => {
    const y = x.slice();
    switch (int(10)) {
      case 0:
        if (y.length) {
          const k = int(y.length);
          y[k] = y[k]! ^ (1 << int(8));
        }
        return y;
      case 1:
        if (y.length) y[int(y.length)] = int(256);
        return y;
      case 2:
        if (y.length) y[int(y.length)] = INTERESTING[int(INTERESTING.length)]!;
        return y;
      case 3:
        return y.subarray(0, int(y.length + 1));
      case 4: {
        const at = int(y.length + 1);
        return new Uint8Array([...y.subarray(0, at), ...bytes(1 + int(16)), ...y.subarray(at)]);
      }
      case 5: {
        const at = int(y.length + 1);
        return new Uint8Array([...y.subarray(0, at), ...y.subarray(Math.min(y.length, at + 1 + int(16)))]);
      }
      case 6:
        return new Uint8Array([...y, ...bytes(1 + int(64))]);
      case 7: {
        if (y.length < 2) return y;
        const a = int(y.length);
        const b = int(y.length);
        [y[a], y[b]] = [y[b]!, y[a]!];
        return y;
      }
      case 8: {
        // A length-ish field: write an interesting u16 somewhere.
        if (y.length < 2) return y;
        const at = int(y.length - 1);
        const v = [0, 1, 0xff, 0x100, 0x7fff, 0xffff][int(6)]!;
        y[at] = v >>> 8;
        y[at + 1] = v & 0xff;
        return y;
      }
      default:
        return bytes(int(300));
    }
  };
  return (input: Uint8Array): Uint8Array => {
    for (;;) {
      let y = input;
      const rounds = 1 + int(4);
      for (let i = 0; i < rounds; i++) y = once(y);
      if (!bytesEqual(y, input)) return y;
    }
  };
}

class Tally {
  ok = 0;
  typed = 0;
  readonly untyped: string[] = [];
  attempt(what: string, step: () => void): boolean {
    try {
      step();
      this.ok++;
      return true;
    } catch (err) {
      if (isProtocolError(err)) this.typed++;
      else if (this.untyped.length < 5) this.untyped.push(`${what}: ${String(err)}`);
      else this.untyped.push('');
      return false;
    }
  }
  get total(): number {
    return this.ok + this.typed + this.untyped.length;
  }
}

function fixedSide(name: string): Profile & { ephemeral: ReturnType<typeof x25519KeyPairFromSeed> } {
  return { ...makeProfile(), ephemeral: x25519KeyPairFromSeed(blake2b(32, new TextEncoder().encode(`fuzz ${name}`))) };
}

describe('protocol/peer fuzz (100,000 mutated handshake messages and frames)', function () {
  this.timeout(600_000);
  before(ready);

  let alice: ReturnType<typeof fixedSide>;
  let bob: ReturnType<typeof fixedSide>;
  let good: { m1: Uint8Array; m2: Uint8Array; m3: Uint8Array };
  const initiator = (): PeerHandshake =>
    createInitiator({ staticKeys: alice.keys.dh, certificate: alice.certificate, remoteAddress: bob.address, [TEST_ONLY_EPHEMERAL]: alice.ephemeral });
  const responder = (): PeerHandshake =>
    createResponder({ staticKeys: bob.keys.dh, certificate: bob.certificate, localAddress: bob.address, [TEST_ONLY_EPHEMERAL]: bob.ephemeral });
  let counted = 0;

  before(() => {
    alice = fixedSide('alice');
    bob = fixedSide('bob');
    const i = initiator();
    const r = responder();
    good = run(i, r);
  });

  after(() => {
    assert.ok(counted >= 100_000, `only ${counted} cases ran`);
  });

  it('survives 10,000 mutated messages 1 at the listener', () => {
    const mutate = mutator(1);
    const t = new Tally();
    for (let n = 0; n < 10_000; n++) {
      const m = mutate(good.m1);
      const r = responder();
      if (t.attempt('m1', () => r.readMessage(m))) t.attempt('m2 after m1', () => r.writeMessage());
      assert.equal(r.complete, false);
    }
    assert.deepEqual(t.untyped, []);
    counted += 10_000;
  });

  it('survives 10,000 mutated messages 2 (and refusals) at the dialler, never accepting one', () => {
    const mutate = mutator(2);
    const refusal = createVersionRefusal();
    const t = new Tally();
    for (let n = 0; n < 10_000; n++) {
      const m = mutate(n % 10 === 0 ? refusal : good.m2);
      const i = initiator();
      i.writeMessage();
      const accepted = t.attempt('m2', () => i.readMessage(m));
      assert.equal(accepted, false, `mutated message 2 accepted: ${toHex(m)}`);
      assert.equal(i.writesNext, false);
    }
    assert.deepEqual(t.untyped, []);
    counted += 10_000;
  });

  it('survives 10,000 mutated messages 3 at the listener, never completing', () => {
    const mutate = mutator(3);
    const t = new Tally();
    for (let n = 0; n < 10_000; n++) {
      const m = mutate(good.m3);
      const r = responder();
      r.readMessage(good.m1);
      r.writeMessage();
      const accepted = t.attempt('m3', () => r.readMessage(m));
      assert.equal(accepted, false, `mutated message 3 accepted: ${toHex(m)}`);
      assert.equal(r.complete, false);
    }
    assert.deepEqual(t.untyped, []);
    counted += 10_000;
  });

  function payloadOf(cert: Uint8Array, extra: Uint8Array): Uint8Array {
    return new ByteWriter().raw(cert).bytes16(extra, 65535).finish();
  }

  it('survives 2,000 well-encrypted but mutated listener payloads at the dialler', () => {
    const mutate = mutator(4);
    const t = new Tally();
    const honest = payloadOf(bob.certificate, Uint8Array.of(1, 2, 3));
    for (let n = 0; n < 2_000; n++) {
      const noise = new NoiseXX({ role: 'responder', prologue: peerPrologue(bob.address), staticKeys: bob.keys.dh });
      const i = initiator();
      noise.readMessage(i.writeMessage().subarray(1));
      const m2 = new Uint8Array([PEER_PROTOCOL_VERSION, ...noise.writeMessage(mutate(honest))]);
      if (t.attempt('payload 2', () => i.readMessage(m2))) {
        // Only a payload that is still bob's certificate and a well-formed extra may pass.
        assert.equal(i.writesNext, true);
      }
    }
    assert.deepEqual(t.untyped, []);
    counted += 2_000;
  });

  it('survives 2,000 well-encrypted but mutated dialler payloads at the listener', () => {
    const mutate = mutator(5);
    const t = new Tally();
    const honest = payloadOf(alice.certificate, new Uint8Array(0));
    for (let n = 0; n < 2_000; n++) {
      const noise = new NoiseXX({ role: 'initiator', prologue: peerPrologue(bob.address), staticKeys: alice.keys.dh });
      const r = responder();
      r.readMessage(new Uint8Array([PEER_PROTOCOL_VERSION, ...noise.writeMessage()]));
      noise.readMessage(r.writeMessage().subarray(1));
      const m3 = new Uint8Array([PEER_PROTOCOL_VERSION, ...noise.writeMessage(mutate(honest))]);
      if (t.attempt('payload 3', () => r.readMessage(m3))) assert.equal(r.result().remoteAddress, alice.address);
    }
    assert.deepEqual(t.untyped, []);
    counted += 2_000;
  });

  it('survives 64,000 mutated frames from an authenticated peer, each decoded one canonical way', () => {
    const { frames } = readVectors<FrameVectors>('peer-frames');
    const seeds = frames.map((f) => fromHex(f.encoding));
    const mutate = mutator(6);
    const { i, r } = pairOf(alice, bob);
    run(i, r);
    const send: PeerCipher = i.result().send;
    const receive: PeerCipher = r.result().receive;
    const t = new Tally();
    for (let n = 0; n < 64_000; n++) {
      const plain = mutate(seeds[n % seeds.length]!);
      const sealed = send.encrypt(plain);
      let decoded: ReturnType<typeof decodeFrame> | undefined;
      if (t.attempt('frame', () => (decoded = openFrame(receive, sealed)))) {
        assert.equal(toHex(encodeFrame(decoded!)), toHex(plain), 'a decoded frame re-encodes to its bytes');
      }
    }
    assert.deepEqual(t.untyped, []);
    assert.ok(t.ok > 0 && t.typed > 0);
    counted += 64_000;
  });

  it('survives 2,000 mutated encrypted frames, never accepting one', () => {
    const mutate = mutator(7);
    const t = new Tally();
    for (let n = 0; n < 2_000; n++) {
      const { i, r } = pairOf(alice, bob);
      run(i, r);
      const sealed = i.result().send.encrypt(encodeFrame({ type: 'ping', token: new Uint8Array(8) }));
      const accepted = t.attempt('ciphertext', () => openFrame(r.result().receive, mutate(sealed)));
      assert.equal(accepted, false);
    }
    assert.deepEqual(t.untyped, []);
    counted += 2_000;
  });
});
