/**
 * What every command gets from its process: output lines, the environment, and whether stderr
 * is a terminal. `main(argv, io)` takes one, so tests run commands without a process.
 */

export interface Io {
  /** One line to stdout (results, announcements such as `pub address: …`). */
  readonly stdout: (line: string) => void;
  /** One line to stderr (logs, errors). */
  readonly stderr: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** stderr is a terminal: logs default to readable text instead of JSON lines. */
  readonly stderrIsTTY: boolean;
}

export const processIo: Io = {
  stdout: (line) => process.stdout.write(line + '\n'),
  stderr: (line) => process.stderr.write(line + '\n'),
  env: process.env,
  stderrIsTTY: process.stderr.isTTY === true,
};

/** A signal that aborts (and a promise that resolves) on SIGINT or SIGTERM, until disposed. */
export function abortOnSignals(): { readonly signal: AbortSignal; readonly stopped: Promise<void>; dispose(): void } {
  const controller = new AbortController();
  const stopped = new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    stopped,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
