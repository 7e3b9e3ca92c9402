import assert from 'node:assert/strict';
import { MemoryJournal } from '../../../daemon/api/journal.js';
import { notificationJournalSuite } from './journal-suite.js';

notificationJournalSuite('MemoryJournal', async (maxEntries) => ({ journal: new MemoryJournal({ maxEntries }), close: async () => {} }));

describe('MemoryJournal', () => {
  it('continues the seq of a journal it resumes', async () => {
    const journal = new MemoryJournal({ latest: 41 });
    assert.equal((await journal.append('tor/didProgress', { bootstrap: 5, state: 'starting', onion: 'off' })).params.seq, 42);
    assert.equal((await journal.since(0)).missed, 41);
  });

  it('refuses a bound that is not a positive integer', () => {
    assert.throws(() => new MemoryJournal({ maxEntries: 0 }), RangeError);
  });
});
