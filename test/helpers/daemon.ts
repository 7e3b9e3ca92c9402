/**
 * The real `snug daemon` as a child process (bin/snug.js), and ways to reach it only through
 * its socket (ApiClient). Tests of the daemon start it with this and nothing else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../daemon/api/client.js';
import { SOCKET_NAME } from '../../daemon/api/constants.js';

export const SNUG_BIN = fileURLToPath(new URL('../../../bin/snug.js', import.meta.url));

/** The flags of a fast daemon for tests: development mode, no tor, the low KDF cost. */
export const FAST_DAEMON_ARGS = ['--dev', '--transport', 'direct', '--dev-kdf', 'fast'] as const;

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly home: string;
  readonly socketPath: string;
  /** Everything written to stderr so far (the JSON log lines, or the one error line). */
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has closed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Connects a new client to the daemon's socket. */
  connect(): Promise<ApiClient>;
  /** SIGKILL, if still running; resolves once it has exited. */
  kill(): Promise<void>;
}

/** Spawns `snug daemon --home HOME ...args`; does not wait for it (see `waitUntilServing`). */
export function spawnDaemon(home: string, args: readonly string[] = FAST_DAEMON_ARGS, env: NodeJS.ProcessEnv = {}): DaemonProcess {
  const child = spawn(process.execPath, [SNUG_BIN, 'daemon', '--home', home, '--log-format', 'json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBUG: '', ...env },
  });
  let stderr = '';
  let stdout = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const socketPath = join(home, SOCKET_NAME);
  return {
    child,
    home,
    socketPath,
    stderr: () => stderr,
    stdout: () => stdout,
    exited,
    connect: () => ApiClient.connect(socketPath),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resolves once daemon/status answers on the socket; rejects if the daemon exits first or `withinMs` passes. */
export async function waitUntilServing(d: DaemonProcess, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  let exited = false;
  void d.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the daemon exited before serving: ${d.stderr()}`);
    try {
      const client = await d.connect();
      try {
        await client.call('daemon/status');
        return;
      } finally {
        await client.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the daemon did not serve within ${withinMs} ms: ${(err as Error).message}; ${d.stderr()}`);
      await sleep(25);
    }
  }
}

/** Spawns a daemon and waits until it serves. */
export async function startDaemon(home: string, args: readonly string[] = FAST_DAEMON_ARGS, env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
  const d = spawnDaemon(home, args, env);
  try {
    await waitUntilServing(d);
  } catch (err) {
    await d.kill();
    throw err;
  }
  return d;
}

/** Calls one method on a fresh connection and closes it. */
export async function callOnce<T>(d: DaemonProcess, fn: (client: ApiClient) => Promise<T>): Promise<T> {
  const client = await d.connect();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** The JSON log lines the daemon wrote on stderr (lines that are not JSON are left out). */
export function logLines(d: DaemonProcess): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of d.stderr().split('\n')) {
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === 'object' && v !== null) out.push(v as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  return out;
}

/** Waits until the daemon's own onion service is published (the Tor tests). */
export async function published(d: DaemonProcess, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const s = await callOnce(d, (c) => c.call('daemon/status'));
    if (s.tor.onion === 'published') return;
    if (Date.now() > deadline) throw new Error(`the onion service was not published: ${JSON.stringify(s.tor)}`);
    await sleep(250);
  }
}
