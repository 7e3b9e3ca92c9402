/**
 * The whole UI rendered with ink-testing-library against real `snug daemon` processes (direct
 * transport, development KDF): keys written to stdin, frames read back. Alice's UI talks to
 * her daemon only through the local API; bob (and carol) are driven through theirs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { render } from 'ink-testing-library';
import { App } from '../../../tui/app/app.js';
import { DaemonLink } from '../../../tui/link/daemon-link.js';
import { PEER_PASSPHRASE, peerArgs, startPeer, waitForContact, type Peer } from '../../helpers/contacts.js';
import { callOnce, startDaemon } from '../../helpers/daemon.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { unreachableNetworkTorrc } from '../../helpers/testnet.js';

const KEY = {
  enter: '\r',
  tab: '\t',
  esc: '\u001b',
  pageUp: '\u001b[5~',
  pageDown: '\u001b[6~',
  ctrlDown: '\u001b[1;5B',
  ctrlUp: '\u001b[1;5A',
  ctrlK: '\u000b',
  alt: (c: string) => `\u001b${c}`,
  backspace: '\u007f',
};

type Rendered = ReturnType<typeof render>;

async function waitForFrame(r: Rendered, ok: (frame: string) => boolean, what: string, withinMs = 45_000): Promise<string> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const frame = r.lastFrame() ?? '';
    if (ok(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`the frame never showed ${what}:\n${frame}`);
    await sleep(20);
  }
}

/** Writes keys one read at a time, as a terminal sends them, letting Ink render between. */
async function press(r: Rendered, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    r.stdin.write(k);
    await sleep(15);
  }
}

async function befriend(a: Peer, b: Peer, bName: string): Promise<void> {
  await callOnce(a.daemon, (c) => c.call('contact/add', { address: b.address, name: bName }));
  await waitForContact(b, a.address, (row) => row?.state === 'incoming');
  await callOnce(b.daemon, (c) => c.call('contact/accept', { address: a.address }));
  await waitForContact(a, b.address, (row) => row?.state === 'accepted' && row.online);
}

function open(home: string, socketPath: string, rows = 20): { r: Rendered; link: DaemonLink } {
  const link = new DaemonLink({ socketPath });
  const r = render(<App link={link} home={home} size={{ rows, columns: 100 }} />);
  return { r, link };
}

describe('tui app (ink-testing-library, real daemons)', function () {
  this.timeout(180_000);
  let dir: string;
  let alice: Peer;
  let bob: Peer;
  let carol: Peer;
  const cleanups: Array<() => Promise<void>> = [];

  before(async () => {
    dir = await makeTempDir('tui-app');
    const args = peerArgs(join(dir, 'peers'));
    [alice, bob, carol] = await Promise.all([startPeer(dir, 'alice', args), startPeer(dir, 'bob', args), startPeer(dir, 'carol', args)]);
    await befriend(alice, bob, 'bob');
    await befriend(alice, carol, 'carol');
    // bob wrote last: his is the most recently active conversation
    await callOnce(carol.daemon, (c) => c.call('message/send', { address: alice.address, text: 'from carol, earlier' }));
    await sleep(20);
    await callOnce(bob.daemon, (c) => c.call('message/send', { address: alice.address, text: 'from bob, later' }));
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  after(async () => {
    await Promise.all([alice, bob, carol].filter(Boolean).map((p) => p.daemon.kill()));
    await removeDir(dir);
  });

  function openAlice(rows?: number) {
    const o = open(alice.home, alice.daemon.socketPath, rows);
    cleanups.push(async () => {
      o.r.unmount();
      await o.link.stop();
    });
    return o;
  }

  it('opens on the most recently active conversation, sends what is typed there, and shows the answer live', async () => {
    await waitForContact(alice, bob.address, (row) => (row?.unread ?? 0) > 0);
    const { r } = openAlice();
    await waitForFrame(r, (f) => f.includes('from bob, later'), "bob's message");
    await press(r, ...'hello bob'.split(''), KEY.enter);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const list = await callOnce(bob.daemon, (c) => c.call('message/list', { address: alice.address }));
      if (list.messages.some((m) => m.text === 'hello bob')) break;
      if (Date.now() > deadline) throw new Error('bob never got the message');
      await sleep(50);
    }
    await waitForFrame(r, (f) => /hello bob.*delivered/.test(f), 'the message marked delivered');
    await callOnce(bob.daemon, (c) => c.call('message/send', { address: alice.address, text: 'hi alice, bob here' }));
    await waitForFrame(r, (f) => f.includes('hi alice, bob here'), "bob's answer");
    // what is on screen is read: the daemon's unread count goes to 0
    await waitForContact(alice, bob.address, (row) => row?.unread === 0);
  });

  it('switches conversations with Alt+number, Ctrl+Down and the Ctrl+K switcher', async () => {
    const { r } = openAlice();
    await waitForFrame(r, (f) => f.includes('from bob, later'), "bob's conversation");
    const rowOf = (f: string, name: string) => f.split('\n').findIndex((l) => l.includes(` ${name}`) && l.includes('│'));
    assert.ok(rowOf(r.lastFrame()!, 'bob') >= 0);
    await press(r, KEY.alt('2'));
    await waitForFrame(r, (f) => f.includes('from carol, earlier'), "carol's conversation after Alt+2");
    await press(r, KEY.ctrlDown);
    await waitForFrame(r, (f) => f.includes('from bob, later'), "bob's conversation after Ctrl+Down (wrapping round)");
    await press(r, KEY.ctrlK);
    await waitForFrame(r, (f) => f.includes('go to:'), 'the switcher');
    await press(r, 'c', 'r', 'l');
    await waitForFrame(r, (f) => f.includes('go to: crl') && !/go to[\s\S]*\bbob\b/.test(f.split('Esc to close')[0]!.split('go to:')[1] ?? ''), 'only carol matching');
    await press(r, KEY.enter);
    await waitForFrame(r, (f) => f.includes('from carol, earlier') && !f.includes('go to:'), "carol's conversation from the switcher");
  });

  it('scrolls with PgUp and PgDn, paging older messages in from the daemon a page at a time', async () => {
    const dave = await startPeer(dir, 'dave', peerArgs(join(dir, 'peers')));
    cleanups.push(() => dave.daemon.kill());
    await befriend(alice, dave, 'dave');
    const N = 260;
    await callOnce(dave.daemon, async (c) => {
      for (let i = 0; i < N; i++) await c.call('message/send', { address: alice.address, text: `dave ${String(i).padStart(3, '0')}` });
    });
    const deadline = Date.now() + 30_000;
    while ((await callOnce(alice.daemon, (c) => c.call('message/list', { address: dave.address, limit: 500 }))).messages.length < N) {
      if (Date.now() > deadline) throw new Error('the messages never all arrived');
      await sleep(100);
    }
    const { r } = openAlice();
    await waitForFrame(r, (f) => f.includes('dave 259'), "dave's newest message (his is the most recent conversation)");
    assert.ok(!r.lastFrame()!.includes('dave 100'), 'only the newest lines are on screen');
    let sawLoading = false;
    for (let n = 0; n < 80 && !(r.lastFrame() ?? '').includes('dave 000'); n++) {
      await press(r, KEY.pageUp);
      await sleep(30);
      if (r.frames.some((f) => f.includes('loading older messages'))) sawLoading = true;
    }
    await waitForFrame(r, (f) => f.includes('dave 000'), 'the first message after paging up');
    assert.ok(sawLoading, 'older pages were fetched as the view reached the top');
    await waitForFrame(r, (f) => f.includes('the start of the conversation'), 'the start marker');
    assert.ok(r.lastFrame()!.includes('scrolled up'));
    for (let n = 0; n < 80 && !(r.lastFrame() ?? '').includes('dave 259'); n++) await press(r, KEY.pageDown);
    await waitForFrame(r, (f) => f.includes('dave 259') && !f.includes('scrolled up'), 'the bottom again after PgDn');
  });

  it('answers commands in place: /me with a QR code, /help, a bad /add in words, a group command without a group', async () => {
    const { r } = openAlice(40);
    await waitForFrame(r, (f) => f.includes('│'), 'the chat');
    await press(r, ...'/me'.split(''), KEY.enter);
    await waitForFrame(r, (f) => f.includes(alice.address) && f.includes('▀'), 'the address and its QR code');
    await press(r, KEY.esc);
    await waitForFrame(r, (f) => !f.includes('Esc to close'), 'the box closed');
    await press(r, '?');
    await waitForFrame(r, (f) => f.includes('Keys and commands') && f.includes('/invite CONTACT') && f.includes('Ctrl+K'), 'the help');
    await press(r, KEY.esc);
    await press(r, ...'/add notanaddress'.split(''), KEY.enter);
    await waitForFrame(r, (f) => f.includes('ERR_BAD_ADDRESS'), "the daemon's refusal in words");
    assert.ok(r.lastFrame()!.includes('/add notanaddress'), 'the refused command stays on the line to correct');
    await press(r, '\u0015'); // Ctrl+U clears the line
    await press(r, ...'/leave'.split(''), KEY.enter);
    await waitForFrame(r, (f) => f.includes('open a group first'), 'the reason /leave cannot run here');
    await press(r, '\u0015', ...'/frob'.split(''), KEY.enter);
    await waitForFrame(r, (f) => f.includes('no command /frob'), 'an unknown command');
  });

  it('completes a command with Tab', async () => {
    const { r } = openAlice();
    await waitForFrame(r, (f) => f.includes('│'), 'the chat');
    await press(r, '/', 'h', 'e', KEY.tab);
    await waitForFrame(r, (f) => f.includes('> /help'), 'the completed command');
  });

  it('keeps the text of a message the daemon refused, and says why', async () => {
    const { r } = openAlice();
    await waitForFrame(r, (f) => f.includes('│'), 'the chat');
    const long = 'x'.repeat(17_000);
    await press(r, long, KEY.enter);
    await waitForFrame(r, (f) => f.includes('not sent: too long'), 'the refusal');
    assert.match(r.lastFrame()!, /> x{20,}/, 'the text is back on the input line');
  });

  it('shows a pending contact request in place and accepts it with /accept', async () => {
    const erin = await startPeer(dir, 'erin', peerArgs(join(dir, 'peers')));
    cleanups.push(() => erin.daemon.kill());
    const { r } = openAlice();
    await waitForFrame(r, (f) => f.includes('│'), 'the chat');
    await callOnce(erin.daemon, (c) => c.call('contact/add', { address: alice.address, name: 'alice', message: 'erin here, hello' }));
    await waitForFrame(r, (f) => f.includes('~erin') && f.includes('request'), 'the request in the sidebar');
    await press(r, KEY.alt('a'));
    await waitForFrame(r, (f) => f.includes('erin here, hello') && f.includes('/accept'), 'the request opened by Alt+A');
    await press(r, ...'/accept'.split(''), KEY.enter);
    await waitForContact(alice, erin.address, (row) => row?.state === 'accepted');
    await waitForContact(erin, alice.address, (row) => row?.state === 'accepted');
    await waitForFrame(r, (f) => f.includes('is a contact now'), 'the acceptance');
  });
});

describe('tui app: the create and unlock screens, and a daemon that restarts', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await makeTempDir('tui-login');
  });
  after(async () => {
    await removeDir(dir);
  });

  it('makes a profile (name, the passphrase twice without echo), then after a restart unlocks it, refusing a wrong passphrase', async () => {
    const home = join(dir, 'fresh');
    let daemon = await startDaemon(home);
    try {
      const { r, link } = open(home, daemon.socketPath);
      try {
        await waitForFrame(r, (f) => f.includes('No profile in this home yet'), 'the create screen');
        await press(r, ...'zoe'.split(''), KEY.enter);
        await waitForFrame(r, (f) => f.includes('Passphrase (not shown)'), 'the passphrase prompt');
        await press(r, ...'hunter22'.split(''));
        assert.ok(!r.frames.some((f) => f.includes('hunter22')), 'the passphrase is never echoed');
        await press(r, KEY.enter, ...'hunter23'.split(''), KEY.enter);
        await waitForFrame(r, (f) => f.includes('the two passphrases differ'), 'the mismatch');
        await press(r, ...'hunter22'.split(''), KEY.enter, ...'hunter22'.split(''), KEY.enter);
        await waitForFrame(r, (f) => f.includes('zoe') && f.includes('No conversations yet'), 'the chat of the new profile');
        const status = await callOnce(daemon, (c) => c.call('daemon/status'));
        assert.equal(status.profile?.name, 'zoe');

        // the daemon restarts: the UI reconnects by itself and asks to unlock
        await callOnce(daemon, (c) => c.call('daemon/shutdown'));
        await daemon.exited;
        await waitForFrame(r, (f) => f.includes('reconnecting'), 'the link down, shown');
        daemon = await startDaemon(home);
        await waitForFrame(r, (f) => f.includes('Unlock your profile'), 'the unlock screen');
        await press(r, ...'wrong'.split(''), KEY.enter);
        await waitForFrame(r, (f) => f.includes('wrong passphrase'), 'the refusal');
        await press(r, ...'hunter22'.split(''), KEY.enter);
        await waitForFrame(r, (f) => f.includes('No conversations yet') && f.includes('zoe'), 'the chat again');
      } finally {
        r.unmount();
        await link.stop();
      }
    } finally {
      await daemon.kill();
    }
  });

  it("shows tor's progress while it connects, and after 60 s without progress that it cannot reach the network", async function () {
    this.timeout(120_000);
    // a tor whose only directory authority is a closed port: it can reach nothing, as without internet
    const torrc = await unreachableNetworkTorrc(dir);
    const home = join(dir, 'offline');
    const daemon = await startDaemon(home, ['--dev', '--dev-kdf', 'fast', '--tor-config', torrc]);
    await callOnce(daemon, (c) => c.call('profile/create', { name: 'off', passphrase: 'offline passphrase' }));
    let offset = 0;
    const link = new DaemonLink({ socketPath: daemon.socketPath });
    const r = render(<App link={link} home={home} size={{ rows: 20, columns: 100 }} now={() => Date.now() + offset} />);
    try {
      await waitForFrame(r, (f) => /connecting to tor: \d+%/.test(f), "tor's progress");
      assert.ok(!r.lastFrame()!.includes('cannot reach the network'));
      // the UI's clock moves on a minute at a time; once tor stops climbing (a few percent, with
      // nothing to reach), a minute passes with no progress
      const deadline = Date.now() + 60_000;
      while (!r.lastFrame()!.includes('tor cannot reach the network')) {
        if (Date.now() > deadline) throw new Error(`the frame never showed the stall message:\n${r.lastFrame()}`);
        offset += 61_000;
        await sleep(6_000); // one clock tick (CLOCK_MS) and then some
      }
      assert.match(r.lastFrame()!, /snug demo/);
    } finally {
      r.unmount();
      await link.stop();
      await daemon.kill();
    }
  });

  it('replays what happened while the daemon was away once it is back', async () => {
    const args = peerArgs(join(dir, 'peers'));
    const a = await startPeer(dir, 'a', args);
    const b = await startPeer(dir, 'b', args);
    try {
      await befriend(a, b, 'b');
      await callOnce(b.daemon, (c) => c.call('message/send', { address: a.address, text: 'before' }));
      const { r, link } = open(a.home, a.daemon.socketPath);
      try {
        await waitForFrame(r, (f) => f.includes('before'), 'the first message');
        await callOnce(a.daemon, (c) => c.call('daemon/shutdown'));
        await a.daemon.exited;
        await waitForFrame(r, (f) => f.includes('reconnecting'), 'the link down');
        a.daemon = await startDaemon(a.home, args);
        await waitForFrame(r, (f) => f.includes('Unlock your profile'), 'the unlock screen');
        await callOnce(b.daemon, (c) => c.call('message/send', { address: a.address, text: 'while you were locked' }));
        await press(r, ...PEER_PASSPHRASE.split(''), KEY.enter);
        await waitForFrame(r, (f) => f.includes('while you were locked') && f.includes('before'), 'the message sent while away, after the older one');
      } finally {
        r.unmount();
        await link.stop();
      }
    } finally {
      await Promise.all([a.daemon.kill(), b.daemon.kill()]);
    }
  });
});
