/**
 * Helpers for contact tests over real `snug daemon` processes on the direct transport: daemons
 * sharing a development peer directory (--dev-peer-dir), a profile per daemon, and waiting for
 * contact/list to show something.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResultOutput } from '../../protocol/api/descriptor.js';
import type { Methods } from '../../protocol/api/methods.js';
import { FAST_DAEMON_ARGS, callOnce, published, startDaemon, type DaemonProcess } from './daemon.js';

export type ContactItem = ResultOutput<Methods['contact/list']>['contacts'][number];

export const PEER_PASSPHRASE = 'peer passphrase 42';

export interface Peer {
  daemon: DaemonProcess;
  readonly home: string;
  readonly address: string;
  readonly name: string;
}

export function peerArgs(peerDir: string): string[] {
  return [...FAST_DAEMON_ARGS, '--dev-peer-dir', peerDir];
}

/** A daemon in DIR/NAME with a new profile named NAME, unlocked. */
export async function startPeer(dir: string, name: string, args: readonly string[]): Promise<Peer> {
  const home = join(dir, name);
  const daemon = await startDaemon(home, args);
  const { address } = await callOnce(daemon, (c) => c.call('profile/create', { name, passphrase: PEER_PASSPHRASE }));
  return { daemon, home, address, name };
}

/** Stops the daemon (daemon/shutdown) and starts it again, unlocked. */
export async function restartPeer(p: Peer, args: readonly string[]): Promise<void> {
  await callOnce(p.daemon, (c) => c.call('daemon/shutdown'));
  await p.daemon.exited;
  p.daemon = await startDaemon(p.home, args);
  await callOnce(p.daemon, (c) => c.call('profile/unlock', { passphrase: PEER_PASSPHRASE }));
}

export function contacts(p: Peer): Promise<ContactItem[]> {
  return callOnce(p.daemon, async (c) => (await c.call('contact/list')).contacts);
}

/** Polls contact/list until `ok` holds for the row of `address` (undefined: no row). */
export async function waitForContact(p: Peer, address: string, ok: (c: ContactItem | undefined) => boolean, withinMs = 20_000): Promise<ContactItem | undefined> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const row = (await contacts(p)).find((c) => c.address === address);
    if (ok(row)) return row;
    if (Date.now() > deadline) throw new Error(`contact/list of ${p.name} never matched: ${JSON.stringify(row)}`);
    await sleep(100);
  }
}

/** Polls daemon/status until the peer's onion service is published (Tor tests; daemon.ts `published`). */
export function waitForOnion(p: Peer, withinMs: number): Promise<void> {
  return published(p.daemon, withinMs);
}
