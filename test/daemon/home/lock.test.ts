import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCK_FILE } from '../../../daemon/home/constants.js';
import { HomeErrorCode, isHomeError } from '../../../daemon/home/errors.js';
import { prepareHome } from '../../../daemon/home/home.js';
import { HomeLock, parseLockRecord, processStartTime } from '../../../daemon/home/lock.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

/** The pid of a process that has exited (so certainly not running). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('daemon/home', () => {
  let dir: string;
  beforeEach(async () => (dir = await makeTempDir('home')));
  afterEach(() => removeDir(dir));

  describe('prepareHome', () => {
    it('creates a missing home (and its parents) with mode 0700', async () => {
      const home = join(dir, 'a', 'b', 'home');
      await prepareHome(home);
      assert.equal((await stat(home)).mode & 0o777, 0o700);
    });

    it('accepts an existing home of mode 0700', async () => {
      const home = join(dir, 'home');
      await mkdir(home, { mode: 0o700 });
      await prepareHome(home);
    });

    for (const mode of [0o750, 0o705, 0o777, 0o710]) {
      it(`refuses an existing home of mode ${mode.toString(8)} and leaves its mode alone`, async () => {
        const home = join(dir, 'home');
        await mkdir(home);
        await chmod(home, mode);
        await assert.rejects(prepareHome(home), (err) => isHomeError(err, HomeErrorCode.BAD_PERMISSIONS));
        assert.equal((await stat(home)).mode & 0o777, mode);
      });
    }

    it('refuses a home that is a symbolic link', async () => {
      const real = join(dir, 'real');
      await mkdir(real, { mode: 0o700 });
      await symlink(real, join(dir, 'home'));
      await assert.rejects(prepareHome(join(dir, 'home')), (err) => isHomeError(err, HomeErrorCode.BAD_PERMISSIONS));
    });

    it('refuses a home that is a file', async () => {
      await writeFile(join(dir, 'home'), 'x');
      await assert.rejects(prepareHome(join(dir, 'home')), (err) => isHomeError(err, HomeErrorCode.BAD_PERMISSIONS));
    });
  });

  describe('HomeLock', () => {
    it('records this process and refuses a second holder with ERR_DAEMON_RUNNING and the pid', async () => {
      const lock = await HomeLock.acquire(dir);
      const record = parseLockRecord(await readFile(join(dir, LOCK_FILE), 'utf8'));
      assert.equal(record?.pid, process.pid);
      await assert.rejects(HomeLock.acquire(dir), (err) => isHomeError(err, HomeErrorCode.DAEMON_RUNNING) && err.pid === process.pid);
      await lock.release();
      const again = await HomeLock.acquire(dir);
      await again.release();
    });

    it('replaces a lock whose process is gone', async () => {
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ v: 1, pid: await deadPid(), start: null }));
      const lock = await HomeLock.acquire(dir);
      assert.equal(parseLockRecord(await readFile(join(dir, LOCK_FILE), 'utf8'))?.pid, process.pid);
      await lock.release();
    });

    it('replaces a lock naming a live pid that started at another time (a reused pid)', async function () {
      const start = await processStartTime(process.pid);
      if (start === null) this.skip();
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ v: 1, pid: process.pid, start: start! + 1 }));
      const lock = await HomeLock.acquire(dir);
      await lock.release();
    });

    it('replaces a lock file that is not a lock record', async () => {
      await writeFile(join(dir, LOCK_FILE), 'garbage');
      const lock = await HomeLock.acquire(dir);
      await lock.release();
    });

    it('lets exactly one of many simultaneous acquirers win', async () => {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => HomeLock.acquire(dir)));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(isHomeError(r.reason, HomeErrorCode.DAEMON_RUNNING));
      await (won[0] as PromiseFulfilledResult<HomeLock>).value.release();
    });

    it('does not remove a lock that another holder took after ours was replaced', async () => {
      const lock = await HomeLock.acquire(dir);
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ v: 1, pid: 1, start: null }));
      await lock.release();
      assert.equal(parseLockRecord(await readFile(join(dir, LOCK_FILE), 'utf8'))?.pid, 1);
    });
  });
});
