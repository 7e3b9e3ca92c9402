/**
 * PubClient.fetchEach against a real PubServer on 127.0.0.1 (temp home, real LevelDB, real
 * sockets): one FETCH whose pages are handed to the callback as they arrive, the summary it
 * resolves with, a callback that throws, limits refused before anything is sent, a pruned
 * cursor and a cursor at the head.
 */
import assert from 'node:assert/strict';
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { PubClient, type PubBlob } from '../../../daemon/pub-links/client.js';
import type { PubLimits } from '../../../daemon/pub/constants.js';
import { PubReplyErrorCode } from '../../../daemon/pub-links/errors.js';
import { BLOB_SIZE_STANDARD } from '../../../protocol/constants.js';
import { PubServer } from '../../../daemon/pub/server.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { Prng, bytesEqual, makeSerialBlob, makeTempDir, removeDir } from '../../helpers/pub-fixtures.js';

const SIZE = BLOB_SIZE_STANDARD;
const BLOBS = 1000;
const FAST: Partial<PubLimits> = { powDifficulty: 1, postsPerSecond: 1e6, postBurst: 1e6, statsIntervalMs: 0 };

function hasCode(code: string) {
  return (err: unknown) => (err as { code?: string }).code === code;
}

/** What one onBlobs call was handed, copied (the blobs are views into the page). */
interface Call {
  readonly cursors: bigint[];
  readonly blobs: Uint8Array[];
}

function recorder(): { calls: Call[]; onBlobs: (blobs: readonly PubBlob[]) => void } {
  const calls: Call[] = [];
  return {
    calls,
    onBlobs: (blobs) => calls.push({ cursors: blobs.map((b) => b.cursor), blobs: blobs.map((b) => b.blob.slice()) }),
  };
}

/** Asserts the calls' blobs are exactly cursors first..last in order, each holding the posted bytes. */
function assertRun(calls: readonly Call[], first: bigint, last: bigint, posted: ReadonlyMap<bigint, Uint8Array>): void {
  const cursors = calls.flatMap((c) => c.cursors);
  const expected: bigint[] = [];
  for (let c = first; c <= last; c++) expected.push(c);
  assert.deepEqual(cursors, expected);
  const blobs = calls.flatMap((c) => c.blobs);
  blobs.forEach((b, i) => assert.ok(bytesEqual(b, posted.get(expected[i]!)!), `cursor ${expected[i]} holds other bytes`));
}

describe('PubClient.fetchEach', function () {
  this.timeout(20_000);

  const dialer = new DirectDialer();
  const clients: PubClient[] = [];
  const homes: string[] = [];
  const servers: PubServer[] = [];

  async function startPub(limits: Partial<PubLimits> = {}): Promise<{ server: PubServer; address: string; port: number }> {
    const home = await makeTempDir('pub-fetch-each');
    homes.push(home);
    const server = new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits: { ...FAST, ...limits }, log: () => {} });
    servers.push(server);
    const { port } = await server.start();
    return { server, address: `ws://127.0.0.1:${port}`, port };
  }

  async function connect(address: string): Promise<PubClient> {
    const c = await PubClient.connect(dialer, address);
    clients.push(c);
    return c;
  }

  async function cleanup(): Promise<void> {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    for (const s of servers.splice(0)) await s.stop().catch(() => {});
    for (const h of homes.splice(0)) await removeDir(h);
  }

  /**
   * Posts `n` distinct blobs, pipelined as far as the pub's requests-in-flight limit allows, and
   * returns them by the cursor the pub gave each.
   */
  async function postMany(client: PubClient, n: number, seed: number, size = SIZE): Promise<Map<bigint, Uint8Array>> {
    const prng = new Prng(seed);
    const posted = new Map<bigint, Uint8Array>();
    const step = client.policy.maxInflight;
    for (let done = 0; done < n; done += step) {
      const batch = Array.from({ length: Math.min(step, n - done) }, (_, i) => makeSerialBlob(prng, done + i, size));
      const acks = await Promise.all(batch.map((b) => client.post(b)));
      acks.forEach((a, i) => {
        assert.equal(a.duplicate, false);
        posted.set(a.cursor, batch[i]!);
      });
    }
    return posted;
  }

  describe('on a pub holding 1,000 blobs', () => {
    let address: string;
    let port: number;
    let posted: Map<bigint, Uint8Array>;
    let client: PubClient;

    before(async () => {
      ({ address, port } = await startPub());
      client = await connect(address);
      posted = await postMany(client, BLOBS, 0xfe7c);
      assert.deepEqual([...posted.keys()].sort((a, b) => (a < b ? -1 : 1)), Array.from({ length: BLOBS }, (_, i) => BigInt(i + 1)));
    });

    after(cleanup);

    it('hands over one page at a time, in cursor order, every blob once, and ends with the same summary fetch() gives', async () => {
      const { calls, onBlobs } = recorder();
      const summary = await client.fetchEach(0n, onBlobs, { limit: 65535 });
      assert.ok(calls.length > 1, `onBlobs was called ${calls.length} time(s) for ${BLOBS} blobs`);
      for (const c of calls) {
        assert.ok(c.cursors.length >= 1, 'a page in the middle of the answer was empty');
        assert.ok(c.cursors.length <= client.policy.maxPageBlobs, `a page held ${c.cursors.length} blobs`);
      }
      assertRun(calls, 1n, BigInt(BLOBS), posted);
      assert.deepEqual(summary, { count: BLOBS, next: BigInt(BLOBS), more: false, pruned: false, start: 1n, head: BigInt(BLOBS) });

      const whole = await client.fetch(0n, { limit: 65535 });
      const { blobs, ...rest } = whole;
      assert.deepEqual({ count: blobs.length, ...rest }, summary);
      assert.deepEqual(blobs.map((b) => b.cursor), calls.flatMap((c) => c.cursors));
      blobs.forEach((b) => assert.ok(bytesEqual(b.blob, posted.get(b.cursor)!)));
    });

    it('stops at the limit with more set, and a second fetchEach from where it stopped gets the rest', async () => {
      const first = recorder();
      const a = await client.fetchEach(0n, first.onBlobs, { limit: 300 });
      assert.deepEqual(a, { count: 300, next: 300n, more: true, pruned: false, start: 1n, head: BigInt(BLOBS) });
      assertRun(first.calls, 1n, 300n, posted);

      const second = recorder();
      const b = await client.fetchEach(a.next, second.onBlobs, { limit: 65535 });
      assert.deepEqual(b, { count: BLOBS - 300, next: BigInt(BLOBS), more: false, pruned: false, start: 1n, head: BigInt(BLOBS) });
      assertRun(second.calls, 301n, BigInt(BLOBS), posted);
    });

    it('from the head hands over one empty list and says there is nothing more', async () => {
      const { calls, onBlobs } = recorder();
      const summary = await client.fetchEach(BigInt(BLOBS), onBlobs, { limit: 65535 });
      // the pub answers with one PAGE of no blobs, and fetchEach passes that page on as it is
      assert.deepEqual(calls, [{ cursors: [], blobs: [] }]);
      assert.equal(summary.count, 0);
      assert.equal(summary.more, false);
      assert.equal(summary.pruned, false);
      assert.equal(summary.head, BigInt(BLOBS));
      assert.equal(summary.next, BigInt(BLOBS));
    });

    it('refuses a limit of 0, 65536 or 1.5 with POLICY before sending anything', async () => {
      // Through a TCP relay that counts the bytes the client sends, so "nothing sent" is measured.
      let sentBytes = 0;
      const sockets: Socket[] = [];
      const relay: Server = createServer((inbound) => {
        const outbound = netConnect(port, '127.0.0.1');
        sockets.push(inbound, outbound);
        inbound.on('data', (d: Buffer) => {
          sentBytes += d.length;
        });
        inbound.on('error', () => outbound.destroy());
        outbound.on('error', () => inbound.destroy());
        inbound.pipe(outbound);
        outbound.pipe(inbound);
      });
      try {
        await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
        const relayed = await connect(`ws://127.0.0.1:${(relay.address() as AddressInfo).port}`);
        // a fetch answered means everything sent before it has passed the relay
        await relayed.fetch(0n, { limit: 1 });
        const before = sentBytes;
        await relayed.fetch(0n, { limit: 1 });
        const oneFetch = sentBytes - before;
        assert.ok(oneFetch > 0);

        const afterValid = sentBytes;
        let called = 0;
        for (const limit of [0, 65536, 1.5]) {
          await assert.rejects(relayed.fetchEach(0n, () => (called += 1), { limit }), hasCode(PubReplyErrorCode.POLICY), `limit ${limit}`);
        }
        await relayed.fetch(0n, { limit: 1 });
        assert.equal(sentBytes - afterValid, oneFetch, 'the refused fetches sent bytes to the pub');
        assert.equal(called, 0);
        assert.equal(relayed.open, true);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((r) => relay.close(r));
      }
    });

    // Last in this block: it posts one more blob.
    it('rejects with the very error the callback threw, reads the rest of the answer, and keeps the connection', async () => {
      const thrown = new Error('the second page is refused');
      let calls = 0;
      const seen: bigint[] = [];
      await assert.rejects(
        client.fetchEach(0n, (blobs) => {
          calls += 1;
          if (calls === 2) throw thrown;
          seen.push(...blobs.map((b) => b.cursor));
        }, { limit: 65535 }),
        (err: unknown) => err === thrown,
      );
      assert.equal(calls, 2, 'onBlobs was called again after it threw');
      assert.ok(seen.length > 0 && seen[0] === 1n);
      assert.equal(client.open, true);

      // The pages after the throw were dropped: the next answers are the right ones.
      const whole = await client.fetch(0n, { limit: 65535 });
      assert.equal(whole.blobs.length, BLOBS);
      assert.equal(whole.more, false);
      assert.deepEqual(whole.blobs.map((b) => b.cursor), Array.from({ length: BLOBS }, (_, i) => BigInt(i + 1)));
      const extra = makeSerialBlob(new Prng(0xe7a), BLOBS + 1);
      assert.deepEqual(await client.post(extra), { cursor: BigInt(BLOBS + 1), duplicate: false });
      const again = recorder();
      const summary = await client.fetchEach(BigInt(BLOBS), again.onBlobs, { limit: 65535 });
      assert.equal(summary.count, 1);
      assert.deepEqual(again.calls.flatMap((c) => c.cursors), [BigInt(BLOBS + 1)]);
      assert.ok(bytesEqual(again.calls[0]!.blobs[0]!, extra));
    });
  });

  describe('on a pub that pruned', () => {
    after(cleanup);

    it('says a fetchEach from a pruned cursor missed blobs, and where the store now starts', async () => {
      const { address } = await startPub({ maxBlobBytes: SIZE, quotaBytes: 10 * SIZE });
      const client = await connect(address);
      const posted = await postMany(client, 30, 0x9e0);
      const { calls, onBlobs } = recorder();
      const summary = await client.fetchEach(0n, onBlobs, { limit: 65535 });
      assert.equal(summary.pruned, true);
      assert.ok(summary.start > 1n, `the store starts at ${summary.start}`);
      assert.equal(summary.head, 30n);
      assert.equal(summary.more, false);
      assert.equal(summary.next, 30n);
      assert.equal(summary.count, 30 - Number(summary.start) + 1);
      assertRun(calls, summary.start, 30n, posted);
    });
  });
});
