/**
 * Helpers for group tests over real `snug daemon` processes (and real `snug pub` processes):
 * group calls over the socket, waiting for message/list to show something, and searching a
 * directory tree for plaintext.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResultOutput } from '../../protocol/api/descriptor.js';
import type { Methods } from '../../protocol/api/methods.js';
import { isApiError } from '../../protocol/api/errors.js';
import { PROFILE_DIR } from '../../daemon/daemon.js';
import { DEVELOPMENT_KDF } from '../../daemon/profile/constants.js';
import { ProfileService } from '../../daemon/profile/profile.js';
import { keysFromInvite, readAsAttacker, type WhatItReads } from './attacker.js';
import { callOnce } from './daemon.js';
import { PEER_PASSPHRASE, type Peer } from './contacts.js';

export type GroupItem = ResultOutput<Methods['message/list']>['messages'][number];

/** Every item of the group at `p`, oldest first (paging back 500 at a time). */
export function groupMessages(p: Peer, groupId: string): Promise<GroupItem[]> {
  return callOnce(p.daemon, async (c) => {
    let out: GroupItem[] = [];
    let before: string | undefined;
    for (;;) {
      const page = (await c.call('message/list', { groupId, limit: 500, ...(before !== undefined ? { before } : {}) })).messages;
      out = [...page, ...out];
      if (page.length < 500) return out;
      before = page[0]!.id;
    }
  });
}

/** Polls message/list of the group until `ok` holds. */
export async function waitForGroup(p: Peer, groupId: string, ok: (m: GroupItem[]) => boolean, withinMs = 30_000): Promise<GroupItem[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    let m: GroupItem[] = [];
    try {
      m = await groupMessages(p, groupId);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_NOT_FOUND') throw err;
    }
    if (ok(m)) return m;
    if (Date.now() > deadline) throw new Error(`message/list of ${p.name} never matched (${m.length} items): ${JSON.stringify(m.slice(-20).map((x) => [x.kind, x.text, x.status]))}`);
    await sleep(100);
  }
}

/** The texts of the group's messages at `p`. */
export function messageTexts(items: readonly GroupItem[]): string[] {
  return items.filter((i) => i.kind === 'message').map((i) => i.text);
}

/** Waits until `p` lists every text of `want` (each exactly once, and no other). */
export async function waitForTexts(p: Peer, groupId: string, want: readonly string[], withinMs = 30_000): Promise<GroupItem[]> {
  const sorted = [...want].sort();
  return waitForGroup(p, groupId, (m) => JSON.stringify(messageTexts(m).sort()) === JSON.stringify(sorted), withinMs);
}

/** Every file under `dir` whose bytes contain `needle` (paths relative to dir). */
export async function filesContaining(dir: string, needle: Uint8Array): Promise<string[]> {
  const found: string[] = [];
  const needleBuf = Buffer.from(needle);
  async function walk(d: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      let st;
      try {
        st = await stat(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) await walk(p);
      else if (st.isFile()) {
        const bytes = await readFile(p).catch(() => null);
        if (bytes !== null && bytes.indexOf(needleBuf) !== -1) found.push(p.slice(dir.length + 1));
      }
    }
  }
  await walk(dir);
  return found;
}

/** The texts of a group's messages at a daemon (notices left out), oldest first, up to 500. */
export async function groupTexts(p: Peer, groupId: string): Promise<string[]> {
  return callOnce(p.daemon, async (c) => (await c.call('message/list', { groupId, limit: 500 })).messages.filter((m) => m.kind === 'message').map((m) => m.text));
}

/** Polls `get` until `ok` holds of its value (every 150 ms), or throws naming `what` after `withinMs`. */
export async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, withinMs = 40_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what} never held: ${JSON.stringify(v)}`);
    await sleep(150);
  }
}

/** What `p`'s daemon lists of a group, or nothing when the group is gone for it (ERR_NOT_FOUND). */
export async function groupMessagesIfAny(p: Peer, groupId: string): Promise<GroupItem[]> {
  return groupMessages(p, groupId).catch((err: unknown) => {
    if (isApiError(err, 'ERR_NOT_FOUND')) return [];
    throw err;
  });
}

/**
 * `p` as an attacker: its daemon shut down, its profile unlocked from disk, it trial-decrypts
 * `blobs()` with every key it had (the invite's, and every key package its profile's X25519 key
 * opens; test/helpers/attacker.ts). The profile is locked (its keys wiped) only afterwards.
 */
export async function readAsStoppedPeer(p: Peer, invite: string, blobs: () => Promise<Uint8Array[]>): Promise<WhatItReads & { readonly blobs: number }> {
  await callOnce(p.daemon, (c) => c.call('daemon/shutdown'));
  await p.daemon.exited;
  const profile = new ProfileService({}, { dir: join(p.home, PROFILE_DIR), kdf: DEVELOPMENT_KDF });
  const me = await profile.unlock(PEER_PASSPHRASE);
  try {
    const all = await blobs();
    return { ...readAsAttacker(all, keysFromInvite(invite, { identityKey: me.identity.publicKey, dh: me.keys.dh })), blobs: all.length };
  } finally {
    await profile.lock();
  }
}
