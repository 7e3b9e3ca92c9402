/**
 * An own entry queued under an epoch that closes before any pub accepted it is made again under
 * the new epoch when it is first posted: same seq, a new id (message/didChange with newId), and
 * the others receive it once, under the new epoch. Real stores, a real pub, the real GroupPubs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ready } from '../../../protocol/crypto.js';
import { createKeyPackage, encodeKeyPackage } from '../../../protocol/key-package.js';
import { generateEpochSecret } from '../../../protocol/group.js';
import { fromHex } from '../../../protocol/bytes.js';
import { PubClient } from '../../../daemon/pub-links/client.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import type { PubServer } from '../../../daemon/pub/server.js';
import { startLoopbackPub, waitUntil } from '../../helpers/group-pubs.js';
import { makeMember, offline, reopen, waitForTexts, type TestMember } from '../../helpers/groups.js';
import { fetchEverything } from '../../helpers/pub-fixtures.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

describe('GroupsService re-key and the outbox', function () {
  this.timeout(60_000);
  let dir: string;
  let pub: { server: PubServer; address: string };
  const members: TestMember[] = [];

  before(async () => {
    await ready();
    dir = await makeTempDir('groups-rekey');
    pub = await startLoopbackPub(join(dir, 'pub'), { powDifficulty: 4, statsIntervalMs: 0 });
  });
  after(async () => {
    for (const m of members) await offline(m).catch(() => undefined);
    await pub.server.stop().catch(() => undefined);
    await removeDir(dir);
  });

  it('re-makes an unposted entry of a closed epoch under the new one, and the others get it once', async () => {
    const alice = await makeMember(dir, 'alice');
    const bob = await makeMember(dir, 'bob');
    members.push(alice, bob);
    const groupId = await alice.groups.create('rekey', [pub.address]);
    await bob.groups.join(await alice.groups.exportInvite(groupId, true));
    await waitUntil(() => alice.groups.members(groupId).length === 2, 20_000, 'the join at alice');
    // bob writes while his pub links are down: the entry waits in his outbox, under epoch 0
    await offline(bob);
    await reopen(bob, false);
    const queued = await bob.groups.send(groupId, 'queued under epoch 0');
    // alice re-keys (removing nobody): epoch 1
    const roster = alice.groups.roster(groupId);
    const pkg = createKeyPackage(
      {
        groupId: fromHex(groupId),
        epoch: 1,
        previous: roster.epoch,
        members: roster.members.map((m) => ({ identityKey: m.identityKey, dhKey: m.certificate.dhKey, role: m.role })),
        secret: generateEpochSecret(),
      },
      alice.keys.signing,
    );
    await alice.groups.author(groupId, { kind: 'remove', removed: [], keyPackage: encodeKeyPackage(pkg) });
    assert.equal(alice.groups.roster(groupId).epoch.number, 1);
    await waitUntil(() => pub.server.stats().blobs >= 4, 20_000, 'the re-key on the pub');
    // bob reads the pub before his outbox flushes: he learns of epoch 1 and its secret
    const client = await PubClient.connect(new DirectDialer(), pub.address);
    try {
      for (const blob of (await fetchEverything(client)).values()) await bob.groups.ingest(null, blob, { kind: 'pub', pub: pub.address });
    } finally {
      await client.close();
    }
    assert.equal(bob.groups.roster(groupId).epoch.number, 1);
    await offline(bob);
    await reopen(bob, true);
    await waitUntil(() => bob.notes.some((n) => n.method === 'message/didChange' && (n.params as { id: string; newId?: string }).id === queued && (n.params as { newId?: string }).newId !== undefined), 20_000, 're-made');
    const change = bob.notes.find((n) => n.method === 'message/didChange' && (n.params as { newId?: string }).newId !== undefined)!.params as { newId: string };
    await waitForTexts(alice, groupId, 1);
    const atAlice = (await alice.groups.listMessages(groupId, { limit: 50 })).filter((i) => i.kind === 'message');
    assert.deepEqual(atAlice.map((i) => [i.id, i.text]), [[change.newId, 'queued under epoch 0']]);
    const atBob = (await bob.groups.listMessages(groupId, { limit: 50 })).filter((i) => i.kind === 'message');
    assert.deepEqual(atBob.map((i) => i.id), [change.newId]);
    await waitUntil(() => bob.notes.some((n) => n.method === 'message/didChange' && (n.params as { id: string; status: string }).id === change.newId && (n.params as { status: string }).status === 'delivered'), 20_000, 'delivered');
  });
});
