/**
 * kill -9 of the real daemon in the middle of profile/create and profile/changePassphrase,
 * repeated: afterwards the profile opens with the old passphrase or the new one, never neither,
 * and an answered change is never lost. (c3 tests the profile module's atomic writes; this is
 * the process.) Kill times are spread over the whole operation, measured once first.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isApiError } from '../../protocol/api/errors.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { callOnce, startDaemon, type DaemonProcess } from '../helpers/daemon.js';

const ROUNDS = 20;

/** Unlocks with `passphrase`: true if it opened, false on ERR_BAD_PASSPHRASE. */
async function opens(d: DaemonProcess, passphrase: string): Promise<boolean> {
  try {
    await callOnce(d, (c) => c.call('profile/unlock', { passphrase }));
    return true;
  } catch (err) {
    if (isApiError(err, 'ERR_BAD_PASSPHRASE')) return false;
    throw err;
  }
}

describe('snug daemon: kill -9 during profile writes', function () {
  this.timeout(240_000);
  let dir: string;
  const running: DaemonProcess[] = [];

  async function start(home: string): Promise<DaemonProcess> {
    const d = await startDaemon(home);
    running.push(d);
    return d;
  }

  beforeEach(async () => (dir = await makeTempDir('daemon-crash')));
  afterEach(async () => {
    for (const d of running.splice(0)) await d.kill();
    await removeDir(dir);
  });

  /** How long `op` takes on a daemon, in ms (the window the kills are spread over). */
  async function measure(home: string, op: (d: DaemonProcess) => Promise<unknown>): Promise<number> {
    const d = await start(home);
    const t = Date.now();
    await op(d);
    const ms = Date.now() - t;
    await d.kill();
    return Math.max(ms, 5);
  }

  it(`leaves no profile or a whole one after kill -9 during profile/create (${ROUNDS} rounds)`, async () => {
    const window = await measure(join(dir, 'measure'), (d) => callOnce(d, (c) => c.call('profile/create', { name: 'ana', passphrase: 'p0' })));
    const outcomes = { none: 0, whole: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const home = join(dir, `home-${round}`);
      const d = await start(home);
      const client = await d.connect();
      let answered: string | null = null;
      const pending = client.call('profile/create', { name: 'ana', passphrase: 'p0' }).then(
        (r) => (answered = r.address),
        () => undefined,
      );
      await sleep(Math.floor((window * 1.3 * round) / ROUNDS));
      await d.kill();
      await pending;
      await client.close();

      const again = await start(home);
      const status = await callOnce(again, (c) => c.call('daemon/status'));
      if (status.profile === null) {
        assert.equal(answered, null, 'an answered create was lost');
        outcomes.none += 1;
        const { address } = await callOnce(again, (c) => c.call('profile/create', { name: 'ana', passphrase: 'p0' }));
        assert.match(address, /\.onion$/);
      } else {
        assert.equal(status.profile.locked, true);
        outcomes.whole += 1;
        const { address } = await callOnce(again, (c) => c.call('profile/unlock', { passphrase: 'p0' }));
        if (answered !== null) assert.equal(address, answered);
      }
      await again.kill();
    }
    assert.equal(outcomes.none + outcomes.whole, ROUNDS);
  });

  it(`opens with the old or the new passphrase after kill -9 during profile/changePassphrase (${ROUNDS} rounds)`, async () => {
    const home = join(dir, 'home');
    let current = 'p0';
    let d = await start(home);
    await callOnce(d, (c) => c.call('profile/create', { name: 'ana', passphrase: current }));
    const t = Date.now();
    await callOnce(d, (c) => c.call('profile/changePassphrase', { passphrase: current, newPassphrase: 'p-measure' }));
    const window = Math.max(Date.now() - t, 5);
    current = 'p-measure';
    await d.kill();
    const outcomes = { old: 0, new: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const next = `p${round + 1}`;
      d = await start(home);
      assert.ok(await opens(d, current), `round ${round}: ${current} should open`);
      const client = await d.connect();
      let answered = false;
      const pending = client.call('profile/changePassphrase', { passphrase: current, newPassphrase: next }).then(
        () => (answered = true),
        () => undefined,
      );
      await sleep(Math.floor((window * 1.3 * round) / ROUNDS));
      await d.kill();
      await pending;
      await client.close();

      d = await start(home);
      const withNew = await opens(d, next);
      const withOld = withNew ? false : await opens(d, current);
      assert.ok(withNew || withOld, `round ${round}: opens with neither passphrase`);
      if (answered) assert.ok(withNew, `round ${round}: an answered change was lost`);
      if (withNew) {
        outcomes.new += 1;
        current = next;
      } else {
        outcomes.old += 1;
      }
      await d.kill();
    }
    assert.equal(outcomes.old + outcomes.new, ROUNDS);
  });
});
