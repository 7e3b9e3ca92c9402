/**
 * The daemon's journal (c3's EncryptedJournal on a real encrypted record store, behind the
 * schema-checking adapter) against the NotificationJournal rules every implementation follows
 * (c1's shared suite), plus what the adapter adds: a stored entry that is not a known
 * notification is left out of a replay.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes, ready } from '../../../protocol/crypto.js';
import { EncryptedJournal } from '../../../daemon/journal/journal.js';
import { ProfileJournal } from '../../../daemon/services/journal.js';
import { RecordStore } from '../../../daemon/store/store.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { notificationJournalSuite } from '../api/journal-suite.js';

const silent = () => {};

notificationJournalSuite('ProfileJournal (EncryptedJournal on the record store)', async (maxEntries) => {
  await ready();
  const dir = await makeTempDir('profile-journal');
  const store = await RecordStore.open(join(dir, 'records'), randomBytes(32));
  const journal = await ProfileJournal.open({ store, log: silent }, { keepCount: maxEntries, maxCount: maxEntries, keepMs: 0 });
  return {
    journal,
    close: async () => {
      await journal.close();
      await store.close();
      await removeDir(dir);
    },
  };
});

describe('daemon/services/journal: ProfileJournal', () => {
  it('leaves out of a replay a stored entry of an unknown method or off its schema, and the seq goes on', async () => {
    await ready();
    const dir = await makeTempDir('profile-journal');
    const store = await RecordStore.open(join(dir, 'records'), randomBytes(32));
    try {
      const raw = new EncryptedJournal({ store });
      await raw.start();
      await raw.append('tor/didProgress', { bootstrap: 5, state: 'bootstrapping', onion: 'off' });
      await raw.append('no/suchNotification', { x: 1 });
      await raw.append('tor/didProgress', { bootstrap: 500, state: 'bootstrapping', onion: 'off' });
      await raw.stop();
      const skipped: number[] = [];
      const journal = await ProfileJournal.open({ store, log: (_e, f) => skipped.push(Number(f?.['count'])) });
      const replay = await journal.since(0);
      assert.deepEqual(replay.notifications.map((n) => n.params.seq), [1]);
      assert.equal(replay.latest, 3);
      assert.deepEqual(skipped, [2]);
      assert.equal((await journal.append('tor/didProgress', { bootstrap: 6, state: 'bootstrapping', onion: 'off' })).params.seq, 4);
      await journal.close();
    } finally {
      await store.close();
      await removeDir(dir);
    }
  });
});
