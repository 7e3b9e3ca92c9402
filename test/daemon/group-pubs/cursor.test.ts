import assert from 'node:assert/strict';
import { CURSOR_ROUND_BLOBS } from '../../../daemon/group-pubs/constants.js';
import { cursorCodec, cursorSince } from '../../../daemon/group-pubs/cursor.js';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { readVectors } from '../../helpers/vectors.js';

interface CursorVectors {
  readonly records: readonly { cursor: string; hex: string }[];
  readonly invalid: readonly { why: string; hex: string }[];
  readonly since: readonly { cursor: string; roundBlobs: number; since: string }[];
}

describe('daemon/group-pubs/cursor', () => {
  const vectors = readVectors<CursorVectors>('group-pub-cursor');

  it('encodes and decodes the cursor record as the committed vectors say, both ways', () => {
    for (const v of vectors.records) {
      assert.equal(toHex(cursorCodec.encode(BigInt(v.cursor))), v.hex);
      assert.equal(cursorCodec.decode(fromHex(v.hex)), BigInt(v.cursor));
    }
  });

  it('refuses a record of another version or length', () => {
    for (const v of vectors.invalid) assert.throws(() => cursorCodec.decode(fromHex(v.hex)), RangeError, v.why);
    assert.throws(() => cursorCodec.encode(-1n), RangeError);
    assert.throws(() => cursorCodec.encode(1n << 64n), RangeError);
  });

  it('asks from the cursor rounded down to a multiple of the rounding, which depends on nothing else', () => {
    for (const v of vectors.since) assert.equal(cursorSince(BigInt(v.cursor), v.roundBlobs), BigInt(v.since), `${v.cursor} / ${v.roundBlobs}`);
    assert.equal(CURSOR_ROUND_BLOBS, 1024);
    assert.equal(cursorSince(5000n), 4096n);
    assert.throws(() => cursorSince(5n, 0), RangeError);
  });
});
