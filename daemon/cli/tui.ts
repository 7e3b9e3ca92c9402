/**
 * `snug` / `snug tui`: the terminal UI for one home. When no daemon answers on the home's
 * socket, it starts one in the background (detached, its output appended to `daemon.log` in
 * the home) with the daemon flags given here (`--dev`, `--transport`, the Tor options: the
 * same as `snug daemon`'s), then connects; the daemon keeps running when the UI quits.
 */
import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOCKET_NAME } from '../api/constants.js';
import type { RegisterCommand } from './command.js';
import { daemonConfigFrom, withDaemonOptions, type RawDaemonArgs } from './daemon.js';

/** bin/snug.js, from dist/daemon/cli/tui.js. */
export const SNUG_BIN = fileURLToPath(new URL('../../../bin/snug.js', import.meta.url));

/** The log a daemon started by the UI writes to, in its home. */
export const DAEMON_LOG_NAME = 'daemon.log';

const PASSED_FLAGS = ['transport', 'dev-kdf', 'dev-peer-dir', 'tor-bin', 'tor-control', 'tor-socks', 'tor-config', 'tor-cookie'] as const;

/** The `snug daemon` arguments that carry this command's daemon flags. */
export function daemonArgsFrom(args: RawDaemonArgs): string[] {
  const out = ['daemon', '--home', resolve(args.home), '--log-format', 'json'];
  if (args.dev === true) out.push('--dev');
  if (args['tor-allow-password'] === true) out.push('--tor-allow-password');
  for (const flag of PASSED_FLAGS) {
    const v = args[flag];
    if (v !== undefined) out.push(`--${flag}`, flag === 'tor-config' || flag === 'dev-peer-dir' || flag === 'tor-cookie' || flag === 'tor-bin' ? resolve(v) : v);
  }
  return out;
}

/** Starts `snug daemon` for the home, detached from this process, its output appended to HOME/daemon.log. */
export async function startBackgroundDaemon(args: RawDaemonArgs): Promise<void> {
  const home = resolve(args.home);
  await mkdir(home, { recursive: true, mode: 0o700 });
  const log = await open(join(home, DAEMON_LOG_NAME), 'a', 0o600);
  try {
    const child = spawn(process.execPath, [SNUG_BIN, ...daemonArgsFrom(args)], { detached: true, stdio: ['ignore', log.fd, log.fd], env: process.env });
    child.unref();
  } finally {
    await log.close();
  }
}

/**
 * Loads the terminal UI. Ink draws nothing until it exits when it believes it runs in CI
 * (is-in-ci: CI or CONTINUOUS_INTEGRATION set, read once when ink is first imported), which
 * would leave a real terminal blank. On a terminal the UI is interactive whatever the
 * environment says, so for this process those markers are turned off before ink loads.
 */
export async function loadTui(): Promise<typeof import('../../tui/run.js')> {
  if (process.stdout.isTTY) for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = '0';
  return import('../../tui/run.js');
}

export async function tuiCommand(args: RawDaemonArgs & { readonly open?: string | undefined }): Promise<number> {
  daemonConfigFrom(args); // the daemon flags are checked before anything starts
  const home = resolve(args.home);
  // something on screen at once: loading the UI's modules takes a moment on a slow machine
  if (process.stdout.isTTY) process.stdout.write('snug: starting the terminal UI…\n');
  const { runTui } = await loadTui();
  await runTui({ home, socketPath: join(home, SOCKET_NAME), startDaemon: () => startBackgroundDaemon(args), initialKey: args.open });
  return 0;
}

export const tuiCommandLine: RegisterCommand = (y, ctx) =>
  y.command(
    ['tui', '$0'],
    'open the terminal UI (starts the daemon for the home in the background if none is running)',
    (b) => withDaemonOptions(b).option('open', { type: 'string', requiresArg: true, describe: 'the conversation to open first: c:ADDRESS or g:GROUPID' }),
    async (argv) => {
      ctx.exit(await tuiCommand(argv));
    },
  );
