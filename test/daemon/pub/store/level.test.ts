/**
 * Opening the store's databases (daemon/pub/store/level.ts): LevelDB's failures as typed errors.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PubErrorCode } from '../../../../daemon/pub/errors.js';
import { BlobStore } from '../../../../daemon/pub/store/index.js';
import { rejectsWith, useStoreDir } from '../../../helpers/store-fixtures.js';

describe('daemon/pub/store/level', () => {
  const at = useStoreDir('pub-level');
  const { openStore } = at;

  it('refuses a second open of the same store while the first holds it', async () => {
    await openStore();
    const second = new BlobStore({ path: join(at.dir, 'blobs') });
    await rejectsWith(second.open(), PubErrorCode.HOME_LOCKED);
  });

  it('fails with HOME_UNWRITABLE where the store cannot be created', async () => {
    await writeFile(join(at.dir, 'file'), 'x');
    const s = new BlobStore({ path: join(at.dir, 'file', 'blobs') });
    await rejectsWith(s.open(), PubErrorCode.HOME_UNWRITABLE);
  });
});
