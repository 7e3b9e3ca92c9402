/**
 * Property test of the sync decoders (frames 0x40..0x7f, notes, evidence, per-peer state, the
 * part assembler): on mutated committed vectors each decoder either returns a value that
 * re-encodes to exactly the input, or fails with a ProtocolError; nothing else. Seeded, so a
 * failure names a reproducible run.
 */
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { isProtocolError } from '../../../protocol/errors.js';
import { decodeFrame, encodeFrame } from '../../../protocol/peer/wire.js';
import { decodeEvidence, encodeEvidence } from '../../../protocol/sync/evidence.js';
import { SyncPartAssembler, type SyncPartFrame } from '../../../protocol/sync/frames.js';
import { decodePeerSyncState, encodePeerSyncState } from '../../../protocol/sync/notes.js';
import type { SyncVectors } from '../../helpers/sync-vectors.js';
import type { SyncLinkVectors } from '../../helpers/sync-link-vectors.js';
import { Prng } from '../../helpers/pub-fixtures.js';
import { readVectors } from '../../helpers/vectors.js';

const RUNS = 20_000;
const EDGE = [0x00, 0x01, 0x02, 0x40, 0x4f, 0x7f, 0x80, 0xff];

function mutate(rng: Prng, input: Uint8Array): Uint8Array {
  const out = input.slice();
  const n = out.length;
  switch (rng.int(6)) {
    case 0:
      if (n > 0) out[rng.int(n)]! ^= 1 << rng.int(8);
      return out;
    case 1:
      if (n > 0) out[rng.int(n)] = EDGE[rng.int(EDGE.length)]!;
      return out;
    case 2:
      return out.subarray(0, rng.int(n + 1));
    case 3: {
      const extra = new Uint8Array(1 + rng.int(8)).map(() => rng.int(256));
      const c = new Uint8Array(n + extra.length);
      c.set(out);
      c.set(extra, n);
      return c;
    }
    case 4: {
      // A count or length field hit: two edge bytes at a random place near the start.
      const at = rng.int(Math.min(n, 120) + 1);
      if (at + 1 < n) (out[at] = EDGE[rng.int(EDGE.length)]!), (out[at + 1] = EDGE[rng.int(EDGE.length)]!);
      return out;
    }
    default: {
      const at = rng.int(n + 1);
      return out.subarray(0, at);
    }
  }
}

function check(name: string, inputs: readonly Uint8Array[], roundTrip: (b: Uint8Array) => Uint8Array, seed: number): void {
  const rng = new Prng(seed);
  let accepted = 0;
  for (let i = 0; i < RUNS; i++) {
    const input = mutate(rng, inputs[rng.int(inputs.length)]!);
    let again: Uint8Array;
    try {
      again = roundTrip(input);
    } catch (err) {
      if (isProtocolError(err)) continue;
      assert.fail(`${name} run ${i}: threw ${String(err)} for ${toHex(input).slice(0, 300)}`);
    }
    assert.equal(toHex(again), toHex(input), `${name} run ${i}: does not re-encode to its input`);
    accepted++;
  }
  assert.ok(accepted > 0, `${name}: some mutations decode`);
}

describe('protocol/sync fuzz (mutated vectors)', function () {
  this.timeout(120_000);
  before(ready);
  const v = readVectors<SyncVectors>('sync');

  it(`decodes ${RUNS} mutated sync frames canonically or fails with a ProtocolError`, () => {
    const frames = [...v.frames.map((f) => f.encoding), ...v.invalid.map((i) => i.encoding)].map(fromHex).filter((b) => b.length < 20_000);
    check('frames', frames, (b) => encodeFrame(decodeFrame(b)), 0x5ec0_0001);
  });

  it(`decodes ${RUNS} mutated SYNC_LINK frames canonically or fails with a ProtocolError`, () => {
    const l = readVectors<SyncLinkVectors>('sync-link');
    const frames = [l.diallerFrame, l.listenerFrame, ...l.invalid.map((i) => i.encoding)].map(fromHex);
    check('link frames', frames, (b) => encodeFrame(decodeFrame(b)), 0x5ec0_0048);
  });

  it(`decodes ${RUNS} mutated evidence and per-peer states canonically or fails with a ProtocolError`, () => {
    check('evidence', v.evidence.map((e) => fromHex(e.encoding)), (b) => encodeEvidence(decodeEvidence(b)), 0x5ec0_0002);
    check('state', v.peerStates.map((s) => fromHex(s.encoding)), (b) => encodePeerSyncState(decodePeerSyncState(b)), 0x5ec0_0003);
  });

  it('reassembles parts only when they are whole, in order and match their digest', () => {
    const parts = v.parts[0]!.parts.map((h) => decodeFrame(fromHex(h)) as SyncPartFrame);
    const rng = new Prng(0x5ec0_0004);
    for (let i = 0; i < 200; i++) {
      const asm = new SyncPartAssembler();
      const order = [...parts].sort(() => rng.int(3) - 1);
      try {
        let out = null;
        for (const p of order) out = asm.push(i % 2 === 0 ? p : { ...p, chunk: mutate(rng, p.chunk) });
        if (out !== null) assert.equal(out.type, 'sync-notes');
      } catch (err) {
        assert.ok(isProtocolError(err), String(err));
      }
    }
  });
});
