/**
 * A private Tor network on 127.0.0.1 (see docs in /work/shared/TOR-TESTNET.md): five directory
 * authorities and no plain relays, keys made with tor-gencert, free ports picked at run time,
 * started 0.1 s past a voting boundary, ready once every authority logged `Bootstrapped 100%`.
 * Clients join with `clientTorrcLines()`. Used by the tests and by `snug demo`.
 *
 * Every tor started here is tracked by the reaper (SIGKILLed when this process exits or is
 * interrupted) and watches our pid via __OwningControllerProcess.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import debugFactory from 'debug';
import { settleWithin } from '../abort.js';
import { findTor } from './binary.js';
import {
  TESTNET_AUTHORITIES,
  TESTNET_BOOTSTRAP_TIMEOUT_MS,
  TESTNET_START_OFFSET_MS,
  TESTNET_VOTING_INTERVAL_S,
  TOR_STOP_GRACE_MS,
} from './constants.js';
import { TorError, TorErrorCode } from './errors.js';
import { installSignalHandlers, terminate, trackChild } from './reaper.js';

const log = debugFactory('snug:daemon:tor:testnet');

/** Settings every node of the test network carries (TOR-TESTNET.md, "Settings"). */
const COMMON_LINES = [
  'TestingTorNetwork 1',
  'ClientUseIPv6 0',
  'PathsNeededToBuildCircuits 0.67',
  'TestingDirAuthVoteGuard *',
  'TestingDirAuthVoteHSDir *',
  'V3AuthNIntervalsValid 2',
  'GeoIPFile ""',
  'GeoIPv6File ""',
  'Schedulers Vanilla',
  'ShutdownWaitLength 0',
];

/** Settings only clients carry. */
const CLIENT_LINES = ['VanguardsLiteEnabled 0'];

/** Settings only authorities carry. */
const AUTHORITY_LINES = [
  'SocksPort 0',
  'AuthoritativeDirectory 1',
  'V3AuthoritativeDirectory 1',
  'ContactInfo snug test network',
  'AssumeReachable 1',
  'ExitRelay 0',
  'ExitPolicy reject *:*',
  `TestingV3AuthInitialVotingInterval ${TESTNET_VOTING_INTERVAL_S}`,
  'TestingV3AuthInitialVoteDelay 2',
  'TestingV3AuthInitialDistDelay 2',
  'V3AuthVotingInterval 10',
  'V3AuthVoteDelay 2',
  'V3AuthDistDelay 2',
  'AuthDirVoteStableGuaranteeMinUptime 0',
  'AuthDirVoteStableGuaranteeMTBF 0',
  'AuthDirFastGuarantee 1',
];

export interface TestNetwork {
  readonly dir: string;
  /** Lines a client torrc needs to join (TestingTorNetwork, DirAuthority, client settings). */
  clientTorrcLines(): string[];
  /** Writes clientTorrcLines() to `<dir>/client.torrc` (once) and returns its path, for --tor-config. */
  clientTorrcFile(): Promise<string>;
  /** Kills every authority (SIGTERM, then SIGKILL) and waits for them to exit. */
  stop(): Promise<void>;
  /** How long the start took (ms): key generation, and authority launch to all at 100%. */
  readonly timings: { readonly keysMs: number; readonly readyMs: number };
}

export interface TestNetworkInit {
  /** A fresh directory for this run (created if missing). */
  readonly dir: string;
  /** `tor` to run (default: found on PATH); `tor-gencert` is looked up beside it, then on PATH. */
  readonly torBin?: string;
  readonly bootstrapTimeoutMs?: number;
}

interface Authority {
  readonly nick: string;
  readonly dir: string;
  readonly orPort: number;
  readonly dirPort: number;
  v3ident?: string;
  fingerprint?: string;
}

/** Reserves `n` distinct free TCP ports on 127.0.0.1 (held open together, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Runs a short-lived tool to completion; rejects with its output on failure. */
function run(bin: string, args: string[], input: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    trackChild(child);
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', (err) => reject(new TorError(TorErrorCode.TESTNET_FAILED, `cannot run ${bin}`, { cause: err })));
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new TorError(TorErrorCode.TESTNET_FAILED, `${bin} ${args[0] ?? ''} failed (${code}): ${output.slice(-500)}`));
    });
    child.stdin.end(input);
  });
}

async function findGencert(torPath: string): Promise<string> {
  const beside = join(torPath, '..', 'tor-gencert');
  try {
    return await findTor(beside);
  } catch {
    return findTor('tor-gencert');
  }
}

class RunningTestNetwork implements TestNetwork {
  readonly dir: string;
  readonly #authorities: readonly Authority[];
  readonly #children: ChildProcess[] = [];
  #clientFile: string | null = null;
  #stopped = false;
  timings = { keysMs: 0, readyMs: 0 };

  constructor(dir: string, authorities: readonly Authority[]) {
    this.dir = dir;
    this.#authorities = authorities;
  }

  addChild(child: ChildProcess): void {
    this.#children.push(child);
  }

  dirAuthorityLines(): string[] {
    return this.#authorities.map(
      (a) => `DirAuthority ${a.nick} orport=${a.orPort} no-v2 v3ident=${a.v3ident} 127.0.0.1:${a.dirPort} ${a.fingerprint}`,
    );
  }

  clientTorrcLines(): string[] {
    return [...COMMON_LINES, ...CLIENT_LINES, ...this.dirAuthorityLines()];
  }

  async clientTorrcFile(): Promise<string> {
    if (this.#clientFile === null) {
      const file = join(this.dir, 'client.torrc');
      await writeFile(file, this.clientTorrcLines().join('\n') + '\n', { mode: 0o600 });
      this.#clientFile = file;
    }
    return this.#clientFile;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.#children.map((c) => terminate(c, TOR_STOP_GRACE_MS)));
    log('test network stopped');
  }
}

/** Waits until `child` prints a line containing `needle`; rejects if it exits first. */
function waitForLog(child: ChildProcess, needle: string, timeoutMs: number, name: string, signal?: AbortSignal): Promise<void> {
  let tail = '';
  return settleWithin<void>(
    { timeoutMs, ...(signal ? { signal } : {}) },
    {
      timeout: () => new TorError(TorErrorCode.TESTNET_FAILED, `${name} did not log "${needle}" within ${timeoutMs} ms`),
      aborted: () => new TorError(TorErrorCode.ABORTED, 'aborted while starting the test network'),
    },
    (resolve, reject) => {
      const onData = (chunk: Buffer) => {
        tail = (tail + chunk.toString('utf8')).slice(-4096);
        if (tail.includes(needle)) resolve();
      };
      const onExit = (code: number | null) =>
        reject(new TorError(TorErrorCode.TESTNET_FAILED, `${name} exited (${code}) before "${needle}": ${tail.slice(-400)}`));
      child.stdout?.on('data', onData);
      child.once('exit', onExit);
      return () => {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
      };
    },
  );
}

export async function startTestNetwork(init: TestNetworkInit, options: { signal?: AbortSignal } = {}): Promise<TestNetwork> {
  installSignalHandlers();
  const torPath = await findTor(init.torBin ?? 'tor');
  const gencert = await findGencert(torPath);
  await mkdir(init.dir, { recursive: true, mode: 0o700 });
  const emptyDefaults = join(init.dir, 'torrc-defaults');
  await writeFile(emptyDefaults, '');
  const ports = await freePorts(TESTNET_AUTHORITIES * 2);
  const authorities: Authority[] = [];
  for (let i = 0; i < TESTNET_AUTHORITIES; i++) {
    const nick = `snugauth${i}`;
    authorities.push({ nick, dir: join(init.dir, nick), orPort: ports[2 * i]!, dirPort: ports[2 * i + 1]! });
  }
  const started = Date.now();
  // Keys: authority identity/signing keys and relay fingerprints, all in parallel.
  await Promise.all(
    authorities.map(async (a) => {
      const keys = join(a.dir, 'keys');
      await mkdir(keys, { recursive: true, mode: 0o700 });
      const authorityKeys = async () => {
        await run(
          gencert,
          [
            '--create-identity-key',
            '--passphrase-fd',
            '0',
            '-m',
            '12',
            '-a',
            `127.0.0.1:${a.dirPort}`,
            '-i',
            join(keys, 'authority_identity_key'),
            '-s',
            join(keys, 'authority_signing_key'),
            '-c',
            join(keys, 'authority_certificate'),
          ],
          '\n',
          options.signal,
        );
        const cert = await readFile(join(keys, 'authority_certificate'), 'utf8');
        const v3 = /^fingerprint ([0-9A-F]{40})$/m.exec(cert);
        if (!v3) throw new TorError(TorErrorCode.TESTNET_FAILED, `no fingerprint in ${a.nick}'s authority certificate`);
        a.v3ident = v3[1]!;
      };
      const relayFingerprint = async () => {
        await run(
          torPath,
          ['--ignore-missing-torrc', '-f', join(a.dir, 'nonexistent'), '--defaults-torrc', emptyDefaults, '--DataDirectory', a.dir,
            '--ORPort', '1', '--Nickname', a.nick, '--list-fingerprint'],
          '',
          options.signal,
        );
        const fp = /^\S+ ([0-9A-F]{40})\s*$/m.exec(await readFile(join(a.dir, 'fingerprint'), 'utf8'));
        if (!fp) throw new TorError(TorErrorCode.TESTNET_FAILED, `no relay fingerprint for ${a.nick}`);
        a.fingerprint = fp[1]!;
      };
      await Promise.all([authorityKeys(), relayFingerprint()]);
    }),
  );
  const keysMs = Date.now() - started;
  log('keys ready in %d ms', keysMs);
  const network = new RunningTestNetwork(init.dir, authorities);
  const dirAuthorities = network.dirAuthorityLines();
  for (const a of authorities) {
    const lines = [
      ...COMMON_LINES,
      ...AUTHORITY_LINES,
      `DataDirectory ${a.dir}`,
      `Nickname ${a.nick}`,
      'Address 127.0.0.1',
      `ORPort 127.0.0.1:${a.orPort}`,
      `DirPort 127.0.0.1:${a.dirPort}`,
      `__OwningControllerProcess ${process.pid}`,
      'Log notice stdout',
      ...dirAuthorities,
    ];
    await writeFile(join(a.dir, 'torrc'), lines.join('\n') + '\n', { mode: 0o600 });
  }
  // Start 0.1 s past a multiple of the initial voting interval (wall clock).
  const periodMs = TESTNET_VOTING_INTERVAL_S * 1000;
  const now = Date.now();
  await sleep(periodMs - (now % periodMs) + TESTNET_START_OFFSET_MS, undefined, options.signal ? { signal: options.signal } : {});
  const launched = Date.now();
  try {
    const waits = authorities.map((a) => {
      const child = spawn(torPath, ['-f', join(a.dir, 'torrc'), '--defaults-torrc', emptyDefaults], { stdio: ['ignore', 'pipe', 'pipe'] });
      trackChild(child);
      network.addChild(child);
      child.stderr.resume();
      const ready = waitForLog(child, 'Bootstrapped 100%', init.bootstrapTimeoutMs ?? TESTNET_BOOTSTRAP_TIMEOUT_MS, a.nick, options.signal);
      // Keep draining stdout after readiness so tor never blocks on a full pipe.
      child.stdout.on('data', () => {});
      return ready;
    });
    await Promise.all(waits);
  } catch (err) {
    await network.stop();
    throw err;
  }
  network.timings = { keysMs, readyMs: Date.now() - launched };
  log('test network ready %d ms after launch (%d ms with keys)', Date.now() - launched, Date.now() - started);
  return network;
}

/** Removes a test network's directory (after stop()). */
export async function removeTestNetworkDir(network: TestNetwork): Promise<void> {
  await rm(network.dir, { recursive: true, force: true });
}
