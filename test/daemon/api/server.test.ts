import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstat, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { API_ERRORS } from '../../../protocol/api/errors.js';
import { METHODS } from '../../../protocol/api/methods.js';
import { ApiError } from '../../../protocol/api/errors.js';
import { MemoryJournal } from '../../../daemon/api/journal.js';
import { ApiServer } from '../../../daemon/api/server.js';
import { isApiTransportError } from '../../../daemon/api/errors.js';
import { SOCKET_NAME } from '../../../daemon/api/constants.js';
import { LineClient, errorCodeOf, startTestServer, testHandlers, type TestServer } from '../../helpers/api-server.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

/** Binds `path` in a child process and SIGKILLs it, which leaves the socket file with nothing behind it. */
async function leaveDeadSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

const status = (id: number | string = 1) => ({ jsonrpc: '2.0', id, method: 'daemon/status' });
const progress = (bootstrap: number) => ({ bootstrap, state: 'bootstrapping' as const, onion: 'off' as const });

describe('ApiServer', () => {
  let t: TestServer | undefined;
  const clients: LineClient[] = [];
  const connect = async (path = t!.socketPath) => {
    const c = await LineClient.connect(path);
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await t?.close();
    t = undefined;
  });

  describe('the socket file', () => {
    it('is created with mode 0600 in the directory it is given, named snug.sock', async () => {
      t = await startTestServer();
      assert.equal(t.socketPath, join(t.dir, SOCKET_NAME));
      const s = await lstat(t.socketPath);
      assert.ok(s.isSocket());
      assert.equal(s.mode & 0o777, 0o600);
    });

    it('replaces a stale socket that nothing answers on', async () => {
      const dir = await makeTempDir('api-stale');
      try {
        // a socket file left behind by a process killed with SIGKILL (it never unlinks)
        await leaveDeadSocket(join(dir, SOCKET_NAME));
        assert.ok((await lstat(join(dir, SOCKET_NAME))).isSocket(), 'the dead socket file is there');
        t = await startTestServer({ directory: dir });
        const c = await connect();
        assert.deepEqual(((await c.call(status())) as { id: number }).id, 1);
      } finally {
        await t?.close();
        t = undefined;
        await removeDir(dir);
      }
    });

    it('refuses to start when a live server answers on the socket, and leaves it working', async () => {
      t = await startTestServer();
      const second = new ApiServer({ journal: new MemoryJournal() }, { directory: t.dir });
      await assert.rejects(second.start(), (err: unknown) => err instanceof ApiError && err.code === 'ERR_DAEMON_RUNNING');
      const c = await connect();
      assert.ok('result' in ((await c.call(status())) as object));
    });

    it('does not remove something that is not a socket where the socket goes', async () => {
      const dir = await makeTempDir('api-notsock');
      try {
        await writeFile(join(dir, SOCKET_NAME), 'not a socket');
        const server = new ApiServer({}, { directory: dir });
        await assert.rejects(server.start(), (err: unknown) => isApiTransportError(err, 'ERR_API_NOT_A_SOCKET'));
        assert.ok((await stat(join(dir, SOCKET_NAME))).isFile());
      } finally {
        await removeDir(dir);
      }
    });

    it('refuses a socket path longer than a Unix socket address holds', async () => {
      const server = new ApiServer({}, { directory: '/tmp/' + 'x'.repeat(120) });
      await assert.rejects(server.start(), (err: unknown) => isApiTransportError(err, 'ERR_API_SOCKET_PATH_TOO_LONG'));
    });

    it('removes its socket file on stop, and can start again', async () => {
      t = await startTestServer();
      await t.server.stop();
      await assert.rejects(lstat(t.socketPath), { code: 'ENOENT' });
      await t.server.start();
      const c = await connect();
      assert.ok('result' in ((await c.call(status())) as object));
    });
  });

  describe('requests', () => {
    beforeEach(async () => {
      t = await startTestServer();
    });

    it('answers a request with its result under the same id', async () => {
      const c = await connect();
      const r = (await c.call(status('abc'))) as { id: string; result: { version: string } };
      assert.equal(r.id, 'abc');
      assert.equal(r.result.version, 'test');
    });

    it('answers a line that is not JSON with -32700 ERR_PARSE and id null', async () => {
      const c = await connect();
      c.sendRaw('{"jsonrpc":"2.0",\n');
      const [r] = await c.waitLines(1);
      assert.equal((r as { id: null }).id, null);
      assert.equal((r as { error: { code: number } }).error.code, -32700);
      assert.equal(errorCodeOf(r), 'ERR_PARSE');
    });

    it('answers bytes that are not UTF-8 with ERR_PARSE', async () => {
      const c = await connect();
      c.sendRaw(Buffer.from([0x22, 0xff, 0xfe, 0x22, 0x0a]));
      assert.equal(errorCodeOf((await c.waitLines(1))[0]), 'ERR_PARSE');
    });

    it('answers what is not a request object with -32600 ERR_INVALID_REQUEST, echoing a valid id', async () => {
      const c = await connect();
      const cases: [unknown, unknown][] = [
        [1, null],
        ['x', null],
        [null, null],
        [{ jsonrpc: '1.0', id: 7, method: 'daemon/status' }, 7],
        [{ jsonrpc: '2.0', id: 8 }, 8],
        [{ jsonrpc: '2.0', id: 9, method: 5 }, 9],
        [{ jsonrpc: '2.0', id: 10, method: 'daemon/status', params: 'x' }, 10],
        [{ jsonrpc: '2.0', id: { no: 1 }, method: 'daemon/status' }, null],
      ];
      for (const [input, id] of cases) {
        const r = (await c.call(input)) as { id: unknown; error: { code: number } };
        assert.equal(r.error.code, -32600, JSON.stringify(input));
        assert.equal(errorCodeOf(r), 'ERR_INVALID_REQUEST');
        assert.equal(r.id, id);
      }
    });

    it('answers an unknown method with -32601 ERR_METHOD_NOT_FOUND, including inherited property names', async () => {
      const c = await connect();
      for (const method of ['nope/nope', '__proto__', 'constructor', 'toString', '']) {
        const r = (await c.call({ jsonrpc: '2.0', id: 1, method })) as { error: { code: number } };
        assert.equal(r.error.code, -32601, method);
        assert.equal(errorCodeOf(r), 'ERR_METHOD_NOT_FOUND');
      }
    });

    it('answers params of the wrong shape for every method with -32602 ERR_INVALID_PARAMS', async () => {
      const c = await connect();
      const wrong: unknown[] = [[], [1], { unknownMember: 1 }];
      for (const method of Object.keys(METHODS)) {
        for (const params of wrong) {
          const r = (await c.call({ jsonrpc: '2.0', id: 1, method, params })) as { error?: { code: number } };
          assert.equal(r.error?.code, -32602, `${method} ${JSON.stringify(params)}`);
          assert.equal(errorCodeOf(r), 'ERR_INVALID_PARAMS');
        }
      }
    });

    it('answers each wrong-typed or missing member of each method with -32602, naming the member', async () => {
      const c = await connect();
      const bad: Record<string, Record<string, unknown>[]> = {
        'profile/create': [{}, { name: 'x' }, { passphrase: 'x' }, { name: 1, passphrase: 'p' }, { name: 'x', passphrase: 1 }, { name: '', passphrase: 'p' }, { name: '  ', passphrase: 'p' }, { name: 'a\u0007', passphrase: 'p' }, { name: 'x'.repeat(65), passphrase: 'p' }, { name: 'x', passphrase: '' }, { name: 'x', passphrase: 'p'.repeat(1025) }],
        'profile/unlock': [{}, { passphrase: null }, { passphrase: 5 }, { passphrase: '' }],
        'profile/changePassphrase': [{}, { passphrase: 'a' }, { newPassphrase: 'a' }, { passphrase: 'a', newPassphrase: false }],
        'event/subscribe': [{ since: -1 }, { since: 1.5 }, { since: '3' }, { since: null }, { since: 2 ** 60 }],
      };
      for (const [method, list] of Object.entries(bad)) {
        for (const params of list) {
          const r = (await c.call({ jsonrpc: '2.0', id: 1, method, params })) as { error?: { code: number; data: { issues: unknown[] } } };
          assert.equal(r.error?.code, -32602, `${method} ${JSON.stringify(params)}`);
          assert.ok(r.error.data.issues.length > 0);
        }
      }
    });

    it('validates params before the handler runs', async () => {
      await t!.close();
      let ran = 0;
      t = await startTestServer({}, { ...testHandlers(), 'profile/unlock': async () => {
        ran += 1;
        return { address: 'a'.repeat(56) + '.onion' };
      } });
      const c = await connect();
      await c.call({ jsonrpc: '2.0', id: 1, method: 'profile/unlock', params: { passphrase: 1 } });
      assert.equal(ran, 0);
    });

    it('answers an ApiError thrown by a handler with its code, message and data.code', async () => {
      const c = await connect();
      const r = (await c.call({ jsonrpc: '2.0', id: 1, method: 'profile/unlock', params: { passphrase: 'x' } })) as { error: { code: number } };
      assert.equal(r.error.code, API_ERRORS.ERR_NO_PROFILE.code);
      assert.equal(errorCodeOf(r), 'ERR_NO_PROFILE');
    });

    it('answers any other throw as ERR_INTERNAL without its message', async () => {
      await t!.close();
      t = await startTestServer({}, { ...testHandlers(), 'daemon/status': async () => {
        throw new Error('secret path /home/someone');
      } });
      const c = await connect();
      const r = (await c.call(status())) as { error: { code: number; message: string } };
      assert.equal(errorCodeOf(r), 'ERR_INTERNAL');
      assert.equal(r.error.code, 1000);
      assert.ok(!JSON.stringify(r).includes('secret'));
    });

    it('answers ERR_INTERNAL when a handler returns a result its descriptor does not allow', async () => {
      await t!.close();
      t = await startTestServer({}, { ...testHandlers(), 'profile/create': (async () => ({ address: 'not an address' })) });
      const c = await connect();
      const r = await c.call({ jsonrpc: '2.0', id: 1, method: 'profile/create', params: { name: 'a', passphrase: 'b' } });
      assert.equal(errorCodeOf(r), 'ERR_INTERNAL');
    });

    it('sends nothing for a notification, even a failing one', async () => {
      const c = await connect();
      c.send({ jsonrpc: '2.0', method: 'daemon/status' });
      c.send({ jsonrpc: '2.0', method: 'nope/nope' });
      c.send({ jsonrpc: '2.0', method: 'profile/unlock', params: { passphrase: 1 } });
      const r = (await c.call(status(2))) as { id: number };
      assert.equal(r.id, 2);
      assert.equal(c.lines.length, 1);
    });

    it('skips blank lines and takes CRLF line ends', async () => {
      const c = await connect();
      c.sendRaw('\n  \r\n' + JSON.stringify(status(3)) + '\r\n');
      const [r] = await c.waitLines(1);
      assert.equal((r as { id: number }).id, 3);
    });

    it('reads requests split across writes and several in one write', async () => {
      const c = await connect();
      const text = JSON.stringify(status(1)) + '\n' + JSON.stringify(status(2)) + '\n';
      for (const ch of text) c.sendRaw(ch);
      await c.waitLines(2);
      assert.deepEqual(c.lines.map((l) => (l as { id: number }).id).sort(), [1, 2]);
    });

    it("aborts a running handler's signal when the server closes its connection, and gives it the connection's id", async () => {
      await t!.close();
      let seen: { id: number; aborted: Promise<void> } | undefined;
      t = await startTestServer({}, { ...testHandlers(), 'profile/lock': async (_p, ctx) => {
        seen = { id: ctx.connectionId, aborted: new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r())) };
        await seen.aborted;
        return {};
      } });
      const c = await connect();
      c.send({ jsonrpc: '2.0', id: 1, method: 'profile/lock' });
      while (seen === undefined) await new Promise((r) => setTimeout(r, 5));
      assert.ok(Number.isInteger(seen.id) && seen.id > 0);
      c.sendRaw(Buffer.alloc(1024 * 1024 + 1, 0x20)); // a line too long: the server closes the connection
      await seen.aborted;
      await c.closed;
    });

    it('still answers a client that half-closes after sending', async () => {
      const c = await connect();
      c.sendRaw(JSON.stringify(status(5)) + '\n');
      c.socket.end();
      await c.closed;
      assert.equal((c.lines[0] as { id: number }).id, 5);
    });

    it('runs afterResponse callbacks once the answer is written', async () => {
      await t!.close();
      const order: string[] = [];
      t = await startTestServer({}, { ...testHandlers(), 'daemon/shutdown': async (_p, ctx) => {
        ctx.afterResponse(() => order.push('after'));
        return {};
      } });
      const c = await connect();
      c.socket.on('data', () => order.push('data'));
      await c.call({ jsonrpc: '2.0', id: 1, method: 'daemon/shutdown' });
      assert.equal(order[0], 'after'); // queued to the socket before the client read it
      assert.ok(order.includes('data'));
    });

    it('serves rpc.discover with an OpenRPC document that lists every method', async () => {
      const c = await connect();
      const r = (await c.call({ jsonrpc: '2.0', id: 1, method: 'rpc.discover' })) as { result: { openrpc: string; methods: { name: string }[] } };
      assert.match(r.result.openrpc, /^1\./);
      assert.deepEqual(r.result.methods.map((m) => m.name).sort(), Object.keys(METHODS).sort());
    });
  });

  describe('batches', () => {
    beforeEach(async () => {
      t = await startTestServer();
    });

    it('answers a batch with an array of the answers to its requests, in any order, none for notifications', async () => {
      const c = await connect();
      c.send([status(1), { jsonrpc: '2.0', method: 'daemon/status' }, { jsonrpc: '2.0', id: 2, method: 'nope' }, 5, { jsonrpc: '2.0', id: 3, method: 'profile/unlock', params: {} }]);
      const [r] = await c.waitLines(1);
      assert.ok(Array.isArray(r));
      const byId = new Map((r as { id: unknown }[]).map((x) => [x.id, x]));
      assert.equal(r.length, 4);
      assert.ok('result' in (byId.get(1) as object));
      assert.equal(errorCodeOf(byId.get(2)), 'ERR_METHOD_NOT_FOUND');
      assert.equal(errorCodeOf(byId.get(3)), 'ERR_INVALID_PARAMS');
      assert.equal(errorCodeOf(byId.get(null)), 'ERR_INVALID_REQUEST');
    });

    it('answers a batch of one with an array of one', async () => {
      const c = await connect();
      c.send([status(1)]);
      const [r] = await c.waitLines(1);
      assert.ok(Array.isArray(r) && r.length === 1);
    });

    it('sends nothing for a batch of notifications only', async () => {
      const c = await connect();
      c.send([{ jsonrpc: '2.0', method: 'daemon/status' }, { jsonrpc: '2.0', method: 'daemon/status' }]);
      await c.call(status(9));
      assert.equal(c.lines.length, 1);
    });

    it('answers an empty batch with one ERR_INVALID_REQUEST (not an array)', async () => {
      const c = await connect();
      const r = await c.call([]);
      assert.ok(!Array.isArray(r));
      assert.equal(errorCodeOf(r), 'ERR_INVALID_REQUEST');
    });

    it('answers a batch over the limit as a whole with ERR_BATCH_TOO_LARGE', async () => {
      const c = await connect();
      const r = await c.call(Array.from({ length: 65 }, (_, i) => status(i)));
      assert.equal(errorCodeOf(r), 'ERR_BATCH_TOO_LARGE');
      assert.equal((r as { error: { code: number } }).error.code, -32600);
      const ok = await c.call(Array.from({ length: 64 }, (_, i) => status(i)));
      assert.equal((ok as unknown[]).length, 64);
    });
  });

  describe('limits', () => {
    it('answers a line over 1 MiB with ERR_LINE_TOO_LONG and closes the connection', async () => {
      t = await startTestServer();
      const c = await connect();
      c.sendRaw(Buffer.alloc(1024 * 1024 + 1, 0x20));
      await c.closed;
      assert.equal(errorCodeOf(c.lines[0]), 'ERR_LINE_TOO_LONG');
      // the server goes on serving others
      const d = await connect();
      assert.ok('result' in ((await d.call(status())) as object));
    });

    it('takes a line of exactly 1 MiB', async () => {
      t = await startTestServer();
      const c = await connect();
      const line = JSON.stringify(status(1));
      c.sendRaw(line + ' '.repeat(1024 * 1024 - line.length) + '\n');
      const [r] = await c.waitLines(1);
      assert.equal((r as { id: number }).id, 1);
    });

    it('serves 64 connections and refuses the 65th with ERR_TOO_MANY_CONNECTIONS', async () => {
      t = await startTestServer();
      const open: LineClient[] = [];
      for (let i = 0; i < 64; i++) open.push(await connect());
      await Promise.all(open.map((c, i) => c.call(status(i))));
      const extra = await connect();
      await extra.closed;
      assert.equal(errorCodeOf(extra.lines[0]), 'ERR_TOO_MANY_CONNECTIONS');
      open[0]!.destroy();
      await open[0]!.closed;
      await new Promise((r) => setTimeout(r, 20));
      const again = await connect();
      assert.ok('result' in ((await again.call(status())) as object));
    });

    it('runs at most the in-flight cap of one connection\'s requests at once, the rest waiting their turn', async () => {
      let running = 0;
      let most = 0;
      const gates: (() => void)[] = [];
      t = await startTestServer({ maxInFlight: 4 }, { ...testHandlers(), 'profile/lock': async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((r) => gates.push(r));
        running -= 1;
        return {};
      } });
      const c = await connect();
      for (let i = 1; i <= 10; i++) c.send({ jsonrpc: '2.0', id: i, method: 'profile/lock' });
      c.send([{ jsonrpc: '2.0', id: 11, method: 'profile/lock' }, { jsonrpc: '2.0', id: 12, method: 'profile/lock' }]);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(running, 4);
      assert.equal(c.lines.length, 0);
      while (c.lines.length < 11) {
        gates.splice(0).forEach((g) => g());
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(most, 4);
      assert.equal(c.lines.flat().filter((l) => 'result' in (l as object)).length, 12);
    });

    it('runs a batch bigger than the in-flight cap on its own', async () => {
      t = await startTestServer({ maxInFlight: 2 });
      const c = await connect();
      const r = await c.call(Array.from({ length: 10 }, (_, i) => status(i)));
      assert.equal((r as unknown[]).filter((x) => 'result' in (x as object)).length, 10);
    });

    it('answers a flood of bad lines from a client that reads late, each exactly once', async () => {
      t = await startTestServer({ maxOutputBytes: 64 * 1024 });
      const c = await connect();
      c.socket.pause();
      c.sendRaw('x\n'.repeat(100_000));
      await new Promise((r) => setTimeout(r, 200));
      c.socket.resume();
      await c.waitLines(100_000, 60_000);
      assert.ok(c.lines.every((l) => errorCodeOf(l) === 'ERR_PARSE'));
      assert.ok('result' in ((await c.call(status(1))) as object));
      assert.equal(c.lines.length, 100_001);
    });

    it('stops reading from a client that does not read its answers, and goes on when it does', async () => {
      let served = 0;
      t = await startTestServer({ maxOutputBytes: 64 * 1024 }, { ...testHandlers(), 'daemon/status': async (p, ctx) => {
        served += 1;
        return testHandlers()['daemon/status'](p, ctx);
      } });
      const c = await connect();
      c.socket.pause();
      const line = JSON.stringify(status(1)) + '\n';
      c.sendRaw(line.repeat(20_000));
      await new Promise((r) => setTimeout(r, 300));
      const stalled = served;
      assert.ok(stalled < 20_000, `served ${stalled} of 20,000 while the client read nothing`);
      c.socket.resume();
      await c.waitLines(20_000, 30_000);
      assert.equal(served, 20_000);
    });
  });

  describe('event/subscribe', () => {
    beforeEach(async () => {
      t = await startTestServer();
    });

    const seqs = (lines: unknown[]) =>
      lines.filter((l) => (l as { method?: string }).method === 'tor/didProgress').map((l) => (l as { params: { seq: number } }).params.seq);

    it('answers, then replays the notifications after since, then sends live ones', async () => {
      for (let i = 1; i <= 5; i++) await t!.journal.append('tor/didProgress', progress(i));
      const c = await connect();
      c.send({ jsonrpc: '2.0', id: 1, method: 'event/subscribe', params: { since: 2 } });
      await c.waitLines(4);
      assert.deepEqual((c.lines[0] as { result: unknown }).result, { missed: 0, latest: 5 });
      await t!.journal.append('tor/didProgress', progress(6));
      await c.waitLines(5);
      assert.deepEqual(seqs(c.lines), [3, 4, 5, 6]);
      const n = c.lines[1] as { jsonrpc: string; method: string; params: unknown; id?: unknown };
      assert.equal(n.jsonrpc, '2.0');
      assert.ok(!('id' in n));
      assert.deepEqual(n.params, { ...progress(3), seq: 3 });
    });

    it('without since sends only notifications after the subscription', async () => {
      await t!.journal.append('tor/didProgress', progress(1));
      const c = await connect();
      assert.deepEqual(((await c.call({ jsonrpc: '2.0', id: 1, method: 'event/subscribe' })) as { result: unknown }).result, { missed: 0, latest: 1 });
      await t!.journal.append('tor/didProgress', progress(2));
      await c.waitLines(2);
      assert.deepEqual(seqs(c.lines), [2]);
    });

    it('says how many were lost when since is older than the journal', async () => {
      await t!.close();
      const dir = await makeTempDir('api-journal');
      const journal = new MemoryJournal({ maxEntries: 10 });
      const server = new ApiServer({ journal }, { directory: dir });
      await server.start();
      t = { dir, server, journal, socketPath: server.socketPath, close: async () => { await server.stop(); await removeDir(dir); } };
      for (let i = 1; i <= 25; i++) await journal.append('tor/didProgress', progress(i % 100));
      const c = await connect();
      c.send({ jsonrpc: '2.0', id: 1, method: 'event/subscribe', params: { since: 3 } });
      await c.waitLines(11);
      assert.deepEqual((c.lines[0] as { result: unknown }).result, { missed: 12, latest: 25 });
      assert.deepEqual(seqs(c.lines), [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    });

    it('has no gap and no duplicate while notifications arrive during a long replay', async () => {
      // a small output bound, so the replay waits for 'drain' many times while live ones queue up
      await t!.close();
      t = await startTestServer({ maxOutputBytes: 8 * 1024 });
      for (let i = 1; i <= 5000; i++) await t!.journal.append('tor/didProgress', progress(i % 100));
      const c = await connect();
      c.send({ jsonrpc: '2.0', id: 1, method: 'event/subscribe', params: { since: 0 } });
      // appends race the replay: some before the answer, some during, some after
      for (let i = 0; i < 1000; i++) {
        await t!.journal.append('tor/didProgress', progress(i % 100));
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
      }
      await c.waitLines(6001, 30_000);
      assert.deepEqual(seqs(c.lines), Array.from({ length: 6000 }, (_, i) => i + 1));
    });

    it('does not send a notification whose params its descriptor refuses, nor members it does not name', async () => {
      const c = await connect();
      await c.call({ jsonrpc: '2.0', id: 1, method: 'event/subscribe' });
      await t!.journal.append('tor/didProgress', { bootstrap: 500, state: 'ready', onion: 'off' });
      await t!.journal.append('tor/didProgress', { ...progress(7), secret: 'x' } as never);
      await c.waitLines(2);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(c.lines.length, 2);
      assert.deepEqual((c.lines[1] as { params: unknown }).params, { ...progress(7), seq: 2 });
    });

    it('answers a second subscribe on the same connection with ERR_ALREADY_SUBSCRIBED', async () => {
      const c = await connect();
      await c.call({ jsonrpc: '2.0', id: 1, method: 'event/subscribe' });
      assert.equal(errorCodeOf(await c.call({ jsonrpc: '2.0', id: 2, method: 'event/subscribe' })), 'ERR_ALREADY_SUBSCRIBED');
    });

    it('answers ERR_LOCKED without a journal, and closes subscribers when the journal changes', async () => {
      const c = await connect();
      await c.call({ jsonrpc: '2.0', id: 1, method: 'event/subscribe' });
      t!.server.setJournal(null);
      await c.closed;
      const d = await connect();
      assert.equal(errorCodeOf(await d.call({ jsonrpc: '2.0', id: 1, method: 'event/subscribe' })), 'ERR_LOCKED');
      // still no journal, another reason (the daemon found no profile): the reason is the new one
      t!.server.setJournal(null, 'ERR_NO_PROFILE');
      assert.equal(errorCodeOf(await d.call({ jsonrpc: '2.0', id: 2, method: 'event/subscribe' })), 'ERR_NO_PROFILE');
      t!.server.setJournal(new MemoryJournal());
      assert.ok('result' in ((await d.call({ jsonrpc: '2.0', id: 3, method: 'event/subscribe' })) as object));
    });

    it('cuts off a subscriber that does not read, while another client is served fast', async () => {
      await t!.close();
      t = await startTestServer({ maxSubscriberBacklogBytes: 1024 * 1024 });
      const slow = await connect();
      await slow.call({ jsonrpc: '2.0', id: 1, method: 'event/subscribe' });
      slow.socket.pause();
      const fast = await connect();
      const big = { bootstrap: 50, state: 'bootstrapping' as const, onion: 'off' as const, summary: 'x'.repeat(200) };
      const latencies: number[] = [];
      let appended = 0;
      // a paused client does not see the close; the server's count does
      while (t.server.connectionCount > 1 && appended < 100_000) {
        for (let i = 0; i < 50; i++) await t.journal.append('tor/didProgress', big);
        appended += 50;
        const t0 = performance.now();
        await fast.call(status(appended));
        latencies.push(performance.now() - t0);
      }
      assert.equal(t.server.connectionCount, 1, `the slow subscriber is cut off (after ${appended} notifications)`);
      // the stalled subscriber never made anyone wait: status stays fast (bounds loose for a loaded CI machine)
      latencies.sort((a, b) => a - b);
      const p50 = latencies[Math.floor(latencies.length / 2)] ?? 0;
      const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
      assert.ok(latencies.length >= 20, `${latencies.length} status calls timed`);
      assert.ok(p50 < 20 && p99 < 500, `status p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms while a subscriber stalled`);
      // what it did get is a gapless prefix, then the close
      slow.socket.resume();
      await slow.closed;
      const got = seqs(slow.lines);
      assert.ok(got.length < appended);
      assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i + 1));
    });
  });

  describe('stop', () => {
    it('lets a running handler answer, then refuses new requests with ERR_SHUTTING_DOWN and closes', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let aborted = false;
      t = await startTestServer({}, { ...testHandlers(), 'profile/lock': async (_p, ctx) => {
        ctx.signal.addEventListener('abort', () => (aborted = true));
        await gate;
        return {};
      } });
      const c = await connect();
      c.send({ jsonrpc: '2.0', id: 1, method: 'profile/lock' });
      await new Promise((r) => setTimeout(r, 50));
      const stopping = t.server.stop();
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(aborted, "the handler's signal is aborted");
      c.send(status(2));
      await c.waitLines(1);
      release();
      await stopping;
      await c.closed;
      const byId = new Map(c.lines.map((l) => [(l as { id: unknown }).id, l]));
      assert.ok('result' in (byId.get(1) as object));
      assert.equal(errorCodeOf(byId.get(2)), 'ERR_SHUTTING_DOWN');
      await assert.rejects(lstat(t.socketPath), { code: 'ENOENT' });
    });
  });
});
