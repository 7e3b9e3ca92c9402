import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ready } from '../../../protocol/crypto.js';
import { loadOrCreateOnionSeed, ONION_KEY_VERSION } from '../../../daemon/pub/onion-key.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

describe('daemon/pub/onion-key', () => {
  let home: string | undefined;

  before(async () => {
    await ready();
  });

  afterEach(async () => {
    await removeDir(home);
    home = undefined;
  });

  it('creates HOME/pub/onion-key (0600, version byte, 32-byte seed) and gives the same seed back', async () => {
    home = await makeTempDir('onion-key');
    const seed = await loadOrCreateOnionSeed(home);
    assert.equal(seed.length, 32);
    const file = join(home, 'pub', 'onion-key');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const bytes = await readFile(file);
    assert.equal(bytes.length, 33);
    assert.equal(bytes[0], ONION_KEY_VERSION);
    assert.deepEqual(new Uint8Array(bytes.subarray(1)), seed);
    assert.deepEqual(await loadOrCreateOnionSeed(home), seed);
  });

  it('refuses a key file of another version or length with ERR_PUB_BAD_KEY_FILE', async () => {
    home = await makeTempDir('onion-key');
    await loadOrCreateOnionSeed(home);
    const file = join(home, 'pub', 'onion-key');
    for (const bad of [Buffer.alloc(33, 0x02), Buffer.alloc(32, 0x01), Buffer.alloc(34, 0x01)]) {
      await writeFile(file, bad);
      await assert.rejects(loadOrCreateOnionSeed(home), (err: unknown) => (err as { code?: string }).code === 'ERR_PUB_BAD_KEY_FILE');
    }
  });
});
