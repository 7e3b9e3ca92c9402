/**
 * The daemon's home directory. Created 0700 when absent; an existing home must be a directory
 * owned by us with no group/other permission bits. A wrong home is an error, never silently
 * "fixed": someone else may already have read (or planted) what is in it.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HOME_FORBIDDEN_BITS, HOME_MODE } from './constants.js';
import { HomeError, HomeErrorCode } from './errors.js';

/** Creates the home (0700, parents as needed) or checks an existing one. Resolves with the path. */
export async function prepareHome(home: string): Promise<string> {
  try {
    await mkdir(dirname(home), { recursive: true });
    await mkdir(home, { mode: HOME_MODE });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new HomeError(HomeErrorCode.UNUSABLE, `cannot create the home ${home}`, { cause: err });
    }
  }
  await checkHome(home);
  return home;
}

/** Throws BAD_PERMISSIONS unless `home` is a real directory, ours, with no group/other bits. */
export async function checkHome(home: string): Promise<void> {
  let st;
  try {
    st = await lstat(home);
  } catch (err) {
    throw new HomeError(HomeErrorCode.UNUSABLE, `cannot read the home ${home}`, { cause: err });
  }
  if (!st.isDirectory()) {
    throw new HomeError(HomeErrorCode.BAD_PERMISSIONS, `the home ${home} is not a directory (a symbolic link is not accepted)`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new HomeError(HomeErrorCode.BAD_PERMISSIONS, `the home ${home} belongs to uid ${st.uid}, not to us (uid ${uid})`);
  }
  if ((st.mode & HOME_FORBIDDEN_BITS) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
    throw new HomeError(
      HomeErrorCode.BAD_PERMISSIONS,
      `the home ${home} has mode ${mode}; it must be 700 (check who could read it, then: chmod 700 ${home})`,
    );
  }
}
