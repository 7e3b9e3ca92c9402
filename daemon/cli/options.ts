/**
 * Options shared by commands, validated into typed values. yargs parses; these functions
 * turn what it parsed into the config the rest of the daemon takes.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { createLog, defaultLogFormat, isLogFormat, LOG_FORMATS, type Log } from '../log.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

/** Where a home lives when --home is not given: $SNUG_HOME, $XDG_DATA_HOME/snug, ~/.local/share/snug. */
export function defaultHome(env: Io['env'] = process.env): string {
  if (env['SNUG_HOME']) return resolve(env['SNUG_HOME']);
  if (env['XDG_DATA_HOME']) return join(resolve(env['XDG_DATA_HOME']), 'snug');
  return join(homedir(), '.local', 'share', 'snug');
}

/** --log-format, for commands that log (pub now, the daemon later). */
export function withLogFormatOption<T>(y: Argv<T>) {
  return y.option('log-format', {
    type: 'string',
    requiresArg: true,
    describe: `${LOG_FORMATS.join(' or ')}: readable lines or one JSON object per line (default: text on a terminal, else json)`,
  });
}

/** The Log a command writes to stderr in the chosen (or default) format. */
export function logFrom(args: { readonly 'log-format'?: string | undefined }, io: Io): Log {
  const format = args['log-format'];
  if (format !== undefined && !isLogFormat(format)) {
    throw new UsageError(`--log-format takes ${LOG_FORMATS.join(' or ')}, not '${format}'`, { flag: '--log-format' });
  }
  return createLog(io.stderr, format ?? defaultLogFormat(io.stderrIsTTY));
}
