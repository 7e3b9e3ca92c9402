/**
 * Benches over a private Tor network on 127.0.0.1 (daemon/tor/testnet.ts), each beside the same
 * measurement over plain loopback in the same run:
 *   tor      cold start to the first onion connection, TorService start to a reachable onion
 * service, onion WebSocket round trip and bulk throughput
The pub through its onion service is in pub-tor.ts, on the same rig.
 */
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { randomBytes, ready } from '../protocol/crypto.js';
import { TorService, type OnionService } from '../daemon/tor/service.js';
import { startTestNetwork, type TestNetwork } from '../daemon/tor/testnet.js';
import { torDialer } from '../daemon/transport/tor.js';
import type { Dialer } from '../daemon/transport/types.js';
import { makeTempDir, removeDir } from '../test/helpers/pub-fixtures.js';
import { bulkDownload, echoRoundTrips, openWs, startEchoServer } from './baseline.js';
import { MB, figure, heading, median, note, nowMs, quantile, sleep } from './stats.js';

/** Onion round trips timed, and bytes moved in the bulk figure. */
const ROUND_TRIPS = 500;
const ONION_BULK_BYTES = 32 * MB;
const LOOPBACK_BULK_BYTES = 256 * MB;

export interface Rig {
  readonly dir: string;
  readonly net: TestNetwork;
  readonly torrc: string;
  /** Milliseconds from launching the network to its clients being able to start. */
  readonly networkMs: number;
  readonly services: TorService[];
}

export async function startRig(): Promise<Rig> {
  await ready();
  const dir = await makeTempDir('bench-tor');
  const t0 = nowMs();
  const net = await startTestNetwork({ dir: join(dir, 'net') });
  const networkMs = nowMs() - t0;
  const torrc = await net.clientTorrcFile();
  return { dir, net, torrc, networkMs, services: [] };
}

export async function startClient(rig: Rig, name: string): Promise<TorService> {
  const tor = new TorService({ dataDir: join(rig.dir, name), options: { mode: 'spawn', torBin: 'tor', extraConfigFile: rig.torrc } });
  rig.services.push(tor);
  await tor.start();
  await tor.waitBootstrapped();
  return tor;
}

export async function stopRig(rig: Rig): Promise<void> {
  await Promise.allSettled(rig.services.map((s) => s.stop()));
  await rig.net.stop().catch(() => {});
  await removeDir(rig.dir);
}

/** Dials `address` until it answers (a descriptor not yet uploaded fails fast); returns the socket. */
export async function dialUntilReachable(dialer: Dialer, address: string, timeoutMs = 120_000): Promise<WebSocket> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await dialer.dial(address, { timeoutMs: Math.max(1000, deadline - Date.now()) });
    } catch (err) {
      last = err;
      await sleep(250);
    }
  }
  throw new Error(`onion service ${address} not reachable within ${timeoutMs} ms`, { cause: last });
}

export async function publish(tor: TorService, localPort: number): Promise<OnionService> {
  return tor.publishOnion({ identitySeed: randomBytes(32), localPort });
}

export async function runTorBench(): Promise<void> {
  heading('tor: private network on 127.0.0.1 beside plain loopback');
  const echo = await startEchoServer();
  const tLaunch = nowMs();
  const rig = await startRig();
  try {
    const server = await startClient(rig, 'server');
    const client = await startClient(rig, 'client');
    const clientsMs = nowMs() - tLaunch;
    const onion = await publish(server, echo.port);
    const ws = await dialUntilReachable(torDialer(client), onion.address);
    const coldMs = nowMs() - tLaunch;

    const tLoop = nowMs();
    const loop = await openWs(`ws://127.0.0.1:${echo.port}`);
    const loopConnectMs = nowMs() - tLoop;

    note('cold start: 5 authorities started, then 2 client tors (server, client), ADD_ONION, first successful dial');
    figure('private network ready', rig.networkMs, 'ms');
    figure('+ both client tors bootstrapped', clientsMs, 'ms');
    figure('cold start to first onion connection', coldMs, 'ms');
    figure('loopback WebSocket connect (baseline)', loopConnectMs, 'ms');

    // our TorService: start to its own onion service being reachable from another client
    const t1 = nowMs();
    const fresh = await startClient(rig, 'fresh');
    const bootMs = nowMs() - t1;
    const freshOnion = await publish(fresh, echo.port);
    const uploadedAt = nowMs();
    await freshOnion.uploaded();
    const uploadMs = nowMs() - uploadedAt;
    const ws2 = await dialUntilReachable(torDialer(client), freshOnion.address);
    const reachMs = nowMs() - t1;
    ws2.close();
    note('TorService on a running network: start() + waitBootstrapped(), publishOnion, first successful dial from another client');
    figure('TorService start to bootstrapped', bootMs, 'ms');
    figure('publishOnion to descriptor uploaded', uploadMs, 'ms');
    figure('TorService start to onion reachable', reachMs, 'ms');

    const onionRtt = await echoRoundTrips(ws, ROUND_TRIPS);
    const loopRtt = await echoRoundTrips(loop, ROUND_TRIPS);
    const onionRtt2k = await echoRoundTrips(ws, ROUND_TRIPS, 2048 + 18);
    const loopRtt2k = await echoRoundTrips(loop, ROUND_TRIPS, 2048 + 18);
    note(`WebSocket round trip, ${ROUND_TRIPS} x 64-byte frame echoed, one connection`);
    figure('onion round trip median', median(onionRtt), 'ms');
    figure('onion round trip p99', quantile(onionRtt, 0.99), 'ms');
    figure('loopback round trip median', median(loopRtt), 'ms');
    figure('loopback round trip p99', quantile(loopRtt, 0.99), 'ms');
    note('the same with a 2066-byte frame (a POST of a 2048-byte blob): several tor cells each way');
    figure('onion round trip median, 2 KiB', median(onionRtt2k), 'ms');
    figure('onion round trip p99, 2 KiB', quantile(onionRtt2k, 0.99), 'ms');
    figure('loopback round trip median, 2 KiB', median(loopRtt2k), 'ms');
    figure('loopback round trip p99, 2 KiB', quantile(loopRtt2k, 0.99), 'ms');

    const onionBulkMs = await bulkDownload(ws, ONION_BULK_BYTES);
    const loopBulkMs = await bulkDownload(loop, LOOPBACK_BULK_BYTES);
    note(`bulk: server sends N bytes in 64 KiB WebSocket frames (onion ${ONION_BULK_BYTES / MB} MB, loopback ${LOOPBACK_BULK_BYTES / MB} MB)`);
    figure('onion bulk throughput', ONION_BULK_BYTES / MB / (onionBulkMs / 1000), 'MB/s');
    figure('loopback bulk throughput', LOOPBACK_BULK_BYTES / MB / (loopBulkMs / 1000), 'MB/s');
    ws.close();
    loop.close();
  } finally {
    await stopRig(rig);
    await echo.stop();
  }
}

