/**
 * The pub's onion key file, HOME/pub/onion-key: version 0x01 || the 32-byte ed25519 seed of its
 * onion identity, mode 0600, so the pub's address survives restarts.
 */
import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ED25519_SEED_BYTES, randomBytes, wipe } from '../../protocol/crypto.js';
import { ONION_KEY_FILE, PUB_DIR } from './constants.js';
import { PubError, PubErrorCode } from './errors.js';

/** Version byte of the onion key file: 0x01 || 32-byte ed25519 seed. */
export const ONION_KEY_VERSION = 0x01;
const ONION_KEY_FILE_BYTES = 1 + ED25519_SEED_BYTES;

/**
 * The pub's onion identity seed, from HOME/pub/onion-key (0x01 || seed, mode 0600), created
 * at random on first use (written to a temp file, synced, then renamed into place).
 */
export async function loadOrCreateOnionSeed(home: string): Promise<Uint8Array> {
  const dir = join(home, PUB_DIR);
  const file = join(dir, ONION_KEY_FILE);
  let bytes: Uint8Array | undefined;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new PubError(PubErrorCode.BAD_KEY_FILE, `cannot read the pub's onion key ${file}`, { cause: err });
    }
  }
  if (bytes !== undefined) {
    if (bytes.length !== ONION_KEY_FILE_BYTES || bytes[0] !== ONION_KEY_VERSION) {
      wipe(bytes);
      throw new PubError(PubErrorCode.BAD_KEY_FILE, `the pub's onion key ${file} is not a version ${ONION_KEY_VERSION} key record`);
    }
    await chmod(file, 0o600).catch(() => {});
    const seed = bytes.slice(1);
    wipe(bytes);
    return seed;
  }
  const seed = randomBytes(ED25519_SEED_BYTES);
  const record = new Uint8Array(ONION_KEY_FILE_BYTES);
  record[0] = ONION_KEY_VERSION;
  record.set(seed, 1);
  const tmp = `${file}.tmp`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(record);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    const dh = await open(dir, 'r');
    await dh.sync().finally(() => dh.close());
  } catch (err) {
    throw new PubError(PubErrorCode.HOME_UNWRITABLE, `cannot write the pub's onion key ${file}`, { cause: err });
  } finally {
    wipe(record);
  }
  return seed;
}
