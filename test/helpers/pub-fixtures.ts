/**
 * Fixtures shared by the pub's robustness tests and the benchmarks: a seeded PRNG (so a failing
 * fuzz run can be replayed), valid opaque blobs, temp homes, and a pub running in a child
 * process that can be killed with SIGKILL.
 */
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import type { PubClient } from '../../daemon/pub-links/client.js';
import type { PubLimits } from '../../daemon/pub/constants.js';
import { BLOB_SIZES, BLOB_VERSION } from '../../protocol/constants.js';
import { PUB_WIRE_VERSION, PubFrameType, decodeClientFrame, encodeHello, type ClientFrame, type HelloRequestFrame, type PubPolicy } from '../../protocol/pub-wire.js';

/** The repository root, from dist/test/helpers/ (compiled) three levels up. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The `snug` launcher. */
export const SNUG_BIN = join(REPO_ROOT, 'bin', 'snug.js');

/**
 * sfc32: a small, fast, seedable PRNG. Not for secrets; for reproducible test input only.
 */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next32();
  }

  /** A uniformly random unsigned 32-bit integer. */
  next32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** A uniformly random integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.next32() / 0x1_0000_0000) * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next32() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    const v = list[this.int(list.length)];
    if (v === undefined) throw new RangeError('pick from an empty list');
    return v;
  }

  /** Fills `out` with random bytes and returns it. */
  fill<T extends Uint8Array>(out: T): T {
    let i = 0;
    for (; i + 4 <= out.length; i += 4) {
      const r = this.next32();
      out[i] = r & 0xff;
      out[i + 1] = (r >>> 8) & 0xff;
      out[i + 2] = (r >>> 16) & 0xff;
      out[i + 3] = r >>> 24;
    }
    for (; i < out.length; i++) out[i] = this.next32() & 0xff;
    return out;
  }

  bytes(n: number): Uint8Array<ArrayBuffer> {
    return this.fill(new Uint8Array(n));
  }
}

/** A blob a pub must accept: a length from BLOB_SIZES, BLOB_VERSION first, random after. */
export function makeBlob(prng: Prng, size = BLOB_SIZES[0]!): Uint8Array<ArrayBuffer> {
  const blob = prng.bytes(size);
  blob[0] = BLOB_VERSION;
  return blob;
}

/**
 * A blob that is unique by construction: BLOB_VERSION, then `serial` as 8 bytes big-endian, then
 * random bytes. Benchmarks use the serial to match a delivery to its post.
 */
export function makeSerialBlob(prng: Prng, serial: number, size = BLOB_SIZES[0]!): Uint8Array<ArrayBuffer> {
  const blob = makeBlob(prng, size);
  new DataView(blob.buffer, blob.byteOffset, blob.byteLength).setBigUint64(1, BigInt(serial));
  return blob;
}

/** Reads the serial written by makeSerialBlob. */
export function blobSerial(blob: Uint8Array): number {
  return Number(new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getBigUint64(1));
}

/** Byte-string equality: the protocol's own helper, re-exported for the pub tests. */
export { bytesEqual } from '../../protocol/bytes.js';

/** A policy as a pub announces it, for codec tests. */
export const SAMPLE_POLICY: PubPolicy = {
  version: PUB_WIRE_VERSION,
  powContext: new Uint8Array(32).fill(0xab),
  powDifficulty: 16,
  blobSizes: [BLOB_SIZES[0]!, BLOB_SIZES[1]!],
  maxFrameBytes: 140_000,
  maxPageBlobs: 256,
  maxPageBytes: 524_288,
  postsPerSecond: 20,
  postBurst: 40,
  maxInflight: 16,
  quotaBytes: 4 * 1024 ** 3,
  retentionMs: 30 * 86_400_000,
  maxConnections: 256,
};

/** A blob of `size` bytes filled with `fill`, with the blob version first. */
export function filledBlob(size = BLOB_SIZES[0]!, fill = 0x5a): Uint8Array {
  const b = new Uint8Array(size).fill(fill);
  b[0] = BLOB_VERSION;
  return b;
}

export { makeTempDir, removeDir } from './temp.js';

/** A request a client sends a scripted pub (everything but HELLO_REQUEST, which it answers itself). */
export type ScriptedRequest = Exclude<ClientFrame, HelloRequestFrame>;

/** A WebSocket server playing a pub from a script, on 127.0.0.1. */
export interface ScriptedPub {
  /** "ws://127.0.0.1:PORT", what the direct dialer takes. */
  readonly url: string;
  /** Cuts every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * A scripted pub: greets with `policy` on every HELLO_REQUEST and hands each other frame a
 * client sends to `onRequest`, with a way to send frames back on that connection; it answers
 * nothing by itself. For tests of what a client does with what a pub (honest or hostile) sends.
 */
export async function scriptedPub(policy: PubPolicy, onRequest: (frame: ScriptedRequest, send: (frame: Uint8Array) => void) => void): Promise<ScriptedPub> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => {
      const frame = decodeClientFrame(new Uint8Array(data));
      if (frame.type === PubFrameType.HELLO_REQUEST) return void ws.send(encodeHello(policy));
      onRequest(frame, (f) => ws.send(f));
    });
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

/**
 * Limits of the pubs the robustness tests run: a low PoW difficulty (so tests post quickly) and
 * a per-connection rate limit high enough not to bind, everything else at its default.
 */
export const TEST_PUB_LIMITS: Partial<PubLimits> = { powDifficulty: 2, postsPerSecond: 100_000, postBurst: 100_000 };

/** TEST_PUB_LIMITS as `snug pub` flags. */
export const TEST_PUB_ARGS: readonly string[] = ['--pow-difficulty', '2', '--posts-per-second', '100000', '--post-burst', '100000'];

/** Starts `snug pub --listen 127.0.0.1:0 --home HOME` with TEST_PUB_ARGS (or `args`) in a child process. */
export function spawnTestPub(home: string, args: readonly string[] = TEST_PUB_ARGS): Promise<PubChild> {
  return spawnPub({ home, args });
}

/** Every blob a pub holds, by cursor, paging from the start. */
export async function fetchEverything(client: PubClient): Promise<Map<bigint, Uint8Array>> {
  const all = new Map<bigint, Uint8Array>();
  let since = 0n;
  for (;;) {
    const page = await client.fetch(since);
    for (const b of page.blobs) all.set(b.cursor, b.blob);
    since = page.next;
    if (!page.more) return all;
  }
}

/** A pub in a child process. */
export interface PubChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** "ws://HOST:PORT", what the direct dialer takes. */
  readonly address: string;
  /** Everything the child wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, and resolves with the exit code once the process is gone (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnPubOptions {
  readonly home: string;
  /** Extra command-line arguments after the standard ones. */
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Time allowed until the `pub listening:` line (ms). */
  readonly timeoutMs?: number;
  /**
   * Run this script (a path to a compiled .js file) with `args` instead of `snug pub`. The script
   * must print the same `pub listening: ws://HOST:PORT` line.
   */
  readonly script?: string;
  /**
   * Starts the pub under this file size limit (RLIMIT_FSIZE, in KiB, set by bash's `ulimit -f`):
   * a write past it fails with EFBIG (node ignores SIGXFSZ), as a write to a full disk fails.
   */
  readonly fileSizeLimitKiB?: number;
}

/**
 * The environment and node flags bin/snug.js's `#!/usr/bin/env -S VAR=value node --flag` line
 * gives the CLI, so that a pub started here runs as `snug pub` does.
 */
export function launcher(): { env: Record<string, string>; execArgv: string[] } {
  const first = readFileSync(SNUG_BIN, 'utf8').split('\n', 1)[0] ?? '';
  const words = first.replace(/^#!\S*env\s+(-S\s+)?/, '').split(/\s+/).filter((w) => w.length > 0);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]!); i++) {
    const [name, ...value] = words[i]!.split('=');
    env[name!] = value.join('=');
  }
  if (words[i] !== 'node') throw new Error(`bin/snug.js must start with #!/usr/bin/env [-S] [VAR=value ...] node [flags]: ${first}`);
  return { env, execArgv: words.slice(i + 1) };
}

const LISTENING_LINE = /pub listening:\s*(?:ws:\/\/)?(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):(\d+)/;

/**
 * Starts `node bin/snug.js pub --listen 127.0.0.1:0 --home HOME` (or `script`) and resolves once
 * it prints `pub listening: ...`.
 */
export function spawnPub(options: SpawnPubOptions): Promise<PubChild> {
  const launch = options.script ? { env: {}, execArgv: [] } : launcher();
  const argv = options.script
    ? [options.script, '--home', options.home, ...(options.args ?? [])]
    : [...launch.execArgv, SNUG_BIN, 'pub', '--listen', '127.0.0.1:0', '--home', options.home, ...(options.args ?? [])];
  const limit = options.fileSizeLimitKiB;
  const [command, commandArgs] =
    limit === undefined
      ? [process.execPath, argv]
      : ['/bin/bash', ['-c', `ulimit -f ${Math.floor(limit)} && exec "$0" "$@"`, process.execPath, ...argv]];
  const child = spawn(command, commandArgs, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...launch.env, ...options.env },
    // stdin stays open as a lifeline: a child may exit when it closes (this process died)
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // never leave a pub behind, even when this process exits on an uncaught error
  const reap = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
  });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise<PubChild>((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`pub child printed no 'pub listening:' line within ${options.timeoutMs ?? 15_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 15_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      const m = LISTENING_LINE.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
      const port = Number(m[2]);
      resolve({
        child,
        pid: child.pid ?? -1,
        host,
        port,
        address: `ws://${m[1]}:${port}`,
        stderr: () => stderr,
        kill: () => kill('SIGKILL'),
        stop: async (graceMs = 5_000) => {
          const t = setTimeout(() => void kill('SIGKILL'), graceMs);
          await kill('SIGTERM');
          clearTimeout(t);
          return child.exitCode;
        },
      });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`pub child exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Resident set size of a process in bytes (Linux /proc), or null if it is gone. */
export async function processRss(pid: number): Promise<{ rss: number; hwm: number } | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    if (!rss || !hwm) return null;
    return { rss: Number(rss[1]) * 1024, hwm: Number(hwm[1]) * 1024 };
  } catch {
    return null;
  }
}
