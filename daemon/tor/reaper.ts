/**
 * Last line of defence against orphaned tor processes: every child we spawn is registered
 * here and SIGKILLed synchronously when this process exits. `installSignalHandlers()` (used
 * by the test network) also reaps on SIGINT/SIGTERM/SIGHUP and then re-raises the signal if
 * nobody else handles it.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
let signalHooksInstalled = false;

function reapAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

export function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', reapAll);
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

export function installSignalHandlers(): void {
  if (signalHooksInstalled) return;
  signalHooksInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      reapAll();
      if (process.listenerCount(signal) === 1) {
        process.off(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    // First in line, so that the count above still includes `once` listeners registered
    // before us (Node removes those before calling them): a command that handles the signal
    // itself is never killed by the re-raise.
    process.prependListener(signal, handler);
  }
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
