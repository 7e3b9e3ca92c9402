/**
 * `snug pub` as an onion service on the private Tor network (test/helpers/testnet.ts): what the
 * Tor tests of groups share (with daemon.ts `published`, the wait for a daemon's onion service).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { SNUG_BIN } from './daemon.js';

export { published } from './daemon.js';

const ADDRESS_LINE = /^pub address: ([a-z2-7]{56}\.onion)$/m;

export interface OnionPub {
  readonly child: ChildProcess;
  readonly home: string;
  address: string;
  stdout: string;
  stderr: string;
}

export async function startOnionPub(home: string, torrc: string): Promise<OnionPub> {
  const child = spawn(process.execPath, [SNUG_BIN, 'pub', '--home', home, '--tor-config', torrc, '--pow-difficulty', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: OnionPub = { child, home, address: '', stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (p.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (p.stderr = (p.stderr + d).slice(-4000)));
  const deadline = Date.now() + 180_000;
  for (;;) {
    const m = ADDRESS_LINE.exec(p.stdout);
    if (m) {
      p.address = m[1]!;
      return p;
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no 'pub address:' line; stderr: ${p.stderr}`);
    await sleep(200);
  }
}

export async function killPub(p: OnionPub | undefined): Promise<void> {
  if (p === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const closed = new Promise((r) => p.child.once('close', r));
  p.child.kill('SIGKILL');
  await closed;
}
