/**
 * The profile at rest: unlock time at the default Argon2id cost (the parameters printed beside
 * it), a wrong passphrase's time (the same cost), changePassphrase, and the encrypted store and
 * journal beside a bare LevelDB doing the same synced writes.
 */
import { join } from 'node:path';
import { Level } from 'level';
import { randomBytes, ready } from '../protocol/crypto.js';
import { utf8Encode } from '../protocol/bytes.js';
import { DEFAULT_KDF, DEVELOPMENT_KDF } from '../daemon/profile/constants.js';
import { ProfileService } from '../daemon/profile/profile.js';
import { EncryptedJournal } from '../daemon/journal/journal.js';
import { RecordStore } from '../daemon/store/store.js';
import { makeTempDir, removeDir } from '../test/helpers/temp.js';
import { fmt, figure, heading, median, note, nowMs } from './stats.js';

const UNLOCKS = 5;
const WRITES = 500;
const NOTIFICATIONS = 5000;

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t = nowMs();
  await fn();
  return nowMs() - t;
}

export async function runProfileBench(): Promise<void> {
  await ready();
  const home = await makeTempDir('bench-profile');
  try {
    heading('profile: Argon2id key derivation (in a worker)');
    note(`default: Argon2id v1.3, opsLimit ${DEFAULT_KDF.opsLimit}, memLimit ${DEFAULT_KDF.memLimit / 1024 / 1024} MiB (libsodium MODERATE)`);
    const s = new ProfileService({}, { dir: join(home, 'p'), failureDelayBaseMs: 0 });
    figure('create (default cost)', await timeMs(() => s.create({ name: 'bench', passphrase: 'bench passphrase' })), 'ms');
    await s.lock();
    const unlocks: number[] = [];
    for (let i = 0; i < UNLOCKS; i++) {
      unlocks.push(await timeMs(() => s.unlock('bench passphrase')));
      await s.lock();
    }
    figure('unlock (default cost), median', median(unlocks), 'ms', `of ${UNLOCKS}; min ${fmt(Math.min(...unlocks))} max ${fmt(Math.max(...unlocks))}`);
    figure('wrong passphrase (default cost)', await timeMs(() => s.unlock('wrong').catch(() => undefined)), 'ms', 'the full KDF, then ERR_BAD_PASSPHRASE');
    await s.unlock('bench passphrase');
    figure('changePassphrase (two derivations)', await timeMs(() => s.changePassphrase('bench passphrase', 'another')), 'ms');
    await s.lock();
    const dev = new ProfileService({}, { dir: join(home, 'dev'), kdf: DEVELOPMENT_KDF });
    await dev.create({ name: 'bench', passphrase: 'pw' });
    await dev.lock();
    figure('unlock (development cost, tests only)', await timeMs(() => dev.unlock('pw')), 'ms', `opsLimit ${DEVELOPMENT_KDF.opsLimit}, memLimit ${DEVELOPMENT_KDF.memLimit / 1024} KiB`);
    await dev.lock();

    heading('profile: encrypted store and journal (synced writes)');
    const store = await RecordStore.open(join(home, 'store'), randomBytes(32));
    const value = randomBytes(200);
    const sealedPut = await timeMs(async () => {
      for (let i = 0; i < WRITES; i++) await store.put('bench', utf8Encode(`record-${i}`), value);
    });
    const bare = new Level<Uint8Array, Uint8Array>(join(home, 'bare'), { keyEncoding: 'view', valueEncoding: 'view', compression: false });
    await bare.open();
    const barePut = await timeMs(async () => {
      for (let i = 0; i < WRITES; i++) await bare.put(utf8Encode(`record-${i}`), value, { sync: true });
    });
    await bare.close();
    figure('encrypted put, one at a time', (WRITES / sealedPut) * 1000, 'puts/s', `bare LevelDB synced put: ${fmt((WRITES / barePut) * 1000)} puts/s`);
    const journal = new EncryptedJournal({ store });
    await journal.start();
    const oneByOne = await timeMs(async () => {
      for (let i = 0; i < 200; i++) await journal.append('bench/didTick', { i });
    });
    figure('journal appends, one at a time', (200 / oneByOne) * 1000, 'notifications/s', 'one synced batch each');
    const appendMs = await timeMs(() => Promise.all(Array.from({ length: NOTIFICATIONS }, (_, i) => journal.append('bench/didTick', { i }))));
    figure('journal appends, all at once (group commit)', (NOTIFICATIONS / appendMs) * 1000, 'notifications/s');
    figure('journal replay since 0', await timeMs(() => journal.since(0)), 'ms', `${NOTIFICATIONS + 200} notifications`);
    await journal.stop();
    await store.close();
  } finally {
    await removeDir(home);
  }
}
