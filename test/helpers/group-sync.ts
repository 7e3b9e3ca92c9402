/**
 * Members for the group-sync tests in this process: each with a real encrypted RecordStore, a
 * GroupsService, a real GroupPubs and a GroupSync. The one swapped part is the transport: each
 * member's pub dialer is the direct one, pointed at that member's face of a hostile pub
 * (test/helpers/hostile-pub.ts), and the members' peer link is a pipe that carries every sync
 * frame through the real peer-frame encoder and decoder (protocol/peer/wire.ts), in order,
 * asynchronously, in place of the Noise-encrypted WebSocket link.
 */
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { MemoryJournal } from '../../daemon/api/journal.js';
import { GroupPubs } from '../../daemon/group-pubs/group-pubs.js';
import { pubLinksWithEvidence } from '../../daemon/group-sync/pub-evidence.js';
import { GroupSync, type GroupSyncInit, type SyncLinks } from '../../daemon/group-sync/service.js';
import { GroupsService } from '../../daemon/groups/service.js';
import type { RecordStore } from '../../daemon/store/store.js';
import { DirectDialer } from '../../daemon/transport/direct.js';
import type { DialOptions, Dialer } from '../../daemon/transport/types.js';
import { openBlob } from '../../protocol/blob.js';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { createCertificate, generateProfileKeys, type Certificate, type ProfileKeys } from '../../protocol/certificate.js';
import { decodeEntry } from '../../protocol/entry.js';
import type { EpochKeys } from '../../protocol/group.js';
import { generateIdentity, type Identity, type OnionAddress } from '../../protocol/identity.js';
import { decodeFrame, encodeFrame, type PeerFrame } from '../../protocol/peer/wire.js';
import type { SyncFrame } from '../../protocol/sync/frames.js';
import { openRecordStore } from './group-pubs.js';
import { FAST_PUBS, NO_PEERS } from './groups.js';

/** The direct dialer, with some addresses sent elsewhere (a member's own face of a pub). */
export class RoutedDialer implements Dialer {
  readonly kind = 'direct' as const;
  readonly routes = new Map<string, string>();
  readonly #direct = new DirectDialer();
  dial(address: string, options?: DialOptions): Promise<WebSocket> {
    return this.#direct.dial(this.routes.get(address) ?? address, options);
  }
}

export interface SyncMember {
  readonly name: string;
  readonly identity: Identity;
  readonly keys: ProfileKeys;
  readonly certificate: Certificate;
  readonly groups: GroupsService;
  readonly sync: GroupSync;
  readonly dialer: RoutedDialer;
  readonly links: PipeLinks;
  readonly store: RecordStore;
  /** The notifications the member's groups service appended (group/didChange, ...). */
  readonly journal: MemoryJournal;
  pubs: GroupPubs | null;
}

/** The members' peer links: frames through the real codec, delivered in order. */
export class PipeLinks implements SyncLinks {
  readonly peers = new Map<OnionAddress, SyncMember>();
  /** Plaintext frame bytes sent, per peer. */
  readonly bytesTo = new Map<OnionAddress, number>();
  #chain: Promise<void> = Promise.resolve();
  constructor(readonly self: () => SyncMember) {}
  isOnline(address: OnionAddress): boolean {
    return this.peers.has(address);
  }
  sendFrame(address: OnionAddress, frame: PeerFrame): boolean {
    const to = this.peers.get(address);
    if (to === undefined) return false;
    const bytes = encodeFrame(frame);
    this.bytesTo.set(address, (this.bytesTo.get(address) ?? 0) + bytes.length);
    const from = this.self().identity.address;
    this.#chain = this.#chain.then(
      () =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            if (to.links.peers.has(from)) to.sync.frameReceived(from, decodeFrame(bytes) as SyncFrame);
            resolve();
          }),
        ),
    );
    return true;
  }
}

/** Links two members (both sides see the link come up). */
export function link(a: SyncMember, b: SyncMember): void {
  a.links.peers.set(b.identity.address, b);
  b.links.peers.set(a.identity.address, a);
  a.sync.linkChanged(b.identity.address, true);
  b.sync.linkChanged(a.identity.address, true);
}

export function unlink(a: SyncMember, b: SyncMember): void {
  a.links.peers.delete(b.identity.address);
  b.links.peers.delete(a.identity.address);
  a.sync.linkChanged(b.identity.address, false);
  b.sync.linkChanged(a.identity.address, false);
}

export const FAST_SYNC: GroupSyncInit = { pollMs: 50, repairSettleMs: 300, repairJitterMinMs: 5, repairJitterMaxMs: 30 };

export async function makeSyncMember(dir: string, name: string, init: GroupSyncInit = FAST_SYNC, withPubs = true): Promise<SyncMember> {
  const identity = generateIdentity();
  const keys = generateProfileKeys();
  const certificate = createCertificate(identity, { signingKey: keys.signing.publicKey, dhKey: keys.dh.publicKey }, Date.now());
  const { store } = await openRecordStore(join(dir, name));
  const groups = new GroupsService({ log: () => {} }, { development: true });
  const sync = new GroupSync({ groups, log: process.env.SNUG_TEST_SYNC_LOG ? (e, f) => console.log(name, e, f) : () => {} }, init);
  const dialer = new RoutedDialer();
  let self: SyncMember | null = null;
  const links = new PipeLinks(() => self!);
  const journal = new MemoryJournal();
  const m: SyncMember = { name, identity, keys, certificate, groups, sync, dialer, links, store, journal, pubs: null };
  self = m;
  await m.groups.open({
    store,
    address: identity.address,
    name,
    identityKey: identity.publicKey,
    keys,
    certificate,
    journal,
    peers: NO_PEERS,
  });
  if (withPubs) await pubsOnline(m);
  await sync.open({ store, identityKey: identity.publicKey, links, pubs: m.pubs });
  return m;
}

/** Starts the member's pub links (GroupPubs) through its routed dialer. */
export async function pubsOnline(m: SyncMember): Promise<void> {
  // the pub links as the daemon wires them (services/groups.ts): watched for tamper evidence
  const { dialer, sink } = pubLinksWithEvidence(m.dialer, m.groups, m.sync, () => {});
  const pubs = new GroupPubs({ dialer, log: () => {}, sink, store: m.store }, FAST_PUBS);
  pubs.addEventListener('change', (e) => m.groups.pubChanged(e.detail));
  await pubs.start();
  m.pubs = pubs;
  m.groups.attachPubs(pubs);
}

export async function closeMember(m: SyncMember): Promise<void> {
  await m.sync.close();
  await m.groups.close();
  await m.pubs?.stop();
  await m.store.close();
}

/** The ids of the entries a member holds of a group, sorted. */
export function heldIds(m: SyncMember, groupId: string): string[] {
  return m.groups.chainEntries(groupId).map((e) => toHex(e.id)).sort();
}

/** A member's keys of the group's first epoch. */
export function keysOf(m: SyncMember, groupId: string): EpochKeys {
  return m.groups.epochKeys(groupId, { number: 0, opener: fromHex(groupId) })!;
}

/** The text inside a group blob, or null (not the group's, or not a text). */
export function textOf(keys: EpochKeys, blob: Uint8Array): string | null {
  try {
    const encoded = openBlob(keys, blob);
    if (encoded === null) return null;
    const e = decodeEntry(encoded);
    return e.content.kind === 'text' ? e.content.text : null;
  } catch {
    return null;
  }
}
