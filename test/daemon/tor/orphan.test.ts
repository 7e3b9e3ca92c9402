import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, waitForOutput } from '../../helpers/testnet.js';

const SERVICE_MODULE = new URL('../../../daemon/tor/service.js', import.meta.url).href;

describe('daemon/tor/service ownership', function () {
  this.timeout(30_000);

  it('takes its tor down with it even when the daemon is SIGKILLed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snug-orphan-'));
    // DisableNetwork: an offline tor is enough to check ownership.
    await writeFile(join(dir, 'extra.torrc'), 'DisableNetwork 1\n');
    const script = `
      import { TorService } from ${JSON.stringify(SERVICE_MODULE)};
      const s = new TorService({ dataDir: ${JSON.stringify(join(dir, 'tor'))},
        options: { mode: 'spawn', torBin: 'tor', extraConfigFile: ${JSON.stringify(join(dir, 'extra.torrc'))} } });
      await s.start();
      process.stdout.write('pid ' + s.pid + '\\n');
      setInterval(() => {}, 1000);
    `;
    const daemon = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let torPid: number | undefined;
    try {
      torPid = Number((await waitForOutput(daemon, /pid (\d+)/))[1]);
      assert.ok(isAlive(torPid));
      daemon.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (isAlive(torPid) && Date.now() < deadline) await sleep(50);
      assert.equal(isAlive(torPid), false, 'tor outlived the process that owned it');
    } finally {
      daemon.kill('SIGKILL');
      if (torPid !== undefined && isAlive(torPid)) process.kill(torPid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
