import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BLOB_VERSION } from '../../../protocol/constants.js';
import { ready } from '../../../protocol/crypto.js';
import { UsageError } from '../../../daemon/cli/errors.js';
import { main } from '../../../daemon/cli/main.js';
import { PUB_LIMIT_FLAGS, pubConfigFrom, type RawPubArgs } from '../../../daemon/cli/pub.js';
import type { PubLimits } from '../../../daemon/pub/constants.js';
import { PubClient } from '../../../daemon/pub/client.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { captureIo } from '../../helpers/io.js';

const SNUG = fileURLToPath(new URL('../../../../bin/snug.js', import.meta.url));

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

function run(args: readonly string[]): Run {
  const child = spawn(process.execPath, [SNUG, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Run = {
    child,
    stdout: '',
    stderr: '',
    // 'close', not 'exit': 'exit' may come before the last of stdout and stderr was read
    exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (r.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (r.stderr += d));
  return r;
}

async function waitForLine(r: Run, pattern: RegExp): Promise<RegExpExecArray> {
  for (let i = 0; i < 300; i++) {
    const m = pattern.exec(r.stdout);
    if (m) return m;
    if (r.child.exitCode !== null) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no line matching ${pattern}; stdout: ${r.stdout}; stderr: ${r.stderr}`);
}

/** The one stderr line of a usage error names ERR_USAGE (as every error line names its code). */
const USAGE_LINE = /^snug: .*\(ERR_USAGE\)$/;

/** Every flag of `snug pub` that takes a value. */
const VALUE_FLAGS = ['--home', '--listen', '--tor-bin', '--tor-control', '--tor-socks', '--tor-config', '--tor-cookie', '--log-format', ...Object.values(PUB_LIMIT_FLAGS)];

/** A value out of range (or malformed) for every limit flag. */
const BAD_LIMIT_VALUES: Record<keyof PubLimits, string> = {
  powDifficulty: '99',
  maxBlobBytes: '3000',
  maxFrameBytes: '10',
  postsPerSecond: '0',
  postBurst: '0',
  requestsPerSecond: '0',
  requestBurst: '0',
  maxInflight: '0',
  maxConnections: '0',
  quotaBytes: '100',
  retentionMs: 'soon',
  maxPageBlobs: '0',
  maxPageBytes: '8M',
  pruneIntervalMs: '0',
  statsIntervalMs: '9999999999s',
};

/** Resolves with the exit status, or with 'listening' if the pub started serving instead. */
async function exitedOrListening(r: Run): Promise<number | null | 'listening'> {
  return Promise.race([r.exited, waitForLine(r, /^pub listening: /m).then(() => 'listening' as const, () => r.exited)]);
}


describe('snug pub (command line)', function () {
  this.timeout(30_000);
  let home: string;
  const runs: Run[] = [];

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'snug-pub-cli-'));
  });

  afterEach(async () => {
    for (const r of runs.splice(0)) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      await r.exited;
    }
    await rm(home, { recursive: true, force: true });
  });

  function start(args: readonly string[]): Run {
    const r = run(args);
    runs.push(r);
    return r;
  }

  it('with --listen prints its ws:// line, serves posts, and stops cleanly on SIGTERM', async () => {
    const r = start(['pub', '--home', home, '--listen', '127.0.0.1:0', '--pow-difficulty', '4']);
    const m = await waitForLine(r, /^pub listening: (ws:\/\/127\.0\.0\.1:(\d+))$/m);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'exactly one line on stdout');
    const client = await PubClient.connect(new DirectDialer(), m[1]!);
    assert.equal(client.policy.powDifficulty, 4);
    const blob = new Uint8Array(2048).fill(0xc3);
    blob[0] = BLOB_VERSION;
    assert.equal((await client.post(blob)).cursor, 1n);
    await client.close();
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0);
    const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    assert.deepEqual(events.map((e) => e.event).filter((e) => e !== 'stats'), ['listening', 'stopping', 'stopped']);
    assert.ok(!r.stderr.includes('c3c3c3c3'), 'no content in the logs');
  });

  it('with --log-format text logs readable lines instead of JSON', async () => {
    const r = start(['pub', '--home', home, '--listen', '127.0.0.1:0', '--log-format', 'text', '--stats-interval', '0']);
    await waitForLine(r, /^pub listening: /m);
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0);
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.every((l) => /^\d\d:\d\d:\d\d [a-z]/.test(l)), r.stderr);
    assert.deepEqual(lines.map((l) => l.split(' ')[1]), ['listening', 'stopping', 'stopped']);
  });

  it('exits 2 naming ERR_USAGE for a --log-format other than json or text', async () => {
    const c = captureIo();
    assert.equal(await main(['pub', '--home', home, '--listen', '127.0.0.1:0', '--log-format', 'xml'], c.io), 2);
    assert.equal(c.err.length, 1);
    assert.match(c.err[0]!, USAGE_LINE);
  });

  it('stops on SIGINT too, and keeps its blobs for the next run', async () => {
    const first = start(['pub', '--home', home, '--listen', '127.0.0.1:0', '--pow-difficulty', '0']);
    const m = await waitForLine(first, /^pub listening: (ws:\/\/\S+)$/m);
    const c = await PubClient.connect(new DirectDialer(), m[1]!);
    const blob = new Uint8Array(2048).fill(7);
    blob[0] = BLOB_VERSION;
    await c.post(blob);
    await c.close();
    first.child.kill('SIGINT');
    assert.equal(await first.exited, 0);
    const second = start(['pub', '--home', home, '--listen', '127.0.0.1:0', '--pow-difficulty', '0']);
    const m2 = await waitForLine(second, /^pub listening: (ws:\/\/\S+)$/m);
    const c2 = await PubClient.connect(new DirectDialer(), m2[1]!);
    assert.deepEqual(await c2.post(blob), { cursor: 1n, duplicate: true });
    await c2.close();
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });

  it('exits 1 with one line naming ERR_PUB_PORT_IN_USE when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const r = start(['pub', '--home', home, '--listen', `127.0.0.1:${port}`]);
      assert.equal(await r.exited, 1);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /ERR_PUB_PORT_IN_USE/);
    } finally {
      blocker.close();
    }
  });

  it('exits 1 with one line naming ERR_PUB_HOME_UNWRITABLE for a home it cannot create', async () => {
    await writeFile(join(home, 'file'), 'x');
    const r = start(['pub', '--home', join(home, 'file', 'home'), '--listen', '127.0.0.1:0']);
    assert.equal(await r.exited, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /ERR_PUB_HOME_UNWRITABLE/);
  });

  it('without --listen, exits 1 naming the missing tor and the package to install', async () => {
    const r = start(['pub', '--home', home, '--tor-bin', join(home, 'no-such-tor')]);
    assert.equal(await r.exited, 1);
    const last = r.stderr.trim().split('\n').pop()!;
    assert.match(last, /^snug: .*tor.*\(ERR_TOR_NOT_FOUND\)$/);
    assert.equal(r.stdout, '', 'no address line');
  });

  it('exits 2 with one line naming ERR_USAGE on a limit out of range or a non-loopback --listen', async () => {
    for (const bad of [
      ['--max-blob-size', '3000'],
      ['--pow-difficulty', '99'],
      ['--retention', 'soon'],
      ['--quota', '12X'],
      ['--listen', '10.1.2.3:80'],
      ['--listen', '127.0.0.1:70000'],
      ['--posts-per-second', '0'],
    ]) {
      const c = captureIo();
      assert.equal(await main(['pub', '--home', home, ...bad], c.io), 2, bad.join(' '));
      assert.equal(c.err.length, 1);
      assert.match(c.err[0]!, USAGE_LINE, bad.join(' '));
    }
  });

  it('exits 2 naming ERR_USAGE, without starting, when --pow-difficulty is given no value', async () => {
    const r = start(['pub', '--home', home, '--listen', '127.0.0.1:0', '--pow-difficulty']);
    assert.equal(await exitedOrListening(r), 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, USAGE_LINE);
  });

  it('exits 2 naming ERR_USAGE when any flag that takes a value is given none', async () => {
    const missingTor = join(home, 'no-such-tor');
    for (const flag of VALUE_FLAGS) {
      const c = captureIo();
      assert.equal(await main(['pub', '--home', home, '--tor-bin', missingTor, flag], c.io), 2, flag);
      assert.equal(c.err.length, 1, flag);
      assert.match(c.err[0]!, USAGE_LINE, flag);
    }
  });

  it('exits 2 naming ERR_USAGE on an unknown flag', async () => {
    const r = start(['pub', '--home', home, '--no-such-flag']);
    assert.equal(await r.exited, 2);
    assert.match(r.stderr.trim(), USAGE_LINE);
  });

  it('reports a limit out of range as a usage error naming its flag, for every limit', () => {
    for (const [limit, flag] of Object.entries(PUB_LIMIT_FLAGS) as [keyof PubLimits, string][]) {
      const args = { home, [flag.slice(2)]: BAD_LIMIT_VALUES[limit] } as RawPubArgs;
      assert.throws(
        () => pubConfigFrom(args),
        (err: unknown) => err instanceof UsageError && err.code === 'ERR_USAGE' && err.flag === flag,
        `${flag} ${BAD_LIMIT_VALUES[limit]}`,
      );
    }
  });

  it('refuses a --max-page-size whose pages would not fit in what its clients receive (8M, 4M)', async () => {
    for (const size of ['8M', '4M']) {
      assert.throws(
        () => pubConfigFrom({ home, 'max-page-size': size }),
        (err: unknown) => err instanceof UsageError && err.flag === '--max-page-size',
        size,
      );
    }
    assert.equal(pubConfigFrom({ home, 'max-page-size': '2M' }).limits.maxPageBytes, 2 * 1024 * 1024);
  });

  it('exits 2 naming ERR_USAGE, before anything starts, for --listen 127.999.0.1:0', async () => {
    const r = start(['pub', '--home', home, '--listen', '127.999.0.1:0']);
    assert.equal(await exitedOrListening(r), 2);
    assert.match(r.stderr.trim(), USAGE_LINE);
  });

  it('refuses a --listen host that is not a loopback IP address or localhost', () => {
    for (const listen of ['127.999.0.1:0', '127.0.0.256:0', '127.1:0', '127.0.0.01:0', '[::2]:0', '[127.0.0.1]:0', '::1:0', 'localhost.:0', '[::1:0', 'example.com:80']) {
      assert.throws(
        () => pubConfigFrom({ home, listen }),
        (err: unknown) => err instanceof UsageError && err.flag === '--listen',
        listen,
      );
    }
  });

  it('accepts 127.0.0.0/8, [::1] in any spelling, and localhost for --listen', () => {
    assert.deepEqual(pubConfigFrom({ home, listen: '127.1.2.3:7070' }).listen, { host: '127.1.2.3', port: 7070 });
    assert.deepEqual(pubConfigFrom({ home, listen: '[::1]:0' }).listen, { host: '::1', port: 0 });
    assert.deepEqual(pubConfigFrom({ home, listen: '[0:0:0:0:0:0:0:1]:0' }).listen, { host: '0:0:0:0:0:0:0:1', port: 0 });
    assert.deepEqual(pubConfigFrom({ home, listen: 'localhost:0' }).listen, { host: 'localhost', port: 0 });
  });

  it('lists every limit flag in its help', async () => {
    const c = captureIo();
    assert.equal(await main(['pub', '--help'], c.io), 0);
    const help = c.out.join('\n');
    for (const flag of ['--listen', '--pow-difficulty', '--max-blob-size', '--max-frame-size', '--posts-per-second', '--max-connections', '--quota', '--retention', '--tor-config']) {
      assert.ok(help.includes(flag), flag);
    }
  });
});
