/**
 * End to end: `snug demo` in a tmux terminal. It starts a private Tor network, a pub, a bot
 * and the UI; a message typed there gets the bot's answer live; /quit stops everything: no
 * process of the demo is left and its temporary home is gone. Also Ctrl+C instead of /quit.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { SNUG_BIN } from '../../helpers/daemon.js';
import { startTmux, tmuxAvailable, type Tmux } from '../../helpers/tmux.js';

/** Every process whose command line names `path` (the demo's home is in every child's arguments). */
function processesNaming(path: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(path) && !l.includes('ps -eo'));
}

async function waitForExit(tty: Tmux, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const status = await tty.exitStatus();
    if (status !== null) return status;
    if (Date.now() > deadline) throw new Error(`the demo did not exit:\n${await tty.capture()}`);
    await sleep(200);
  }
}

describe('snug demo in tmux', function () {
  this.timeout(300_000);
  let tty: Tmux | null = null;

  before(async () => {
    if (!(await tmuxAvailable())) throw new Error('tmux is not installed (apt-get install tmux): the terminal tests need it');
  });
  afterEach(async () => {
    await tty?.kill();
    tty = null;
  });

  for (const quit of ['/quit', 'Ctrl+C'] as const) {
    it(`chats with the bot over the private Tor network, and leaves nothing running after ${quit}`, async () => {
      tty = await startTmux(`node ${SNUG_BIN} demo`, { cols: 120, rows: 32 });
      const first = await tty.waitFor((s) => /demo home: (\S+)/.test(s), 'the demo home', 30_000);
      const home = /demo home: (\S+)/.exec(first)![1]!;
      await tty.waitFor((s) => s.includes('starting a private Tor network'), 'progress while starting', 10_000);
      await tty.waitFor((s) => s.includes('write to') && s.includes('snugbot'), 'the UI open with the bot', 180_000);
      assert.ok(processesNaming(home).length >= 3, 'the demo runs its pub and daemons');
      await tty.type('hello bot');
      await tty.keys('Enter');
      await tty.waitFor((s) => s.includes('hello you!'), "the bot's answer", 60_000);
      if (quit === '/quit') {
        await tty.type('/quit');
        await tty.keys('Enter');
      } else {
        await tty.keys('C-c');
      }
      assert.equal(await waitForExit(tty, 60_000), 0);
      const last = await tty.capture();
      assert.match(last, /the demo stopped/);
      // the tors of the daemons watch their owner and may take a moment to go
      const deadline = Date.now() + 20_000;
      while (processesNaming(home).length > 0 && Date.now() < deadline) await sleep(250);
      assert.deepEqual(processesNaming(home), [], 'no process of the demo is left');
      assert.equal(existsSync(home), false, 'the temporary home is removed');
    });
  }
});
