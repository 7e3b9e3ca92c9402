/**
 * `snug rpc METHOD [JSON]` (CONTRACT.md): calls one local API method and prints its JSON result
 * on stdout (exit 0), or the error as one JSON object {code, name, message} on stderr (exit 1).
 * Bad JSON or flags are usage errors (exit 2). No daemon is an error naming `snug daemon` (1).
 *
 * Params: the JSON argument; or, with `-` or without an argument when stdin is not a terminal,
 * stdin (so secrets stay out of process arguments); an empty stdin means no params.
 * `snug rpc event/subscribe [JSON]` prints each notification as one JSON-RPC notification
 * object per line until SIGINT/SIGTERM (exit 0) or the daemon goes (exit 1); the subscription's
 * result ({missed, latest}) goes to stderr, so stdout holds notifications only.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ApiError } from '../../protocol/api/errors.js';
import { eventSubscribe } from '../../protocol/api/methods.js';
import { ApiClient } from '../api/client.js';
import { SOCKET_NAME } from '../api/constants.js';
import { ApiTransportError } from '../api/errors.js';
import { UsageError } from './errors.js';

/** The most bytes of params read from stdin (the daemon takes at most 1 MiB lines). */
export const RPC_STDIN_MAX_BYTES = 1024 * 1024;

export interface RpcIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

export interface RpcEnv {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  /** Resolves when the user interrupts (SIGINT/SIGTERM); used by event/subscribe. */
  readonly interrupted: () => { promise: Promise<void>; dispose: () => void };
}

interface RpcArgs {
  readonly method: string;
  readonly params?: string | undefined;
  readonly home: string;
  readonly timeout?: number | undefined;
}

const processEnv: RpcEnv = {
  stdin: process.stdin,
  interrupted: () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const on = () => resolve();
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
    return {
      promise,
      dispose: () => {
        process.off('SIGINT', on);
        process.off('SIGTERM', on);
      },
    };
  },
};

/** Params from JSON text: an object or an array; blank text is no params. Anything else is a usage error. */
export function parseParams(text: string, where: string): unknown {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`the params ${where} are not JSON`);
  }
  if (typeof value !== 'object' || value === null) throw new UsageError(`the params ${where} must be a JSON object`);
  return value;
}

/** All of stdin as text (at most RPC_STDIN_MAX_BYTES); an empty or closed stdin is ''. */
export async function readStdin(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    bytes += b.length;
    if (bytes > RPC_STDIN_MAX_BYTES) throw new UsageError(`the params on stdin are longer than ${RPC_STDIN_MAX_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** True for `-`; yargs hands a lone `-` to a string positional as '' (so an empty argument counts as `-` too). */
function meansStdin(params: string | undefined): boolean {
  return params === '-' || params === '';
}

async function paramsFrom(args: RpcArgs, env: RpcEnv): Promise<unknown> {
  if (args.params !== undefined && !meansStdin(args.params)) return parseParams(args.params, 'in the argument');
  if (meansStdin(args.params) || env.stdin.isTTY !== true) return parseParams(await readStdin(env.stdin), 'on stdin');
  return undefined;
}

/** The one JSON object an error is printed as. */
export function errorJson(err: unknown): { code: number | null; name: string; message: string } {
  if (err instanceof ApiError) return { code: err.rpcCode, name: err.code, message: err.message };
  if (err instanceof ApiTransportError) return { code: null, name: err.code, message: err.message };
  return { code: null, name: 'ERR_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export async function runRpc(args: RpcArgs, io: RpcIo, env: RpcEnv = processEnv): Promise<number> {
  const params = await paramsFrom(args, env);
  const timeoutMs = args.timeout !== undefined ? args.timeout * 1000 : undefined;
  let client: ApiClient;
  try {
    client = await ApiClient.connect(join(args.home, SOCKET_NAME));
  } catch (err) {
    io.stderr(JSON.stringify(errorJson(err)));
    return 1;
  }
  try {
    if (args.method === eventSubscribe.method) return await subscribe(client, params, io, env, timeoutMs);
    const result = await client.request(args.method, params, timeoutMs !== undefined ? { timeoutMs } : {});
    io.stdout(JSON.stringify(result));
    return 0;
  } catch (err) {
    io.stderr(JSON.stringify(errorJson(err)));
    return 1;
  } finally {
    await client.close();
  }
}

async function subscribe(client: ApiClient, params: unknown, io: RpcIo, env: RpcEnv, timeoutMs: number | undefined): Promise<number> {
  const interrupt = env.interrupted();
  try {
    // lines are printed in the order they arrive; the listener is in place before the answer
    client.addEventListener('notification', (e) => io.stdout(JSON.stringify({ jsonrpc: '2.0', method: e.detail.method, params: e.detail.params })));
    const closed = new Promise<ApiTransportError | ApiError | null>((resolve) => client.addEventListener('close', (e) => resolve(e.detail.error)));
    const result = await client.request(eventSubscribe.method, params, timeoutMs !== undefined ? { timeoutMs } : {});
    io.stderr(JSON.stringify(result));
    const ended = await Promise.race([interrupt.promise.then(() => 'interrupted' as const), closed]);
    if (ended === 'interrupted') return 0;
    io.stderr(JSON.stringify(errorJson(ended ?? new ApiTransportError('ERR_API_CLOSED', 'the daemon closed the connection'))));
    return 1;
  } finally {
    interrupt.dispose();
  }
}

/** The `rpc` command for main.ts; `done` receives the exit status. */
export function rpcCommand(io: RpcIo, done: (code: number) => void, env: RpcEnv = processEnv): CommandModule<object, RpcArgs> {
  return {
    command: 'rpc <method> [params]',
    describe: 'call one local API method and print its JSON result (params: JSON, or - for stdin)',
    builder: (y: Argv<object>) =>
      y
        .positional('method', { type: 'string', demandOption: true, describe: 'scope/verb, e.g. daemon/status' })
        .positional('params', { type: 'string', describe: 'the params as one JSON object, or - to read them from stdin' })
        .option('timeout', { type: 'number', requiresArg: true, describe: 'seconds to wait for the answer (default 60)' }) as unknown as Argv<RpcArgs>,
    handler: async (argv: ArgumentsCamelCase<RpcArgs>) => {
      if (argv.timeout !== undefined && !(Number.isFinite(argv.timeout) && argv.timeout > 0)) throw new UsageError('--timeout takes a positive number of seconds', { flag: '--timeout' });
      done(await runRpc({ method: argv.method, params: argv.params, home: argv.home, timeout: argv.timeout }, io, env));
    },
  };
}

/**
 * The same command in the registration form of a3's daemon/cli/command.ts
 * (`RegisterCommand = (y, ctx) => y`), typed structurally so this file does not depend on it:
 * once that lands, main.ts lists `rpcCommandLine` in COMMANDS in place of not-built's rpcCommand.
 */
export function rpcCommandLine<Y extends Argv<{ readonly home: string }>>(y: Y, ctx: { readonly io: RpcIo; exit(code: number): void }): Y {
  return y.command(rpcCommand(ctx.io, (code) => ctx.exit(code)) as unknown as CommandModule<{ readonly home: string }, RpcArgs>) as Y;
}
