/**
 * Crash safety of the pub's store: a pub child process is killed with SIGKILL in the middle of a
 * stream of posts, again and again. Every post the pub acknowledged must be there, byte for byte
 * under the same cursor, after each restart, and the store must open cleanly every time.
 */
import assert from 'node:assert/strict';
import { PubClient } from '../../../../daemon/pub/client.js';
import { DirectDialer } from '../../../../daemon/transport/direct.js';
import { ready } from '../../../../protocol/crypto.js';
import {
  Prng, bytesEqual, fetchEverything, makeSerialBlob, makeTempDir, removeDir, spawnTestPub, type PubChild,
} from '../../../helpers/pub-fixtures.js';

const ROUNDS = 20;
const POSTERS = 4;

describe('pub store under kill -9', function () {
  this.timeout(120_000);

  let home: string | undefined;
  let pub: PubChild | undefined;
  const clients: PubClient[] = [];

  before(async () => {
    await ready(); // PubClient hashes blobs with libsodium
  });

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await pub?.kill();
    pub = undefined;
    await removeDir(home);
    home = undefined;
  });

  async function verify(address: string, acked: ReadonlyMap<bigint, Uint8Array>, round: number): Promise<void> {
    const reader = await PubClient.connect(new DirectDialer(), address);
    clients.push(reader);
    const stored = await fetchEverything(reader);
    assert.ok(!pub?.stderr().includes('store-error'), `round ${round}: the pub reported a store error: ${pub?.stderr()}`);
    for (const [cursor, bytes] of acked) {
      const got = stored.get(cursor);
      assert.ok(got, `round ${round}: acknowledged cursor ${cursor} is missing after restart`);
      assert.ok(bytesEqual(got, bytes), `round ${round}: cursor ${cursor} holds other bytes after restart`);
    }
  }

  it(`keeps every acknowledged blob across ${ROUNDS} kills during a stream of posts`, async () => {
    home = await makeTempDir('pub-crash');
    const prng = new Prng(0xc4a54);
    const acked = new Map<bigint, Uint8Array>();
    let serial = 0;
    for (let round = 0; round < ROUNDS; round++) {
      pub = await spawnTestPub(home);
      await verify(pub.address, acked, round);

      const posters = await Promise.all(Array.from({ length: POSTERS }, () => PubClient.connect(new DirectDialer(), pub!.address)));
      clients.push(...posters);
      let stop = false;
      let ackedThisRound = 0;
      const failures: unknown[] = [];
      const streams = posters.map(async (client) => {
        while (!stop) {
          const blob = makeSerialBlob(prng, serial++);
          let cursor: bigint;
          try {
            ({ cursor } = await client.post(blob));
          } catch (err) {
            if (!stop) failures.push(err); // before the kill, a post must not fail
            return; // after it, the pub died under us: this post was never acknowledged
          }
          assert.ok(!acked.has(cursor), `cursor ${cursor} was handed out twice`);
          acked.set(cursor, blob);
          ackedThisRound += 1;
        }
      });
      // let some posts land, then kill at a point that varies from round to round
      while (ackedThisRound < 5 && failures.length === 0) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(failures, [], `round ${round}: a post failed before the pub was killed`);
      await new Promise((r) => setTimeout(r, prng.int(150)));
      stop = true;
      await pub.kill();
      await Promise.all(streams);
      await Promise.allSettled(clients.splice(0).map((c) => c.close()));
      pub = undefined;
    }
    assert.ok(acked.size >= ROUNDS * 5, `only ${acked.size} posts were acknowledged`);

    pub = await spawnTestPub(home);
    await verify(pub.address, acked, ROUNDS);
    // the restarted pub still takes posts after all the crashes
    const writer = await PubClient.connect(new DirectDialer(), pub.address);
    clients.push(writer);
    const last = makeSerialBlob(prng, serial++);
    const { cursor, duplicate } = await writer.post(last);
    assert.equal(duplicate, false);
    assert.ok(![...acked.keys()].some((c) => c >= cursor), 'a new post got a cursor at or before an old one');
    // and still knows every acknowledged blob: posted again, each is a duplicate at its cursor
    // (the dedupe index and hash filter lag the log after a kill and are caught up on open)
    const sample = [...acked].filter((_, i) => i % 5 === 0 || i >= acked.size - 10);
    for (const [ackedCursor, blob] of sample) {
      assert.deepEqual(await writer.post(blob), { cursor: ackedCursor, duplicate: true }, `cursor ${ackedCursor} posted again`);
    }
    assert.equal(await pub.stop(), 0, `the pub did not exit cleanly; stderr: ${pub.stderr()}`);
    pub = undefined;
  });
});
