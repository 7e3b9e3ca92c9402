/**
 * One daemon per home: HOME/daemon.lock holds `{"v":1,"pid":N,"start":T}`, where T is the
 * process's start time from /proc (Linux; null elsewhere), so a pid reused by another program
 * after a crash is not taken for a running daemon. The lock is taken with link(2), which fails
 * if the file exists, so two daemons starting at once cannot both win. A lock whose process is
 * gone (kill -9, power loss) is stale and is replaced. The local API server's socket check
 * (a socket something answers on) is the second guard.
 */
import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCK_ATTEMPTS, LOCK_FILE, LOCK_MAX_BYTES, LOCK_VERSION } from './constants.js';
import { HomeError, HomeErrorCode } from './errors.js';

export interface LockRecord {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot), or null where there is no /proc. */
  readonly start: number | null;
}

/** The start time of a process (Linux), or null when it cannot be read. */
export async function processStartTime(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(rest[19]);
    return Number.isSafeInteger(start) ? start : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parses a lock record; null for anything that is not one (treated as stale). */
export function parseLockRecord(text: string): LockRecord | null {
  if (text.length > LOCK_MAX_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { v, pid, start } = value as Record<string, unknown>;
  if (v !== LOCK_VERSION || typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid < 1) return null;
  if (start !== null && (typeof start !== 'number' || !Number.isSafeInteger(start))) return null;
  return { pid, start };
}

/** True when the process the record names still runs (the same process, not a reused pid). */
async function holderAlive(record: LockRecord): Promise<boolean> {
  if (!isAlive(record.pid)) return false;
  if (record.start === null) return true;
  const now = await processStartTime(record.pid);
  return now === null || now === record.start;
}

async function readLock(file: string): Promise<LockRecord | null | 'absent'> {
  try {
    return parseLockRecord(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new HomeError(HomeErrorCode.UNUSABLE, `cannot read the lock ${file}`, { cause: err });
  }
}

export class HomeLock {
  readonly file: string;
  readonly #text: string;
  #released = false;

  private constructor(file: string, text: string) {
    this.file = file;
    this.#text = text;
  }

  /**
   * Takes the home's lock for this process, replacing a stale one. Throws DAEMON_RUNNING (with
   * the holder's pid) when a live daemon holds it.
   */
  static async acquire(home: string): Promise<HomeLock> {
    const file = join(home, LOCK_FILE);
    const text = JSON.stringify({ v: LOCK_VERSION, pid: process.pid, start: await processStartTime(process.pid) }) + '\n';
    const tmp = join(home, `${LOCK_FILE}.${process.pid}.${randomUUID().slice(0, 8)}`);
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw new HomeError(HomeErrorCode.UNUSABLE, `cannot write in the home ${home}`, { cause: err });
    }
    try {
      for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
        try {
          await link(tmp, file);
          return new HomeLock(file, text);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
            throw new HomeError(HomeErrorCode.UNUSABLE, `cannot create the lock ${file}`, { cause: err });
          }
        }
        const holder = await readLock(file);
        if (holder === 'absent') continue;
        if (holder !== null && (await holderAlive(holder))) {
          throw new HomeError(HomeErrorCode.DAEMON_RUNNING, `a daemon (pid ${holder.pid}) is already running on this home`, { pid: holder.pid });
        }
        // Stale. Move it aside (rename is atomic: of two racers only one moves this file), then
        // check that what we moved is the stale record we read and not a racer's fresh lock.
        const aside = `${tmp}.stale`;
        try {
          await rename(file, aside);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw new HomeError(HomeErrorCode.UNUSABLE, `cannot replace the stale lock ${file}`, { cause: err });
        }
        const moved = await readLock(aside);
        if (moved !== 'absent' && moved !== null && (await holderAlive(moved))) {
          await link(aside, file).catch(() => {});
          await unlink(aside).catch(() => {});
          throw new HomeError(HomeErrorCode.DAEMON_RUNNING, `a daemon (pid ${moved.pid}) is already running on this home`, { pid: moved.pid });
        }
        await unlink(aside).catch(() => {});
      }
      throw new HomeError(HomeErrorCode.UNUSABLE, `could not take the lock ${file} after ${LOCK_ATTEMPTS} attempts`);
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  /** Removes the lock if it is still ours. Safe to call twice. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const now = await readFile(this.file, 'utf8').catch(() => null);
    if (now === this.#text) await unlink(this.file).catch(() => {});
  }
}
