import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ApiError, isApiError } from '../../../protocol/api/errors.js';
import { daemonStatus } from '../../../protocol/api/methods.js';
import { ApiClient } from '../../../daemon/api/client.js';
import { ApiTransportError, isApiTransportError } from '../../../daemon/api/errors.js';
import { TEST_ADDRESS, TEST_PASSPHRASE, startTestServer, testHandlers, type TestServer } from '../../helpers/api-server.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

/** A fake daemon that answers every line with `reply(line)` (to send what a real one never would). */
async function fakeDaemon(dir: string, reply: (line: string, socket: Socket) => void): Promise<{ path: string; server: Server }> {
  const path = join(dir, 'fake.sock');
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    let buf = '';
    socket.on('data', (text: string) => {
      buf += text;
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        reply(buf.slice(0, nl), socket);
        buf = buf.slice(nl + 1);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { path, server };
}

describe('ApiClient', () => {
  let t: TestServer | undefined;
  let client: ApiClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await t?.close();
    t = undefined;
  });

  it('calls a method by name or by descriptor and returns the validated result', async () => {
    t = await startTestServer();
    client = await ApiClient.connect(t.socketPath);
    const a = await client.call('daemon/status');
    const b = await client.call(daemonStatus, {});
    assert.equal(a.version, 'test');
    assert.deepEqual(a, b);
  });

  it('rejects with ApiError carrying the stable name, the JSON-RPC code and data when the daemon answers an error', async () => {
    t = await startTestServer({}, testHandlers({ profile: { name: 'n', locked: true } }));
    client = await ApiClient.connect(t.socketPath);
    const err = await client.call('profile/unlock', { passphrase: 'wrong' }).catch((e: unknown) => e);
    assert.ok(isApiError(err, 'ERR_BAD_PASSPHRASE'));
    assert.equal((err as ApiError).rpcCode, 1004);
    assert.equal((err as ApiError).data.code, 'ERR_BAD_PASSPHRASE');
    assert.ok(!(err instanceof ApiTransportError));
    assert.deepEqual(await client.call('profile/unlock', { passphrase: TEST_PASSPHRASE }), { address: TEST_ADDRESS });
  });

  it('passes an invalid-params answer through as ApiError ERR_INVALID_PARAMS with code -32602', async () => {
    t = await startTestServer();
    client = await ApiClient.connect(t.socketPath);
    const err = await client.request('profile/create', { name: 5 }).catch((e: unknown) => e);
    assert.ok(isApiError(err, 'ERR_INVALID_PARAMS'));
    assert.equal((err as ApiError).rpcCode, -32602);
  });

  it('rejects with ApiTransportError ERR_DAEMON_NOT_RUNNING when no daemon listens, naming snug daemon', async () => {
    const dir = await makeTempDir('api-client');
    try {
      const err = await ApiClient.connect(join(dir, 'snug.sock')).catch((e: unknown) => e);
      assert.ok(isApiTransportError(err, 'ERR_DAEMON_NOT_RUNNING'));
      assert.ok(!(err instanceof ApiError));
      assert.match((err as Error).message, /snug daemon/);
    } finally {
      await removeDir(dir);
    }
  });

  it('emits each notification as a typed event and as a notification event, in order', async () => {
    t = await startTestServer();
    client = await ApiClient.connect(t.socketPath);
    const typed: number[] = [];
    const raw: string[] = [];
    client.addEventListener('tor/didProgress', (e) => typed.push(e.detail.seq));
    client.addEventListener('notification', (e) => raw.push(e.detail.method));
    await t.journal.append('tor/didProgress', { bootstrap: 1, state: 'starting', onion: 'off' });
    assert.deepEqual(await client.call('event/subscribe', { since: 0 }), { missed: 0, latest: 1 });
    await t.journal.append('tor/didProgress', { bootstrap: 2, state: 'bootstrapping', onion: 'off' });
    await client.once('tor/didProgress');
    if (typed.length < 2) await client.once('tor/didProgress');
    assert.deepEqual(typed, [1, 2]);
    assert.deepEqual(raw, ['tor/didProgress', 'tor/didProgress']);
  });

  it('rejects a call that gets no answer in time with ERR_API_TIMEOUT, and goes on working', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    t = await startTestServer({}, { ...testHandlers(), 'profile/lock': async () => {
      await gate;
      return {};
    } });
    client = await ApiClient.connect(t.socketPath);
    await assert.rejects(client.call('profile/lock', {}, { timeoutMs: 50 }), (e: unknown) => isApiTransportError(e, 'ERR_API_TIMEOUT'));
    release();
    assert.equal((await client.call('daemon/status')).version, 'test');
  });

  it('rejects an aborted call with ERR_API_ABORTED', async () => {
    t = await startTestServer({}, { ...testHandlers(), 'profile/lock': () => new Promise(() => {}) });
    client = await ApiClient.connect(t.socketPath);
    const controller = new AbortController();
    const call = client.call('profile/lock', {}, { signal: controller.signal });
    controller.abort();
    await assert.rejects(call, (e: unknown) => isApiTransportError(e, 'ERR_API_ABORTED'));
  });

  it('rejects calls in flight with ERR_API_CLOSED when the daemon goes, and emits close with the error', async () => {
    t = await startTestServer({ stopGraceMs: 10 }, { ...testHandlers(), 'profile/lock': () => new Promise(() => {}) });
    client = await ApiClient.connect(t.socketPath);
    const closed = client.once('close');
    const call = client.call('profile/lock').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 30));
    await t.close();
    t = undefined;
    assert.ok(isApiTransportError(await call, 'ERR_API_CLOSED'));
    assert.ok(isApiTransportError((await closed).error, 'ERR_API_CLOSED'));
    await assert.rejects(client.call('daemon/status'), (e: unknown) => isApiTransportError(e, 'ERR_API_CLOSED'));
  });

  it('emits close without an error when it is closed by its owner', async () => {
    t = await startTestServer();
    client = await ApiClient.connect(t.socketPath);
    const closed = client.once('close');
    assert.equal(client.state, 'open');
    const closing = client.close();
    assert.equal(client.state, 'closing');
    await closing;
    assert.equal(client.state, 'closed');
    assert.equal((await closed).error, null);
  });

  it('reports a refused connection as the ApiError the daemon sent (ERR_TOO_MANY_CONNECTIONS)', async () => {
    t = await startTestServer({ maxConnections: 1 });
    client = await ApiClient.connect(t.socketPath);
    await client.call('daemon/status');
    const second = await ApiClient.connect(t.socketPath);
    await assert.rejects(second.call('daemon/status'), (e: unknown) => isApiError(e, 'ERR_TOO_MANY_CONNECTIONS'));
  });

  describe('against a daemon that misbehaves', () => {
    let dir: string;
    let fake: { path: string; server: Server } | undefined;
    beforeEach(async () => {
      dir = await makeTempDir('api-fake');
    });
    afterEach(async () => {
      await client?.close();
      client = undefined;
      await new Promise<void>((r) => (fake ? fake.server.close(() => r()) : r()));
      fake = undefined;
      await removeDir(dir);
    });

    for (const [what, reply] of [
      ['a line that is not JSON', 'not json'],
      ['an answer that is not JSON-RPC', '{"id":1,"result":1}'],
      ['an error without a numeric code', '{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}}'],
    ] as const) {
      it(`fails the call with ERR_API_PROTOCOL on ${what}`, async () => {
        fake = await fakeDaemon(dir, (_line, socket) => socket.write(reply + '\n'));
        client = await ApiClient.connect(fake.path);
        await assert.rejects(client.request('daemon/status'), (e: unknown) => isApiTransportError(e, 'ERR_API_PROTOCOL'));
      });
    }

    it('fails a typed call with ERR_API_PROTOCOL when the result does not match the descriptor', async () => {
      fake = await fakeDaemon(dir, (line, socket) => socket.write(JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(line).id, result: { version: 1 } }) + '\n'));
      client = await ApiClient.connect(fake.path);
      await assert.rejects(client.call('daemon/status'), (e: unknown) => isApiTransportError(e, 'ERR_API_PROTOCOL'));
    });

    it('passes on a notification it cannot validate as a raw notification only, and stays connected', async () => {
      fake = await fakeDaemon(dir, (line, socket) => {
        socket.write(JSON.stringify({ jsonrpc: '2.0', method: 'tor/didProgress', params: { seq: 'x' } }) + '\n');
        socket.write(JSON.stringify({ jsonrpc: '2.0', method: 'future/didThing', params: { seq: 9 } }) + '\n');
        socket.write(JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(line).id, result: {} }) + '\n');
      });
      client = await ApiClient.connect(fake.path);
      const raw: string[] = [];
      let typed = 0;
      client.addEventListener('notification', (e) => raw.push(e.detail.method));
      client.addEventListener('tor/didProgress', () => (typed += 1));
      assert.deepEqual(await client.request('profile/lock'), {});
      assert.deepEqual(raw, ['tor/didProgress', 'future/didThing']);
      assert.equal(typed, 0);
      assert.equal(client.state, 'open');
    });

    it('keeps an unknown error name from a newer daemon as it came', async () => {
      fake = await fakeDaemon(dir, (line, socket) =>
        socket.write(JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(line).id, error: { code: 1500, message: 'm', data: { code: 'ERR_FROM_THE_FUTURE' } } }) + '\n'),
      );
      client = await ApiClient.connect(fake.path);
      const err = await client.request('daemon/status').catch((e: unknown) => e);
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 'ERR_FROM_THE_FUTURE');
      assert.equal(err.rpcCode, 1500);
    });
  });
});
