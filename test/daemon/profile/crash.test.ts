/**
 * kill -9 during create, during changePassphrase, and while records and notifications are
 * written, 20 times each: a child process (test/helpers/profile-crash-child.ts) runs the real
 * code on a real disk and reports what it was told is durable; it is killed at moments spread
 * over the operation. Afterwards the profile opens with the old or the new passphrase, never
 * neither, and nothing acknowledged is lost.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex, utf8Encode } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { DEVELOPMENT_KDF } from '../../../daemon/profile/constants.js';
import { isProfileError, ProfileErrorCode } from '../../../daemon/profile/errors.js';
import { ProfileService, profileExists } from '../../../daemon/profile/profile.js';
import { EncryptedJournal } from '../../../daemon/journal/journal.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

const ROUNDS = 20;
const CHILD = fileURLToPath(new URL('../../helpers/profile-crash-child.js', import.meta.url));

interface Child {
  readonly lines: string[];
  /** Resolves when a line satisfies `match` (rejects if the child exits first). */
  waitFor(match: (line: string) => boolean): Promise<string>;
  kill(): Promise<void>;
  stderr(): string;
}

function startChild(command: object): Child {
  const proc: ChildProcess = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  let partial = '';
  let exited = false;
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    let i: number;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.match(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exit = new Promise<void>((resolve) => proc.once('exit', () => {
    exited = true;
    for (const w of waiters.splice(0)) w.reject(new Error(`the child exited; stderr: ${err}`));
    resolve();
  }));
  proc.stdin!.end(JSON.stringify(command) + '\n');
  return {
    lines,
    waitFor(match) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      if (exited) return Promise.reject(new Error(`the child exited; stderr: ${err}`));
      return new Promise((resolve, reject) => waiters.push({ match, resolve, reject }));
    },
    async kill() {
      if (!exited) proc.kill('SIGKILL');
      await exit;
    },
    stderr: () => err,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function verifier(dir: string): ProfileService {
  return new ProfileService({}, { dir, kdf: DEVELOPMENT_KDF, failureDelayBaseMs: 0 });
}

/** True when `passphrase` unlocks the profile in `dir` (false on ERR_BAD_PASSPHRASE only). */
async function opensWith(dir: string, passphrase: string): Promise<boolean> {
  const s = verifier(dir);
  try {
    await s.unlock(passphrase);
    return true;
  } catch (err) {
    if (isProfileError(err, ProfileErrorCode.BAD_PASSPHRASE)) return false;
    throw err;
  } finally {
    await s.lock();
  }
}

/** How long the child takes from "ready" to `done` when nobody kills it. */
async function calibrate(command: object, done: (l: string) => boolean): Promise<number> {
  const child = startChild(command);
  try {
    await child.waitFor((l) => l === 'ready');
    const t = performance.now();
    await child.waitFor(done);
    return performance.now() - t;
  } finally {
    await child.kill();
  }
}

describe('the profile under kill -9', function () {
  this.timeout(300_000);
  let home: string | undefined;

  before(ready);
  beforeEach(async () => {
    home = await makeTempDir('profile-crash');
  });
  afterEach(async () => {
    await removeDir(home);
  });

  it(`leaves no profile or a whole one across ${ROUNDS} kills during create`, async () => {
    const span = await calibrate({ mode: 'create', dir: join(home!, 'calibrate'), passphrase: 'pw' }, (l) => l.startsWith('created'));
    const outcomes = { none: 0, whole: 0, acknowledged: 0 };
    let reach = 2;
    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(home!, `p${round}`);
      const passphrase = `create-${round}`;
      const child = startChild({ mode: 'create', dir, passphrase });
      await child.waitFor((l) => l === 'ready');
      // kills spread from at once to past the usual end; if the second half still never got past
      // the commit point (a slow machine), reach further
      if (round >= ROUNDS / 2 && outcomes.whole === 0) reach *= 1.5;
      await sleep((span * reach * round) / ROUNDS);
      await child.kill();
      const acked = child.lines.some((l) => l.startsWith('created'));
      if (acked) outcomes.acknowledged += 1;
      if (await profileExists(dir)) {
        assert.ok(await opensWith(dir, passphrase), `round ${round}: a profile exists that its passphrase does not open`);
        outcomes.whole += 1;
      } else {
        assert.ok(!acked, `round ${round}: create was acknowledged but there is no profile`);
        outcomes.none += 1;
        const s = verifier(dir);
        await s.create({ name: 'again', passphrase }); // the leftovers do not stand in the way
        await s.lock();
        assert.ok(await opensWith(dir, passphrase));
      }
    }
    console.log(`      create ${span.toFixed(0)} ms; after the kills: ${JSON.stringify(outcomes)}`);
    assert.ok(outcomes.none > 0 && outcomes.whole > 0, 'the kills did not fall on both sides of the commit point');
  });

  it(`opens with the old or the new passphrase across ${ROUNDS} kills during changePassphrase`, async () => {
    const dir = join(home!, 'p');
    const s = verifier(dir);
    await s.create({ name: 'A', passphrase: 'pass-0' });
    const p = s.requireUnlocked();
    await p.store.put('keep', utf8Encode('r'), utf8Encode('kept'));
    await s.lock();
    let current = 'pass-0';
    const span = await (async () => {
      const t = await calibrate({ mode: 'change', dir, passphrase: current, newPassphrase: 'pass-c' }, (l) => l === 'changed');
      assert.ok(await opensWith(dir, 'pass-c'));
      current = 'pass-c';
      return t;
    })();
    const outcomes = { old: 0, new: 0 };
    let reach = 2;
    for (let round = 0; round < ROUNDS; round++) {
      const next = `pass-${round + 1}`;
      const child = startChild({ mode: 'change', dir, passphrase: current, newPassphrase: next });
      await child.waitFor((l) => l === 'ready');
      if (round >= ROUNDS / 2 && outcomes.new === 0) reach *= 1.5;
      await sleep((span * reach * round) / ROUNDS);
      await child.kill();
      const acked = child.lines.includes('changed');
      const opensNew = await opensWith(dir, next);
      const opensOld = await opensWith(dir, current);
      assert.ok(opensNew !== opensOld, `round ${round}: opens with old ${opensOld}, new ${opensNew}`);
      if (acked) assert.ok(opensNew, `round ${round}: the change was acknowledged but the new passphrase does not open`);
      if (opensNew) {
        current = next;
        outcomes.new += 1;
      } else outcomes.old += 1;
    }
    const q = await verifier(dir).unlock(current);
    assert.deepEqual(await q.store.get('keep', utf8Encode('r')), utf8Encode('kept'));
    await q.store.close();
    console.log(`      changePassphrase ${span.toFixed(0)} ms; after the kills: ${JSON.stringify(outcomes)}`);
    assert.ok(outcomes.old > 0 && outcomes.new > 0, 'the kills did not fall on both sides of the rename');
  });

  it(`loses no acknowledged record or notification across ${ROUNDS} kills while writing`, async () => {
    const dir = join(home!, 'p');
    const s = verifier(dir);
    await s.create({ name: 'A', passphrase: 'pw' });
    await s.lock();
    const records = new Map<string, string>();
    const seqs = new Map<number, number>(); // seq -> k
    for (let round = 0; round < ROUNDS; round++) {
      const child = startChild({ mode: 'write', dir, passphrase: 'pw', writer: round });
      await child.waitFor((l) => l === 'ready');
      await child.waitFor((l) => l.startsWith('ack'));
      await sleep(10 + ((round * 37) % 150));
      await child.kill();
      const before = Math.max(0, ...seqs.keys());
      for (const line of child.lines) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'ack') records.set(a!, b!);
        if (kind === 'seq') {
          const seq = Number(a);
          assert.ok(seq > before, `round ${round}: seq ${seq} was handed out again (before: ${before})`);
          assert.ok(!seqs.has(seq), `round ${round}: seq ${seq} twice`);
          seqs.set(seq, Number(b));
        }
      }
      const v = verifier(dir);
      const p = await v.unlock('pw');
      try {
        for (const [id, hex] of records) {
          const got = await p.store.get('crash', utf8Encode(id));
          assert.ok(got !== undefined, `round ${round}: acknowledged record ${id} is missing`);
          assert.equal(toHex(got), hex, `round ${round}: record ${id} holds other bytes`);
        }
        const journal = new EncryptedJournal({ store: p.store });
        await journal.start();
        const { notifications, missed } = await journal.since(0);
        assert.equal(missed, 0);
        const held = new Map(notifications.map((n) => [n.params.seq, n.params.k]));
        for (const [seq, k] of seqs) assert.equal(held.get(seq), k, `round ${round}: acknowledged notification ${seq} is missing or changed`);
        await journal.stop();
      } finally {
        await v.lock();
      }
    }
    assert.ok(records.size >= ROUNDS && seqs.size >= ROUNDS, `only ${records.size} records and ${seqs.size} notifications were acknowledged`);
    console.log(`      acknowledged and found after ${ROUNDS} kills: ${records.size} records, ${seqs.size} notifications`);
  });
});
