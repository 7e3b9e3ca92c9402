/**
 * Finding the `tor` executable: an explicit path, else a name looked up on $PATH and in the
 * directories Debian installs tor into. Missing means one typed error that names the package.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { TOR_DEBIAN_PACKAGE, TOR_EXTRA_SEARCH_DIRS } from './constants.js';
import { TorError, TorErrorCode } from './errors.js';

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function notFound(what: string): TorError {
  return new TorError(
    TorErrorCode.NOT_FOUND,
    `${what}: install the '${TOR_DEBIAN_PACKAGE}' package (apt-get install ${TOR_DEBIAN_PACKAGE}) or pass --tor-bin PATH`,
  );
}

/** Resolves `torBin` (a path, or a bare name searched on $PATH) to an executable's path. */
export async function findTor(torBin: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (torBin.includes('/')) {
    if (await isExecutableFile(torBin)) return torBin;
    throw notFound(`no executable tor at ${torBin}`);
  }
  const dirs = [...(env['PATH'] ?? '').split(delimiter).filter((d) => d.length > 0), ...TOR_EXTRA_SEARCH_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, torBin);
    if (await isExecutableFile(candidate)) return candidate;
  }
  throw notFound(`'${torBin}' was not found on PATH`);
}
