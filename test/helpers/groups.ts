/**
 * Members for tests of the groups service in this process: each with its own identity, profile
 * keys and certificate, a real encrypted RecordStore (LevelDB), a journal, a GroupsService and
 * a real GroupPubs dialling real in-process pubs over loopback (daemon/pub/server.ts). Nothing
 * stands in for a part: only the transport is the direct one.
 */
import { join } from 'node:path';
import { MemoryJournal } from '../../daemon/api/journal.js';
import { GroupPubs } from '../../daemon/group-pubs/group-pubs.js';
import { GroupsService, type GroupPeers, type GroupsInit } from '../../daemon/groups/service.js';
import { pubHistoryReader } from '../../daemon/services/pub-history.js';
import type { RecordStore } from '../../daemon/store/store.js';
import { DirectDialer } from '../../daemon/transport/direct.js';
import { createCertificate, generateProfileKeys, type Certificate, type ProfileKeys } from '../../protocol/certificate.js';
import { generateIdentity, type Identity, type OnionAddress } from '../../protocol/identity.js';
import type { Notification } from '../../protocol/api/notifications.js';
import { isApiError } from '../../protocol/api/errors.js';
import { PubClient } from '../../daemon/pub-links/client.js';
import { openRecordStore, waitUntil } from './group-pubs.js';
import { fetchEverything } from './pub-fixtures.js';

/** Nobody is a contact (the unit tests of groups exercise invites by string). */
export const NO_PEERS: GroupPeers = {
  petname: () => null,
  isAccepted: () => false,
  isOnline: () => false,
  sendFrame: () => false,
};

export interface TestMember {
  readonly name: string;
  readonly dir: string;
  readonly identity: Identity;
  readonly keys: ProfileKeys;
  readonly certificate: Certificate;
  readonly journal: MemoryJournal;
  readonly groups: GroupsService;
  store: RecordStore;
  storeKey: Uint8Array;
  pubs: GroupPubs | null;
  /** Every notification appended so far. */
  readonly notes: Notification[];
}

export const FAST_PUBS = { backoffBaseMs: 50, backoffMaxMs: 500, reconnectDelayMs: 50, powWorkers: 1 } as const;

export async function makeMember(dir: string, name: string, now?: () => number, withPubs = true, init: GroupsInit = {}): Promise<TestMember> {
  const identity = generateIdentity();
  const keys = generateProfileKeys();
  const certificate = createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, Date.now());
  const { store, key } = await openRecordStore(join(dir, name));
  const journal = new MemoryJournal();
  const notes: Notification[] = [];
  journal.listen((n) => notes.push(n));
  const groups = new GroupsService({ log: process.env['SNUG_TEST_LOG'] ? (e, f) => process.stderr.write(`${e} ${JSON.stringify(f ?? {})}\n`) : () => {} }, { development: true, ...init, ...(now ? { now } : {}) });
  const m: TestMember = { name, dir: join(dir, name), identity, keys, certificate, journal, groups, store, storeKey: key, pubs: null, notes };
  await online(m, withPubs);
  return m;
}

/** Opens the member's groups service and its pub links (as on unlock). */
export async function online(m: TestMember, withPubs = true): Promise<void> {
  await m.groups.open({
    store: m.store,
    address: m.identity.address,
    name: m.name,
    identityKey: m.identity.publicKey,
    keys: m.keys,
    certificate: m.certificate,
    journal: m.journal,
    peers: NO_PEERS,
    history: pubHistoryReader(new DirectDialer()),
  });
  if (!withPubs) return;
  const pubs = new GroupPubs({ dialer: new DirectDialer(), log: () => {}, sink: m.groups, store: m.store }, FAST_PUBS);
  pubs.addEventListener('change', (e) => m.groups.pubChanged(e.detail));
  await pubs.start();
  m.pubs = pubs;
  m.groups.attachPubs(pubs);
}

/** Closes the groups service and its pub links, and the store (as on lock). */
export async function offline(m: TestMember): Promise<void> {
  await m.groups.close();
  await m.pubs?.stop();
  m.pubs = null;
  await m.store.close();
}

/** Reopens the store under the same key and goes online again (as on unlock). */
export async function reopen(m: TestMember, withPubs = true): Promise<void> {
  m.store = (await openRecordStore(m.dir, m.storeKey)).store;
  await online(m, withPubs);
}

export async function texts(m: TestMember, groupId: string): Promise<string[]> {
  return (await m.groups.listMessages(groupId, { limit: 500 })).filter((i) => i.kind === 'message').map((i) => i.text);
}

/** Waits until `m` lists `count` messages in the group. */
export async function waitForTexts(m: TestMember, groupId: string, count: number, ms = 20_000): Promise<string[]> {
  let last: string[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    last = m.groups.isOpen && m.groups.list().some((g) => g.groupId === groupId) ? await texts(m, groupId) : [];
    if (last.length >= count) return last;
    if (Date.now() > deadline) throw new Error(`${m.name} lists ${last.length} of ${count} messages: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The API error code a promise rejects with (undefined when it resolves; anything else is thrown). */
export async function apiCodeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (isApiError(err)) return err.code;
    throw err;
  }
  return undefined;
}

/** Every blob a pub holds, fetched as any client (an attacker) would. */
export async function pubBlobs(address: string): Promise<Uint8Array[]> {
  const client = await PubClient.connect(new DirectDialer(), address);
  try {
    return [...(await fetchEverything(client)).values()];
  } finally {
    await client.close();
  }
}

export { waitUntil };
export type { OnionAddress };
