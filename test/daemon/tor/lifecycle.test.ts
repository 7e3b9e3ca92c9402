import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTorError, TorErrorCode } from '../../../daemon/tor/errors.js';
import { TorService } from '../../../daemon/tor/service.js';
import { isAlive, waitForOutput } from '../../helpers/testnet.js';

const SERVICE_MODULE = new URL('../../../daemon/tor/service.js', import.meta.url).href;

/** Pids of processes whose command line mentions `needle`. */
async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

describe('daemon/tor/service lifecycle', function () {
  this.timeout(30_000);
  let dir: string;
  let extra: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snug-lifecycle-'));
    // DisableNetwork: an offline tor is enough to check process handling.
    extra = join(dir, 'extra.torrc');
    await writeFile(extra, 'DisableNetwork 1\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts one tor for concurrent start() calls', async () => {
    const service = new TorService({ dataDir: join(dir, 'twice'), options: { mode: 'spawn', torBin: 'tor', extraConfigFile: extra } });
    try {
      await Promise.all([service.start(), service.start()]);
      assert.equal((await processesMentioning(join(dir, 'twice', 'torrc'))).length, 1);
    } finally {
      await service.stop();
    }
    assert.deepEqual(await processesMentioning(join(dir, 'twice', 'torrc')), []);
  });

  for (const delayMs of [0, 30, 150]) {
    it(`leaves no tor behind when stopped ${delayMs} ms into start()`, async () => {
      const service = new TorService({ dataDir: join(dir, `interrupted-${delayMs}`), options: { mode: 'spawn', torBin: 'tor', extraConfigFile: extra } });
      const starting = service.start().then(
        () => null,
        (err: unknown) => err,
      );
      await sleep(delayMs);
      await service.stop();
      const outcome = await starting;
      assert.ok(outcome === null || isTorError(outcome, TorErrorCode.ABORTED), String(outcome));
      await service.stop();
      assert.equal(service.status.state, 'stopped');
      assert.deepEqual(await processesMentioning(join(dir, `interrupted-${delayMs}`, 'torrc')), []);
    });
  }

  it('takes its tor down with it even when the daemon is SIGKILLed', async () => {
    const script = `
      import { TorService } from ${JSON.stringify(SERVICE_MODULE)};
      const s = new TorService({ dataDir: ${JSON.stringify(join(dir, 'owned'))},
        options: { mode: 'spawn', torBin: 'tor', extraConfigFile: ${JSON.stringify(extra)} } });
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
    }
  });
});
