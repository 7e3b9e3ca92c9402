/**
 * Property test of the pub frame decoders: on random and mutated input, `decodeFrame`,
 * `decodeClientFrame` and `decodeServerFrame` either return a frame that re-encodes to exactly
 * the input, or fail with a ProtocolError. Anything else fails the test with the run number.
 * (The over-the-socket fuzz of the pub itself is test/daemon/pub/server.fuzz.test.ts.)
 */
import assert from 'node:assert/strict';
import { BLOB_SIZES } from '../../protocol/constants.js';
import { isProtocolError } from '../../protocol/errors.js';
import {
  ErrorFrameCode,
  PubFrameType,
  decodeClientFrame,
  decodeFrame,
  decodeServerFrame,
  encodeBlob,
  encodeError,
  encodeFetch,
  encodeFrame,
  encodeHello,
  encodeHelloRequest,
  encodePage,
  encodePost,
  encodePostAck,
  encodeRefuse,
  encodeSubscribe,
  encodeSubscribed,
  type PubFrame,
} from '../../protocol/pub-wire.js';
import { Prng, SAMPLE_POLICY, filledBlob } from '../helpers/pub-fixtures.js';

const RUNS = 100_000;
const SEED = 0x5eed_0b0b;

const blob = filledBlob;

function validFrames(): Uint8Array[] {
  const policy = { ...SAMPLE_POLICY, blobSizes: [...BLOB_SIZES], maxFrameBytes: 132_114 };
  return [
    encodeHello(policy),
    encodeRefuse(1, 1),
    encodeHelloRequest(),
    encodePost(1, 0n, blob(BLOB_SIZES[0]!, 1)),
    encodePost(0xffff_ffff, (1n << 64n) - 1n, blob(BLOB_SIZES[0]!, 2)),
    encodeFetch(2, 0n, 256),
    encodeSubscribe(3, 12n),
    encodePostAck(1, 1n, false),
    encodePage({ requestId: 2, more: false, pruned: false, start: 1n, next: 1n, head: 0n, blobs: [] }),
    encodePage({ requestId: 2, more: true, pruned: true, continues: true, start: 3n, next: 5n, head: 9n, blobs: [{ cursor: 4n, blob: blob(BLOB_SIZES[0]!, 3) }, { cursor: 5n, blob: blob(BLOB_SIZES[0]!, 4) }] }),
    encodeSubscribed(3, true, 2n, 9n),
    encodeBlob(3, 10n, blob(BLOB_SIZES[0]!, 5)),
    encodeError(0, ErrorFrameCode.MALFORMED_FRAME, 0),
    encodeError(7, ErrorFrameCode.RATE_LIMITED, 250),
  ];
}

/** One random structural change: flip, overwrite, insert, delete, truncate, extend or splice. */
function mutate(rng: Prng, input: Uint8Array, donors: readonly Uint8Array[]): Uint8Array {
  const out = Array.from(input);
  switch (rng.int(7)) {
    case 0:
      if (out.length > 0) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      break;
    case 1:
      if (out.length > 0) out[rng.int(out.length)] = rng.pick([0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff]);
      break;
    case 2:
      out.splice(rng.int(out.length + 1), 0, ...rng.bytes(1 + rng.int(8)));
      break;
    case 3:
      out.splice(rng.int(out.length + 1), 1 + rng.int(8));
      break;
    case 4:
      out.length = rng.int(out.length + 1);
      break;
    case 5:
      out.push(...rng.bytes(1 + rng.int(16)));
      break;
    default: {
      const donor = rng.pick(donors);
      const at = rng.int(donor.length + 1);
      out.splice(rng.int(out.length + 1), rng.int(16), ...donor.subarray(at, at + rng.int(32)));
    }
  }
  return Uint8Array.from(out);
}

function reencodes(frame: PubFrame, input: Uint8Array): boolean {
  const again = encodeFrame(frame);
  // REFUSE is read whatever its version byte (its layout is frozen), and written with ours.
  const from = frame.type === PubFrameType.REFUSE ? 1 : 0;
  return again.length === input.length && Buffer.compare(again.subarray(from), input.subarray(from)) === 0;
}

describe('protocol/pub-wire decoders under random and mutated input', function () {
  this.timeout(120_000);

  it('decode every frame to a value that re-encodes identically, or fail with a ProtocolError', () => {
    const rng = new Prng(SEED);
    const frames = validFrames();
    for (const f of frames) assert.ok(reencodes(decodeFrame(f), f));
    const decoders = [decodeFrame, decodeClientFrame, decodeServerFrame];
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < RUNS; i++) {
      let input: Uint8Array;
      if (i % 25 === 0) {
        input = rng.bytes(rng.int(300));
      } else {
        input = rng.pick(frames);
        for (let k = 1 + rng.int(3); k > 0; k--) input = mutate(rng, input, frames);
      }
      const decode = decoders[i % decoders.length]!;
      let frame: PubFrame;
      try {
        frame = decode(input, { maxBytes: 200_000 });
      } catch (err) {
        if (!isProtocolError(err)) assert.fail(`run ${i} (seed ${SEED}) threw ${String(err)}`);
        rejected++;
        continue;
      }
      assert.ok(reencodes(frame, input), `run ${i} (seed ${SEED}): decoded frame does not re-encode to its input`);
      accepted++;
    }
    assert.ok(accepted > 1000, `too few mutated frames decoded (${accepted})`);
    assert.ok(rejected > RUNS / 2, `too few mutated frames rejected (${rejected})`);
  });
});
