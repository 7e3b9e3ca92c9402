/**
 * A child process for the kill -9 tests of the profile (test/daemon/profile/crash.test.ts): it
 * runs the real profile, store and journal code on a real disk and reports on stdout, one line
 * each, what it has been told is durable, so the parent can kill it at any moment and check.
 *
 * It reads one JSON line from stdin (never passphrases in argv): {mode, dir, passphrase,
 * newPassphrase?, writer?}. Lines out: "ready", then per mode
 *   create: "created <address>"
 *   change: "changed"
 *   write:  "ack <id> <value-hex>" per record put (three per synced batch), "seq <n> <k>" per
 *           journal append
 */
import { createInterface } from 'node:readline';
import { randomBytes, ready } from '../../protocol/crypto.js';
import { toHex, utf8Encode } from '../../protocol/bytes.js';
import { DEVELOPMENT_KDF } from '../../daemon/profile/constants.js';
import { ProfileService } from '../../daemon/profile/profile.js';
import { EncryptedJournal } from '../../daemon/journal/journal.js';

interface Command {
  readonly mode: 'create' | 'change' | 'write';
  readonly dir: string;
  readonly passphrase: string;
  readonly newPassphrase?: string;
  /** Distinguishes this run's record ids from earlier runs'. */
  readonly writer?: number;
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

async function main(): Promise<void> {
  const rl = createInterface({ input: process.stdin });
  const line = await new Promise<string>((resolve) => rl.once('line', resolve));
  rl.close();
  const cmd = JSON.parse(line) as Command;
  await ready();
  const profile = new ProfileService({}, { dir: cmd.dir, kdf: DEVELOPMENT_KDF, failureDelayBaseMs: 0 });
  if (cmd.mode === 'create') {
    say('ready');
    const p = await profile.create({ name: 'Crash Test', passphrase: cmd.passphrase });
    say(`created ${p.address}`);
  } else if (cmd.mode === 'change') {
    say('ready');
    await profile.changePassphrase(cmd.passphrase, cmd.newPassphrase!);
    say('changed');
  } else {
    const p = await profile.unlock(cmd.passphrase);
    const journal = new EncryptedJournal({ store: p.store });
    await journal.start();
    say('ready');
    let k = 0;
    const writer = async (): Promise<never> => {
      for (;;) {
        const n = k++;
        const id = `w${cmd.writer}-${n}`;
        const value = randomBytes(1 + (n % 300));
        await p.store.put('crash', utf8Encode(id), value);
        say(`ack ${id} ${toHex(value)}`);
      }
    };
    const batcher = async (): Promise<never> => {
      for (;;) {
        const n = k++;
        const ops = [0, 1, 2].map((j) => ({ type: 'put' as const, namespace: 'crash', id: utf8Encode(`b${cmd.writer}-${n}-${j}`), value: randomBytes(1 + ((n + j) % 500)) }));
        await p.store.batch(ops);
        ops.forEach((op, j) => say(`ack b${cmd.writer}-${n}-${j} ${toHex(op.value)}`));
      }
    };
    const appender = async (): Promise<never> => {
      for (;;) {
        const n = k++;
        const note = await journal.append('test/didWrite', { k: n, writer: cmd.writer ?? 0 });
        say(`seq ${note.params.seq} ${n}`);
      }
    };
    await Promise.all([writer(), writer(), batcher(), appender(), appender()]);
  }
  // stay alive until killed, so the parent decides when the process ends
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  process.stderr.write(`child failed: ${(err as { code?: string }).code ?? ''} ${String(err)}\n`);
  process.exit(3);
});
