/**
 * GroupPubs over the private Tor network: a pub (daemon/pub/server.ts) behind an onion service,
 * one member posting for two groups and another member subscribed, each through its own tor
 * client, via NetworkService's pub dialer logic (PubDialer over the real TorDialer).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PubDialer } from '../../../daemon/group-pubs/dialer.js';
import { GroupPubs, type GroupPubsInit } from '../../../daemon/group-pubs/group-pubs.js';
import type { PubServer } from '../../../daemon/pub/server.js';
import type { RecordStore } from '../../../daemon/store/store.js';
import type { TorService } from '../../../daemon/tor/service.js';
import { torDialer } from '../../../daemon/transport/tor.js';
import { BLOB_SIZE_STANDARD } from '../../../protocol/constants.js';
import { ready } from '../../../protocol/crypto.js';
import { PubFrameType } from '../../../protocol/pub-wire.js';
import { RecordingDialer, RecordingSink, openRecordStore, startLoopbackPub, waitUntil } from '../../helpers/group-pubs.js';
import { Prng, TEST_PUB_LIMITS, makeSerialBlob, makeTempDir, removeDir } from '../../helpers/pub-fixtures.js';
import { startTestTor } from '../../helpers/testnet.js';

const INIT: GroupPubsInit = { backoffBaseMs: 500, backoffMaxMs: 2_000, connectTimeoutMs: 30_000 };

/** SOCKS password of each circuit, from `GETINFO circuit-status`. */
async function circuitPasswords(tor: TorService): Promise<Map<string, string>> {
  const text = (await tor.getInfo(['circuit-status'])).get('circuit-status') ?? '';
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+) .*SOCKS_PASSWORD="([^"]*)"/.exec(line);
    if (m) map.set(m[1]!, m[2]!);
  }
  return map;
}

/** Circuits of the SUCCEEDED streams to `target`, from `GETINFO stream-status`. */
async function streamCircuits(tor: TorService, target: string): Promise<string[]> {
  const text = (await tor.getInfo(['stream-status'])).get('stream-status') ?? '';
  return text
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[1] === 'SUCCEEDED' && f[3] === target)
    .map((f) => f[2]!);
}

describe('daemon/group-pubs over Tor', function () {
  this.timeout(120_000);
  let dir: string;
  let pubTor: TorService | undefined;
  let postTor: TorService | undefined;
  let readTor: TorService | undefined;
  let server: PubServer | undefined;
  let poster: GroupPubs | undefined;
  let reader: GroupPubs | undefined;
  const stores: RecordStore[] = [];

  before(async function () {
    this.timeout(180_000);
    await ready();
    dir = await makeTempDir('group-pubs-tor');
    [pubTor, postTor, readTor] = await Promise.all([startTestTor('gp-pub'), startTestTor('gp-poster'), startTestTor('gp-reader')]);
  });

  after(async () => {
    await Promise.allSettled([poster?.stop(), reader?.stop()]);
    await server?.stop().catch(() => {});
    await Promise.allSettled(stores.map((s) => s.close()));
    await Promise.allSettled([pubTor?.stop(), postTor?.stop(), readTor?.stop()]);
    await removeDir(dir);
  });

  it('posts for two groups through an onion pub on separate circuits, and another member receives them live', async () => {
    const pub = await startLoopbackPub(join(dir, 'pub'), { ...TEST_PUB_LIMITS, maxBlobBytes: BLOB_SIZE_STANDARD });
    server = pub.server;
    const onion = await pubTor!.publishOnion({ identitySeed: new Uint8Array(32).fill(0x6b), localPort: pub.port });
    await onion.uploaded({ signal: AbortSignal.timeout(30_000) });
    const address = onion.address;

    const readSink = new RecordingSink();
    const readStore = (await openRecordStore(join(dir, 'reader'))).store;
    stores.push(readStore);
    reader = new GroupPubs({ dialer: new PubDialer({ tor: torDialer(readTor!), development: false }), log: () => {}, sink: readSink, store: readStore }, INIT);
    reader.setSubscriptions([address]);
    await reader.start();
    await waitUntil(() => reader!.status()[0]?.state === 'live', 60_000, 'the reader live through the onion pub');

    const postStore = (await openRecordStore(join(dir, 'poster'))).store;
    stores.push(postStore);
    const recording = new RecordingDialer(new PubDialer({ tor: torDialer(postTor!), development: false }));
    poster = new GroupPubs({ dialer: recording, log: () => {}, sink: new RecordingSink(), store: postStore }, INIT);
    const prng = new Prng(0x70e);
    const blobs = [1, 2, 3].map((i) => makeSerialBlob(prng, i, BLOB_SIZE_STANDARD));
    const acks = await Promise.all([poster.post('g1', address, blobs[0]!), poster.post('g2', address, blobs[1]!)]);
    acks.push(await poster.post('g1', address, blobs[2]!));
    assert.ok(acks.every((a) => !a.duplicate && a.cursor >= 1n));

    await readSink.until(() => readSink.blobs.length === 3, 30_000, 'three blobs through the onion pub');
    for (const b of blobs) assert.ok(readSink.has(address, b));
    assert.deepEqual(reader.status(), [{ address, state: 'live', lastError: null }]);

    // the poster's two groups went over two connections, on two circuits, by isolation key
    const posting = recording.sending(address, PubFrameType.POST);
    assert.equal(posting.length, 2);
    assert.notEqual(posting[0]!.isolationKey, posting[1]!.isolationKey);
    const passwords = await circuitPasswords(postTor!);
    const circuits = await streamCircuits(postTor!, `${address}:80`);
    const keys = new Set(circuits.map((c) => passwords.get(c)));
    for (const d of posting) assert.ok(keys.has(d.isolationKey), 'a circuit for each posting connection');
    assert.equal(new Set(circuits).size, circuits.length, 'no two posting streams share a circuit');
  });
});
