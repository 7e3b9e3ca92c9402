/**
 * `snug demo`: a whole working setup on one machine with no internet (daemon/demo: a private
 * Tor network, a pub, your daemon and a bot's, a group with both of you), then the terminal UI
 * in that group. Progress is printed while it starts. Everything it started stops when the UI
 * quits (/quit, Ctrl+C), on SIGTERM/SIGHUP, or if starting fails; nothing is left running. The
 * home is a temporary directory unless --home names one (the demo never uses your real profile:
 * the default home counts as not given).
 */
import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import type { RegisterCommand } from './command.js';
import { UsageError } from './errors.js';
import { abortOnSignals, type Io } from './io.js';
import { defaultHome } from './options.js';
import { torOptionsFrom, withTorOptions, type RawTorArgs } from './tor.js';
import { loadTui } from './tui.js';

export interface RawDemoArgs extends RawTorArgs {
  readonly home: string;
  readonly name?: string | undefined;
}

export async function demoCommand(args: RawDemoArgs, io: Io): Promise<number> {
  const tor = torOptionsFrom(args);
  if (tor.mode !== 'spawn' || args['tor-config'] !== undefined) throw new UsageError('snug demo runs its own tors on its own network: it takes --tor-bin only', { flag: args['tor-config'] !== undefined ? '--tor-config' : '--tor-control' });
  const torBin = args['tor-bin'] !== undefined ? tor.torBin : undefined;
  const explicitHome = resolve(args.home) !== resolve(defaultHome(io.env)) ? resolve(args.home) : undefined;
  const { startDemo } = await import('../demo/demo.js');
  const signals = abortOnSignals();
  // every step of the start listens on the one signal (and a warning on stderr would land in the UI)
  setMaxListeners(100, signals.signal);
  let demo: Awaited<ReturnType<typeof startDemo>> | null = null;
  try {
    demo = await startDemo({ home: explicitHome, torBin, name: args.name, progress: (line) => io.stdout(line) }, { signal: signals.signal });
    const { runTui } = await loadTui();
    // SIGTERM/SIGHUP while the UI runs: leave it, so everything below stops
    const ui = runTui({ home: demo.home, socketPath: demo.socketPath, initialKey: demo.initialKey });
    await Promise.race([ui, signals.stopped]);
    return 0;
  } finally {
    signals.dispose();
    if (demo) {
      io.stdout('stopping the demo: the bot, both daemons, the pub and the Tor network…');
      await demo.stop();
      io.stdout('the demo stopped; nothing of it is left running.');
    }
  }
}

export const demoCommandLine: RegisterCommand = (y, ctx) =>
  y.command(
    'demo',
    'a whole working setup on one machine with no internet: a private Tor network, a pub and a bot, then the UI in a group with it',
    (b) => withTorOptions(b).option('name', { type: 'string', requiresArg: true, describe: 'your name in the demo (default: you)' }),
    async (argv) => {
      ctx.exit(await demoCommand(argv, ctx.io));
    },
  );
