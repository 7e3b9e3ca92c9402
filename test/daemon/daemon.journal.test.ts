/**
 * The notification journal of the real daemon: event/subscribe replays what a client missed,
 * after a reconnect and after a restart of the daemon (seq survives). The notifications here are
 * the daemon's own tor/didProgress: the daemon runs on the tor transport with a tor binary
 * that does not exist, so every unlock gives a short, fixed series (onion publishing, tor
 * starting, tor failed, onion failed) without a Tor network.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ApiClient } from '../../daemon/api/client.js';
import type { NotificationParams } from '../../protocol/api/notifications.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { callOnce, startDaemon, type DaemonProcess } from '../helpers/daemon.js';

type Progress = NotificationParams<'tor/didProgress'>;

const PASSPHRASE = 'correct horse battery staple';
const NO_TOR_ARGS = ['--dev', '--dev-kdf', 'fast', '--tor-bin', '/nonexistent/tor'];

/** The last notification of one unlock's series: tor could not start, the onion failed. */
const endOfSeries = (n: Progress) => n.state === 'failed' && n.onion === 'failed';

/**
 * Subscribes since `since` and collects notifications (replayed, then live) until one with seq
 * `until` or, without `until`, until one that ends a series.
 */
async function subscribe(c: ApiClient, since: number, until?: number): Promise<{ missed: number; latest: number; got: Progress[] }> {
  const got: Progress[] = [];
  const enough = () => got.some((n) => (until === undefined ? endOfSeries(n) && n.seq > since : n.seq >= until));
  let done: () => void = () => {};
  const reached = new Promise<void>((resolve) => (done = resolve));
  c.addEventListener('tor/didProgress', (e) => {
    got.push(e.detail);
    if (enough()) done();
  });
  const result = await c.call('event/subscribe', { since });
  if (enough()) done();
  await Promise.race([reached, new Promise((_, reject) => setTimeout(() => reject(new Error(`not enough within 10 s; got ${got.map((n) => n.seq)}`)), 10_000))]);
  return { ...result, got };
}

async function waitForOnion(d: DaemonProcess, state: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const status = await callOnce(d, (c) => c.call('daemon/status'));
    if (status.tor.onion === state) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the onion never became ${state}`);
}

describe('snug daemon: the notification journal', function () {
  this.timeout(60_000);
  let dir: string;
  let home: string;
  const running: DaemonProcess[] = [];
  const clients: ApiClient[] = [];

  async function start(): Promise<DaemonProcess> {
    const d = await startDaemon(home, NO_TOR_ARGS);
    running.push(d);
    return d;
  }
  async function client(d: DaemonProcess): Promise<ApiClient> {
    const c = await d.connect();
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    dir = await makeTempDir('daemon-journal');
    home = join(dir, 'home');
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    for (const d of running.splice(0)) await d.kill();
    await removeDir(dir);
  });

  it('reports a tor that cannot start as tor.state failed and the onion failed', async () => {
    const d = await start();
    await callOnce(d, (c) => c.call('profile/create', { name: 'ana', passphrase: PASSPHRASE }));
    await waitForOnion(d, 'failed');
    const status = await callOnce(d, (c) => c.call('daemon/status'));
    assert.deepEqual(status.tor, { transport: 'tor', bootstrap: 0, state: 'failed', onion: 'failed' });
  });

  it('numbers notifications from 1 and replays them after a reconnect, from the seq the client gives', async () => {
    const d = await start();
    await callOnce(d, (c) => c.call('profile/create', { name: 'ana', passphrase: PASSPHRASE }));
    await waitForOnion(d, 'failed');
    const all = await subscribe(await client(d), 0);
    assert.ok(all.got.length >= 2, `${all.got.length} notifications`);
    assert.deepEqual(all.got.map((n) => n.seq), Array.from({ length: all.got.length }, (_, i) => i + 1));
    assert.equal(all.got.at(-1)?.onion, 'failed');
    assert.equal(all.missed, 0);
    const rest = await subscribe(await client(d), 1, all.got.at(-1)!.seq);
    assert.deepEqual(rest.got.map((n) => n.seq), all.got.slice(1).map((n) => n.seq));
    assert.deepEqual(rest.got, all.got.slice(1));
  });

  it('keeps seq across a restart: the new notifications continue after the old, and the old replay', async () => {
    let d = await start();
    await callOnce(d, (c) => c.call('profile/create', { name: 'ana', passphrase: PASSPHRASE }));
    await waitForOnion(d, 'failed');
    const before = await subscribe(await client(d), 0);
    await callOnce(d, (c) => c.call('daemon/shutdown'));
    assert.equal((await d.exited).code, 0);

    d = await start();
    await callOnce(d, (c) => c.call('profile/unlock', { passphrase: PASSPHRASE }));
    await waitForOnion(d, 'failed');
    const last = before.got.at(-1)!.seq;
    const after = await subscribe(await client(d), last);
    assert.equal(after.got[0]?.seq, last + 1);
    assert.ok(endOfSeries(after.got.at(-1)!));
    const whole = await subscribe(await client(d), 0, after.got.at(-1)!.seq);
    assert.deepEqual(whole.got.slice(0, before.got.length), before.got);
  });

  it('delivers live notifications to a subscriber, and ends its subscription on lock', async () => {
    const d = await start();
    const c = await client(d);
    await c.call('profile/create', { name: 'ana', passphrase: PASSPHRASE });
    await waitForOnion(d, 'failed');
    const first = await subscribe(c, 0);
    const closed = new Promise<void>((resolve) => c.addEventListener('close', () => resolve()));
    await callOnce(d, (o) => o.call('profile/lock'));
    await closed;
    const again = await client(d);
    await again.call('profile/unlock', { passphrase: PASSPHRASE });
    const last = first.got.at(-1)!.seq;
    const live = await subscribe(again, last, last + 1);
    assert.equal(live.got[0]?.seq, last + 1);
  });
});
