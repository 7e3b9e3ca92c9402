/**
 * `snug rpc`, run as a process (bin/snug.js) against a real API server on a real socket that
 * the test starts in a temp home, with test handlers.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_ADDRESS, TEST_PASSPHRASE, startTestServer, testHandlers, type TestServer } from '../../helpers/api-server.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}
const SNUG = join(repoRoot(), 'bin', 'snug.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

type StdinMode = { readonly input: string } | 'closed' | 'ignore';

function start(args: readonly string[], options: { stdin?: StdinMode; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const stdin = options.stdin ?? 'closed';
  const child = spawn(process.execPath, [SNUG, ...args], {
    stdio: [stdin === 'ignore' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, SNUG_HOME: '', XDG_DATA_HOME: '', ...options.env },
  });
  if (typeof stdin === 'object') child.stdin!.end(stdin.input);
  else if (stdin === 'closed') child.stdin!.end();
  return child;
}

function finish(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function rpc(args: readonly string[], options: { stdin?: StdinMode; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return finish(start(args, options));
}

function stderrJson(run: Run): { code: number | null; name: string; message: string } {
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr: ${run.stderr}`);
  const value = JSON.parse(lines[0]!) as { code: number | null; name: string; message: string };
  assert.deepEqual(Object.keys(value).sort(), ['code', 'message', 'name']);
  return value;
}

describe('snug rpc', function () {
  this.timeout(30_000);
  let t: TestServer;
  let state: { profile: { name: string; locked: boolean } | null };
  beforeEach(async () => {
    state = { profile: null };
    t = await startTestServer({}, testHandlers(state));
  });
  afterEach(async () => {
    await t.close();
  });

  it('prints the result as one line of JSON on stdout and exits 0', async () => {
    const run = await rpc(['rpc', 'daemon/status', '--home', t.dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.split('\n').length, 2);
    assert.equal(JSON.parse(run.stdout).version, 'test');
    assert.equal(run.stderr, '');
  });

  it('takes the home from SNUG_HOME without --home', async () => {
    const run = await rpc(['rpc', 'daemon/status'], { env: { SNUG_HOME: t.dir } });
    assert.equal(run.code, 0, run.stderr);
  });

  it('sends the JSON argument as params', async () => {
    const run = await rpc(['rpc', 'profile/create', '{"name":"alice","passphrase":"p"}', '--home', t.dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { address: TEST_ADDRESS });
    assert.equal(state.profile?.name, 'alice');
  });

  it('prints an error the daemon answered as one JSON object {code, name, message} on stderr and exits 1', async () => {
    state.profile = { name: 'alice', locked: true };
    const run = await rpc(['rpc', 'profile/unlock', '-', '--home', t.dir], { stdin: { input: '{"passphrase":"wrong"}' } });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    const err = stderrJson(run);
    assert.equal(err.name, 'ERR_BAD_PASSPHRASE');
    assert.equal(err.code, 1004);
  });

  it('prints invalid params as -32602 ERR_INVALID_PARAMS, exit 1', async () => {
    const run = await rpc(['rpc', 'profile/create', '{"name":5}', '--home', t.dir]);
    assert.equal(run.code, 1);
    assert.deepEqual([stderrJson(run).code, stderrJson(run).name], [-32602, 'ERR_INVALID_PARAMS']);
  });

  it('prints an unknown method as -32601, exit 1', async () => {
    const run = await rpc(['rpc', 'nope/nope', '--home', t.dir]);
    assert.equal(run.code, 1);
    assert.equal(stderrJson(run).name, 'ERR_METHOD_NOT_FOUND');
  });

  for (const [what, json] of [
    ['JSON that does not parse', '{"name":'],
    ['JSON that is not an object', '5'],
    ['a JSON string', '"x"'],
    ['JSON null', 'null'],
  ] as const) {
    it(`exits 2 on ${what} in the argument, without calling the daemon`, async () => {
      const run = await rpc(['rpc', 'profile/create', json, '--home', t.dir]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /ERR_USAGE/);
      assert.equal(state.profile, null);
    });
  }

  it('exits 2 on bad JSON from stdin', async () => {
    const run = await rpc(['rpc', 'profile/create', '-', '--home', t.dir], { stdin: { input: 'not json' } });
    assert.equal(run.code, 2);
  });

  it('exits 2 on an unknown flag, a missing method, or a bad --timeout', async () => {
    assert.equal((await rpc(['rpc', 'daemon/status', '--nope', '--home', t.dir])).code, 2);
    assert.equal((await rpc(['rpc', '--home', t.dir])).code, 2);
    assert.equal((await rpc(['rpc', 'daemon/status', '--timeout', '-1', '--home', t.dir])).code, 2);
  });

  it('says to start snug daemon when none is running, exit 1', async () => {
    const empty = await makeTempDir('rpc-empty');
    try {
      const run = await rpc(['rpc', 'daemon/status', '--home', empty]);
      assert.equal(run.code, 1);
      const err = stderrJson(run);
      assert.equal(err.name, 'ERR_DAEMON_NOT_RUNNING');
      assert.match(err.message, /snug daemon/);
    } finally {
      await removeDir(empty);
    }
  });

  it('reads the params from stdin with -, so a passphrase stays out of the arguments', async () => {
    const run = await rpc(['rpc', 'profile/create', '-', '--home', t.dir], { stdin: { input: JSON.stringify({ name: 'bob', passphrase: TEST_PASSPHRASE }) + '\n' } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(state.profile?.name, 'bob');
  });

  it('reads the params from stdin without a JSON argument when stdin is not a terminal', async () => {
    const run = await rpc(['rpc', 'profile/create', '--home', t.dir], { stdin: { input: JSON.stringify({ name: 'carol', passphrase: 'p' }) } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(state.profile?.name, 'carol');
  });

  it('takes an empty stdin as no params and does not hang on a closed pipe or /dev/null', async () => {
    for (const stdin of ['closed', 'ignore', { input: '' }, { input: '  \n' }] as const) {
      const run = await rpc(['rpc', 'daemon/status', '--home', t.dir], { stdin });
      assert.equal(run.code, 0, `${JSON.stringify(stdin)}: ${run.stderr}`);
    }
    const dash = await rpc(['rpc', 'daemon/status', '-', '--home', t.dir], { stdin: 'closed' });
    assert.equal(dash.code, 0, dash.stderr);
  });

  describe('event/subscribe', () => {
    const progress = (bootstrap: number) => ({ bootstrap, state: 'bootstrapping' as const, onion: 'off' as const });

    /** Resolves with the stdout lines once `count` have arrived. */
    function linesOf(child: ChildProcess, count: number): Promise<string[]> {
      return new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`waited for ${count} lines; got ${JSON.stringify(out)}`)), 15_000);
        child.stdout!.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const lines = out.split('\n').filter((l) => l !== '');
          if (lines.length >= count) {
            clearTimeout(timer);
            resolve(lines);
          }
        });
      });
    }

    it('prints each notification as one whole JSON-RPC notification per line until interrupted, then exits 0', async () => {
      for (let i = 1; i <= 3; i++) await t.journal.append('tor/didProgress', progress(i));
      const child = start(['rpc', 'event/subscribe', '{"since":1}', '--home', t.dir]);
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      const first = linesOf(child, 3);
      // the replay comes first; wait until the subscription is live before appending
      while (t.server.connectionCount === 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      await t.journal.append('tor/didProgress', progress(4));
      const lines = await first;
      const parsed = lines.map((l) => JSON.parse(l) as { jsonrpc: string; method: string; params: { seq: number } });
      assert.deepEqual(parsed.map((n) => n.params.seq), [2, 3, 4]);
      for (const n of parsed) {
        assert.equal(n.jsonrpc, '2.0');
        assert.equal(n.method, 'tor/didProgress');
        assert.ok(!('id' in n));
      }
      child.kill('SIGINT');
      assert.equal(await closed, 0);
      assert.deepEqual(JSON.parse(stderr.trim()), { missed: 0, latest: 3 });
    });

    it('exits 1 naming the closed connection when the daemon goes away', async () => {
      const child = start(['rpc', 'event/subscribe', '--home', t.dir]);
      const done = finish(child);
      while (t.server.connectionCount === 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      await t.server.stop();
      const run = await done;
      assert.equal(run.code, 1);
      const lines = run.stderr.trim().split('\n');
      assert.equal((JSON.parse(lines[lines.length - 1]!) as { name: string }).name, 'ERR_API_CLOSED');
    });
  });
});
