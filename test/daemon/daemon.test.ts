/**
 * `snug daemon` as a process: its home, its lock, its socket, the profile methods, locked
 * behaviour and shutdown. Every test starts the real daemon (bin/snug.js) and talks to it only
 * over its socket. These run on the direct transport with the development KDF cost; the Tor
 * path has its own tests (daemon.tor.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiClient } from '../../daemon/api/client.js';
import { isApiError } from '../../protocol/api/errors.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { callOnce, FAST_DAEMON_ARGS, logLines, spawnDaemon, startDaemon, type DaemonProcess } from '../helpers/daemon.js';

const NAME = 'ana';
const PASSPHRASE = 'correct horse battery staple';
const NEW_PASSPHRASE = 'a different, longer passphrase';

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isApiError(err), `expected an ApiError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

describe('snug daemon', function () {
  this.timeout(60_000);
  let dir: string;
  let home: string;
  const running: DaemonProcess[] = [];
  const clients: ApiClient[] = [];

  async function start(args: readonly string[] = FAST_DAEMON_ARGS): Promise<DaemonProcess> {
    const d = await startDaemon(home, args);
    running.push(d);
    return d;
  }

  async function client(d: DaemonProcess): Promise<ApiClient> {
    const c = await d.connect();
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    dir = await makeTempDir('daemon');
    home = join(dir, 'home');
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    for (const d of running.splice(0)) await d.kill();
    await removeDir(dir);
  });

  describe('home and socket', () => {
    it('creates the home with mode 0700 and the socket with mode 0600', async () => {
      await start();
      assert.equal((await stat(home)).mode & 0o777, 0o700);
      const sock = await stat(join(home, 'snug.sock'));
      assert.ok(sock.isSocket());
      assert.equal(sock.mode & 0o777, 0o600);
    });

    it('refuses a home with group or other permission bits, exits 1, and leaves the mode alone', async () => {
      await mkdir(home, { mode: 0o700 });
      await chmod(home, 0o750);
      const d = spawnDaemon(home);
      running.push(d);
      const { code } = await d.exited;
      assert.equal(code, 1);
      assert.match(d.stderr(), /\(ERR_HOME_PERMISSIONS\)/);
      assert.equal((await stat(home)).mode & 0o777, 0o750);
    });

    it('refuses a second daemon on the same home with exit 1, ERR_DAEMON_RUNNING and the pid, and the first keeps running', async () => {
      const first = await start();
      const second = spawnDaemon(home);
      running.push(second);
      const { code } = await second.exited;
      assert.equal(code, 1);
      const line = second.stderr().trim().split('\n').at(-1) ?? '';
      assert.match(line, /\(ERR_DAEMON_RUNNING\)$/);
      assert.match(line, new RegExp(`\\b${first.child.pid}\\b`));
      const status = await callOnce(first, (c) => c.call('daemon/status'));
      assert.equal(status.pid, first.child.pid);
    });

    it('refuses a second daemon by the live socket even when the lock file was removed', async () => {
      const first = await start();
      await rm(join(home, 'daemon.lock'));
      const second = spawnDaemon(home);
      running.push(second);
      assert.equal((await second.exited).code, 1);
      assert.match(second.stderr(), /\(ERR_DAEMON_RUNNING\)/);
      assert.equal((await callOnce(first, (c) => c.call('daemon/status'))).pid, first.child.pid);
    });

    it('replaces the stale socket and lock a killed daemon left behind', async () => {
      const first = await start();
      await first.kill();
      assert.ok((await stat(join(home, 'snug.sock'))).isSocket(), 'kill -9 leaves the socket file');
      const second = await start();
      const status = await callOnce(second, (c) => c.call('daemon/status'));
      assert.equal(status.pid, second.child.pid);
    });

    it('replaces a stale socket that some other process left (nothing answers on it)', async () => {
      await mkdir(home, { mode: 0o700 });
      const sock = join(home, 'snug.sock');
      const squatter = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise((resolve) => squatter.stdout!.once('data', resolve));
      squatter.kill('SIGKILL');
      await new Promise((resolve) => squatter.once('exit', resolve));
      assert.ok((await stat(sock)).isSocket());
      const d = await start();
      assert.equal((await callOnce(d, (c) => c.call('daemon/status'))).pid, d.child.pid);
    });
  });

  describe('development switches', () => {
    for (const args of [['--transport', 'direct'], ['--dev-kdf', 'fast']]) {
      it(`refuses ${args.join(' ')} without --dev with exit 2`, async () => {
        const d = spawnDaemon(home, args);
        running.push(d);
        assert.equal((await d.exited).code, 2);
        assert.match(d.stderr(), /\(ERR_USAGE\)/);
      });
    }

    it('reports development mode, the test KDF and the direct transport in daemon/status', async () => {
      const d = await start();
      const status = await callOnce(d, (c) => c.call('daemon/status'));
      assert.deepEqual(status.development, { testKdf: true, listener: null });
      assert.deepEqual(status.tor, { transport: 'direct', bootstrap: 0, state: 'off', onion: 'off' });
    });
  });

  describe('the profile', () => {
    it('answers daemon/status with no profile in a new home', async () => {
      const d = await start();
      const status = await callOnce(d, (c) => c.call('daemon/status'));
      assert.equal(status.profile, null);
      assert.deepEqual(status.pubs, []);
      assert.deepEqual(status.peers, []);
    });

    it('creates a profile left unlocked, locks it (address and name null), and unlocks it again', async () => {
      const d = await start();
      const c = await client(d);
      const { address } = await c.call('profile/create', { name: NAME, passphrase: PASSPHRASE });
      assert.match(address, /^[a-z2-7]{56}\.onion$/);
      let status = await c.call('daemon/status');
      assert.deepEqual(status.profile, { address, name: NAME, locked: false });
      assert.match(status.development?.listener ?? '', /^ws:\/\/127\.0\.0\.1:\d+$/);
      await c.call('profile/lock');
      status = await c.call('daemon/status');
      assert.deepEqual(status.profile, { address: null, name: null, locked: true });
      assert.equal(status.development?.listener, null);
      assert.deepEqual(await c.call('profile/unlock', { passphrase: PASSPHRASE }), { address });
      assert.deepEqual((await c.call('daemon/status')).profile, { address, name: NAME, locked: false });
    });

    it('refuses a second profile/create with ERR_PROFILE_EXISTS', async () => {
      const d = await start();
      const c = await client(d);
      await c.call('profile/create', { name: NAME, passphrase: PASSPHRASE });
      await rejectsWith(c.call('profile/create', { name: 'bo', passphrase: PASSPHRASE }), 'ERR_PROFILE_EXISTS');
      await c.call('profile/lock');
      await rejectsWith(c.call('profile/create', { name: 'bo', passphrase: PASSPHRASE }), 'ERR_PROFILE_EXISTS');
    });

    it('refuses a wrong passphrase with ERR_BAD_PASSPHRASE and stays locked', async () => {
      const d = await start();
      const c = await client(d);
      await c.call('profile/create', { name: NAME, passphrase: PASSPHRASE });
      await c.call('profile/lock');
      await rejectsWith(c.call('profile/unlock', { passphrase: 'not it' }), 'ERR_BAD_PASSPHRASE');
      assert.equal((await c.call('daemon/status')).profile?.locked, true);
    });

    it('changes the passphrase: afterwards only the new one unlocks, also after a restart', async () => {
      let d = await start();
      let c = await client(d);
      const { address } = await c.call('profile/create', { name: NAME, passphrase: PASSPHRASE });
      await rejectsWith(c.call('profile/changePassphrase', { passphrase: 'not it', newPassphrase: NEW_PASSPHRASE }), 'ERR_BAD_PASSPHRASE');
      await c.call('profile/changePassphrase', { passphrase: PASSPHRASE, newPassphrase: NEW_PASSPHRASE });
      await c.call('profile/lock');
      await rejectsWith(c.call('profile/unlock', { passphrase: PASSPHRASE }), 'ERR_BAD_PASSPHRASE');
      await c.call('daemon/shutdown');
      assert.equal((await d.exited).code, 0);
      d = await start();
      c = await client(d);
      assert.equal((await c.call('daemon/status')).profile?.locked, true);
      assert.deepEqual(await c.call('profile/unlock', { passphrase: NEW_PASSPHRASE }), { address });
    });

    it('answers only the locked-mode methods while locked: ERR_LOCKED for the rest', async () => {
      const d = await start();
      const c = await client(d);
      await c.call('profile/create', { name: NAME, passphrase: PASSPHRASE });
      await c.call('profile/lock');
      await rejectsWith(c.call('profile/changePassphrase', { passphrase: PASSPHRASE, newPassphrase: NEW_PASSPHRASE }), 'ERR_LOCKED');
      await rejectsWith(c.call('event/subscribe', {}), 'ERR_LOCKED');
      assert.deepEqual(await c.call('profile/lock'), {});
      const doc = await c.call('rpc.discover');
      assert.ok(doc.methods.some((m) => m.name === 'daemon/status'));
    });

    it('answers ERR_NO_PROFILE in a home without a profile', async () => {
      const d = await start();
      const c = await client(d);
      await rejectsWith(c.call('profile/unlock', { passphrase: PASSPHRASE }), 'ERR_NO_PROFILE');
      await rejectsWith(c.call('profile/lock'), 'ERR_NO_PROFILE');
      await rejectsWith(c.call('profile/changePassphrase', { passphrase: PASSPHRASE, newPassphrase: NEW_PASSPHRASE }), 'ERR_NO_PROFILE');
      await rejectsWith(c.call('event/subscribe', {}), 'ERR_NO_PROFILE');
    });

    it('validates params before anything else (-32602)', async () => {
      const d = await start();
      const c = await client(d);
      await rejectsWith(c.request('profile/create', { name: NAME }), 'ERR_INVALID_PARAMS');
      await rejectsWith(c.request('profile/create', { name: '', passphrase: PASSPHRASE }), 'ERR_INVALID_PARAMS');
      await rejectsWith(c.request('profile/unlock', { passphrase: 7 }), 'ERR_INVALID_PARAMS');
      assert.equal((await c.call('daemon/status')).profile, null);
    });

    it('never logs the name, the passphrase or the address', async () => {
      const d = await start();
      const c = await client(d);
      const { address } = await c.call('profile/create', { name: 'zebulon-quartz', passphrase: PASSPHRASE });
      await c.call('profile/lock');
      await rejectsWith(c.call('profile/unlock', { passphrase: 'wrong ' + PASSPHRASE }), 'ERR_BAD_PASSPHRASE');
      await c.call('profile/unlock', { passphrase: PASSPHRASE });
      await c.call('daemon/shutdown');
      await d.exited;
      const log = d.stderr();
      assert.ok(logLines(d).length >= 4, 'the daemon logs JSON lines');
      for (const secret of ['zebulon-quartz', PASSPHRASE, address, address.slice(0, 56)]) assert.ok(!log.includes(secret), `the log holds ${secret}`);
    });
  });

  describe('shutdown', () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`exits 0 within 10 s of ${signal}, unlocked, and removes its socket and lock`, async () => {
        const d = await start();
        await callOnce(d, (c) => c.call('profile/create', { name: NAME, passphrase: PASSPHRASE }));
        const sent = Date.now();
        d.child.kill(signal);
        const { code, at } = await d.exited;
        assert.equal(code, 0);
        assert.ok(at - sent < 10_000, `took ${at - sent} ms`);
        await assert.rejects(stat(join(home, 'snug.sock')), { code: 'ENOENT' });
        await assert.rejects(stat(join(home, 'daemon.lock')), { code: 'ENOENT' });
      });
    }

    it('answers daemon/shutdown with {} and then exits 0 within 10 s', async () => {
      const d = await start();
      const c = await client(d);
      await c.call('profile/create', { name: NAME, passphrase: PASSPHRASE });
      const sent = Date.now();
      assert.deepEqual(await c.call('daemon/shutdown'), {});
      const { code, at } = await d.exited;
      assert.equal(code, 0);
      assert.ok(at - sent < 10_000, `took ${at - sent} ms`);
    });
  });
});
