/**
 * The local API over its Unix socket, each figure beside a bare baseline on the same kind of
 * socket (bench/README.md):
 * - `daemon/status` round trip (p50, p99), one call at a time: through ApiClient (which checks
 *   the result's schema), through a raw line client, and a bare JSON echo server answering the
 *   same bytes (parse, stringify, write; no JSON-RPC, no validation);
 * - notifications per second to one subscriber (journal append to the subscriber's parse),
 *   beside a bare server serialising and writing the same notifications at the same pace (a
 *   write each, no journal, no cork);
 * - `snug rpc daemon/status` wall time, process start included, beside `node -e ''`.
 *
 * `runApiBenchAll` (the `api` group) measures an in-process ApiServer with test handlers (the
 * only target whose notifications the bench can drive), then a real `snug daemon` child
 * (development mode: direct transport, low KDF cost; a profile created and unlocked). To measure
 * another running daemon,
 * call runApiBench({ home, append? }) (or set SNUG_BENCH_API_HOME to a home whose daemon runs);
 * without `append` (a way to make the daemon notify) the notification figures are skipped.
 */
import { spawn } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../daemon/api/client.js';
import { SOCKET_NAME } from '../daemon/api/constants.js';
import { startTestServer, type TestServer } from '../test/helpers/api-server.js';
import { callOnce, startDaemon } from '../test/helpers/daemon.js';
import { makeTempDir, removeDir } from '../test/helpers/temp.js';
import { figure, heading, median, note, nowMs, quantile } from './stats.js';

const ROUND_TRIPS = Number(process.env['SNUG_BENCH_API_CALLS'] ?? 5_000);
/** Calls before timing: fewer left ApiClient's p99 in the milliseconds (JIT and zod still warming up). */
const WARMUP = 3_000;
const NOTIFICATIONS = Number(process.env['SNUG_BENCH_API_NOTIFICATIONS'] ?? 100_000);
/** Notifications appended per event-loop turn (the producer yields between chunks). */
const CHUNK = 200;
const RPC_RUNS = Number(process.env['SNUG_BENCH_API_RPC_RUNS'] ?? 10);

export interface ApiBenchTarget {
  /** The home whose snug.sock to use. */
  readonly home: string;
  /** Makes the daemon send one tor/didProgress-sized notification (e.g. a journal append). */
  readonly append?: () => Promise<void>;
}

/** A newline-JSON socket client that resolves each line in order (one call at a time). */
class LineConn {
  readonly #socket: Socket;
  #buffer = '';
  #waiting: ((line: string) => void) | null = null;
  #lines = 0;
  #onLine: ((line: string) => void) | null = null;
  constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.#buffer += text;
      let nl;
      while ((nl = this.#buffer.indexOf('\n')) !== -1) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        this.#lines += 1;
        if (this.#onLine) this.#onLine(line);
        else if (this.#waiting) {
          const w = this.#waiting;
          this.#waiting = null;
          w(line);
        }
      }
    });
  }
  static open(path: string): Promise<LineConn> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('error', reject);
      s.once('connect', () => resolve(new LineConn(s)));
    });
  }
  call(text: string): Promise<string> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#socket.write(text);
    });
  }
  send(text: string): void {
    this.#socket.write(text);
  }
  onLine(fn: (line: string) => void): void {
    this.#onLine = fn;
  }
  close(): void {
    this.#socket.destroy();
  }
}

/** The bare baseline: answers each line with `answer` under the request's id; on 'flood N' lines, writes N copies of `flood`. */
async function bareServer(dir: string, answer: unknown, flood: string): Promise<{ path: string; close: () => Promise<void> }> {
  const path = join(dir, 'bare.sock');
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    let buf = '';
    socket.on('data', (text: string) => {
      buf += text;
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line) as { id: number; flood?: number };
        if (msg.flood !== undefined) void floodLines(socket, flood, msg.flood);
        else socket.write(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: answer }) + '\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { path, close: () => new Promise((r) => server.close(() => r())) };
}

/** Writes `count` notifications like `template` (each serialised with its own seq), CHUNK per turn. */
async function floodLines(socket: Socket, template: string, count: number): Promise<void> {
  const base = JSON.parse(template) as { params: Record<string, unknown> };
  for (let sent = 0; sent < count; ) {
    for (let i = 0; i < CHUNK && sent < count; i++, sent++) {
      socket.write(JSON.stringify({ jsonrpc: '2.0', method: 'tor/didProgress', params: { ...base.params, seq: sent + 1 } }) + '\n');
    }
    await new Promise((r) => setImmediate(r));
  }
}

async function roundTrips(call: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await call(i);
  const samples: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const t0 = nowMs();
    await call(i);
    samples.push(nowMs() - t0);
  }
  return samples;
}

function printLatency(name: string, samples: readonly number[]): void {
  figure(`${name} p50`, median(samples) * 1000, 'µs');
  figure(`${name} p99`, quantile(samples, 0.99) * 1000, 'µs');
}

/** Wall time of a process from spawn to exit. */
function timeProcess(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ ms: number; code: number | null }> {
  const t0 = nowMs();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    child.on('close', (code) => resolve({ ms: nowMs() - t0, code }));
  });
}

export async function runApiBench(target?: ApiBenchTarget): Promise<void> {
  const envHome = process.env['SNUG_BENCH_API_HOME'];
  let server: TestServer | undefined;
  const dir = await makeTempDir('bench-api');
  try {
    let home: string;
    let append: (() => Promise<void>) | undefined;
    if (target !== undefined) ({ home, append } = target);
    else if (envHome) home = envHome;
    else {
      server = await startTestServer({ directory: dir });
      home = dir;
      const s = server;
      append = async () => {
        await s.journal.append('tor/didProgress', { bootstrap: 45, state: 'bootstrapping', onion: 'off', summary: 'Asking for relay descriptors' });
      };
    }
    const socketPath = join(home, SOCKET_NAME);
    heading(`local API over a Unix socket (${server ? 'in-process ApiServer, test handlers' : `the daemon at ${home}`})`);

    // --- round trips ---
    const client = await ApiClient.connect(socketPath);
    const status = await client.call('daemon/status');
    const bare = await bareServer(dir, status, '');
    const api = await roundTrips(() => client.call('daemon/status'));
    const raw = await LineConn.open(socketPath);
    const rawApi = await roundTrips((i) => raw.call(`{"jsonrpc":"2.0","id":${i},"method":"daemon/status"}\n`).then((l) => JSON.parse(l)));
    raw.close();
    const bareConn = await LineConn.open(bare.path);
    const bareRt = await roundTrips((i) => bareConn.call(`{"jsonrpc":"2.0","id":${i},"method":"daemon/status"}\n`).then((l) => JSON.parse(l)));
    bareConn.close();
    await bare.close();
    note(`daemon/status, one call at a time, ${ROUND_TRIPS.toLocaleString('en-US')} calls after ${WARMUP} to warm up`);
    printLatency('status round trip, ApiClient', api);
    printLatency('status round trip, raw line client', rawApi);
    printLatency('bare JSON echo round trip', bareRt);
    figure('ratio p50 raw API / bare echo', median(rawApi) / median(bareRt), 'x');
    await client.close();

    // --- notifications ---
    if (append === undefined) note('notifications: skipped (no way to make this daemon notify)');
    else {
      const sample = JSON.stringify({ jsonrpc: '2.0', method: 'tor/didProgress', params: { bootstrap: 45, state: 'bootstrapping', onion: 'off', summary: 'Asking for relay descriptors', seq: 123456 } }) + '\n';
      // API: append in chunks (yielding between them, as a daemon would), count parsed lines at the subscriber
      const sub = await LineConn.open(socketPath);
      await sub.call('{"jsonrpc":"2.0","id":1,"method":"event/subscribe"}\n');
      let received = 0;
      const allIn = new Promise<void>((resolve) =>
        sub.onLine((line) => {
          JSON.parse(line);
          if (++received === NOTIFICATIONS) resolve();
        }),
      );
      const t0 = nowMs();
      for (let sent = 0; sent < NOTIFICATIONS; ) {
        const batch = [];
        for (let i = 0; i < CHUNK && sent < NOTIFICATIONS; i++, sent++) batch.push(append());
        await Promise.all(batch);
        await new Promise((r) => setImmediate(r));
      }
      await allIn;
      const apiRate = NOTIFICATIONS / ((nowMs() - t0) / 1000);
      sub.close();
      // bare: the same lines, the same chunking
      const bare2 = await bareServer(dir, null, sample);
      const bsub = await LineConn.open(bare2.path);
      let breceived = 0;
      const ballIn = new Promise<void>((resolve) =>
        bsub.onLine((line) => {
          JSON.parse(line);
          if (++breceived === NOTIFICATIONS) resolve();
        }),
      );
      const b0 = nowMs();
      bsub.send(`{"id":0,"flood":${NOTIFICATIONS}}\n`);
      await ballIn;
      const bareRate = NOTIFICATIONS / ((nowMs() - b0) / 1000);
      bsub.close();
      await bare2.close();
      note(`${NOTIFICATIONS.toLocaleString('en-US')} notifications to one subscriber, ${CHUNK} per event-loop turn, producer and subscriber in one process`);
      figure('notifications, API (journal to subscriber)', apiRate, '/s');
      figure('notifications, bare socket writer', bareRate, '/s');
      figure('ratio API / bare', apiRate / bareRate, 'x');
    }

    // --- snug rpc ---
    const bin = fileURLToPath(new URL('../../bin/snug.js', import.meta.url));
    const rpcRuns: number[] = [];
    const nodeRuns: number[] = [];
    for (let i = 0; i < RPC_RUNS; i++) {
      const r = await timeProcess([bin, 'rpc', 'daemon/status', '--home', home]);
      if (r.code !== 0) throw new Error(`snug rpc daemon/status exited ${r.code}`);
      rpcRuns.push(r.ms);
      nodeRuns.push((await timeProcess(['-e', ''])).ms);
    }
    note(`snug rpc daemon/status, ${RPC_RUNS} runs, process start included (stdin /dev/null)`);
    figure('snug rpc daemon/status wall time p50', median(rpcRuns), 'ms');
    figure('snug rpc daemon/status wall time max', Math.max(...rpcRuns), 'ms');
    figure("node -e '' wall time p50", median(nodeRuns), 'ms');
  } finally {
    await server?.close();
    await removeDir(dir);
  }
}

/** The `api` group: the in-process server, then a real `snug daemon` in a temporary home. */
export async function runApiBenchAll(): Promise<void> {
  if (process.env['SNUG_BENCH_API_HOME']) return runApiBench();
  await runApiBench();
  const home = await makeTempDir('bench-api-daemon');
  const daemon = await startDaemon(join(home, 'home'));
  try {
    await callOnce(daemon, (c) => c.call('profile/create', { name: 'bench', passphrase: 'bench passphrase, not a secret' }));
    await runApiBench({ home: join(home, 'home') });
  } finally {
    await daemon.kill();
    await removeDir(home);
  }
}
