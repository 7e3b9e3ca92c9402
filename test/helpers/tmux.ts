/**
 * A real terminal for end-to-end tests of the UI: one tmux session on a tmux server of its own
 * (`-L`, so a user's tmux is never touched), a command run in it, keys typed with send-keys and
 * the screen read with capture-pane. After the command exits its status is printed below what
 * it printed last, and the pane stays until kill().
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Tmux {
  readonly session: string;
  /** The screen as text (what is visible now). */
  capture(): Promise<string>;
  /** Types text literally (no key names), as one burst. */
  type(text: string): Promise<void>;
  /** Sends tmux key names: 'Enter', 'PageUp', 'M-2', 'C-k', ... */
  keys(...names: string[]): Promise<void>;
  /** Resolves with the screen once `ok` holds; rejects with the last screen after `withinMs`. */
  waitFor(ok: (screen: string) => boolean, what: string, withinMs?: number, pollMs?: number): Promise<string>;
  /** The pane's command has exited: its status, or null while it runs. */
  exitStatus(): Promise<number | null>;
  kill(): Promise<void>;
}

export async function tmuxAvailable(): Promise<boolean> {
  try {
    await run('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
}

export async function startTmux(command: string, init: { cols?: number; rows?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<Tmux> {
  const server = `snug-test-${process.pid}`;
  const session = `s${randomUUID().slice(0, 8)}`;
  const t = (...args: string[]) => run('tmux', ['-L', server, ...args], { cwd: init.cwd, env: { ...process.env, ...init.env } });
  const env = Object.entries(init.env ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  // the command's exit status is printed after it, for exitStatus(); the pane stays to be read
  const inner = `${env ? `env ${env} ` : ''}${command}; echo "[exited $?]"; sleep 3600`;
  const wrapped = `sh -c '${inner.replace(/'/g, "'\\''")}'`;
  await t('new-session', '-d', '-s', session, '-x', String(init.cols ?? 110), '-y', String(init.rows ?? 30), wrapped);
  const capture = async () => (await t('capture-pane', '-p', '-t', session)).stdout;
  return {
    session,
    capture,
    type: async (text) => {
      await t('send-keys', '-t', session, '-l', text);
      await sleep(50);
    },
    keys: async (...names) => {
      for (const n of names) {
        await t('send-keys', '-t', session, n);
        await sleep(50);
      }
    },
    waitFor: async (ok, what, withinMs = 60_000, pollMs = 100) => {
      const deadline = Date.now() + withinMs;
      let screen = '';
      for (;;) {
        screen = await capture().catch(() => screen);
        if (ok(screen)) return screen;
        if (Date.now() > deadline) throw new Error(`the terminal never showed ${what}:\n${screen}`);
        await sleep(pollMs);
      }
    },
    exitStatus: async () => {
      const m = /\[exited (\d+)\]/.exec(await capture());
      return m ? Number(m[1]) : null;
    },
    kill: async () => {
      await t('kill-session', '-t', session).catch(() => undefined);
    },
  };
}
