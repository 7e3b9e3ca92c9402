/**
 * Property test of the group-format decoders (checkpoint, key package, invite, sync summary):
 * on random and mutated input each one either returns a value that re-encodes to exactly the
 * input, or fails with a ProtocolError. Anything else (a RangeError, a TypeError, a value that
 * re-encodes differently) fails the test, naming the seed and the input so the case can be
 * replayed. The PRNG is seeded, so runs are reproducible. Signature checks (consume*) run on a
 * sample only, to keep the run time modest.
 */
import assert from 'node:assert/strict';
import { base32Encode } from '../../protocol/base32.js';
import { bytesEqual, fromHex, toHex } from '../../protocol/bytes.js';
import { consumeCheckpoint, decodeCheckpoint, encodeCheckpoint } from '../../protocol/checkpoint.js';
import { labelledHash, ready } from '../../protocol/crypto.js';
import { isProtocolError } from '../../protocol/errors.js';
import { consumeInvite, decodeInvite, encodeInvite } from '../../protocol/invite.js';
import { consumeKeyPackage, decodeKeyPackage, encodeKeyPackage } from '../../protocol/key-package.js';
import { computeSummary, createSummary, decodeSummary, encodeSummary } from '../../protocol/summary.js';
import type { CheckpointVector, InviteVector, KeyPackageVector, SummaryVectors } from '../helpers/group-vectors.js';
import { Prng } from '../helpers/pub-fixtures.js';
import { readVectors } from '../helpers/vectors.js';

/** Inputs per decoder. */
const RUNS = 100_000;
const SEED = 0x5eed_0b02;
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const EDGE_BYTES = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff];

interface Outcome {
  accepted: number;
  rejected: number;
}

function property<T>(runs: number, seed: number, generate: (i: number) => T, check: (input: T) => boolean, show: (input: T) => string): Outcome {
  const outcome: Outcome = { accepted: 0, rejected: 0 };
  for (let i = 0; i < runs; i++) {
    const input = generate(i);
    let ok: boolean;
    try {
      ok = check(input);
    } catch (err) {
      if (isProtocolError(err)) {
        outcome.rejected++;
        continue;
      }
      assert.fail(`run ${i} (seed ${seed}) threw ${String(err)} for input ${show(input).slice(0, 400)}`);
    }
    assert.ok(ok, `run ${i} (seed ${seed}): decoded value does not re-encode to the input ${show(input).slice(0, 400)}`);
    outcome.accepted++;
  }
  return outcome;
}

/** One random structural mutation (a copy). Counts and lengths are hit by the edge values. */
function mutate(rng: Prng, input: Uint8Array, donors: readonly Uint8Array[]): Uint8Array {
  const out = input.slice();
  const n = out.length;
  switch (rng.int(9)) {
    case 0:
      if (n > 0) out[rng.int(n)]! ^= 1 << rng.int(8);
      return out;
    case 1:
      if (n > 0) out[rng.int(n)] = rng.pick(EDGE_BYTES);
      return out;
    case 2: // within the first 80 bytes, where versions, counts and lengths live
      if (n > 0) out[rng.int(Math.min(n, 80))] = rng.int(256);
      return out;
    case 3:
      return out.subarray(0, rng.int(n + 1));
    case 4:
      return Uint8Array.of(...out, ...rng.bytes(1 + rng.int(80)));
    case 5: {
      const at = rng.int(n + 1);
      return Uint8Array.of(...out.subarray(0, at), ...out.subarray(Math.min(n, at + 1 + rng.int(40))));
    }
    case 6: {
      // swap two records' worth of bytes (33 or 72), to break orders
      if (n < 150) return out;
      const len = rng.chance(0.5) ? 33 : 72;
      const a = rng.int(n - len);
      const b = rng.int(n - len);
      const tmp = out.slice(a, a + len);
      out.copyWithin(a, b, b + len);
      out.set(tmp, b);
      return out;
    }
    case 7: {
      const other = rng.pick(donors);
      return Uint8Array.of(...out.subarray(0, rng.int(n + 1)), ...other.subarray(rng.int(other.length + 1)));
    }
    default:
      for (let k = 0; k < 1 + rng.int(4) && n > 0; k++) out[rng.int(n)] = rng.int(256);
      return out;
  }
}

function mutated(rng: Prng, valid: readonly Uint8Array[], noise: number, i: number): Uint8Array {
  if (i % 25 === 0) return rng.bytes(rng.int(noise));
  let input = rng.pick(valid);
  for (let k = 0; k < 1 + rng.int(3); k++) input = mutate(rng, input, valid);
  return input;
}

describe('group decoders under random and mutated input', function () {
  this.timeout(240_000);
  before(ready);

  it('decodes checkpoints to values that re-encode identically, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED);
    const valid = readVectors<{ vectors: CheckpointVector[] }>('checkpoint').vectors.map((v) => fromHex(v.encoding));
    let consumed = 0;
    const out = property(
      RUNS,
      SEED,
      (i) => mutated(rng, valid, 400, i),
      (input) => {
        const c = decodeCheckpoint(input);
        if (consumed < 2000 && rng.chance(0.2)) {
          consumed++;
          try {
            consumeCheckpoint(input);
          } catch (err) {
            if (!isProtocolError(err)) throw err;
          }
        }
        return bytesEqual(encodeCheckpoint(c), input);
      },
      toHex,
    );
    assert.ok(out.accepted > 1000, `too few mutated checkpoints decoded (${out.accepted})`);
    assert.ok(out.rejected > RUNS / 2);
  });

  it('decodes key packages to values that re-encode identically, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED + 1);
    const valid = readVectors<{ vectors: KeyPackageVector[] }>('key-package').vectors.map((v) => fromHex(v.encoding));
    let consumed = 0;
    const out = property(
      RUNS,
      SEED + 1,
      (i) => mutated(rng, valid, 800, i),
      (input) => {
        const p = decodeKeyPackage(input);
        if (consumed < 2000 && rng.chance(0.2)) {
          consumed++;
          try {
            consumeKeyPackage(input);
          } catch (err) {
            if (!isProtocolError(err)) throw err;
          }
        }
        return bytesEqual(encodeKeyPackage(p), input);
      },
      toHex,
    );
    assert.ok(out.accepted > 1000, `too few mutated key packages decoded (${out.accepted})`);
    assert.ok(out.rejected > RUNS / 2);
  });

  it('decodes summaries to values that re-encode identically, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED + 2);
    const v = readVectors<SummaryVectors>('summary');
    const valid = [
      ...v.summaries.map((s) => fromHex(s.encoding)),
      encodeSummary(createSummary(new Uint8Array(32), Array.from({ length: 20 }, (_, i) => ({ author: new Uint8Array(32).fill(i), seq: 2 ** 53 - 1 - i, id: new Uint8Array(32).fill(i) })))),
    ];
    const out = property(
      RUNS,
      SEED + 2,
      (i) => mutated(rng, valid, 600, i),
      (input) => bytesEqual(encodeSummary(decodeSummary(input)), input),
      toHex,
    );
    assert.ok(out.accepted > 1000, `too few mutated summaries decoded (${out.accepted})`);
    assert.ok(out.rejected > RUNS / 4);
    // and computing a summary from arbitrary chains never throws anything but a ProtocolError
    for (let i = 0; i < 2000; i++) {
      const entries = Array.from({ length: rng.int(12) }, () => ({
        author: new Uint8Array(32).fill(rng.int(3)),
        seq: 1 + rng.int(4),
        prev: rng.chance(0.3) ? new Uint8Array(32) : new Uint8Array(32).fill(rng.int(6)),
        id: new Uint8Array(32).fill(rng.int(6)),
      }));
      const s = computeSummary(new Uint8Array(32), entries);
      assert.ok(bytesEqual(encodeSummary(decodeSummary(encodeSummary(s))), encodeSummary(s)));
    }
  });

  it('decodes invites to values that re-encode to the same text, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED + 3);
    const vectors = readVectors<{ vectors: InviteVector[] }>('invite').vectors;
    const binaries = vectors.map((v) => fromHex(v.bytes));
    const texts = vectors.map((v) => v.text);
    /** A mutated binary invite with a correct checksum, so that the field checks are reached. */
    function rechecksummed(): Uint8Array {
      const bin = rng.pick(binaries);
      let body = bin.subarray(0, bin.length - 4);
      for (let k = 0; k < 1 + rng.int(2); k++) body = mutate(rng, body, binaries);
      return Uint8Array.of(...body, ...labelledHash('snug/v2/invite-checksum', [body]).subarray(0, 4));
    }
    let accepted = 0;
    let consumed = 0;
    const out = property(
      RUNS,
      SEED + 3,
      (i): { text: string; development: boolean } => {
        const development = rng.chance(0.5);
        const r = i % 4;
        if (r === 0 || r === 1) return { text: 'snug2' + base32Encode(rechecksummed()), development };
        if (r === 2) {
          let s = 'snug2';
          for (let k = rng.int(300); k > 0; k--) s += BASE32_ALPHABET[rng.int(32)];
          return { text: s, development };
        }
        let t = rng.pick(texts);
        const at = rng.int(t.length + 1);
        t = rng.chance(0.5) ? t.slice(0, at) + BASE32_ALPHABET[rng.int(32)] + t.slice(at + 1) : t.slice(0, at) + String.fromCharCode(rng.int(0x10000)) + t.slice(at);
        return { text: t, development };
      },
      ({ text, development }) => {
        const inv = decodeInvite(text, { development });
        accepted++;
        if (consumed < 1000 && rng.chance(0.1)) {
          consumed++;
          try {
            consumeInvite(text, { development });
          } catch (err) {
            if (!isProtocolError(err)) throw err;
          }
        }
        return encodeInvite(inv, { development }) === text;
      },
      (x) => JSON.stringify(x),
    );
    assert.ok(accepted > 500, `too few mutated invites decoded (${accepted})`);
    assert.ok(out.rejected > RUNS / 2);
  });
});
