import assert from 'node:assert/strict';
import { ready } from '../../../protocol/crypto.js';
import { decodeFrame, DIRECT_ENTRY_FRAME_MAX_BYTES, encodeFrame } from '../../../protocol/peer/wire.js';
import { blobsFrames, SYNC_FRAME_BODY_MAX_BYTES, SyncPartAssembler, syncFrames, type SyncFrame, type SyncPartFrame } from '../../../protocol/sync/frames.js';
import { filledBlob } from '../../helpers/pub-fixtures.js';
import { codeOf } from '../../helpers/vectors.js';

const G = new Uint8Array(32).fill(1);

describe('protocol/sync/frames', () => {
  before(ready);

  it('agrees with the peer frame limit', () => {
    assert.equal(SYNC_FRAME_BODY_MAX_BYTES, DIRECT_ENTRY_FRAME_MAX_BYTES);
  });

  it('packs blobs into frames that each fit, and carries a 131,072-byte blob in parts', () => {
    const small = Array.from({ length: 30 }, () => filledBlob(5120));
    const frames = blobsFrames(G, 1, [...small, filledBlob(131072)]);
    const encoded = frames.flatMap((f) => syncFrames(f)).map((f) => encodeFrame(f));
    for (const e of encoded) assert.ok(e.length <= 65_519);
    const asm = new SyncPartAssembler();
    let blobs = 0;
    for (const e of encoded) {
      const f = decodeFrame(e) as SyncFrame;
      const whole = f.type === 'sync-part' ? asm.push(f) : f;
      if (whole !== null && whole.type === 'sync-blobs') blobs += whole.blobs.length;
    }
    assert.equal(blobs, 31);
    assert.equal(asm.busy, false);
  });

  it('refuses to encode a frame over the limit whole, and a part stream out of order or with a wrong digest', () => {
    const big: SyncFrame = { type: 'sync-blobs', groupId: G, requestId: 1, blobs: [filledBlob(131072)] };
    assert.equal(codeOf(() => encodeFrame(big)), 'ERR_OVERSIZED');
    const parts = syncFrames(big) as SyncPartFrame[];
    assert.equal(parts.length, 3);
    const skip = new SyncPartAssembler();
    skip.push(parts[0]!);
    assert.equal(codeOf(() => skip.push(parts[2]!)), 'ERR_INVALID_FIELD');
    assert.equal(codeOf(() => new SyncPartAssembler().push(parts[1]!)), 'ERR_INVALID_FIELD');
    const bad = new SyncPartAssembler();
    const tampered = { ...parts[2]!, chunk: parts[2]!.chunk.slice() };
    tampered.chunk[0]! ^= 1;
    bad.push(parts[0]!);
    bad.push(parts[1]!);
    assert.equal(codeOf(() => bad.push(tampered)), 'ERR_INVALID_FIELD');
  });

  it('refuses a want over its bounds at encoding', () => {
    const author = new Uint8Array(32).fill(2);
    assert.equal(codeOf(() => encodeFrame({ type: 'sync-want', groupId: G, requestId: 1, want: { ranges: [{ author, from: 1, to: 2000 }], ids: [] } })), 'ERR_OVERSIZED');
    assert.equal(
      codeOf(() => encodeFrame({ type: 'sync-want', groupId: G, requestId: 1, want: { ranges: [{ author, from: 5, to: 6 }, { author, from: 1, to: 2 }], ids: [] } })),
      'ERR_NON_CANONICAL',
    );
  });
});
