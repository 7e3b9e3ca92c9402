/**
 * How a command joins the CLI: a function that adds it (flags, handler) to the yargs parser.
 * main.ts lists one registration per command; a handler reports its exit status through
 * `ctx.exit`, and throws typed errors for main to print on one line.
 */
import type { Argv } from 'yargs';
import type { Io } from './io.js';

export interface CommandContext {
  readonly io: Io;
  /** Sets the exit status main() resolves with. */
  exit(code: number): void;
}

/** The options every command takes (main.ts adds them before the commands). */
export interface GlobalArgs {
  readonly home: string;
}

export type RegisterCommand = (y: Argv<GlobalArgs>, ctx: CommandContext) => Argv<GlobalArgs>;
