import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, waitForOutput } from '../../helpers/testnet.js';

const REAPER_MODULE = new URL('../../../daemon/tor/reaper.js', import.meta.url).href;

describe('daemon/tor/reaper', function () {
  this.timeout(30_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`kills the tors it tracks when the process is interrupted by ${signal}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'snug-reaper-'));
      await writeFile(join(dir, 'torrc'), `DisableNetwork 1\nDataDirectory ${join(dir, 'data')}\nSocksPort 0\nLog notice stdout\n`);
      await writeFile(join(dir, 'defaults'), '');
      // A tor with no owning controller: only the reaper can take it down with its parent.
      const script = `
        import { spawn } from 'node:child_process';
        import { installSignalHandlers, trackChild } from ${JSON.stringify(REAPER_MODULE)};
        installSignalHandlers();
        const tor = spawn('tor', ['-f', ${JSON.stringify(join(dir, 'torrc'))}, '--defaults-torrc', ${JSON.stringify(join(dir, 'defaults'))}],
          { stdio: 'ignore', detached: true });
        trackChild(tor);
        process.stdout.write('pid ' + tor.pid + '\\n');
        setInterval(() => {}, 1000);
      `;
      const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let torPid: number | undefined;
      try {
        torPid = Number((await waitForOutput(parent, /pid (\d+)/))[1]);
        await sleep(200);
        assert.ok(isAlive(torPid));
        const exited = new Promise<NodeJS.Signals | null>((resolve) => parent.once('exit', (_code, sig) => resolve(sig)));
        parent.kill(signal);
        assert.equal(await exited, signal, 'the signal still ends the process');
        const deadline = Date.now() + 5_000;
        while (isAlive(torPid) && Date.now() < deadline) await sleep(50);
        assert.equal(isAlive(torPid), false, 'tor outlived its interrupted parent');
      } finally {
        parent.kill('SIGKILL');
        if (torPid !== undefined && isAlive(torPid)) process.kill(torPid, 'SIGKILL');
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
