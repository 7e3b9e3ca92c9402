import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BLOB_VERSION } from '../../../protocol/constants.js';
import { ready } from '../../../protocol/crypto.js';
import { main } from '../../../daemon/cli/main.js';
import { PubClient } from '../../../daemon/pub/client.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';

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

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) }, out, err };
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

  it('exits 2 with one line on a limit out of range or a non-loopback --listen', async () => {
    for (const bad of [
      ['--max-blob-size', '3000'],
      ['--pow-difficulty', '99'],
      ['--retention', 'soon'],
      ['--quota', '12X'],
      ['--listen', '10.1.2.3:80'],
      ['--listen', '127.0.0.1:70000'],
      ['--posts-per-second', '0'],
    ]) {
      const c = capture();
      assert.equal(await main(['pub', '--home', home, ...bad], c.io), 2, bad.join(' '));
      assert.equal(c.err.length, 1);
    }
  });

  it('lists every limit flag in its help', async () => {
    const c = capture();
    assert.equal(await main(['pub', '--help'], c.io), 0);
    const help = c.out.join('\n');
    for (const flag of ['--listen', '--pow-difficulty', '--max-blob-size', '--max-frame-size', '--posts-per-second', '--max-connections', '--quota', '--retention', '--tor-config']) {
      assert.ok(help.includes(flag), flag);
    }
  });
});
