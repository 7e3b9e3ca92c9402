/**
 * Quota and retention pruning of the pub's store under sustained posting, through a real
 * PubServer, real sockets and a real LevelDB: the store stays within its quota (plus at most
 * one blob), the oldest blobs go first, and a fetch or subscription from a pruned cursor says so.
 */
import assert from 'node:assert/strict';
import { PubClient } from '../../../../daemon/pub/client.js';
import type { PubLimits } from '../../../../daemon/pub/constants.js';
import { PubServer } from '../../../../daemon/pub/server.js';
import { DirectDialer } from '../../../../daemon/transport/direct.js';
import {
  Prng, TEST_PUB_LIMITS, bytesEqual, fetchEverything, makeSerialBlob, makeTempDir, removeDir,
} from '../../../helpers/pub-fixtures.js';

const SMALL = 2048;
const LARGE = 8192;

describe('pub store pruning', function () {
  this.timeout(60_000);

  let home: string | undefined;
  let server: PubServer | undefined;
  const clients: PubClient[] = [];

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await server?.stop();
    server = undefined;
    await removeDir(home);
    home = undefined;
  });

  async function startPub(limits: Partial<PubLimits>): Promise<string> {
    home ??= await makeTempDir('pub-prune');
    server = new PubServer({ home, listen: { host: '127.0.0.1', port: 0 }, limits: { ...TEST_PUB_LIMITS, maxBlobBytes: LARGE, ...limits } });
    const { host, port } = await server.start();
    return `ws://${host}:${port}`;
  }

  async function connect(address: string, n = 1): Promise<PubClient[]> {
    const made = await Promise.all(Array.from({ length: n }, () => PubClient.connect(new DirectDialer(), address)));
    clients.push(...made);
    return made;
  }

  /** Checks what the pub holds: a run of the newest acknowledged blobs, byte for byte. */
  function assertNewestKept(held: Map<bigint, Uint8Array>, acked: ReadonlyMap<bigint, Uint8Array>): void {
    const heldCursors = [...held.keys()].sort((a, b) => (a < b ? -1 : 1));
    const ackedCursors = [...acked.keys()].sort((a, b) => (a < b ? -1 : 1));
    const oldestHeld = heldCursors[0];
    assert.ok(oldestHeld !== undefined, 'the pub holds nothing');
    // every acknowledged blob newer than the oldest one kept is still there: oldest go first
    const expected = ackedCursors.filter((c) => c >= oldestHeld);
    assert.deepEqual(heldCursors, expected);
    for (const c of heldCursors) assert.ok(bytesEqual(held.get(c)!, acked.get(c)!), `cursor ${c} holds other bytes`);
  }

  it('keeps the recorded and the served total within the quota plus one blob while clients post without pause', async () => {
    const quota = 40 * SMALL + 3 * LARGE;
    const address = await startPub({ quotaBytes: quota });
    const posters = await connect(address, 4);
    const prng = new Prng(0x9a07a);
    const acked = new Map<bigint, Uint8Array>();
    let serial = 0;
    let worst = 0;
    await Promise.all(posters.map(async (client) => {
      for (let i = 0; i < 150; i++) {
        const blob = makeSerialBlob(prng, serial++, prng.chance(0.2) ? LARGE : SMALL);
        const { cursor, duplicate } = await client.post(blob);
        assert.equal(duplicate, false);
        acked.set(cursor, blob);
        worst = Math.max(worst, server!.stats().bytes);
      }
    }));
    assert.ok(worst <= quota + LARGE, `the store recorded ${worst} bytes against a quota of ${quota}`);

    const [reader] = await connect(address);
    const held = await fetchEverything(reader!);
    const servedBytes = [...held.values()].reduce((n, b) => n + b.length, 0);
    assert.ok(servedBytes <= quota + LARGE, `the pub serves ${servedBytes} bytes against a quota of ${quota}`);
    assert.equal(server!.stats().bytes, servedBytes, 'the recorded total differs from what the pub serves');
    assert.ok(held.size < acked.size, 'nothing was pruned: the test posted too little');
    assertNewestKept(held, acked);
  });

  it('says a fetch or a subscription from a pruned cursor missed blobs, and where the store now starts', async () => {
    const quota = 10 * SMALL;
    const address = await startPub({ quotaBytes: quota });
    const [client] = await connect(address);
    const prng = new Prng(0x51ce);
    const cursors: bigint[] = [];
    for (let i = 0; i < 30; i++) cursors.push((await client!.post(makeSerialBlob(prng, i))).cursor);

    const fromStart = await client!.fetch(0n);
    assert.equal(fromStart.pruned, true);
    assert.equal(fromStart.blobs.length, 10);
    assert.equal(fromStart.start, fromStart.blobs[0]!.cursor);
    assert.deepEqual(fromStart.blobs.map((b) => b.cursor), cursors.slice(-10));

    const fromPruned = await client!.fetch(cursors[5]!);
    assert.equal(fromPruned.pruned, true);
    assert.deepEqual(fromPruned.blobs.map((b) => b.cursor), cursors.slice(-10));

    // the cursor just before the oldest kept blob has missed nothing
    const fromEdge = await client!.fetch(cursors[19]!);
    assert.equal(fromEdge.pruned, false);
    assert.deepEqual(fromEdge.blobs.map((b) => b.cursor), cursors.slice(-10));

    const [subscriber] = await connect(address);
    const got: bigint[] = [];
    const sub = await subscriber!.subscribe(cursors[0]!, (b) => got.push(b.cursor));
    assert.equal(sub.pruned, true);
    assert.equal(sub.start, cursors[20]);
  });

  it('gives a blob posted again after it was pruned a new cursor, not the pruned one', async () => {
    const address = await startPub({ quotaBytes: 4 * SMALL });
    const [client] = await connect(address);
    const prng = new Prng(0xd0b);
    const first = makeSerialBlob(prng, 0);
    const was = await client!.post(first);
    for (let i = 1; i <= 8; i++) await client!.post(makeSerialBlob(prng, i));
    const again = await client!.post(first);
    assert.equal(again.duplicate, false);
    assert.ok(again.cursor > was.cursor);
    const held = await fetchEverything(client!);
    assert.ok(bytesEqual(held.get(again.cursor)!, first));
    assert.equal(held.has(was.cursor), false);
  });

  it('prunes down to a smaller quota when the pub is restarted with one, oldest first', async () => {
    const address = await startPub({ quotaBytes: 1024 * 1024 });
    const [client] = await connect(address);
    const prng = new Prng(0x7e57);
    const acked = new Map<bigint, Uint8Array>();
    for (let i = 0; i < 100; i++) {
      const blob = makeSerialBlob(prng, i);
      acked.set((await client!.post(blob)).cursor, blob);
    }
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await server!.stop();

    const quota = 25 * SMALL;
    const again = await startPub({ quotaBytes: quota });
    assert.ok(server!.stats().bytes <= quota, `the store holds ${server!.stats().bytes} bytes after opening with a quota of ${quota}`);
    const [reader] = await connect(again);
    const held = await fetchEverything(reader!);
    assert.equal(held.size, 25);
    assertNewestKept(held, acked);
  });

  it('removes blobs past their retention while posting goes on, and on opening the store', async () => {
    const retentionMs = 400;
    const address = await startPub({ retentionMs, pruneIntervalMs: 50 });
    const [client] = await connect(address);
    const prng = new Prng(0x4e7e);
    const acked = new Map<bigint, Uint8Array>();
    let serial = 0;
    // post steadily for several retention periods
    const until = Date.now() + 4 * retentionMs;
    while (Date.now() < until) {
      const blob = makeSerialBlob(prng, serial++);
      acked.set((await client!.post(blob)).cursor, blob);
      await new Promise((r) => setTimeout(r, 5));
    }
    const held = await fetchEverything(client!);
    assert.ok(held.size < acked.size, 'nothing was removed by retention while posting');
    assertNewestKept(held, acked);
    const page = await client!.fetch(0n);
    assert.equal(page.pruned, true);

    // once posting stops, everything expires (waited for, not timed)
    const deadline = Date.now() + 15_000;
    while (server!.stats().blobs > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(server!.stats().blobs, 0, 'blobs past their retention are still stored');
    assert.equal(server!.stats().bytes, 0);

    // a store reopened after its blobs expired is pruned before it serves anything
    const fresh = makeSerialBlob(prng, serial++);
    await client!.post(fresh);
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await server!.stop();
    await new Promise((r) => setTimeout(r, retentionMs + 100));
    const reopened = await startPub({ retentionMs, pruneIntervalMs: 60_000 });
    assert.equal(server!.stats().blobs, 0, 'an expired blob survived reopening the store');
    const [reader] = await connect(reopened);
    const after = await reader!.fetch(0n);
    assert.equal(after.blobs.length, 0);
    assert.equal(after.pruned, true);
  });
});
