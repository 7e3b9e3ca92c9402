/**
 * The `snug` command line. Thin: yargs validates arguments into typed options, then each
 * command calls into the daemon's code. `main(argv)` resolves to the exit status so tests can
 * call it without spawning a process. One line per command in COMMANDS.
 */
import yargs from 'yargs';
import { SnugError } from '../../protocol/errors.js';
import { VERSION } from '../version.js';
import type { CommandContext, RegisterCommand } from './command.js';
import { UsageError } from './errors.js';
import { processIo, type Io } from './io.js';
import { demoCommandLine } from './demo.js';
import { rpcCommandLine } from './rpc.js';
import { daemonCommandLine } from './daemon.js';
import { defaultHome } from './options.js';
import { pubCommandLine } from './pub.js';
import { testnetCommandLine } from './testnet.js';
import { tuiCommandLine } from './tui.js';

const COMMANDS: readonly RegisterCommand[] = [
  tuiCommandLine,
  daemonCommandLine,
  pubCommandLine,
  rpcCommandLine,
  testnetCommandLine,
  demoCommandLine,
];

/** An error's message ending in its code, e.g. "... (ERR_USAGE)" (once, if it already does). */
function withCode(err: SnugError): string {
  return err.message.endsWith(`(${err.code})`) ? err.message : `${err.message} (${err.code})`;
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const ctx: CommandContext = { io, exit: (code) => (exitCode = code) };

  let parser = yargs([...argv])
    .scriptName('snug')
    .usage('$0 [command] [options]\n\nTor-routed, end-to-end encrypted group chat.')
    .version(VERSION)
    .option('home', {
      type: 'string',
      requiresArg: true,
      describe: 'the data directory (default: $SNUG_HOME, $XDG_DATA_HOME/snug, ~/.local/share/snug)',
      default: defaultHome(io.env),
      defaultDescription: 'see above',
    });
  for (const register of COMMANDS) parser = register(parser, ctx);
  parser = parser
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
