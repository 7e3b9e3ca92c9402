/**
 * kill -9 of a member's daemon during a stream of group messages, repeated (SNUG_KILL_ROUNDS,
 * default 20) over the direct transport with two `snug pub --listen` processes: after the last
 * restart, every message message/send acknowledged is on every pub exactly once (the pubs'
 * blobs opened with the group's key) and in the other member's message/list exactly once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { toHex, fromHex } from '../../../protocol/bytes.js';
import { openBlob } from '../../../protocol/blob.js';
import { ready } from '../../../protocol/crypto.js';
import { entryId } from '../../../protocol/entry.js';
import { deriveEpochKeys } from '../../../protocol/group.js';
import { decodeInvite } from '../../../protocol/invite.js';
import { PubClient } from '../../../daemon/pub-links/client.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { callOnce, spawnDaemon, waitUntilServing } from '../../helpers/daemon.js';
import { PEER_PASSPHRASE, peerArgs, startPeer, type Peer } from '../../helpers/contacts.js';
import { fetchEverything, spawnTestPub, type PubChild } from '../../helpers/pub-fixtures.js';
import { groupMessages, waitForGroup } from '../../helpers/group-daemons.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

const KILL_ROUNDS = Number(process.env['SNUG_KILL_ROUNDS'] ?? 20);

describe('kill -9 of a group member while it sends (direct transport, two pubs)', function () {
  this.timeout(600_000);
  let dir: string;
  let args: string[];
  let alice: Peer;
  let bob: Peer;
  let pubs: PubChild[] = [];

  before(async () => {
    await ready();
    dir = await makeTempDir('groups-crash');
    args = peerArgs(join(dir, 'peers'));
    pubs = await Promise.all([spawnTestPub(join(dir, 'pub-a')), spawnTestPub(join(dir, 'pub-b'))]);
    [alice, bob] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args)]);
  });
  after(async () => {
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill(), ...pubs.map((p) => p.kill())]);
    await removeDir(dir);
  });

  it(`delivers every acknowledged message to every pub and member exactly once across ${KILL_ROUNDS} kills`, async () => {
    const { groupId } = await callOnce(alice.daemon, (c) => c.call('group/create', { name: 'crash', pubs: pubs.map((p) => p.address) }));
    const { invite } = await callOnce(alice.daemon, (c) => c.call('group/exportInvite', { groupId }));
    await callOnce(bob.daemon, (c) => c.call('group/join', { invite }));
    await waitForGroup(alice, groupId, (m) => m.some((i) => i.kind === 'joined'));
    const acked: string[] = [];
    let n = 0;
    for (let round = 0; round < KILL_ROUNDS; round++) {
      const killAt = Date.now() + 150 + Math.floor(Math.random() * 500);
      const client = await bob.daemon.connect();
      const sending = (async () => {
        try {
          while (Date.now() < killAt + 1000) {
            const text = `round ${round} message ${n++}`;
            const { id } = await client.call('message/send', { groupId, text });
            acked.push(id);
            await sleep(5);
          }
        } catch {
          // the daemon died under the call: that message was not acknowledged
        }
      })();
      await sleep(Math.max(0, killAt - Date.now()));
      await bob.daemon.kill();
      await sending;
      await client.close().catch(() => undefined);
      bob.daemon = spawnDaemon(bob.home, args);
      await waitUntilServing(bob.daemon);
      await callOnce(bob.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
    }
    assert.ok(acked.length >= KILL_ROUNDS, `only ${acked.length} messages acknowledged`);
    // at alice: each acknowledged message exactly once
    await waitForGroup(alice, groupId, (m) => acked.every((id) => m.some((i) => i.id === id)), 120_000);
    const ids = (await groupMessages(alice, groupId)).map((i) => i.id);
    for (const id of acked) assert.equal(ids.filter((x) => x === id).length, 1, id);
    // at bob, after the last restart: delivered to both pubs
    await waitForGroup(bob, groupId, (m) => acked.every((id) => m.find((i) => i.id === id)?.status === 'delivered'), 120_000);
    // on each pub: each acknowledged entry in exactly one blob
    const inv = decodeInvite(invite, { development: true });
    const keys = deriveEpochKeys(inv.current.secret, fromHex(groupId), inv.current.epoch);
    for (const pub of pubs) {
      const client = await PubClient.connect(new DirectDialer(), pub.address);
      try {
        const counts = new Map<string, number>();
        for (const blob of (await fetchEverything(client)).values()) {
          const entry = openBlob(keys, blob);
          if (entry === null) continue;
          const id = toHex(entryId(entry));
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        for (const id of acked) assert.equal(counts.get(id), 1, `${id} on ${pub.address}`);
      } finally {
        await client.close();
      }
    }
  });
});
