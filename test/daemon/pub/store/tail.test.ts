/**
 * Tail sealing (daemon/pub/store/tail.ts), read back from the log with a raw LevelDB once the
 * store is closed: STATE and CHUNK records covering every cursor once, the unsealed tail sealed
 * at the target size, also when it is reloaded after a reopen; and appendChunks and pruneTail
 * on their own (the ops and seal batch a commit writes, the tail after a prune).
 */
import assert from 'node:assert/strict';
import { CHUNK_MAX_BLOBS, CHUNK_TARGET_BYTES, decodeChunk, type ChunkEntry } from '../../../../daemon/pub/store/chunk.js';
import type { Op } from '../../../../daemon/pub/store/level.js';
import { EMPTY_TAIL, appendChunks, pruneTail, type Tail } from '../../../../daemon/pub/store/tail.js';
import { blobHash } from '../../../../protocol/pow.js';
import {
  FILTER_KEY, INDEXED_KEY, RECORD_VERSION, allRecords, assertBlobs, assertChunkLayout, freshBlob, hex, indexKey, indexValue, readAll, readLog,
  u64At, u64Key, useStoreDir, withRaw,
} from '../../../helpers/store-fixtures.js';

/** Blobs of 32 KiB: eight of them fill a chunk. */
const BIG = 32 * 1024;
const PER_CHUNK = CHUNK_TARGET_BYTES / BIG;

function entry(cursor: bigint): ChunkEntry {
  const blob = new Uint8Array(BIG).fill(Number(cursor & 0xffn));
  blob[0] = 0x01;
  return { cursor, receivedAt: 1_700_000_000_000 + Number(cursor), hash: new Uint8Array(32).fill(Number(cursor & 0xffn)), blob };
}

function entries(from: bigint, n: number): ChunkEntry[] {
  return Array.from({ length: n }, (_, i) => entry(from + BigInt(i)));
}

/** An op as text for comparing: `del <key cursor>`, or `put <key cursor> sealed|unsealed <first>..<last>`. */
function describeOp(op: Op): string {
  const at = u64At(op.key, 1);
  if (op.type === 'del') return `del ${at}`;
  const chunk = decodeChunk(at, op.value, [BIG]);
  return `put ${at} ${chunk.sealed ? 'sealed' : 'unsealed'} ${chunk.first}..${chunk.last}`;
}

function tailOf(tail: Tail): string {
  return `keys ${tail.keys.map((k) => u64At(k, 1)).join(',')}; cursors ${tail.entries.map((e) => e.cursor).join(',')}; bytes ${tail.bytes}`;
}

describe('daemon/pub/store/tail', function () {
  this.timeout(20_000);

  const at = useStoreDir('pub-layout');
  const { openStore, closeStore } = at;

  it('writes STATE in the chunk layout and chunks that cover every cursor once, sealing the tail at the target size', async () => {
    const s = await openStore();
    const blobs = Array.from({ length: 300 }, () => freshBlob());
    for (const [i, b] of blobs.entries()) assert.deepEqual(await s.put(b), { cursor: BigInt(i + 1), duplicate: false });
    await closeStore();

    const log = await readLog(at.path);
    const { sealed, unsealed } = assertChunkLayout(log, 0n, 300n);
    assert.ok(sealed.length >= 2, `${sealed.length} sealed chunks after 600 KiB of posts`);
    for (const c of sealed) {
      assert.ok(c.blobBytes >= CHUNK_TARGET_BYTES || c.count === CHUNK_MAX_BLOBS, `sealed chunk ${c.first}..${c.last} holds ${c.blobBytes} bytes`);
      assert.ok(c.blobBytes - c.blobLength(c.count - 1) < CHUNK_TARGET_BYTES, 'a chunk is sealed by the blob that fills it');
    }
    assert.ok(unsealed.length > 0, 'the blobs after the last sealed chunk are in unsealed chunks');
    // Every stored blob, its hash and its arrival time are in the records.
    for (const c of log.chunks) {
      for (let i = 0; i < c.count; i++) {
        const blob = blobs[Number(c.cursor(i)) - 1]!;
        assert.equal(hex(c.blob(i)), hex(blob));
        assert.equal(hex(c.hash(i)), hex(blobHash(blob)));
        assert.ok(Math.abs(c.receivedAt(i) - Date.now()) < 60_000, 'received-at is a time in ms');
      }
    }
    // The index: every blob under its hash, and the mark at the last cursor.
    await withRaw(`${at.path}-index`, async (index) => {
      const records = await allRecords(index);
      assert.equal(records.length, 302, 'INDEXED, FILTER and an entry per blob');
      assert.equal(hex((await index.get(INDEXED_KEY))!), hex(indexValue(300n)));
      // FILTER, saved on close: 01 || the last cursor it covers || ... || the saved filter (01 ...)
      const filter = (await index.get(FILTER_KEY))!;
      assert.equal(filter[0], RECORD_VERSION);
      assert.equal(u64At(filter, 1), 300n);
      assert.equal(filter[17], 0x01);
      for (const [i, b] of blobs.entries()) assert.equal(hex((await index.get(indexKey(blobHash(b))))!), hex(indexValue(BigInt(i + 1))));
    });
  });

  it('reads back blobs put before a close and after a reopen, and keeps merging the reloaded tail into sealed chunks', async () => {
    const s = await openStore();
    const blobs = Array.from({ length: 200 }, () => freshBlob());
    for (const b of blobs.slice(0, 100)) await s.put(b);
    await closeStore();
    let log = await readLog(at.path);
    let parts = assertChunkLayout(log, 0n, 100n);
    assert.equal(parts.sealed.length, 0, '200 KiB is below the target: nothing sealed yet');

    const again = await openStore();
    for (const [i, b] of blobs.slice(100).entries()) assert.deepEqual(await again.put(b), { cursor: BigInt(101 + i), duplicate: false });
    assertBlobs(await readAll(again, 7), blobs);
    assertBlobs((await again.since(0n, 1000)).blobs, blobs);
    assert.deepEqual(await again.put(blobs[0]!), { cursor: 1n, duplicate: true });
    await closeStore();

    log = await readLog(at.path);
    parts = assertChunkLayout(log, 0n, 200n);
    // Blobs from before the reopen and after it share the first sealed chunk.
    assert.ok(parts.sealed.length >= 1);
    assert.equal(parts.sealed[0]!.first, 1n);
    assert.ok(parts.sealed[0]!.last > 100n);

    const third = await openStore();
    assertBlobs(await readAll(third), blobs);
  });

  describe('appendChunks and pruneTail', () => {
    it('writes new blobs below the target as one unsealed chunk keyed at the last of them', () => {
      const ops: Op[] = [];
      const { tail, seal } = appendChunks(EMPTY_TAIL, entries(1n, 3), ops);
      assert.deepEqual(ops.map(describeOp), ['put 3 unsealed 1..3']);
      assert.deepEqual(seal, []);
      assert.equal(tailOf(tail), `keys 3; cursors 1,2,3; bytes ${3 * BIG}`);
    });

    it('writes a run that fills a chunk by itself sealed at once, with no seal batch', () => {
      const ops: Op[] = [];
      const { tail, seal } = appendChunks(EMPTY_TAIL, entries(1n, PER_CHUNK + 1), ops);
      assert.deepEqual(ops.map(describeOp), [`put ${PER_CHUNK} sealed 1..${PER_CHUNK}`, `put ${PER_CHUNK + 1} unsealed ${PER_CHUNK + 1}..${PER_CHUNK + 1}`]);
      assert.deepEqual(seal, []);
      assert.equal(tailOf(tail), `keys ${PER_CHUNK + 1}; cursors ${PER_CHUNK + 1}; bytes ${BIG}`);
    });

    it('writes the blobs that fill the tail unsealed, and a seal batch that merges the tail and deletes its chunks', () => {
      const first: Op[] = [];
      const start = appendChunks(EMPTY_TAIL, entries(1n, 2), first).tail;
      const second: Op[] = [];
      const mid = appendChunks(start, entries(3n, 3), second).tail;
      assert.equal(tailOf(mid), `keys 2,5; cursors 1,2,3,4,5; bytes ${5 * BIG}`);
      const ops: Op[] = [];
      const { tail, seal } = appendChunks(mid, entries(6n, PER_CHUNK - 5 + 2), ops);
      const filledAt = BigInt(PER_CHUNK);
      assert.deepEqual(ops.map(describeOp), [`put ${filledAt} unsealed 6..${filledAt}`, `put ${filledAt + 2n} unsealed ${filledAt + 1n}..${filledAt + 2n}`]);
      assert.deepEqual(seal.map(describeOp), [`put ${filledAt} sealed 1..${filledAt}`, 'del 2', 'del 5']);
      assert.equal(tailOf(tail), `keys ${filledAt + 2n}; cursors ${filledAt + 1n},${filledAt + 2n}; bytes ${2 * BIG}`);
    });

    it('drops from the tail the blobs and chunks at or below the prune floor', () => {
      const tail: Tail = { keys: [u64Key(0x03, 2n), u64Key(0x03, 5n)], entries: entries(1n, 5), bytes: 5 * BIG };
      assert.equal(pruneTail(tail, 0n), tail, 'nothing pruned: the same tail');
      assert.equal(tailOf(pruneTail(tail, 3n)), `keys 5; cursors 4,5; bytes ${2 * BIG}`);
      assert.equal(tailOf(pruneTail(tail, 5n)), 'keys ; cursors ; bytes 0');
    });
  });
});
