/**
 * Attach mode hands tor the onion key (ADD_ONION), so the listener must prove it is tor first.
 * Fake control ports on real sockets offer what an impostor would: only COOKIE, only NULL, a
 * password, or SAFECOOKIE with a cookie file of their own. None of them is ever sent a key, a
 * cookie or a password.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ready } from '../../../protocol/crypto.js';
import { torExpandedSecretKey } from '../../../protocol/identity.js';
import { main } from '../../../daemon/cli/main.js';
import { checkControlSocket, readTrustedCookie, trustedUids } from '../../../daemon/tor/auth.js';
import { isTorError, TorErrorCode } from '../../../daemon/tor/errors.js';
import { parseTorOptions, type TorOptions } from '../../../daemon/tor/options.js';
import { terminate, trackChild } from '../../../daemon/tor/reaper.js';
import { TorService } from '../../../daemon/tor/service.js';
import { startFakeControl, type FakeControl } from '../../helpers/fake-control.js';
import { captureIo } from '../../helpers/io.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { waitForOutput } from '../../helpers/testnet.js';

const SEED = new Uint8Array(32).fill(0x61);
/** A uid that is neither ours nor the tor user's. */
const NOBODY = 65534;

describe('daemon/tor/auth', function () {
  this.timeout(20_000);
  let dir: string;
  let fake: FakeControl | undefined;
  /** A cookie file the user trusts (as they would name tor's with --tor-cookie). */
  let userCookie: string;
  const userCookieBytes = randomBytes(32);

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    dir = await makeTempDir('auth');
    userCookie = join(dir, 'control_auth_cookie');
    await writeFile(userCookie, userCookieBytes, { mode: 0o600 });
  });

  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    await removeDir(dir);
  });

  function attachTo(port: number, extra: Partial<Extract<TorOptions, { mode: 'attach' }>> = {}, password?: string): TorService {
    return new TorService({
      dataDir: join(dir, 'snug'),
      options: { mode: 'attach', control: { host: '127.0.0.1', port }, socks: { host: '127.0.0.1', port: 9 }, ...extra },
      ...(password !== undefined ? { password } : {}),
    });
  }

  /** Nothing secret reached the fake: no ADD_ONION, no key, no cookie, no password. */
  function assertNothingSecretSent(f: FakeControl, password?: string): void {
    const received = f.received();
    assert.ok(!f.lines.some((l) => l.startsWith('ADD_ONION')), `ADD_ONION was sent: ${f.lines.join(' | ')}`);
    assert.ok(!received.includes(Buffer.from(torExpandedSecretKey(SEED)).toString('base64')), 'the key was sent');
    assert.ok(!received.toLowerCase().includes(userCookieBytes.toString('hex')), 'the cookie was sent');
    if (password !== undefined) assert.ok(!received.includes(password), 'the password was sent');
  }

  async function refusedWith(service: TorService, code: TorErrorCode): Promise<void> {
    await assert.rejects(service.start(), (err: unknown) => isTorError(err, code));
    assert.equal(service.status.state, 'failed');
    await assert.rejects(service.publishOnion({ identitySeed: SEED, localPort: 9 }), (err: unknown) => isTorError(err, TorErrorCode.NOT_RUNNING));
    await service.stop();
  }

  const impostors: { name: string; methods: string[] }[] = [
    { name: 'only COOKIE', methods: ['COOKIE'] },
    { name: 'only NULL', methods: ['NULL'] },
    { name: 'NULL and COOKIE', methods: ['NULL', 'COOKIE'] },
  ];
  for (const c of impostors) {
    it(`refuses a control port that offers ${c.name} with ERR_TOR_UNSAFE_AUTH, sending it nothing secret`, async () => {
      fake = await startFakeControl({ methods: c.methods, reportedCookieFile: userCookie });
      await refusedWith(attachTo(fake.port), TorErrorCode.UNSAFE_AUTH);
      assert.deepEqual(fake.lines, ['PROTOCOLINFO 1']);
      assertNothingSecretSent(fake);
    });

    it(`refuses a control port that offers ${c.name} even with a --tor-cookie, and never sends that cookie`, async () => {
      fake = await startFakeControl({ methods: c.methods });
      await refusedWith(attachTo(fake.port, { cookieFile: userCookie }), TorErrorCode.UNSAFE_AUTH);
      assert.deepEqual(fake.lines, ['PROTOCOLINFO 1']);
      assertNothingSecretSent(fake);
    });
  }

  it('refuses SAFECOOKIE without --tor-cookie and never reads the cookie file the listener names', async () => {
    // The fake's own cookie file, which it names in PROTOCOLINFO: reading it would let it pass.
    const fakeCookie = randomBytes(32);
    const fakeFile = join(dir, 'fake_cookie');
    await writeFile(fakeFile, fakeCookie, { mode: 0o600 });
    fake = await startFakeControl({ methods: ['SAFECOOKIE', 'COOKIE'], reportedCookieFile: fakeFile, cookie: fakeCookie });
    await refusedWith(attachTo(fake.port), TorErrorCode.UNSAFE_AUTH);
    assert.deepEqual(fake.lines, ['PROTOCOLINFO 1']);
    assertNothingSecretSent(fake);
  });

  it('fails SAFECOOKIE with ERR_TOR_AUTH_FAILED when the listener does not know the cookie the user named, before proving ours', async () => {
    const fakeCookie = randomBytes(32);
    const fakeFile = join(dir, 'fake_cookie');
    await writeFile(fakeFile, fakeCookie, { mode: 0o600 });
    fake = await startFakeControl({ methods: ['SAFECOOKIE', 'COOKIE'], reportedCookieFile: fakeFile, cookie: fakeCookie });
    await refusedWith(attachTo(fake.port, { cookieFile: userCookie }), TorErrorCode.AUTH_FAILED);
    assert.deepEqual(fake.lines.map((l) => l.split(' ').slice(0, 2).join(' ')), ['PROTOCOLINFO 1', 'AUTHCHALLENGE SAFECOOKIE']);
    assertNothingSecretSent(fake);
  });

  it('authenticates with SAFECOOKIE when the listener knows the cookie the user named (the fake above is otherwise sound)', async () => {
    fake = await startFakeControl({ methods: ['SAFECOOKIE', 'COOKIE'], reportedCookieFile: join(dir, 'elsewhere'), cookie: userCookieBytes });
    const service = attachTo(fake.port, { cookieFile: userCookie });
    try {
      await service.start();
      assert.equal(service.status.state, 'ready');
      assert.ok(fake.lines.some((l) => l.startsWith('AUTHENTICATE ')));
    } finally {
      await service.stop();
    }
  });

  it('refuses a password-only control port unless --tor-allow-password, sending no password', async () => {
    const password = 'a password the impostor must not learn';
    fake = await startFakeControl({ methods: ['HASHEDPASSWORD'] });
    await refusedWith(attachTo(fake.port, {}, password), TorErrorCode.UNSAFE_AUTH);
    assert.deepEqual(fake.lines, ['PROTOCOLINFO 1']);
    assertNothingSecretSent(fake, password);
  });

  it('with --tor-allow-password and no $SNUG_TOR_PASSWORD, fails with ERR_TOR_AUTH_FAILED', async () => {
    fake = await startFakeControl({ methods: ['HASHEDPASSWORD'] });
    await refusedWith(attachTo(fake.port, { allowPassword: true }), TorErrorCode.AUTH_FAILED);
    assert.deepEqual(fake.lines, ['PROTOCOLINFO 1']);
  });

  it('snug pub attached to a COOKIE-only control port exits 1 naming ERR_TOR_UNSAFE_AUTH, and the port never sees its onion key', async () => {
    fake = await startFakeControl({ methods: ['COOKIE'], reportedCookieFile: userCookie });
    const c = captureIo();
    const code = await main(['pub', '--home', join(dir, 'home'), '--tor-control', `127.0.0.1:${fake.port}`, '--tor-socks', '127.0.0.1:9', '--tor-cookie', userCookie], c.io);
    assert.equal(code, 1);
    assert.match(c.err[c.err.length - 1]!, /\(ERR_TOR_UNSAFE_AUTH\)$/);
    assert.equal(c.out.length, 0);
    assert.deepEqual(fake.lines, ['PROTOCOLINFO 1']);
    assert.ok(!fake.lines.some((l) => l.startsWith('ADD_ONION')));
  });

  describe('the cookie file the user names', () => {
    it('is read when it is ours, 32 bytes, and not writable by group or others', async () => {
      assert.deepEqual(Buffer.from(await readTrustedCookie(userCookie)), userCookieBytes);
    });

    it('is refused with ERR_TOR_UNTRUSTED_PATH when group or others can write it', async () => {
      for (const mode of [0o620, 0o602, 0o666]) {
        await chmod(userCookie, mode);
        await assert.rejects(readTrustedCookie(userCookie), (err: unknown) => isTorError(err, TorErrorCode.UNTRUSTED_PATH), mode.toString(8));
      }
    });

    it('is refused with ERR_TOR_UNTRUSTED_PATH when someone else owns it', async function () {
      if (process.getuid?.() !== 0) this.skip(); // only root can give a file away
      await chown(userCookie, NOBODY, NOBODY);
      await assert.rejects(readTrustedCookie(userCookie), (err: unknown) => isTorError(err, TorErrorCode.UNTRUSTED_PATH));
    });

    it('is read when the tor user owns it (Debian: debian-tor)', async function () {
      const torUid = (await trustedUids()).size > 1 ? [...(await trustedUids())].find((u) => u !== process.getuid?.()) : undefined;
      if (process.getuid?.() !== 0 || torUid === undefined) this.skip(); // needs root and a debian-tor user
      await chown(userCookie, torUid!, torUid!);
      assert.deepEqual(Buffer.from(await readTrustedCookie(userCookie)), userCookieBytes);
    });

    it('is refused before anything is sent when untrusted', async () => {
      fake = await startFakeControl({ methods: ['SAFECOOKIE'], cookie: userCookieBytes });
      await chmod(userCookie, 0o666);
      await refusedWith(attachTo(fake.port, { cookieFile: userCookie }), TorErrorCode.UNTRUSTED_PATH);
      assert.deepEqual(fake.lines, ['PROTOCOLINFO 1']);
    });
  });

  describe('a control socket', () => {
    it('is trusted when we own it: NULL authentication over it is fine', async () => {
      const path = join(dir, 'sock', 'control');
      await mkdir(join(dir, 'sock'), { mode: 0o700 });
      fake = await startFakeControl({ methods: ['NULL'], socketPath: path });
      const service = new TorService({
        dataDir: join(dir, 'snug'),
        options: { mode: 'attach', control: { socketPath: path }, socks: { host: '127.0.0.1', port: 9 } },
      });
      try {
        await service.start();
        assert.equal(service.status.state, 'ready');
        assert.deepEqual(fake.lines.slice(0, 2), ['PROTOCOLINFO 1', 'AUTHENTICATE']);
      } finally {
        await service.stop();
      }
    });

    it('is refused with ERR_TOR_UNTRUSTED_PATH, before connecting, when someone else owns it', async function () {
      if (process.getuid?.() !== 0) this.skip();
      const path = join(dir, 'sock', 'control');
      await mkdir(join(dir, 'sock'), { mode: 0o700 });
      fake = await startFakeControl({ methods: ['NULL'], socketPath: path });
      await chown(path, NOBODY, NOBODY);
      const service = new TorService({
        dataDir: join(dir, 'snug'),
        options: { mode: 'attach', control: { socketPath: path }, socks: { host: '127.0.0.1', port: 9 } },
      });
      await refusedWith(service, TorErrorCode.UNTRUSTED_PATH);
      assert.deepEqual(fake.lines, []);
    });

    it('is refused with ERR_TOR_UNTRUSTED_PATH when others could replace it (a world-writable directory without the sticky bit)', async () => {
      const path = join(dir, 'open', 'control');
      await mkdir(join(dir, 'open'));
      await chmod(join(dir, 'open'), 0o777);
      fake = await startFakeControl({ methods: ['NULL'], socketPath: path });
      await assert.rejects(checkControlSocket(path), (err: unknown) => isTorError(err, TorErrorCode.UNTRUSTED_PATH));
      assert.deepEqual(fake.lines, []);
    });

    it('is refused with ERR_TOR_UNTRUSTED_PATH when the path is not a socket', async () => {
      await assert.rejects(checkControlSocket(userCookie), (err: unknown) => isTorError(err, TorErrorCode.UNTRUSTED_PATH));
    });
  });

  describe('with a real tor on a control socket', () => {
    let torDir: string;
    let tor: ChildProcess | undefined;

    before(async function () {
      this.timeout(30_000);
      torDir = await makeTempDir('auth-socket-tor');
      await mkdir(join(torDir, 'run'), { mode: 0o700 });
      const torrc = [
        'DisableNetwork 1',
        `DataDirectory ${join(torDir, 'data')}`,
        'SocksPort 0',
        `ControlSocket ${join(torDir, 'run', 'control')}`,
        'CookieAuthentication 0',
        `__OwningControllerProcess ${process.pid}`,
        'Log notice stdout',
      ];
      await writeFile(join(torDir, 'torrc'), torrc.join('\n') + '\n');
      await writeFile(join(torDir, 'defaults'), '');
      tor = spawn('tor', ['-f', join(torDir, 'torrc'), '--defaults-torrc', join(torDir, 'defaults')], { stdio: ['ignore', 'pipe', 'inherit'] });
      trackChild(tor);
      await waitForOutput(tor, /Opened Control listener/);
    });

    after(async () => {
      if (tor) await terminate(tor, 3_000);
      await removeDir(torDir);
    });

    it('attaches through --tor-control unix:PATH (owned by us) with NULL authentication', async () => {
      const options = parseTorOptions({ control: `unix:${join(torDir, 'run', 'control')}`, socks: '127.0.0.1:9' });
      const service = new TorService({ dataDir: join(dir, 'snug'), options });
      try {
        await service.start();
        assert.notEqual(service.status.state, 'failed');
        assert.match((await service.getInfo(['version'])).get('version') ?? '', /^0\.4\./);
      } finally {
        await service.stop();
      }
      assert.equal(tor!.exitCode, null, 'the tor we attached to keeps running');
    });
  });
});

