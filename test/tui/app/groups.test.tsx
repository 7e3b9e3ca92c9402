/**
 * The UI's groups, rendered with ink-testing-library against real daemons and a real `snug pub`
 * (direct transport): /group makes one on the pub, /invite sends an invite that the other
 * member's UI shows in place and /accept joins, messages go both ways live with their pub
 * counts, /export shows the invite with its QR code, and a method the daemon does not offer
 * answers with the daemon's own error, in words.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { render } from 'ink-testing-library';
import { App } from '../../../tui/app/app.js';
import { DaemonLink } from '../../../tui/link/daemon-link.js';
import { peerArgs, startPeer, waitForContact, type Peer } from '../../helpers/contacts.js';
import { callOnce } from '../../helpers/daemon.js';
import { spawnTestPub, type PubChild } from '../../helpers/pub-fixtures.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

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

async function line(r: Rendered, text: string): Promise<void> {
  for (const ch of text) {
    r.stdin.write(ch);
    await sleep(5);
  }
  await sleep(20);
  r.stdin.write('\r');
  await sleep(20);
}

describe('tui groups (ink-testing-library, real daemons and a real pub)', function () {
  this.timeout(90_000);
  let dir: string;
  let pub: PubChild;
  let alice: Peer;
  let bob: Peer;
  const ui: Array<{ r: Rendered; link: DaemonLink }> = [];

  before(async () => {
    dir = await makeTempDir('tui-groups');
    const args = peerArgs(join(dir, 'peers'));
    [pub, alice, bob] = await Promise.all([spawnTestPub(join(dir, 'pub')), startPeer(dir, 'alice', args), startPeer(dir, 'bob', args)]);
    await callOnce(alice.daemon, (c) => c.call('contact/add', { address: bob.address, name: 'bob' }));
    await waitForContact(bob, alice.address, (row) => row?.state === 'incoming');
    await callOnce(bob.daemon, (c) => c.call('contact/accept', { address: alice.address }));
    await callOnce(bob.daemon, (c) => c.call('contact/add', { address: alice.address, name: 'alice' }));
    await waitForContact(alice, bob.address, (row) => row?.state === 'accepted' && row.online);
  });

  after(async () => {
    for (const u of ui) {
      u.r.unmount();
      await u.link.stop();
    }
    await Promise.all([alice?.daemon.kill(), bob?.daemon.kill(), pub?.kill()]);
    await removeDir(dir);
  });

  function open(p: Peer, rows = 40): Rendered {
    const link = new DaemonLink({ socketPath: p.daemon.socketPath });
    const r = render(<App link={link} home={p.home} size={{ rows, columns: 110 }} />);
    ui.push({ r, link });
    return r;
  }

  it('makes a group, invites a contact who accepts in place, and carries messages both ways live', async () => {
    const a = open(alice);
    const b = open(bob);
    await waitForFrame(a, (f) => f.includes('write to bob'), "alice's chat");
    await waitForFrame(b, (f) => f.includes('write to alice'), "bob's chat");

    await line(a, `/group crew ${pub.address}`);
    await waitForFrame(a, (f) => f.includes('#crew') && f.includes('write to #crew') && f.includes('made #crew'), 'the new group, opened');
    await waitForFrame(a, (f) => f.includes('made the group crew'), "the group's first notice");

    await line(a, '/invite bob');
    await waitForFrame(a, (f) => f.includes('invited bob'), 'the invite sent');
    await waitForFrame(b, (f) => f.includes('crew') && f.includes('invite'), "the invite in bob's sidebar");
    b.stdin.write('\u001ba'); // Alt+A: the next conversation that wants an answer
    await waitForFrame(b, (f) => f.includes('invites you to the group') && f.includes('/accept'), 'the invite opened in place');
    await line(b, '/accept');
    await waitForFrame(b, (f) => f.includes('write to #crew'), 'the group open at bob');

    await line(b, 'hello crew');
    await waitForFrame(a, (f) => f.includes('bob: hello crew'), "bob's message at alice, live");
    await line(a, 'welcome bob');
    await waitForFrame(a, (f) => /welcome bob\s+on 1\/1 pubs/.test(f), "alice's message on the pub");
    await waitForFrame(b, (f) => f.includes('alice: welcome bob'), "alice's message at bob, live");
    const status = await waitForFrame(a, (f) => f.includes('pubs 1/1 live'), 'the pub live in the status bar');
    assert.match(status, /2 members/);
  });

  it('replies to a message picked with Alt+Up, and reacts to it (or shows why the daemon cannot)', async () => {
    const a = ui[0]!.r;
    const b = ui[1]!.r;
    b.stdin.write('\u001b\u001b[A'); // Alt+Up: picks the newest message
    await sleep(50);
    b.stdin.write('\u001b\u001b[A'); // and the one before it: alice's "welcome bob"... or bob's own
    await sleep(50);
    await line(b, '/reply thanks!');
    await waitForFrame(a, (f) => f.includes('bob: ↳ thanks!'), 'the reply at alice, marked as one');
    await waitForFrame(b, (f) => f.includes('↳ thanks!'), 'the reply at bob');
    const methods = ((await callOnce(alice.daemon, (c) => c.request('rpc.discover'))) as { methods: Array<{ name: string }> }).methods.map((m) => m.name);
    await line(a, '/react 👍');
    if (methods.includes('message/react')) await waitForFrame(a, (f) => f.includes('👍'), 'the reaction');
    else {
      await waitForFrame(a, (f) => f.includes('ERR_METHOD_NOT_FOUND'), "the daemon's error, in words");
      await waitForFrame(a, (f) => f.includes('> /react 👍'), 'the refused command back on the line');
      a.stdin.write('\u0015'); // Ctrl+U
      await sleep(30);
    }
  });

  it('shows the invite string with its QR code, and answers /leave by the last admin with the daemon\'s refusal, in place', async () => {
    const a = ui[0]!.r;
    await line(a, '/export');
    const frame = await waitForFrame(a, (f) => f.includes('Invite to this group') && /snug2[a-z2-7]{20}/.test(f), 'the invite');
    const { invite } = await callOnce(alice.daemon, async (c) => c.call('group/exportInvite', { groupId: (await c.call('group/list')).groups[0]!.groupId }));
    // the invite is shown whole (wrapped over several lines), so it can be copied
    const box = frame.split('\n').map((l) => l.slice(26).replace(/^[│╭╮╰╯─ ]+|[│╭╮╰╯─ ]+$/g, '')).join('');
    const shown = /snug2[a-z2-7]+/.exec(box)?.[0] ?? '';
    assert.equal(shown.length, invite.length, 'the invite, whole');
    assert.ok(frame.includes('▀') || frame.includes('its QR code needs a terminal'), 'its QR code, or how tall the terminal must be for it');
    a.stdin.write('\u001b');
    await waitForFrame(a, (f) => !f.includes('Invite to this group'), 'the box closed');
    const methods = ((await callOnce(alice.daemon, (c) => c.request('rpc.discover'))) as { methods: Array<{ name: string }> }).methods.map((m) => m.name);
    await line(a, '/leave');
    if (methods.includes('group/leave')) {
      // alice founded the group and is its only admin: she may not leave without naming another
      await waitForFrame(a, (f) => f.includes('ERR_LAST_ADMIN'), "the daemon's refusal, in words");
      await waitForFrame(a, (f) => f.includes('> /leave'), 'the refused command back on the line');
    } else {
      await waitForFrame(a, (f) => f.includes('ERR_METHOD_NOT_FOUND'), "the daemon's error, in words");
    }
  });
});
