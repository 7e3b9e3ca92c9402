/**
 * One private Tor network per mocha run, shared by every test file that needs Tor. Started
 * lazily by the first caller, stopped (and its directory removed) by the root after-all hook
 * in test/helpers/root-hooks.ts; the reaper in daemon/tor kills its tors even if the run is
 * interrupted. Also small helpers for Tor tests: a bootstrapped client TorService, a
 * loopback WebSocket echo server, and dialling with retries while a descriptor propagates.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { TorService } from '../../daemon/tor/service.js';
import { freePorts, startTestNetwork, type TestNetwork } from '../../daemon/tor/testnet.js';
import type { Dialer } from '../../daemon/transport/types.js';

let shared: Promise<TestNetwork> | null = null;

/** The run's private Tor network (started on first use; allow ~20 s for that first call). */
export function sharedTestNetwork(): Promise<TestNetwork> {
  shared ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snug-testnet-'));
    try {
      return await startTestNetwork({ dir });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  })();
  return shared;
}

/** Stops the shared network and removes its directory (root after-all hook). */
export async function stopSharedTestNetwork(): Promise<void> {
  const pending = shared;
  shared = null;
  if (!pending) return;
  const network = await pending.catch(() => null);
  if (!network) return;
  await network.stop();
  await rm(network.dir, { recursive: true, force: true });
}

/**
 * A TorService (spawn mode) joined to the shared network, started and bootstrapped. Its data
 * directory lives under the network's directory. The caller stops it.
 */
export async function startTestTor(name: string): Promise<TorService> {
  const network = await sharedTestNetwork();
  const extraConfigFile = await network.clientTorrcFile();
  const service = new TorService({
    dataDir: join(network.dir, 'clients', `${name}-${randomUUID().slice(0, 8)}`),
    options: { mode: 'spawn', torBin: 'tor', extraConfigFile },
  });
  try {
    await service.start();
    await service.waitBootstrapped({ signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    await service.stop();
    throw err;
  }
  return service;
}

export interface EchoServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A WebSocket server on 127.0.0.1 that sends every message back (what an onion service forwards to). */
export async function startEchoServer(): Promise<EchoServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  return {
    port: (wss.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/**
 * Dials until it works or `withinMs` passes: right after an upload (or a restart of the
 * service's tor) a client may still fail to reach the service for a few seconds.
 */
export async function dialWithRetry(dialer: Dialer, address: string, init: { isolationKey?: string; withinMs?: number } = {}): Promise<WebSocket> {
  const deadline = Date.now() + (init.withinMs ?? 60_000);
  for (;;) {
    try {
      return await dialer.dial(address, {
        timeoutMs: 20_000,
        ...(init.isolationKey !== undefined ? { isolationKey: init.isolationKey } : {}),
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

/** Sends `text` and resolves with the next message received, as text. */
export function roundTrip(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(Buffer.isBuffer(data) ? data.toString('utf8') : String(data)));
    ws.once('error', reject);
    ws.send(text);
  });
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the first match of `pattern` in a child's stdout; rejects if it exits first. */
export function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-8192);
      const m = pattern.exec(seen);
      if (m) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve(m);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`process exited (${code}) before printing ${pattern}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Writes DIR/unreachable.torrc, --tor-config lines for a network whose one directory authority
 * is a closed port on 127.0.0.1: a tor given them can reach nothing, as without internet.
 */
export async function unreachableNetworkTorrc(dir: string): Promise<string> {
  const [orPort, dirPort] = (await freePorts(2)) as [number, number];
  const file = join(dir, 'unreachable.torrc');
  const lines = [
    'TestingTorNetwork 1',
    'GeoIPFile ""',
    'GeoIPv6File ""',
    `DirAuthority closed orport=${orPort} no-v2 v3ident=${'A'.repeat(40)} 127.0.0.1:${dirPort} ${'B'.repeat(40)}`,
  ];
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}
