/**
 * The `snug` command line. Thin: yargs validates arguments into typed options, then each
 * command calls into the daemon's code. `main(argv)` resolves to the exit status so tests can
 * call it without spawning a process.
 */
import yargs, { type Argv } from 'yargs';
import { SnugError } from '../../protocol/errors.js';
import { NotBuiltError, UsageError } from './errors.js';
import { defaultHome } from './options.js';
import { testnetCommand } from './testnet.js';
import { VERSION } from '../version.js';
import { pubCommand, withPubOptions } from '../pub/command.js';
import { rpcCommand } from './rpc.js';

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

const processIo: CliIo = {
  stdout: (line) => process.stdout.write(line + '\n'),
  stderr: (line) => process.stderr.write(line + '\n'),
};

/** Tor options accepted by `daemon`, `pub` and `demo`. */
export function withTorOptions<T>(y: Argv<T>) {
  return y
    .option('tor-bin', { type: 'string', requiresArg: true, describe: 'the tor executable to spawn (default: tor on PATH)' })
    .option('tor-control', { type: 'string', requiresArg: true, describe: 'HOST:PORT of a running tor\'s control port (with --tor-socks)' })
    .option('tor-socks', { type: 'string', requiresArg: true, describe: 'HOST:PORT of a running tor\'s SOCKS port (with --tor-control)' })
    .option('tor-config', { type: 'string', requiresArg: true, describe: 'a file of extra torrc lines (e.g. to join a private network)' });
}

export type CommandResult = number | void;

/** An error's message ending in its code, e.g. "... (ERR_USAGE)" (once, if it already does). */
function withCode(err: SnugError): string {
  return err.message.endsWith(`(${err.code})`) ? err.message : `${err.message} (${err.code})`;
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const notBuilt = (name: string) => async (): Promise<void> => {
    throw new NotBuiltError(name);
  };

  const parser = yargs([...argv])
    .scriptName('snug')
    .usage('$0 [command] [options]\n\nTor-routed, end-to-end encrypted group chat.')
    .version(VERSION)
    .option('home', {
      type: 'string',
      requiresArg: true,
      describe: 'the data directory (default: $SNUG_HOME, $XDG_DATA_HOME/snug, ~/.local/share/snug)',
      default: defaultHome(),
      defaultDescription: 'see above',
    })
    .command(['tui', '$0'], 'open the terminal UI (starts the daemon if none is running)', (y) => y, notBuilt('tui'))
    .command('daemon', 'run the daemon in the foreground until SIGINT/SIGTERM', (y) => withTorOptions(y), notBuilt('daemon'))
    .command('pub', 'run a pub: an untrusted message cache served as an onion service', (y) => withPubOptions(withTorOptions(y)), async (argv) => {
      exitCode = await pubCommand(argv, io);
    })
    .command(rpcCommand(io, (code) => (exitCode = code)))
    .command(
      'testnet',
      'development only: run a private Tor network on 127.0.0.1 for trying snug offline',
      (y) =>
        y
          .option('dir', { type: 'string', requiresArg: true, describe: 'directory for the network (default: a fresh temporary one)' })
          .option('tor-bin', { type: 'string', requiresArg: true, describe: 'the tor executable to spawn (default: tor on PATH)' }),
      async (argv) => {
        exitCode = await testnetCommand(argv, io);
      },
    )
    .command('demo', 'a whole working setup on one machine: private Tor network, a pub, a second participant', (y) => withTorOptions(y), notBuilt('demo'))
    .strict()
    .help()
    .alias('h', 'help')
    .exitProcess(false)
    .showHelpOnFail(false)
    .fail((msg, err) => {
      // yargs' own complaints (a YError, or none) are usage errors; a handler's error passes through.
      throw err === undefined || err === null || err.name === 'YError' ? new UsageError(msg ?? err?.message ?? 'bad arguments') : err;
    });

  try {
    let out = '';
    await parser.parseAsync([...argv], {}, (_err, _argv, output) => {
      out = output;
    });
    if (out) io.stdout(out);
  } catch (err) {
    // One line; a SnugError (a usage error included) names its stable code at the end.
    if (err instanceof SnugError) {
      io.stderr(`snug: ${withCode(err)}`);
      exitCode = err instanceof UsageError ? 2 : 1;
    } else {
      io.stderr(`snug: ${err instanceof Error ? err.message : String(err)}`);
      exitCode = 1;
    }
  }
  return exitCode;
}
