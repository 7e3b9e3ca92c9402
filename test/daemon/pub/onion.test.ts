import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BLOB_VERSION } from '../../../protocol/constants.js';
import { ready } from '../../../protocol/crypto.js';
import { parseOnionAddress } from '../../../protocol/identity.js';
import { PubClient } from '../../../daemon/pub/client.js';
import type { TorService } from '../../../daemon/tor/service.js';
import { terminate, trackChild } from '../../../daemon/tor/reaper.js';
import { freePorts } from '../../../daemon/tor/testnet.js';
import { torDialer } from '../../../daemon/transport/tor.js';
import type { Dialer } from '../../../daemon/transport/types.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { sharedTestNetwork, startTestTor, waitForOutput } from '../../helpers/testnet.js';

const SNUG = fileURLToPath(new URL('../../../../bin/snug.js', import.meta.url));
const ADDRESS_LINE = /^pub address: ([a-z2-7]{56}\.onion)$/m;

interface PubProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

function spawnPub(home: string, torArgs: readonly string[]): PubProcess {
  const child = spawn(process.execPath, [SNUG, 'pub', '--home', home, ...torArgs, '--pow-difficulty', '4'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // 'close', not 'exit': 'exit' may come before the last of stdout and stderr was read (tor
  // has pipes of its own, so nothing else holds these open)
  const p: PubProcess = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.once('close', (code) => resolve(code))) };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (p.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (p.stderr += d));
  return p;
}

async function addressOf(p: PubProcess): Promise<string> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const m = ADDRESS_LINE.exec(p.stdout);
    if (m) return m[1]!;
    if (p.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no 'pub address:' line (exit ${p.child.exitCode}); stdout: ${p.stdout}; stderr: ${p.stderr.slice(-2000)}`);
    }
    await sleep(100);
  }
}

/** Connects through tor, retrying while the freshly uploaded descriptor propagates. */
async function connectWithRetry(dialer: Dialer, address: string): Promise<PubClient> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await PubClient.connect(dialer, address, { timeoutMs: 20_000 });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

async function stopPub(p: PubProcess): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

describe('snug pub as an onion service (private Tor network)', function () {
  this.timeout(240_000);
  let home: string | undefined;
  let clientTor: TorService | undefined;
  const pubs: PubProcess[] = [];
  const clients: PubClient[] = [];

  before(async () => {
    await ready();
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    for (const p of pubs) await stopPub(p);
    await clientTor?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('prints its onion address once reachable, serves posts and fetches through tor, and keeps the address across restarts', async () => {
    const network = await sharedTestNetwork();
    home = await mkdtemp(join(tmpdir(), 'snug-pub-onion-'));
    const torConfig = join(home, 'client.torrc');
    await writeFile(torConfig, network.clientTorrcLines().join('\n') + '\n');
    const pubHome = join(home, 'pub-home');

    const first = spawnPub(pubHome, ['--tor-config', torConfig]);
    pubs.push(first);
    const [address] = await Promise.all([addressOf(first), startTestTor('pub-client').then((t) => (clientTor = t))]);
    assert.equal(parseOnionAddress(address), address, 'a valid v3 onion address');
    assert.equal(first.stdout.trim().split('\n').length, 1, 'exactly one line on stdout');
    assert.equal((await stat(join(pubHome, 'pub', 'onion-key'))).mode & 0o777, 0o600);

    const client = await connectWithRetry(torDialer(clientTor!), address);
    clients.push(client);
    assert.equal(client.policy.powDifficulty, 4);
    const blob = new Uint8Array(2048).fill(0x42);
    blob[0] = BLOB_VERSION;
    assert.deepEqual(await client.post(blob), { cursor: 1n, duplicate: false });
    const page = await client.fetch(0n);
    assert.equal(page.blobs.length, 1);
    assert.deepEqual(page.blobs[0]!.blob, blob);
    await client.close();

    assert.equal(await stopPub(first), 0);
    assert.ok(!first.stderr.includes(address.slice(0, 56)), 'the logs do not name the address');

    const second = spawnPub(pubHome, ['--tor-config', torConfig]);
    pubs.push(second);
    assert.equal(await addressOf(second), address, 'the same address after a restart');
    const again = await connectWithRetry(torDialer(clientTor!), address);
    clients.push(again);
    assert.deepEqual(await again.post(blob), { cursor: 1n, duplicate: true });
    await again.close();
    assert.equal(await stopPub(second), 0);
  });

  it('attached to a running tor through --tor-control and --tor-cookie, publishes its onion service and leaves that tor running', async function () {
    const network = await sharedTestNetwork();
    const dir = await makeTempDir('pub-onion-attach');
    let handTor: ChildProcess | undefined;
    try {
      await mkdir(join(dir, 'data'), { mode: 0o700 });
      const [socksPort, controlPort] = (await freePorts(2)) as [number, number];
      const torrc = [
        ...network.clientTorrcLines(),
        `DataDirectory ${join(dir, 'data')}`,
        `SocksPort 127.0.0.1:${socksPort}`,
        `ControlPort 127.0.0.1:${controlPort}`,
        'CookieAuthentication 1',
        `__OwningControllerProcess ${process.pid}`,
        'Log notice stdout',
      ];
      await writeFile(join(dir, 'torrc'), torrc.join('\n') + '\n');
      await writeFile(join(dir, 'defaults'), '');
      handTor = spawn('tor', ['-f', join(dir, 'torrc'), '--defaults-torrc', join(dir, 'defaults')], { stdio: ['ignore', 'pipe', 'inherit'] });
      trackChild(handTor);
      await waitForOutput(handTor, /Opened Control listener/);
      const pub = spawnPub(join(dir, 'pub-home'), [
        '--tor-control', `127.0.0.1:${controlPort}`,
        '--tor-socks', `127.0.0.1:${socksPort}`,
        '--tor-cookie', join(dir, 'data', 'control_auth_cookie'),
      ]);
      pubs.push(pub);
      const [address] = await Promise.all([addressOf(pub), clientTor ? Promise.resolve(clientTor) : startTestTor('pub-client').then((t) => (clientTor = t))]);
      assert.equal(parseOnionAddress(address), address);
      const client = await connectWithRetry(torDialer(clientTor!), address);
      clients.push(client);
      const blob = new Uint8Array(2048).fill(0x5a);
      blob[0] = BLOB_VERSION;
      assert.deepEqual(await client.post(blob), { cursor: 1n, duplicate: false });
      await client.close();
      assert.equal(await stopPub(pub), 0);
      await sleep(200);
      assert.equal(handTor.exitCode, null, 'the tor it attached to keeps running');
    } finally {
      if (handTor) await terminate(handTor, 3_000);
      await removeDir(dir);
    }
  });
});

