/**
 * `snug pub` when a write to its store fails (here: a file size limit, which fails a write with
 * EFBIG as a full disk fails it with ENOSPC): it answers INTERNAL, logs `store-failed` once,
 * stops and exits 1 naming ERR_PUB_STORE_FAILED, and every blob it acknowledged is there when
 * it is started again.
 */
import assert from 'node:assert/strict';
import { PubClient } from '../../../daemon/pub-links/client.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { ready } from '../../../protocol/crypto.js';
import { Prng, bytesEqual, makeSerialBlob, makeTempDir, removeDir, spawnPub, type PubChild } from '../../helpers/pub-fixtures.js';

const FAST = ['--pow-difficulty', '0', '--posts-per-second', '1000000', '--post-burst', '1000000', '--stats-interval', '0'];

describe('snug pub with a failing store', function () {
  this.timeout(60_000);
  let home: string | undefined;
  const children: PubChild[] = [];
  const clients: PubClient[] = [];

  before(async () => {
    await ready();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => {});
    for (const p of children.splice(0)) await p.kill();
    await removeDir(home);
    home = undefined;
  });

  it('stops and exits 1 with ERR_PUB_STORE_FAILED after a failed write, and keeps every blob it acknowledged', async () => {
    home = await makeTempDir('snug-pub-store-failure-');
    const pub = await spawnPub({ home, args: FAST, fileSizeLimitKiB: 3072 });
    children.push(pub);
    // 'close', not 'exit': only then has the last stderr line been read.
    const exited = new Promise<number | null>((resolve) => pub.child.once('close', (code) => resolve(code)));
    const client = await PubClient.connect(new DirectDialer(), pub.address);
    clients.push(client);
    const prng = new Prng(7);
    const acked = new Map<bigint, Uint8Array>();
    const refused = new Map<string, number>();
    // 16 MB of posts, far past the 3 MiB limit; the loop ends when the pub closes.
    for (let i = 0; i < 8_000 && client.open; i++) {
      const blob = makeSerialBlob(prng, i);
      try {
        const { cursor } = await client.post(blob);
        acked.set(cursor, blob);
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'none';
        refused.set(code, (refused.get(code) ?? 0) + 1);
      }
    }
    assert.equal(client.open, false, 'the pub closed the connection');
    assert.equal(refused.get('ERR_PUB_INTERNAL'), 1, `one post answered INTERNAL: ${JSON.stringify([...refused])}`);
    assert.equal(await exited, 1);
    const events = pub
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event?: string; code?: string });
    assert.equal(events.filter((e) => e.event === 'store-failed').length, 1);
    assert.equal(events.filter((e) => e.event === 'store-error').length, 0);
    assert.match(pub.stderr(), /\(ERR_PUB_STORE_FAILED\)\s*$/);
    assert.ok(acked.size > 100, `only ${acked.size} posts were acknowledged before the failure`);

    const again = await spawnPub({ home, args: FAST });
    children.push(again);
    const reader = await PubClient.connect(new DirectDialer(), again.address);
    clients.push(reader);
    const found = new Map<bigint, Uint8Array>();
    await reader.fetchEach(0n, (blobs) => {
      for (const b of blobs) found.set(b.cursor, b.blob.slice());
    }, { limit: 65_535 });
    for (const [cursor, blob] of acked) assert.ok(bytesEqual(found.get(cursor) ?? new Uint8Array(0), blob), `acknowledged blob ${cursor} is there`);
    // and it takes posts again
    const next = await reader.post(makeSerialBlob(prng, 1_000_000));
    assert.equal(next.duplicate, false);
  });
});
