/**
 * kill -9 of the sending daemon during a stream of 1:1 messages, over the private Tor network
 * (test/helpers/testnet.ts): two `snug daemon` processes, each with its own tor and onion
 * service, linked as contacts; the sender is killed while sending, restarted and unlocked, 3
 * rounds (SNUG_TOR_KILL_ROUNDS); every message that message/send acknowledged is then delivered
 * exactly once. The same over the direct transport, 20 rounds, is in messages.test.ts.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { callOnce, published, startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { PEER_PASSPHRASE, startPeer, waitForContact, type Peer } from '../../helpers/contacts.js';
import { sharedTestNetwork } from '../../helpers/testnet.js';

/** Rounds of kill -9 over Tor (the issue asks for at least 3). */
const KILL_ROUNDS = Number(process.env['SNUG_TOR_KILL_ROUNDS'] ?? 3);
/** The most messages a round sends, so that every round fits in one message/list (at most 500). */
const PER_ROUND_MAX = 120;

async function messages(p: Peer, address: string) {
  return callOnce(p.daemon, async (c) => (await c.call('message/list', { address, limit: 500 })).messages);
}

async function waitForMessages(p: Peer, address: string, ok: (m: Awaited<ReturnType<typeof messages>>) => boolean, withinMs: number) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const m = await messages(p, address);
    if (ok(m)) return m;
    if (Date.now() > deadline) throw new Error(`message/list of ${p.name} never matched: ${JSON.stringify(m.map((x) => [x.text, x.status]))}`);
    await sleep(200);
  }
}

describe('1:1 messages over a private Tor network with kill -9 of the sender', function () {
  this.timeout(420_000);
  let dir: string;
  let alice: Peer | undefined;
  let bob: Peer | undefined;
  let args: string[];

  before(async function () {
    this.timeout(300_000);
    dir = await makeTempDir('messages-tor');
    const torrc = await (await sharedTestNetwork()).clientTorrcFile();
    args = ['--dev', '--dev-kdf', 'fast', '--tor-config', torrc];
    [alice, bob] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args)]);
    await Promise.all([published(alice.daemon, 120_000), published(bob.daemon, 120_000)]);
    await callOnce(alice.daemon, (c) => c.call('contact/add', { address: bob!.address }));
    await waitForContact(bob, alice.address, (c) => c?.state === 'incoming', 120_000);
    await callOnce(bob.daemon, (c) => c.call('contact/accept', { address: alice!.address }));
    await waitForContact(alice, bob.address, (c) => c?.state === 'accepted' && c.online, 120_000);
  });

  after(async () => {
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill()]);
    await removeDir(dir);
  });

  it(`delivers exactly once every message message/send acknowledged, with kill -9 of the sender during a stream (${KILL_ROUNDS} rounds over Tor)`, async function () {
    const a = alice!;
    const b = bob!;
    const acknowledged: string[] = [];
    const relinkMs: number[] = [];
    for (let round = 0; round < KILL_ROUNDS; round++) {
      const client = await a.daemon.connect();
      let stop = false;
      const stream = (async () => {
        for (let i = 0; !stop && i < PER_ROUND_MAX; i++) {
          try {
            acknowledged.push((await client.call('message/send', { address: b.address, text: `tor round ${round} #${i}` })).id);
          } catch {
            return; // the daemon died under the call: not acknowledged
          }
          await sleep(5);
        }
      })();
      // long enough for some of the stream to be on its way over the link when the kill comes
      await sleep(300 + Math.floor(Math.random() * 700));
      await a.daemon.kill();
      stop = true;
      await stream;
      await client.close();
      const t0 = Date.now();
      a.daemon = await startDaemon(a.home, args);
      await callOnce(a.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
      // the next round kills a sender whose link is up again, so messages are in flight
      await waitForContact(a, b.address, (c) => c?.online === true, 180_000);
      relinkMs.push(Date.now() - t0);
    }
    const got = await waitForMessages(b, a.address, (m) => acknowledged.every((id) => m.some((x) => x.id === id)), 120_000);
    await sleep(2_000);
    const again = await messages(b, a.address);
    assert.equal(again.length, got.length, 'nothing arrives twice later');
    assert.equal(new Set(again.map((m) => m.id)).size, again.length, 'no message shows twice');
    await waitForMessages(a, b.address, (m) => acknowledged.every((id) => m.some((x) => x.id === id && x.status === 'delivered')), 60_000);
    this.test!.title += ` [${acknowledged.length} acknowledged messages; relinked over Tor ${relinkMs.join(', ')} ms after each restart]`;
  });
});
