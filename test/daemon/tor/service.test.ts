import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ready } from '../../../protocol/crypto.js';
import { identityFromSeed } from '../../../protocol/identity.js';
import { findTor } from '../../../daemon/tor/binary.js';
import { isTorError, TorErrorCode } from '../../../daemon/tor/errors.js';
import { terminate, trackChild } from '../../../daemon/tor/reaper.js';
import { TorService, type TorState } from '../../../daemon/tor/service.js';
import { freePorts } from '../../../daemon/tor/testnet.js';
import { torDialer } from '../../../daemon/transport/tor.js';
import { dialWithRetry, isAlive, roundTrip, waitForOutput, sharedTestNetwork, startEchoServer, startTestTor, type EchoServer } from '../../helpers/testnet.js';

/** Fixed identity seeds, so the expected addresses are known before tor says anything. */
const SEED_A = new Uint8Array(32).fill(0x11);
const SEED_ATTACHED = new Uint8Array(32).fill(0x22);
const SEED_RESTART = new Uint8Array(32).fill(0x44);

function waitForState(service: TorService, state: TorState, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (service.status.state === state) return resolve();
    const onState = (e: Event) => {
      if ((e as CustomEvent<TorState>).detail === state) {
        service.removeEventListener('state', onState);
        resolve();
      }
    };
    service.addEventListener('state', onState);
    signal.addEventListener('abort', () => reject(new Error(`state ${state} not reached`)), { once: true });
  });
}

describe('daemon/tor/service', function () {
  this.timeout(90_000);
  let server: TorService | undefined;
  let client: TorService | undefined;
  let echo: EchoServer | undefined;

  before(async function () {
    this.timeout(120_000);
    await ready();
    echo = await startEchoServer();
    [server, client] = await Promise.all([startTestTor('server'), startTestTor('client')]);
  });

  after(async () => {
    await Promise.all([server?.stop(), client?.stop()]);
    await echo?.close();
  });

  it('bootstraps inside the private network and reports 100%', () => {
    assert.deepEqual(server!.status, { bootstrap: 100, state: 'ready' });
    assert.deepEqual(client!.status, { bootstrap: 100, state: 'ready' });
  });

  it('publishes an onion service at the address protocol/ derives, reachable from another tor both ways', async () => {
    const onion = await server!.publishOnion({ identitySeed: SEED_A, localPort: echo!.port });
    assert.equal(onion.address, identityFromSeed(SEED_A).address);
    await onion.uploaded({ signal: AbortSignal.timeout(30_000) });
    const ws = await dialWithRetry(torDialer(client!), onion.address);
    try {
      assert.equal(await roundTrip(ws, 'hello through tor'), 'hello through tor');
      assert.equal(await roundTrip(ws, 'and back again'), 'and back again');
    } finally {
      ws.terminate();
    }
  });

  it('recovers when its tor is killed: restarts, publishes the service again, and it is reachable', async function () {
    this.timeout(120_000);
    const onion = await server!.publishOnion({ identitySeed: SEED_RESTART, localPort: echo!.port });
    await onion.uploaded({ signal: AbortSignal.timeout(30_000) });
    const first = await dialWithRetry(torDialer(client!), onion.address);
    assert.equal(await roundTrip(first, 'before the restart'), 'before the restart');
    const before = server!.pid;
    assert.ok(before !== undefined && isAlive(before));
    const states: TorState[] = [];
    server!.addEventListener('state', (e) => states.push((e as CustomEvent<TorState>).detail));
    const restarting = waitForState(server!, 'restarting', AbortSignal.timeout(10_000));
    process.kill(before, 'SIGKILL');
    await restarting;
    await waitForState(server!, 'ready', AbortSignal.timeout(60_000));
    assert.equal(states[0], 'restarting');
    assert.equal(states[states.length - 1], 'ready');
    const after = server!.pid;
    assert.ok(after !== undefined && after !== before && isAlive(after));
    first.terminate();
    await onion.uploaded({ signal: AbortSignal.timeout(30_000) });
    const ws = await dialWithRetry(torDialer(client!), onion.address, { withinMs: 90_000 });
    try {
      assert.equal(await roundTrip(ws, 'after the restart'), 'after the restart');
    } finally {
      ws.terminate();
    }
  });

  it('removes an onion service with DEL_ONION', async () => {
    const seed = new Uint8Array(32).fill(0x33);
    const onion = await server!.publishOnion({ identitySeed: seed, localPort: echo!.port });
    const listed = async () => (await server!.getInfo(['onions/current'])).get('onions/current') ?? '';
    assert.match(await listed(), new RegExp(onion.address.slice(0, 56)));
    await onion.remove();
    assert.doesNotMatch(await listed(), new RegExp(onion.address.slice(0, 56)));
    await assert.rejects(onion.uploaded(), (err: unknown) => isTorError(err, TorErrorCode.NOT_RUNNING));
  });

  it('leaves no tor process behind when stopped', async function () {
    this.timeout(60_000);
    const extra = await startTestTor('short-lived');
    const pid = extra.pid;
    assert.ok(pid !== undefined && isAlive(pid));
    await extra.stop();
    assert.equal(extra.status.state, 'stopped');
    assert.equal(isAlive(pid), false);
  });

  it('keeps its data directory private (0700) with a generated torrc that includes the --tor-config lines', async () => {
    const network = await sharedTestNetwork();
    const dataDir = join(network.dir, 'clients', 'mode-check');
    const service = new TorService({ dataDir, options: { mode: 'spawn', torBin: 'tor', extraConfigFile: await network.clientTorrcFile() } });
    try {
      await service.start();
      const { mode } = await import('node:fs').then((fs) => fs.statSync(dataDir));
      assert.equal(mode & 0o777, 0o700);
      const torrc = await readFile(join(dataDir, 'torrc'), 'utf8');
      for (const line of network.clientTorrcLines()) assert.ok(torrc.includes(line), `torrc lacks ${line}`);
    } finally {
      await service.stop();
    }
  });

  describe('when tor is missing', () => {
    it('fails start() with a typed error that names the package for a path that does not exist', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'snug-notor-'));
      try {
        const service = new TorService({ dataDir: join(dir, 'tor'), options: { mode: 'spawn', torBin: join(dir, 'no-such-tor') } });
        await assert.rejects(service.start(), (err: unknown) => isTorError(err, TorErrorCode.NOT_FOUND));
        assert.equal(service.status.state, 'failed');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('fails with the same typed error for a name found nowhere on PATH', async () => {
      await assert.rejects(findTor('snug-no-such-tor-binary', { PATH: '/nonexistent' }), (err: unknown) => isTorError(err, TorErrorCode.NOT_FOUND));
    });
  });

  describe('attached to a tor it did not start', () => {
    let dir: string;
    let handTor: ChildProcess | undefined;
    let socksPort: number;
    let controlPort: number;

    before(async function () {
      this.timeout(60_000);
      const network = await sharedTestNetwork();
      dir = join(network.dir, `hand-${process.pid}`);
      await mkdir(join(dir, 'data'), { recursive: true, mode: 0o700 });
      [socksPort, controlPort] = (await freePorts(2)) as [number, number];
      const torrc = [
        ...network.clientTorrcLines(),
        `DataDirectory ${join(dir, 'data')}`,
        `SocksPort 127.0.0.1:${socksPort}`,
        `ControlPort 127.0.0.1:${controlPort}`,
        'CookieAuthentication 1',
        'Log notice stdout',
      ];
      await writeFile(join(dir, 'torrc'), torrc.join('\n') + '\n');
      await writeFile(join(dir, 'defaults'), '');
      handTor = spawn('tor', ['-f', join(dir, 'torrc'), '--defaults-torrc', join(dir, 'defaults')], { stdio: ['ignore', 'pipe', 'inherit'] });
      trackChild(handTor);
      await waitForOutput(handTor, /Opened Control listener/);
    });

    after(async () => {
      if (handTor) await terminate(handTor, 3_000);
    });

    it('refuses that tor without --tor-cookie (ERR_TOR_UNSAFE_AUTH): it cannot prove it is tor', async () => {
      const attached = new TorService({
        dataDir: join(dir, 'snug-nocookie'),
        options: { mode: 'attach', control: { host: '127.0.0.1', port: controlPort }, socks: { host: '127.0.0.1', port: socksPort } },
      });
      await assert.rejects(attached.start(), (err: unknown) => isTorError(err, TorErrorCode.UNSAFE_AUTH));
      await attached.stop();
    });

    it('authenticates with the cookie, publishes an onion service reachable from another tor, and leaves that tor running', async function () {
      this.timeout(90_000);
      const attached = new TorService({
        dataDir: join(dir, 'snug'),
        options: {
          mode: 'attach',
          control: { host: '127.0.0.1', port: controlPort },
          socks: { host: '127.0.0.1', port: socksPort },
          cookieFile: join(dir, 'data', 'control_auth_cookie'),
        },
      });
      try {
        await attached.start();
        await attached.waitBootstrapped({ signal: AbortSignal.timeout(60_000) });
        const onion = await attached.publishOnion({ identitySeed: SEED_ATTACHED, localPort: echo!.port });
        assert.equal(onion.address, identityFromSeed(SEED_ATTACHED).address);
        await onion.uploaded({ signal: AbortSignal.timeout(30_000) });
        const ws = await dialWithRetry(torDialer(client!), onion.address);
        try {
          assert.equal(await roundTrip(ws, 'attached'), 'attached');
        } finally {
          ws.terminate();
        }
        // And the attached service dials out through the hand-started tor's SOCKS port.
        const out = await dialWithRetry(torDialer(attached), identityFromSeed(SEED_A).address);
        try {
          assert.equal(await roundTrip(out, 'outbound'), 'outbound');
        } finally {
          out.terminate();
        }
      } finally {
        await attached.stop();
      }
      await sleep(200);
      assert.equal(handTor!.exitCode, null, 'the tor we attached to must keep running');
    });
  });

  describe('attached with password authentication', () => {
    let dir: string;
    let pwTor: ChildProcess | undefined;
    let controlPort: number;
    const password = 'correct horse battery staple';

    before(async function () {
      this.timeout(30_000);
      dir = await mkdtemp(join(tmpdir(), 'snug-pwtor-'));
      await writeFile(join(dir, 'defaults'), '');
      const hashed = spawnSync('tor', ['--ignore-missing-torrc', '-f', join(dir, 'none'), '--defaults-torrc', join(dir, 'defaults'), '--quiet', '--hash-password', password], { encoding: 'utf8' });
      const hash = /^16:[0-9A-F]+$/m.exec(hashed.stdout)?.[0];
      assert.ok(hash, `tor --hash-password gave ${hashed.stdout}${hashed.stderr}`);
      [controlPort] = (await freePorts(1)) as [number];
      const torrc = [
        'DisableNetwork 1',
        `DataDirectory ${join(dir, 'data')}`,
        'SocksPort 0',
        `ControlPort 127.0.0.1:${controlPort}`,
        `HashedControlPassword ${hash}`,
        `__OwningControllerProcess ${process.pid}`,
        'Log notice stdout',
      ];
      await writeFile(join(dir, 'torrc'), torrc.join('\n') + '\n');
      pwTor = spawn('tor', ['-f', join(dir, 'torrc'), '--defaults-torrc', join(dir, 'defaults')], { stdio: ['ignore', 'pipe', 'inherit'] });
      trackChild(pwTor);
      await waitForOutput(pwTor, /Opened Control listener/);
    });

    after(async () => {
      if (pwTor) await terminate(pwTor, 3_000);
      await rm(dir, { recursive: true, force: true });
    });

    function attach(pw: string | undefined): TorService {
      return new TorService({
        dataDir: join(dir, 'snug'),
        options: { mode: 'attach', control: { host: '127.0.0.1', port: controlPort }, socks: { host: '127.0.0.1', port: 9 }, allowPassword: true },
        ...(pw !== undefined ? { password: pw } : {}),
      });
    }

    it('authenticates with the right password', async () => {
      const service = attach(password);
      try {
        await service.start();
        assert.notEqual(service.status.state, 'failed');
      } finally {
        await service.stop();
      }
    });

    it('refuses the password without --tor-allow-password (ERR_TOR_UNSAFE_AUTH)', async () => {
      const service = new TorService({
        dataDir: join(dir, 'snug'),
        options: { mode: 'attach', control: { host: '127.0.0.1', port: controlPort }, socks: { host: '127.0.0.1', port: 9 } },
        password,
      });
      await assert.rejects(service.start(), (err: unknown) => isTorError(err, TorErrorCode.UNSAFE_AUTH));
      await service.stop();
    });

    it('fails with a typed error on a wrong password', async () => {
      const service = attach('wrong');
      await assert.rejects(service.start(), (err: unknown) => isTorError(err, TorErrorCode.AUTH_FAILED));
      await service.stop();
    });
  });
});
