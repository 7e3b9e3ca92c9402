/**
 * Runs the terminal UI until the user quits (/quit or Ctrl+C): renders the App in the terminal's
 * alternate screen, with a DaemonLink to the home's socket, and stops the link when it ends.
 */
import { render } from 'ink';
import { App } from './app/app.js';
import { DaemonLink } from './link/daemon-link.js';

export interface RunTuiOptions {
  readonly home: string;
  readonly socketPath: string;
  /** Starts a daemon for the home in the background when none runs. */
  readonly startDaemon?: (() => Promise<void>) | undefined;
  /** The conversation to open first (`g:<groupId>` or `c:<address>`). */
  readonly initialKey?: string | undefined;
}

const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALT_SCREEN = '\u001b[?1049l';

export async function runTui(options: RunTuiOptions): Promise<void> {
  const link = new DaemonLink({ socketPath: options.socketPath, startDaemon: options.startDaemon });
  const tty = process.stdout.isTTY === true;
  if (tty) process.stdout.write(ENTER_ALT_SCREEN);
  const restore = () => {
    if (tty) process.stdout.write(LEAVE_ALT_SCREEN);
  };
  process.once('exit', restore);
  try {
    const instance = render(<App link={link} home={options.home} initialKey={options.initialKey} />, { exitOnCtrlC: true, patchConsole: true });
    await instance.waitUntilExit();
  } finally {
    await link.stop();
    restore();
    process.off('exit', restore);
  }
}
