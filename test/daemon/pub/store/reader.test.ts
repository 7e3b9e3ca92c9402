/**
 * The reader (daemon/pub/store/reader.ts) while the tail it reads is sealed under it: it keeps
 * its place, by blobs and by PAGE-entry runs.
 */
import assert from 'node:assert/strict';
import { encodePage, encodePageEntries, type PageHead } from '../../../../protocol/pub-wire.js';
import type { StoredBlob } from '../../../../daemon/pub/store/index.js';
import {
  assertBlobs, assertChunkLayout, concat, freshBlob, hex, pageEntryBytes, putInGroups, readLog, useStoreDir,
} from '../../../helpers/store-fixtures.js';

describe('daemon/pub/store/reader', function () {
  this.timeout(20_000);

  const at = useStoreDir('pub-reader');
  const { openStore, closeStore } = at;

  describe('a reader while the tail it reads is sealed', () => {
    const head: PageHead = { requestId: 9, more: false, pruned: false, start: 1n, next: 0n, head: 0n };

    it('continues with exactly the following cursors, each once, by blobs and by entry runs', async () => {
      const s = await openStore();
      const blobs = Array.from({ length: 300 }, () => freshBlob());
      // Unsealed chunks of 10 blobs each: a page of 25 ends inside one.
      await putInGroups(s, blobs.slice(0, 100), 10);
      const byBlobs = s.reader(0n);
      const byRuns = s.reader(0n);
      const atEnd = s.reader(0n);
      try {
        const first = await byBlobs.next(25);
        assertBlobs(first.blobs, blobs.slice(0, 25));
        assert.equal(first.next, 25n);
        const firstRuns = await byRuns.nextEntries(25);
        assert.equal(firstRuns.count, 25);
        const firstBlobs = blobs.slice(0, 25).map((blob, i) => ({ cursor: BigInt(i + 1), blob }));
        assert.equal(hex(concat(firstRuns.runs)), pageEntryBytes(firstBlobs));
        assert.equal(hex(encodePageEntries(head, 25, firstRuns.runs)), hex(encodePage({ ...head, blobs: firstBlobs })));
        const whole = await atEnd.next(1000);
        assertBlobs(whole.blobs, blobs.slice(0, 100));
        assert.equal(whole.more, false);

        // These seal 1..128 into one chunk and delete the unsealed chunks the readers were in.
        await putInGroups(s, blobs.slice(100), 10);

        const rest = await byBlobs.next(1000);
        assertBlobs(rest.blobs, blobs.slice(25), 26n);
        assert.equal(rest.more, false);
        const restRuns = await byRuns.nextEntries(1000);
        assert.equal(restRuns.count, 275);
        const allBlobs = blobs.map((blob, i) => ({ cursor: BigInt(i + 1), blob }));
        assert.equal(hex(concat([...firstRuns.runs, ...restRuns.runs])), pageEntryBytes(allBlobs));
        assert.equal(hex(encodePageEntries(head, 275, restRuns.runs)), hex(encodePage({ ...head, blobs: allBlobs.slice(25) })));
        assertBlobs((await atEnd.next(1000)).blobs, blobs.slice(100), 101n);
      } finally {
        await Promise.all([byBlobs.close(), byRuns.close(), atEnd.close()]);
      }
      await closeStore();
      const { sealed } = assertChunkLayout(await readLog(at.path), 0n, 300n);
      assert.equal(sealed[0]!.first, 1n);
      assert.equal(sealed[0]!.last, 128n, 'the readers read across a seal of 1..128');
    });

    it('hands out every cursor once when puts seal the tail between each of its small pages', async () => {
      const s = await openStore();
      const blobs = Array.from({ length: 400 }, () => freshBlob());
      await putInGroups(s, blobs.slice(0, 30), 6);
      const reader = s.reader(0n);
      const seen: StoredBlob[] = [];
      const runs: Uint8Array[] = [];
      const runsReader = s.reader(0n);
      try {
        let put = 30;
        for (;;) {
          const page = await reader.next(7);
          seen.push(...page.blobs);
          runs.push(...(await runsReader.nextEntries(7)).runs);
          if (put < blobs.length) {
            await putInGroups(s, blobs.slice(put, put + 9), 3);
            put += 9;
          } else if (!page.more) break;
        }
      } finally {
        await Promise.all([reader.close(), runsReader.close()]);
      }
      assertBlobs(seen, blobs);
      assert.equal(hex(concat(runs)), pageEntryBytes(blobs.map((blob, i) => ({ cursor: BigInt(i + 1), blob }))));
    });
  });
});
