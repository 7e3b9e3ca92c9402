/**
 * The rules of a NotificationJournal (daemon/api/journal.ts), as one suite that runs against
 * every implementation: MemoryJournal here, the encrypted on-disk one in daemon/journal/.
 * `make(maxEntries)` builds an empty journal holding at most that many notifications (an
 * implementation that also drops by age may ignore nothing here: nothing below is old).
 */
import assert from 'node:assert/strict';
import type { NotificationJournal } from '../../../daemon/api/journal.js';
import type { Notification } from '../../../protocol/api/notifications.js';

export interface JournalFixture {
  readonly journal: NotificationJournal;
  close(): Promise<void>;
}

const progress = (bootstrap: number) => ({ bootstrap, state: 'bootstrapping' as const, onion: 'off' as const });

export function notificationJournalSuite(name: string, make: (maxEntries: number) => Promise<JournalFixture>): void {
  describe(`NotificationJournal rules: ${name}`, () => {
    let fixture: JournalFixture | undefined;
    afterEach(async () => {
      await fixture?.close();
      fixture = undefined;
    });

    it('numbers notifications 1, 2, 3 and stores their params with the seq', async () => {
      fixture = await make(100);
      const a = await fixture.journal.append('tor/didProgress', progress(1));
      const b = await fixture.journal.append('tor/didProgress', progress(2));
      assert.equal(a.params.seq, 1);
      assert.equal(b.params.seq, 2);
      assert.deepEqual(b, { method: 'tor/didProgress', params: { ...progress(2), seq: 2 } });
    });

    it('replays the notifications after since, oldest first, with nothing missed', async () => {
      fixture = await make(100);
      for (let i = 1; i <= 5; i++) await fixture.journal.append('tor/didProgress', progress(i));
      const replay = await fixture.journal.since(2);
      assert.deepEqual(replay.notifications.map((n) => n.params.seq), [3, 4, 5]);
      assert.equal(replay.missed, 0);
      assert.equal(replay.latest, 5);
      assert.deepEqual((await fixture.journal.since(0)).notifications.length, 5);
      assert.deepEqual((await fixture.journal.since(5)).notifications, []);
    });

    it('counts as missed the notifications after since that it no longer holds', async () => {
      fixture = await make(3);
      for (let i = 1; i <= 10; i++) await fixture.journal.append('tor/didProgress', progress(i));
      const replay = await fixture.journal.since(2);
      assert.deepEqual(replay.notifications.map((n) => n.params.seq), [8, 9, 10]);
      assert.equal(replay.missed, 5);
      assert.equal((await fixture.journal.since(0)).missed, 7);
      assert.equal((await fixture.journal.since(7)).missed, 0);
    });

    it('reports latest 0 and nothing to replay when empty', async () => {
      fixture = await make(10);
      assert.deepEqual(await fixture.journal.since(0), { notifications: [], missed: 0, latest: 0 });
    });

    it('tells each listener of every later notification once, in seq order, until it unsubscribes', async () => {
      fixture = await make(100);
      await fixture.journal.append('tor/didProgress', progress(1));
      const seen: number[] = [];
      const unlisten = fixture.journal.listen((n: Notification) => seen.push(n.params.seq));
      const appended = [];
      for (let i = 0; i < 5; i++) appended.push(fixture.journal.append('tor/didProgress', progress(i)));
      await Promise.all(appended);
      unlisten();
      await fixture.journal.append('tor/didProgress', progress(9));
      assert.deepEqual(seen, [2, 3, 4, 5, 6]);
    });

    it('goes on telling the other listeners when one throws', async () => {
      fixture = await make(100);
      const seen: number[] = [];
      fixture.journal.listen(() => {
        throw new Error('listener fault');
      });
      fixture.journal.listen((n) => seen.push(n.params.seq));
      await fixture.journal.append('tor/didProgress', progress(1));
      assert.deepEqual(seen, [1]);
    });
  });
}
