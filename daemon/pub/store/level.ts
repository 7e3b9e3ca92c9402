/**
 * Opening the store's LevelDB databases (binary keys and values, no compression), with open
 * failures mapped to typed errors: HOME_LOCKED when another pub holds the database,
 * HOME_UNWRITABLE otherwise.
 */
import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import { PubError, PubErrorCode } from '../errors.js';

/** One of the store's databases: the log or the dedupe index. */
export type Db = Level<Uint8Array, Uint8Array>;

/** One operation of a LevelDB batch. */
export type Op = { type: 'del'; key: Uint8Array } | { type: 'put'; key: Uint8Array; value: Uint8Array };

export interface LevelOptions {
  readonly cacheSize: number;
  readonly writeBufferSize: number;
  readonly maxOpenFiles: number;
  readonly maxFileSize: number;
}

/** Maps a LevelDB open failure to a typed error. */
function openError(err: unknown, path: string): PubError {
  const e = err as { code?: string; cause?: { code?: string } };
  const codes = [e.code, e.cause?.code];
  if (codes.includes('LEVEL_LOCKED')) {
    return new PubError(PubErrorCode.HOME_LOCKED, `another pub is using the store at ${path}`, { cause: err });
  }
  return new PubError(PubErrorCode.HOME_UNWRITABLE, `cannot open the pub store at ${path}`, { cause: err });
}

/** Opens (creating) one of the store's LevelDB databases, mapping failures to typed errors. */
export async function openLevel(path: string, options: LevelOptions): Promise<Db> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PubError(PubErrorCode.HOME_UNWRITABLE, `cannot create the pub store at ${path}`, { cause: err });
  }
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', compression: false, ...options });
  try {
    await db.open();
  } catch (err) {
    throw openError(err, path);
  }
  return db;
}
