import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForOutput } from '../../helpers/testnet.js';

const SNUG = fileURLToPath(new URL('../../../../bin/snug.js', import.meta.url));

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe('daemon/cli/testnet', function () {
  this.timeout(90_000);
  let parent: string;
  let child: ChildProcess | undefined;

  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'snug-testnet-cli-'));
  });

  afterEach(() => {
    child?.kill('SIGKILL');
    rmSync(parent, { recursive: true, force: true });
  });

  it('prints the --tor-config flag that joins the network, and removes it all on SIGINT', async () => {
    const dir = join(parent, 'net');
    child = spawn(process.execPath, [SNUG, 'testnet', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const m = await waitForOutput(child, /^testnet ready: --tor-config (\S+)$/m);
    const file = m[1]!;
    assert.equal(file, join(dir, 'client.torrc'));
    const torrc = readFileSync(file, 'utf8');
    assert.match(torrc, /^TestingTorNetwork 1$/m);
    assert.equal(torrc.match(/^DirAuthority /gm)?.length, 5);
    child.kill('SIGINT');
    assert.equal(await exitOf(child), 0);
    assert.equal(existsSync(dir), false);
  });
});
