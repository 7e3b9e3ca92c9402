/**
 * End to end: the real `snug tui` (bin/snug.js) in a tmux terminal against real daemons, keys
 * typed with send-keys, the screen read with capture-pane. First on the direct development
 * transport, then on the private Tor network (onion services, tor in every daemon).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { peerArgs, startPeer, waitForContact, type Peer } from '../../helpers/contacts.js';
import { SNUG_BIN, callOnce } from '../../helpers/daemon.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { sharedTestNetwork } from '../../helpers/testnet.js';
import { startTmux, tmuxAvailable, type Tmux } from '../../helpers/tmux.js';

async function befriend(a: Peer, b: Peer, bName: string, withinMs = 20_000): Promise<void> {
  await callOnce(a.daemon, (c) => c.call('contact/add', { address: b.address, name: bName }));
  await waitForContact(b, a.address, (row) => row?.state === 'incoming', withinMs);
  await callOnce(b.daemon, (c) => c.call('contact/accept', { address: a.address }));
  await waitForContact(a, b.address, (row) => row?.state === 'accepted' && row.online, withinMs);
}

async function waitForMessage(p: Peer, from: string, text: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const list = await callOnce(p.daemon, (c) => c.call('message/list', { address: from }));
    if (list.messages.some((m) => m.text === text)) return;
    if (Date.now() > deadline) throw new Error(`${p.name} never got "${text}"`);
    await sleep(100);
  }
}

/** Types a message into the UI, sends it, checks the other side has it and that its answer shows live. */
async function chatRoundTrip(tty: Tmux, me: Peer, other: Peer, withinMs: number): Promise<void> {
  await tty.waitFor((s) => s.includes('write to'), 'the chat with the input focused', withinMs);
  await tty.type('hello over the terminal');
  await tty.keys('Enter');
  await waitForMessage(other, me.address, 'hello over the terminal', withinMs);
  await tty.waitFor((s) => /hello over the terminal\s+delivered/.test(s), 'the message marked delivered', withinMs);
  await callOnce(other.daemon, (c) => c.call('message/send', { address: me.address, text: 'an answer, live' }));
  await tty.waitFor((s) => s.includes('an answer, live'), 'the answer', withinMs);
}

describe('snug tui in tmux', function () {
  this.timeout(240_000);
  let dir: string;
  const stops: Array<() => Promise<void>> = [];

  before(async function () {
    if (!(await tmuxAvailable())) throw new Error('tmux is not installed (apt-get install tmux): the terminal tests need it');
    dir = await makeTempDir('tui-tmux');
  });
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });
  after(async () => {
    await removeDir(dir);
  });

  it('on the direct transport: what is typed reaches the contact, whose answer appears live; /quit leaves the daemon running', async () => {
    const args = peerArgs(join(dir, 'peers'));
    const alice = await startPeer(dir, 'alice', args);
    const bob = await startPeer(dir, 'bob', args);
    stops.push(() => alice.daemon.kill(), () => bob.daemon.kill());
    await befriend(alice, bob, 'bob');
    const tty = await startTmux(`node ${SNUG_BIN} tui --home ${alice.home}`);
    stops.push(() => tty.kill());
    await tty.waitFor((s) => s.includes('bob') && s.includes('direct'), 'the sidebar and the status bar');
    await chatRoundTrip(tty, alice, bob, 60_000);
    await tty.type('/quit');
    await tty.keys('Enter');
    await tty.waitFor(() => true, 'anything');
    const deadline = Date.now() + 10_000;
    while ((await tty.exitStatus()) === null) {
      if (Date.now() > deadline) throw new Error('the UI did not exit on /quit');
      await sleep(100);
    }
    assert.equal(await tty.exitStatus(), 0);
    const status = await callOnce(alice.daemon, (c) => c.call('daemon/status'));
    assert.equal(status.profile?.locked, false, 'the daemon runs on, unlocked');
  });

  it('starts the daemon in the background when none runs, makes the profile, and the daemon outlives the UI', async () => {
    const home = join(dir, 'fresh');
    const tty = await startTmux(`node ${SNUG_BIN} tui --home ${home} --dev --transport direct --dev-kdf fast`);
    stops.push(() => tty.kill());
    await tty.waitFor((s) => s.includes('No profile in this home yet'), 'the create screen', 20_000);
    await tty.type('zed');
    await tty.keys('Enter');
    await tty.type('a passphrase');
    await tty.keys('Enter');
    assert.ok(!(await tty.capture()).includes('a passphrase'), 'the passphrase is not echoed');
    await tty.type('a passphrase');
    await tty.keys('Enter');
    await tty.waitFor((s) => s.includes('No conversations yet') && s.includes('zed'), 'the chat');
    await tty.keys('C-c');
    const deadline = Date.now() + 10_000;
    while ((await tty.exitStatus()) === null) {
      if (Date.now() > deadline) throw new Error('the UI did not exit on Ctrl+C');
      await sleep(100);
    }
    const { spawnDaemon } = await import('../../helpers/daemon.js');
    // the daemon the UI started answers on the home's socket
    const probe = spawnDaemon(home);
    const refused = await probe.exited;
    assert.equal(refused.code, 1, 'a second daemon for the home is refused: one runs');
    const { ApiClient } = await import('../../../daemon/api/client.js');
    const c = await ApiClient.connect(join(home, 'snug.sock'));
    try {
      assert.equal((await c.call('daemon/status')).profile?.name, 'zed');
      await c.call('daemon/shutdown');
    } finally {
      await c.close();
    }
  });

  it('over onion services on the private Tor network: a typed message reaches the contact and the answer appears live', async function () {
    this.timeout(300_000);
    const network = await sharedTestNetwork();
    const torArgs = ['--tor-config', await network.clientTorrcFile(), '--dev', '--dev-kdf', 'fast'];
    const [alice, bob] = await Promise.all([startPeer(dir, 'tor-alice', torArgs), startPeer(dir, 'tor-bob', torArgs)]);
    stops.push(() => alice.daemon.kill(), () => bob.daemon.kill());
    await befriend(alice, bob, 'bob', 180_000);
    const tty = await startTmux(`node ${SNUG_BIN} tui --home ${alice.home}`);
    stops.push(() => tty.kill());
    await tty.waitFor((s) => s.includes('tor ready'), 'tor ready in the status bar', 60_000);
    await chatRoundTrip(tty, alice, bob, 90_000);
  });
});
