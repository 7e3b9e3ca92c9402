import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TorControl } from '../../../daemon/tor/control.js';
import { isTorError, TorErrorCode } from '../../../daemon/tor/errors.js';
import { TorService } from '../../../daemon/tor/service.js';

describe('daemon/tor/control', () => {
  describe('a control port that misbehaves', () => {
    let server: Server;
    let behaviour: (socket: Socket) => void = () => {};
    let dir: string;
    const sockets = new Set<Socket>();

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'snug-control-'));
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
        behaviour(socket);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    });

    /**
     * A service attached to the misbehaving port. Short control timeouts only where the timeout
     * is what a case tests: elsewhere a slow machine must not turn the expected error into one.
     */
    function attach(controlTimeoutMs: number): TorService {
      const port = (server.address() as AddressInfo).port;
      return new TorService({
        dataDir: dir,
        // a password allowed, so that 'offers only a password while we have none' reaches that check
        options: { mode: 'attach', control: { host: '127.0.0.1', port }, socks: { host: '127.0.0.1', port: 9 }, allowPassword: true },
        controlTimeoutMs,
      });
    }

    const cases: { name: string; behaviour: (socket: Socket) => void; code: string }[] = [
      { name: 'sends garbage lines', behaviour: (s) => s.write('SSH-2.0-OpenSSH_9.2\r\n'), code: TorErrorCode.CONTROL_MALFORMED },
      { name: 'sends random bytes', behaviour: (s) => s.write(Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0a])), code: TorErrorCode.CONTROL_MALFORMED },
      { name: 'sends an endless line', behaviour: (s) => s.write(Buffer.alloc(70 * 1024, 0x41)), code: TorErrorCode.CONTROL_MALFORMED },
      { name: 'never answers', behaviour: () => {}, code: TorErrorCode.CONTROL_TIMEOUT },
      { name: 'starts a reply and never ends it', behaviour: (s) => s.once('data', () => s.write('250-PROTOCOLINFO 1\r\n')), code: TorErrorCode.CONTROL_TIMEOUT },
      { name: 'hangs up mid-reply', behaviour: (s) => s.once('data', () => s.end('250+x=\r\nabc\r\n')), code: TorErrorCode.CONTROL_CLOSED },
      { name: 'answers PROTOCOLINFO without an AUTH line', behaviour: (s) => s.once('data', () => s.write('250-PROTOCOLINFO 1\r\n250 OK\r\n')), code: TorErrorCode.CONTROL_MALFORMED },
      {
        name: 'offers only a password while we have none',
        behaviour: (s) => s.once('data', () => s.write('250-PROTOCOLINFO 1\r\n250-AUTH METHODS=HASHEDPASSWORD\r\n250 OK\r\n')),
        code: TorErrorCode.AUTH_FAILED,
      },
    ];
    for (const c of cases) {
      it(`fails start() with a typed error when it ${c.name}`, async () => {
        behaviour = c.behaviour;
        const service = attach(c.code === TorErrorCode.CONTROL_TIMEOUT ? 500 : 10_000);
        await assert.rejects(service.start(), (err: unknown) => isTorError(err, c.code as TorErrorCode));
        assert.equal(service.status.state, 'failed');
        await service.stop();
      });
    }

    it('fails a command with a typed error when the reply is malformed', async () => {
      behaviour = (s) => s.once('data', () => s.write('250-GETINFO\r\n250 OK\r\n'));
      const control = await TorControl.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port }, { commandTimeoutMs: 10_000 });
      try {
        await assert.rejects(control.getInfo(['version']), (err: unknown) => isTorError(err, TorErrorCode.CONTROL_MALFORMED));
      } finally {
        control.close();
      }
    });

    it('closes the connection with a typed error on a reply nobody asked for', async () => {
      behaviour = (s) => s.write('250 OK\r\n');
      const control = await TorControl.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
      const closed = await new Promise<unknown>((resolve) => control.addEventListener('close', (e) => resolve((e as CustomEvent<Error>).detail)));
      assert.ok(isTorError(closed, TorErrorCode.CONTROL_MALFORMED));
      assert.equal(control.closed, true);
    });

    it('keeps the connection usable after the caller aborts a command', async () => {
      behaviour = (s) => {
        let buffered = '';
        s.on('data', (c: Buffer) => {
          buffered += c.toString();
          const lines = buffered.split('\r\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) setTimeout(() => s.write(`250 ${line.split(' ')[1]}\r\n`), 100);
        });
      };
      const control = await TorControl.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port }, { commandTimeoutMs: 2_000 });
      try {
        const aborted = control.request('ECHO first', { signal: AbortSignal.timeout(10) });
        const second = control.request('ECHO second');
        await assert.rejects(aborted, (err: unknown) => isTorError(err, TorErrorCode.ABORTED));
        const reply = await second;
        assert.equal(reply.lines[0]?.text, 'second');
        assert.equal(control.closed, false);
      } finally {
        control.close();
      }
    });

    it('refuses to send a command that spans lines', async () => {
      behaviour = () => {};
      const control = await TorControl.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
      try {
        await assert.rejects(control.request('GETINFO version\r\nSIGNAL HALT'), TypeError);
      } finally {
        control.close();
      }
    });

    it('reports a closed port as a typed error', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      await assert.rejects(TorControl.connect({ host: '127.0.0.1', port }), (err: unknown) => isTorError(err, TorErrorCode.CONTROL_CLOSED));
    });
  });
});
