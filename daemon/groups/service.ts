/**
 * GroupsService: the profile's groups. Open while the profile is unlocked (the session opens it
 * after the journal, with the contacts service, and closes it before the profile locks).
 *
 * What it holds (records.ts; every write a synced batch before anything is acknowledged):
 *   group records   genesis, the epochs whose secrets we hold, our own chain (seq, last id), the
 *                   read marker, whether we are still in it
 *   the log store   every verified entry with its original blob, by id; in memory on unlock:
 *                   a per-author chain index (author -> seq -> id), the roster (computeRoster of
 *                   protocol/roster.ts over every entry), and the causal-order index (order.ts)
 *                   that message/list pages through
 *   the outbox      our own entries not yet accepted by every pub of the group, each with the
 *                   pubs that accepted it
 *   notices         a pub's "pruned" answer, shown in place
 *   peer invites    received (until joined or declined) and sent (until acknowledged)
 *
 * Extension points (the `sync` and `membership` issues build on these; keep them):
 *   author(groupId, content)   signs any entry kind with this profile's signing key under the
 *                              group's current epoch, next in our chain, naming the tips we hold
 *                              as heads; stores it durably; queues it for every pub. {id}.
 *   roster(groupId)            the roster computed from the log (protocol/roster.ts Roster).
 *   ingest(groupId|null, blob, source)
 *                              the ONE verify-and-store path: pubs now, peers (sync) later.
 *                              With null, the blob is trial-decrypted only with the keys of the
 *                              groups that use source.pub (every group for a peer); then the
 *                              entry is decoded, its signature verified under the epoch's
 *                              binding (protocol/entry.ts consumeGroupEntry), stored with the
 *                              blob (a duplicate from another pub only adds that pub), and the
 *                              roster, order index, unread count and notifications follow.
 *   entryBlob(groupId, id)     the original blob of a stored entry (repairs re-post it as is).
 *   heldEntries(groupId)       id, author, seq of every stored entry (sync's summaries).
 *   chainEntries, syncBlob, entryEncoding, epochKeys
 *                              (added by the sync branch) chain metadata with prev, heads and
 *                              pubs; an entry's blob for a peer (own unposted ones sealed as for
 *                              their first post); an entry's encoding; an epoch's keys:
 *                              daemon/group-sync/.
 *   items.ts buildItem         the one function that turns an entry into a message/list item.
 *   attachSync(marks), syncChanged(groupId, evidence?)
 *                              (added by the syncapi branch) group sync's gaps and evidence in
 *                              group/list, group/didChange and message/list's `gap` notices.
 *
 * Sending (author): the entry is written to the outbox before the answer; each (group, pub) has
 * one poster that posts our entries in seq order through GroupPubLinks.post (proof of work off
 * the event loop, retried until accepted), one after another (only the first of a run waits
 * the post jitter), so a pub receives our chain in order. An entry is sealed into its blob when it is first
 * posted, not when it is queued: at that moment, an entry of an epoch that is no longer current
 * and that no pub has accepted is made again under the current epoch (same seq and prev, so the
 * chain holds; its id changes: message/didChange with newId), and so is every later own entry
 * still unsealed. Sealing in seq order keeps every sealed entry ahead of every unsealed one in
 * the chain, so a re-made entry never precedes one a pub may hold. The window that remains: an entry made and
 * posted before this daemon learned of the re-key (documented in docs/daemon.md).
 *
 * Receiving: GroupPubs hands each fetched page / run of live blobs to `blobsReceived`
 * (PubBlobSink; ingestRun: one synced batch per run), single blobs to `blobReceived`; `pruned` becomes a
 * notice on every group using that pub. Blobs that open under no key we hold are remembered
 * (a few hundred) and tried again when a key package gives us a new epoch, since a pub may
 * serve a new epoch's entries before the re-key that carries its secret.
 */
import { ApiError, isApiError } from '../../protocol/api/errors.js';
import { isStoreError } from '../store/errors.js';
import { toHex, fromHex, bytesEqual, isAllZero, compareBytes } from '../../protocol/bytes.js';
import { sealBlob } from '../../protocol/blob.js';
import type { Certificate, ProfileKeys } from '../../protocol/certificate.js';
import type { Checkpoint } from '../../protocol/checkpoint.js';
import { labelledHash, randomBytes, wipe } from '../../protocol/crypto.js';
import { INVITE_ID_BYTES } from '../../protocol/constants.js';
import {
  createEntry,
  createGenesis,
  decodeEntry,
  encodeEntry,
  entryId,
  EntryKind,
  type Entry,
  type EntryContent,
} from '../../protocol/entry.js';
import { isProtocolError, ProtocolErrorCode } from '../../protocol/errors.js';
import { deriveEpochKeys, epochNameEqual, generateEpochSecret, type EpochKeys } from '../../protocol/group.js';
import { type OnionAddress, onionAddressFromPublicKey, publicKeyFromOnionAddress } from '../../protocol/identity.js';
import { consumeInvite, consumeInviteBytes, createInvite, decodeInvite, decodeInviteBytes, encodeInvite, encodeInviteBytes, inviteGroupId, type EpochSecret, type Invite } from '../../protocol/invite.js';
import { consumeKeyPackage, openKeyPackage } from '../../protocol/key-package.js';
import { blobSizeFor } from '../../protocol/padding.js';
import { computeRoster, rosterEntryOf, type Roster, type RosterBase, type RosterEntry } from '../../protocol/roster.js';
import { buildRekey } from '../../protocol/rekey.js';
import { baseRecordCodec, GROUP_BASE_NAMESPACE, rosterBaseOf } from './membership/base.js';
import { parsePubAddress, isDevelopmentPubAddress } from '../../protocol/pub-address.js';
import { GROUP_INVITE_FRAME_MAX_BYTES, type PeerFrame } from '../../protocol/peer/wire.js';
import type { NotificationJournal } from '../api/journal.js';
import type { GroupPubLinks, PubBlobSink, PubLinkStatus } from '../group-pubs/types.js';
import type { PubHistoryReader } from './history.js';
import type { Log } from '../log.js';
import type { Collection, RecordStore, StoreOperation } from '../store/store.js';
import {
  GROUP_BLOBS_NAMESPACE,
  GROUP_ENTRIES_NAMESPACE,
  GROUP_INVITES_IN_NAMESPACE,
  GROUP_INVITES_OUT_NAMESPACE,
  GROUP_NOTICES_NAMESPACE,
  GROUPS_NAMESPACE,
  HEADS_MAX,
  INVITE_RESEND_INTERVAL_MS,
  PEER_INVITE_USES,
  EXPORT_INVITE_USES,
  INVITE_EXPIRES_DEFAULT_MS,
  RECEIVED_INVITES_MAX,
  UNOPENED_BLOBS_MAX,
  EXPOSED_HOLD_MAX_MS,
  OPEN_CHUNK_BLOBS,
  OPEN_POOL_MIN_RUN,
  OPEN_WORKERS_DEFAULT,
} from './constants.js';
import { keysNewestFirst, openWith } from './open.js';
import { OpenPool } from './open-pool.js';
import { IdSlab } from './ids.js';
import { buildItem, buildNoticeItem, countsAsUnread, NO_SYNC_MARKS, ownStatus, type GapNotice, type GroupItem, type SyncMarks } from './items.js';
import type { EvidenceNotice } from './items.js';
import { isViewContent, MessageFold } from '../../protocol/message-view.js';
import { openRekeyByPackage } from '../../protocol/rekey.js';
import { CausalOrder } from './order.js';
import {
  blobRecordCodec,
  entryRecordCodec,
  groupRecordCodec,
  groupScopedId,
  noticeRecordCodec,
  peerInviteRecordCodec,
  type EntryRecord,
  type GroupRecord,
  type NoticeRecord,
  type PeerInviteRecord,
  type StoredEpoch,
} from './records.js';

const ZERO = new Uint8Array(32);

function memberByIdentity(roster: Roster, identityKey: Uint8Array) {
  return roster.members.find((m) => bytesEqual(m.identityKey, identityKey));
}
/** The label of the locked-out notice's derived id (over group id and the epoch's opener). */
const LOCKED_OUT_ITEM_LABEL = 'snug/v2/api-locked-out-item';
/** Own entries' blob records looked up per getMany on unlock (whether each was sealed). */
const OWN_BLOB_LOOKUP_BATCH = 256;

/** What an inviter chooses for one invite (defaults in ./constants.ts). */
interface InviteChoice {
  readonly history: boolean;
  readonly expiresInMs: number;
  /** 0: any number of joins. */
  readonly uses: number;
}

/** Where a blob came from. */
export type IngestSource = { readonly kind: 'pub'; readonly pub: string } | { readonly kind: 'peer'; readonly address: OnionAddress } | { readonly kind: 'local' };

export type IngestResult =
  | { readonly status: 'stored' | 'duplicate'; readonly groupId: string; readonly id: string }
  | { readonly status: 'foreign' | 'invalid' };

/** A blob of a run that opened and verified under one of a group's epochs. */
interface Opened {
  readonly g: GroupState;
  readonly entry: Entry;
  readonly encoded: Uint8Array;
  /** The entry's id (entryId of `encoded`). */
  readonly id: Uint8Array;
  readonly blob: Uint8Array;
  /** Its place in the run. */
  readonly index: number;
  /** `id` as hex. */
  readonly hex: string;
  /** Its records and their store operations, made when it was not held yet (#prepare); else null. */
  readonly fresh: { readonly rec: EntryRecord; readonly ops: readonly StoreOperation[] } | null;
}

/** What the groups service needs of the contacts service (petnames, links, invites' transport). */
export interface GroupPeers {
  /** An accepted contact's petname, or null. */
  petname(address: OnionAddress): string | null;
  isAccepted(address: OnionAddress): boolean;
  isOnline(address: OnionAddress): boolean;
  /** The addresses this profile blocked (their group entries show as hidden by me); none when absent. */
  blocked?(): ReadonlySet<OnionAddress>;
  /** Sends a frame on the contact's link; false when none is up. */
  sendFrame(address: OnionAddress, frame: PeerFrame): boolean;
}

export interface GroupsComponents {
  readonly log: Log;
}

export interface GroupsInit {
  readonly now?: () => number;
  /** Development mode: loopback pubs (ws://127.0.0.1:PORT) are allowed in groups and invites. */
  readonly development?: boolean;
  /** Blobs that opened under no key kept to try again after a re-key or join (UNOPENED_BLOBS_MAX). */
  readonly unopenedMax?: number;
  /**
   * Worker threads that open and verify long runs of received blobs (open-pool.ts); 0: on the
   * event loop only. Default OPEN_WORKERS_DEFAULT.
   */
  readonly openWorkers?: number;
}

export interface OpenGroups {
  /** Reads a pub's whole store once (./history.ts), for a group just joined; none: not read. */
  readonly history?: PubHistoryReader;
  readonly store: RecordStore;
  readonly address: OnionAddress;
  readonly name: string;
  readonly identityKey: Uint8Array;
  readonly keys: ProfileKeys;
  readonly certificate: Certificate;
  readonly journal: NotificationJournal;
  readonly peers: GroupPeers;
}

/** One stored entry as the in-memory index holds it (the entry's bytes stay on disk). */
interface Held {
  readonly id: Uint8Array;
  readonly hex: string;
  readonly roster: RosterEntry;
  readonly own: boolean;
  readonly arrival: number;
  /** Ours: pubs that accepted it; theirs: pubs it was seen on. */
  pubs: string[];
  /** Ours: the blob is stored (it was sealed for its first post). Set on unlock after the load. */
  sealed: boolean;
}

interface GroupState {
  record: GroupRecord;
  readonly groupId: Uint8Array;
  readonly hex: string;
  /** Keys of every epoch we hold a secret of, by epochKey(). */
  readonly keys: Map<string, EpochKeys>;
  readonly entries: Map<string, Held>;
  readonly notices: Map<string, NoticeRecord>;
  /** author (signing key hex) -> seq -> entry id hex. */
  readonly chains: Map<string, Map<number, string>>;
  /** signing key hex -> member address (from every certificate held). */
  readonly authors: Map<string, OnionAddress>;
  readonly order: CausalOrder;
  roster: Roster;
  ignored: Set<string>;
  /** Ids the roster's pending entries wait for (an arrival among them recomputes the roster). */
  awaited: Set<string>;
  unread: number;
  /** Per-pub posting loops running. */
  readonly posters: Map<string, Promise<void>>;
  /** Per pub: every own entry with a lower seq is accepted by it (where a poster's scan starts). */
  readonly postedBelow: Map<string, number>;
  /** The highest seq of our own remove-and-re-key entries held (0: none): #holdFor, #ownRekeyFrom. */
  ownRemoveSeq: number;
  /** Blobs of own sealed entries not yet accepted everywhere (a cache of the blob records). */
  readonly outboxBlobs: Map<string, Uint8Array>;
  /** Shared copies: author keys, epochs and pub addresses by their text (memory on large logs). */
  readonly internKeys: Map<string, Uint8Array>;
  readonly internEpochs: Map<string, RosterEntry['epoch']>;
  readonly internPubs: Map<string, string>;
  /** Shared lists of pubs an entry was seen on / accepted by (never changed in place: replaced). */
  readonly internPubLists: Map<string, string[]>;
  /** Author keys as hex, one string per author (the message view's `author`). */
  readonly internHex: Map<string, string>;
  /** Where the index's ids, prevs and heads live (ids.ts). */
  readonly ids: IdSlab;
  queue: Promise<unknown>;
  /** The message view of the content entries (membership: protocol/message-view.ts). */
  readonly view: MessageFold;
  /** Ids this member hid for itself (set by the membership service, which stores them). */
  hiddenForMe: ReadonlySet<string>;
  /** Joined without history: where the roster starts (membership/base.ts); null: at the genesis. */
  base: RosterBase | null;
}

interface Session {
  readonly o: OpenGroups;
  readonly groups: Map<string, GroupState>;
  readonly collection: Collection<GroupRecord>;
  readonly entries: Collection<EntryRecord>;
  readonly blobs: Collection<Uint8Array>;
  readonly notices: Collection<NoticeRecord>;
  readonly invitesIn: Collection<PeerInviteRecord>;
  readonly invitesOut: Collection<PeerInviteRecord>;
  /** Roster bases of groups joined without history (membership/base.ts). */
  readonly bases: Collection<Invite>;
  readonly received: Map<string, PeerInviteRecord>;
  readonly sent: Map<string, PeerInviteRecord>;
  readonly stop: AbortController;
  readonly resend: NodeJS.Timeout;
  /** Blobs that opened under no key we held, to try again after a re-key. */
  readonly unopened: Array<{ readonly pub: string; readonly blob: Uint8Array }>;
  readonly signingHex: string;
  pubLinks: GroupPubLinks | null;
  pubStatus: Map<string, PubLinkStatus>;
}

/**
 * The epochs a roster opened, as one string: compared before and after a recompute. (Not their
 * count: when a concurrent re-key wins over ours, the count stays and the epoch changes.)
 */
function epochsOf(roster: Roster): string {
  return roster.epochs.map(epochKey).join(',');
}

function epochKey(e: { readonly number: number; readonly opener: Uint8Array }): string {
  return `${e.number}:${toHex(e.opener)}`;
}

function warn(log: Log, event: string, err: unknown): void {
  log(event, { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') });
}

/** The dependencies of an entry in the causal order: its prev (from seq 2) and its heads. */
function orderDeps(r: RosterEntry): string[] {
  const deps: string[] = [];
  if (r.seq > 1) deps.push(toHex(r.prev));
  for (const h of r.heads) deps.push(toHex(h));
  return deps;
}

/** What the roster needs of an entry (content kinds keep only their kind: the roster reads nothing else). */
function slimRosterEntry(entry: Entry, id: Uint8Array): RosterEntry {
  const full = rosterEntryOf(entry, id);
  const k = entry.content.kind;
  if (k === 'text' || k === 'reply' || k === 'reaction' || k === 'edit' || k === 'delete') return { ...full, action: { kind: k } };
  return full;
}

/** The ids a roster applied, as a set (cached per roster object). */
const appliedSets = new WeakMap<Roster, Set<string>>();
function appliedOf(roster: Roster): Set<string> {
  let set = appliedSets.get(roster);
  if (set === undefined) appliedSets.set(roster, (set = new Set(roster.applied.map(toHex))));
  return set;
}

function isContentKind(kind: string): boolean {
  return kind === 'text' || kind === 'reply' || kind === 'reaction' || kind === 'edit' || kind === 'delete';
}

export class GroupsService implements PubBlobSink {
  readonly #log: Log;
  readonly #now: () => number;
  readonly #development: boolean;
  readonly #unopenedMax: number;
  readonly #openWorkers: number;
  #s: Session | null = null;
  #globalQueue: Promise<unknown> = Promise.resolve();

  constructor(components: GroupsComponents, init: GroupsInit = {}) {
    this.#log = components.log;
    this.#now = init.now ?? Date.now;
    this.#development = init.development ?? false;
    this.#unopenedMax = init.unopenedMax ?? UNOPENED_BLOBS_MAX;
    this.#openWorkers = init.openWorkers ?? OPEN_WORKERS_DEFAULT;
  }

  get isOpen(): boolean {
    return this.#s !== null;
  }

  /** Open worker threads running now (open-pool.ts; none before the first long run and after close()). */
  get openThreads(): number {
    return this.#pool?.threads ?? 0;
  }

  #require(): Session {
    if (this.#s === null) throw new ApiError('ERR_LOCKED');
    return this.#s;
  }

  #group(s: Session, groupId: string): GroupState {
    const g = s.groups.get(groupId);
    if (g === undefined) throw new ApiError('ERR_NOT_FOUND', 'no such group');
    return g;
  }

  /** Runs `op` after every earlier operation on the group (writes to one group are serial). */
  #serial<T>(g: GroupState, op: () => Promise<T>): Promise<T> {
    const run = g.queue.then(op);
    g.queue = run.catch(() => undefined);
    return run;
  }

  /** Serial across all groups (creating and joining). */
  #serialAll<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#globalQueue.then(op);
    this.#globalQueue = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Loads every group, its entries and notices, and builds the in-memory indexes (on unlock). */
  async open(o: OpenGroups): Promise<void> {
    await this.close();
    const store = o.store;
    const s: Session = {
      o,
      groups: new Map(),
      collection: store.collection(GROUPS_NAMESPACE, groupRecordCodec),
      entries: store.collection(GROUP_ENTRIES_NAMESPACE, entryRecordCodec),
      blobs: store.collection(GROUP_BLOBS_NAMESPACE, blobRecordCodec),
      notices: store.collection(GROUP_NOTICES_NAMESPACE, noticeRecordCodec),
      invitesIn: store.collection(GROUP_INVITES_IN_NAMESPACE, peerInviteRecordCodec),
      invitesOut: store.collection(GROUP_INVITES_OUT_NAMESPACE, peerInviteRecordCodec),
      bases: store.collection(GROUP_BASE_NAMESPACE, baseRecordCodec),
      received: new Map(),
      sent: new Map(),
      stop: new AbortController(),
      resend: setInterval(() => this.#resendInvites(), INVITE_RESEND_INTERVAL_MS),
      unopened: [],
      signingHex: toHex(o.keys.signing.publicKey),
      pubLinks: null,
      pubStatus: new Map(),
    };
    s.resend.unref();
    let skipped = 0;
    const started = this.#now();
    for await (const { value } of s.collection.iterate()) {
      const g = this.#newState(value);
      s.groups.set(g.hex, g);
    }
    for await (const { id, value } of s.bases.iterate()) {
      const g = s.groups.get(toHex(id));
      if (g !== undefined) g.base = rosterBaseOf(value);
    }
    // whether an own entry's blob is stored (sealed) is looked up for own entries only, after
    // the load: reading every blob record (5 KiB each, decrypted) to learn ids cost most of
    // an unlock of a log whose entries were received (each has its blob)
    const own: Array<{ readonly g: GroupState; readonly id: Uint8Array }> = [];
    const bulk = new Map<GroupState, Array<{ id: string; claimed: number; arrival: number; deps: string[] }>>();
    const bulkOf = (g: GroupState) => {
      let list = bulk.get(g);
      if (list === undefined) bulk.set(g, (list = []));
      return list;
    };
    for await (const raw of store.iterate(GROUP_ENTRIES_NAMESPACE)) {
      try {
        const g = s.groups.get(toHex(raw.id.subarray(0, 32)));
        if (g === undefined) continue;
        const rec = entryRecordCodec.decode(raw.value);
        const entry = decodeEntry(rec.entry);
        const id = raw.id.subarray(32);
        this.#index(s, g, entry, id, rec, false, bulkOf(g));
        if (rec.own) own.push({ g, id });
      } catch {
        skipped += 1;
      }
    }
    for await (const raw of store.iterate(GROUP_NOTICES_NAMESPACE)) {
      try {
        const g = s.groups.get(toHex(raw.id.subarray(0, 32)));
        if (g === undefined) continue;
        const n = noticeRecordCodec.decode(raw.value);
        const hex = toHex(raw.id.subarray(32));
        g.notices.set(hex, n);
        bulkOf(g).push({ id: hex, claimed: n.ts, arrival: n.ts, deps: [] });
      } catch {
        skipped += 1;
      }
    }
    for (let i = 0; i < own.length; i += OWN_BLOB_LOOKUP_BATCH) {
      const part = own.slice(i, i + OWN_BLOB_LOOKUP_BATCH);
      const blobs = await s.blobs.getMany(part.map((o) => groupScopedId(o.g.groupId, o.id)));
      part.forEach((o, j) => {
        const h = o.g.entries.get(toHex(o.id));
        if (h !== undefined && blobs[j] !== undefined) h.sealed = true;
      });
    }
    const readMs = this.#now() - started;
    for (const [g, items] of bulk) {
      // the order's references as the held entries' own id strings (one string per id)
      for (const it of items) for (let i = 0; i < it.deps.length; i++) it.deps[i] = g.entries.get(it.deps[i]!)?.hex ?? it.deps[i]!;
      g.order.addAll(items);
    }
    const orderMs = this.#now() - started - readMs;
    for await (const { id, value } of s.invitesIn.iterate()) s.received.set(toHex(id), value);
    for await (const { id, value } of s.invitesOut.iterate()) s.sent.set(toHex(id), value);
    let entries = 0;
    for (const g of s.groups.values()) {
      this.#recompute(s, g);
      this.#recount(s, g);
      entries += g.entries.size;
    }
    if (skipped > 0) this.#log('group-records-skipped', { level: 'warn', count: skipped });
    this.#s = s;
    this.#log('groups-opened', { groups: s.groups.size, entries, ms: this.#now() - started, readMs, orderMs });
  }

  /** Stops posting and forgets everything in memory (on lock). */
  async close(): Promise<void> {
    const s = this.#s;
    if (s === null) return;
    this.#s = null;
    s.stop.abort();
    clearInterval(s.resend);
    await this.#globalQueue.catch(() => undefined);
    for (const g of s.groups.values()) {
      await g.queue.catch(() => undefined);
      await Promise.allSettled([...g.posters.values()]);
    }
    for (const g of s.groups.values()) for (const k of g.keys.values()) wipe(k.secret);
    const pool = this.#pool;
    this.#pool = null;
    await pool?.close();
  }

  /**
   * The pub links of this session (GroupPubs), or null: subscriptions are set to the union of
   * the groups' pubs, and the outbox is flushed.
   */
  attachPubs(links: GroupPubLinks | null): void {
    const s = this.#s;
    if (s === null) return;
    s.pubLinks = links;
    if (links === null) return;
    for (const st of links.status()) s.pubStatus.set(st.address, st);
    this.#updateSubscriptions(s);
    for (const g of s.groups.values()) this.#kick(s, g);
  }

  /** A pub link changed state: pub/didChange, and group/didChange for each group using it. */
  pubChanged(status: PubLinkStatus): void {
    const s = this.#s;
    if (s === null) return;
    const old = s.pubStatus.get(status.address);
    if (old !== undefined && old.state === status.state && old.lastError === status.lastError) return;
    s.pubStatus.set(status.address, status);
    this.#notify(s, 'pub/didChange', { address: status.address, state: status.state, lastError: status.lastError });
    for (const g of s.groups.values()) if (g.roster.pubs.includes(status.address)) this.#groupChanged(s, g);
  }

  /** Every subscribed pub's state (daemon/status `pubs`). */
  pubStates(): PubLinkStatus[] {
    const s = this.#s;
    return s?.pubLinks?.status() ?? [];
  }

  #newState(record: GroupRecord): GroupState {
    const groupId = record.groupId;
    const keys = new Map<string, EpochKeys>();
    for (const e of record.epochs) {
      const name = { number: e.number, opener: e.opener };
      keys.set(epochKey(name), deriveEpochKeys(e.secret, groupId, name));
    }
    return {
      record,
      groupId,
      hex: toHex(groupId),
      keys,
      entries: new Map(),
      notices: new Map(),
      chains: new Map(),
      authors: new Map(),
      order: new CausalOrder(),
      roster: undefined as unknown as Roster,
      ignored: new Set(),
      awaited: new Set(),
      unread: 0,
      posters: new Map(),
      postedBelow: new Map(),
      ownRemoveSeq: 0,
      outboxBlobs: new Map(),
      internKeys: new Map(),
      internEpochs: new Map(),
      internPubs: new Map(),
      internPubLists: new Map(),
      internHex: new Map(),
      ids: new IdSlab(),
      queue: Promise.resolve(),
      view: new MessageFold(),
      hiddenForMe: new Set(),
      base: null,
    };
  }

  /** Adds a verified entry to the in-memory indexes (not the roster: #recompute). `bulk`: the order later, by addAll. */
  #index(s: Session, g: GroupState, entry: Entry, idBytes: Uint8Array, rec: EntryRecord, sealed: boolean, bulk?: Array<{ id: string; claimed: number; arrival: number; deps: string[] }>): Held {
    const hex = toHex(idBytes);
    // one copy per group of what many entries share (authors, epoch openers, pub addresses);
    // ids, prevs and heads in the group's id slab, a prev or head already held sharing its id
    const id = g.ids.copy(idBytes);
    let authorHex = toHex(entry.author);
    authorHex = g.internHex.get(authorHex) ?? (g.internHex.set(authorHex, authorHex), authorHex);
    const slim = slimRosterEntry(entry, id);
    const sharedAuthor = g.internKeys.get(authorHex) ?? (g.internKeys.set(authorHex, slim.author), slim.author);
    const openerHex = toHex(slim.epoch.opener);
    const sharedEpoch = g.internEpochs.get(openerHex) ?? (g.internEpochs.set(openerHex, slim.epoch), slim.epoch);
    // the order's references (prev from seq 2, then heads) as hex, each computed once: they
    // find a held entry to share its id and id string with (else a copy in the slab)
    const depHex: string[] = [];
    const share = (ref: Uint8Array): Uint8Array => {
      const h = toHex(ref);
      const held = g.entries.get(h);
      depHex.push(held?.hex ?? h);
      return held?.id ?? g.ids.copy(ref);
    };
    const prev = slim.seq > 1 ? share(slim.prev) : slim.prev;
    const roster: RosterEntry = { ...slim, author: sharedAuthor, epoch: sharedEpoch, prev, heads: slim.heads.map(share) };
    const pubsKey = rec.pubs.join('\n');
    const pubs = g.internPubLists.get(pubsKey) ?? (g.internPubLists.set(pubsKey, rec.pubs.map((p) => g.internPubs.get(p) ?? (g.internPubs.set(p, p), p))), g.internPubLists.get(pubsKey)!);
    const held: Held = { id, hex, roster, own: rec.own, arrival: rec.arrival, pubs, sealed };
    g.entries.set(hex, held);
    if (rec.own) for (const [pub, below] of g.postedBelow) if (entry.seq < below) g.postedBelow.set(pub, entry.seq);
    if (rec.own && entry.content.kind === 'remove' && entry.seq > g.ownRemoveSeq) g.ownRemoveSeq = entry.seq;
    let chain = g.chains.get(authorHex);
    if (chain === undefined) g.chains.set(authorHex, (chain = new Map()));
    if (!chain.has(entry.seq)) chain.set(entry.seq, hex);
    const c = entry.content;
    if (c.kind === 'genesis' || c.kind === 'join' || c.kind === 'add') g.authors.set(toHex(c.certificate.signingKey), onionAddressFromPublicKey(c.certificate.identityKey));
    if (isViewContent(c)) {
      const target = g.view.add({ id: hex, author: authorHex, seq: entry.seq, timestamp: entry.timestamp, content: c });
      // an edit, delete, hide or reaction changes its target's view: tell once the target is held
      if (target !== null && target !== hex && bulk === undefined) queueMicrotask(() => void this.#viewChanged(s, g, target));
    }
    if (bulk !== undefined) bulk.push({ id: hex, claimed: entry.timestamp, arrival: rec.arrival, deps: depHex });
    else g.order.add(hex, entry.timestamp, rec.arrival, depHex);
    void s;
    return held;
  }

  /** Recomputes the roster of `g` from every entry held (and the epochs it opened). */
  #recompute(s: Session, g: GroupState): void {
    const entries = [...g.entries.values()].map((h) => h.roster);
    const roster = computeRoster(g.groupId, entries, g.base ?? undefined);
    // the roster copies the id of every applied entry (one ArrayBuffer each: ~20 MB on a log of
    // 100,000): keep the index's own ids instead (equal bytes, never written)
    g.roster = { ...roster, applied: roster.applied.map((id) => g.entries.get(toHex(id))?.id ?? id) };
    g.ignored = new Set(g.roster.ignored.map((i) => toHex(i.id)));
    g.awaited = new Set();
    for (const id of g.roster.pending) {
      const r = g.entries.get(toHex(id))?.roster;
      if (r === undefined) continue;
      const deps = orderDeps(r);
      if (r.action.kind === 'join') deps.push(toHex(r.action.invite));
      for (const d of deps) if (!g.entries.has(d)) g.awaited.add(d);
    }
    void s;
  }

  /** Recounts unread: others' messages after the read marker. */
  #recount(s: Session, g: GroupState): void {
    const from = isAllZero(g.record.lastRead) ? -1 : g.order.position(toHex(g.record.lastRead));
    let n = 0;
    for (const id of g.order.idsAfter(from)) {
      const h = g.entries.get(id);
      if (h !== undefined && !h.own && !g.ignored.has(id) && isContentKind(h.roster.action.kind) && (h.roster.action.kind === 'text' || h.roster.action.kind === 'reply')) n++;
    }
    g.unread = n;
    void s;
  }

  // ---------------------------------------------------------------- views

  #memberSelf(s: Session, g: GroupState): { member: boolean; role: 'admin' | 'member' } {
    const me = g.roster.members.find((m) => bytesEqual(m.identityKey, s.o.identityKey));
    if (me !== undefined) return { member: true, role: me.role };
    // our join is stored but waits for what it cites (the invite entry): a member for ourselves
    const pendingJoin = [...g.entries.values()].some((h) => h.own && h.roster.action.kind === 'join' && !g.ignored.has(h.hex));
    return { member: pendingJoin && !g.record.gone, role: 'member' };
  }

  /**
   * Where we stand in a group beyond membership: `lockedOut` while we are a member without the
   * key of the epoch in use (a join that raced a re-key, until an admin re-keys to us), and
   * `joinRefused` the roster's reason when our join was refused and we are no member.
   */
  #standing(s: Session, g: GroupState): { lockedOut: boolean; joinRefused: string | null } {
    const member = g.roster.members.some((m) => bytesEqual(m.identityKey, s.o.identityKey));
    let joinRefused: string | null = null;
    if (!member) {
      for (const h of g.entries.values()) {
        if (!h.own || h.roster.action.kind !== 'join' || !g.ignored.has(h.hex)) continue;
        joinRefused = g.roster.ignored.find((i) => toHex(i.id) === h.hex)?.reason ?? 'refused';
      }
    }
    const lockedOut = (member || this.#memberSelf(s, g).member) && !g.keys.has(epochKey(g.roster.epoch));
    return { lockedOut, joinRefused };
  }

  /** The in-place notice that we hold no key of the epoch in use: after the entry that opened it. */
  #lockedOutItem(s: Session, g: GroupState): GroupItem {
    const id = toHex(labelledHash(LOCKED_OUT_ITEM_LABEL, [g.groupId, g.roster.epoch.opener]));
    const ts = g.order.key(toHex(g.roster.epoch.opener))?.ts ?? this.#now();
    return { id, kind: 'locked-out', author: null, ts, text: `no key for epoch ${g.roster.epoch.number}: waiting for an admin to re-key to us`, status: 'received' };
  }

  #view(s: Session, g: GroupState) {
    const self = this.#memberSelf(s, g);
    const standing = this.#standing(s, g);
    const pubs = [...g.roster.pubs];
    return {
      groupId: g.hex,
      name: g.roster.name,
      pubs,
      pubLinks: pubs.map((p) => {
        const st = s.pubStatus.get(p);
        return { address: p, state: st?.state ?? 'connecting', lastError: st?.lastError ?? null };
      }),
      members: g.roster.members.length + (self.member && !g.roster.members.some((m) => bytesEqual(m.identityKey, s.o.identityKey)) ? 1 : 0),
      unread: g.unread,
      role: self.role,
      epoch: g.roster.epoch.number,
      lockedOut: standing.lockedOut,
      joinRefused: standing.joinRefused,
      ...this.#syncFields(g),
    };
  }

  // ---- group sync's marks (added by the syncapi branch; additive only) ----

  #marks: ((groupId: string) => SyncMarks) | null = null;

  /** Group sync tells its gaps and evidence of a group through `marks` (null: detached). */
  attachSync(marks: ((groupId: string) => SyncMarks) | null): void {
    this.#marks = marks;
  }

  #syncMarks(g: GroupState): SyncMarks {
    return this.#marks?.(g.hex) ?? NO_SYNC_MARKS;
  }

  #syncFields(g: GroupState) {
    const m = this.#syncMarks(g);
    return { gaps: m.gaps.length, missing: m.missing, unfillable: m.unfillable, evidence: m.evidence, equivocators: m.equivocators.map((k) => g.authors.get(k) ?? k) };
  }

  /** Group sync saw a group's gaps or evidence change: group/didChange (with the evidence just kept). */
  syncChanged(groupId: string, evidence?: { readonly kind: string; readonly authorKey: string | null }): void {
    const s = this.#s;
    if (s === null) return;
    const g = s.groups.get(groupId);
    if (g === undefined || g.record.gone) return;
    const author = evidence?.authorKey == null ? null : (g.authors.get(evidence.authorKey) ?? evidence.authorKey);
    this.#notify(s, 'group/didChange', { groupId: g.hex, group: this.#view(s, g), ...(evidence !== undefined ? { evidence: { kind: evidence.kind, author } } : {}) });
  }

  /** The gap (and evidence: items.ts) notices of a group, by where they stand: `after:<entry id>` or `before:<entry id>`. */
  #gapNotices(g: GroupState): Map<string, Array<GapNotice | EvidenceNotice>> {
    const out = new Map<string, Array<GapNotice | EvidenceNotice>>();
    for (const ev of this.#syncMarks(g).evidenceAt ?? []) {
      const id = g.chains.get(ev.author)?.get(ev.seq);
      if (id === undefined) continue;
      const notice: EvidenceNotice = { kind: 'evidence', groupId: g.hex, evidence: ev.kind, authorKey: ev.author, author: g.authors.get(ev.author) ?? null, seq: ev.seq };
      out.set(`after:${id}`, [...(out.get(`after:${id}`) ?? []), notice]);
    }
    for (const gap of this.#syncMarks(g).gaps) {
      const chain = g.chains.get(gap.author);
      if (chain === undefined) continue;
      // a missing range is bounded by held entries: from - 1 is held unless the range starts at 1
      const prev = chain.get(gap.from - 1);
      let at = prev === undefined ? undefined : `after:${prev}`;
      if (at === undefined) {
        const id = chain.get(gap.to + 1);
        if (id === undefined) continue;
        at = `before:${id}`;
      }
      const notice: GapNotice = { kind: 'gap', groupId: g.hex, authorKey: gap.author, author: g.authors.get(gap.author) ?? null, from: gap.from, to: gap.to };
      const list = out.get(at);
      if (list === undefined) out.set(at, [notice]);
      else list.push(notice);
    }
    return out;
  }

  /** group/list: every group we are in, oldest first. */
  list(): ReturnType<GroupsService['groupView']>[] {
    const s = this.#require();
    return [...s.groups.values()]
      .filter((g) => !g.record.gone)
      .sort((a, b) => a.record.created - b.record.created || (a.hex < b.hex ? -1 : 1))
      .map((g) => this.#view(s, g));
  }

  groupView(groupId: string) {
    const s = this.#require();
    return this.#view(s, this.#group(s, groupId));
  }

  /** group/members: the roster's members, ascending by address. */
  members(groupId: string): Array<{ address: OnionAddress; name: string | null; role: 'admin' | 'member'; online: boolean }> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    const out = g.roster.members.map((m) => {
      const address = onionAddressFromPublicKey(m.identityKey);
      const me = address === s.o.address;
      return { address, name: me ? s.o.name : s.o.peers.petname(address), role: m.role, online: me || s.o.peers.isOnline(address) };
    });
    const self = this.#memberSelf(s, g);
    if (self.member && !out.some((m) => m.address === s.o.address)) out.push({ address: s.o.address, name: s.o.name, role: self.role, online: true });
    return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  /** The roster of a group (extension point). */
  roster(groupId: string): Roster {
    const s = this.#require();
    return this.#group(s, groupId).roster;
  }

  /** The ids (with author and seq) of every entry held for a group (extension point: sync). */
  heldEntries(groupId: string): Array<{ id: Uint8Array; author: Uint8Array; seq: number }> {
    const s = this.#require();
    return [...this.#group(s, groupId).entries.values()].map((h) => ({ id: h.id, author: h.roster.author, seq: h.roster.seq }));
  }

  /** The original blob of a stored entry, or null (extension point: repair and sync). */
  async entryBlob(groupId: string, id: Uint8Array): Promise<Uint8Array | null> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    return (await s.blobs.get(groupScopedId(g.groupId, id))) ?? null;
  }

  // ---- extension points for daemon/group-sync/ (added by the sync branch; additive only) ----

  /**
   * The number of the epoch a group's roster starts from when we joined it without history
   * (its roster base: docs/groups.md, "Roster from a base"), or null when we hold it from the
   * genesis (extension point: sync counts each author's chain from what we can open).
   */
  baseEpoch(groupId: string): number | null {
    const s = this.#require();
    return this.#group(s, groupId).base?.epoch.number ?? null;
  }

  /**
   * The chain metadata of every entry held (gap finding and sync notes): id (and its hex), author, seq, prev,
   * heads, the pubs it was seen on (ours: accepted by), when it arrived, and whether it is ours.
   */
  chainEntries(groupId: string): Array<{ id: Uint8Array; hex: string; author: Uint8Array; seq: number; prev: Uint8Array; heads: readonly Uint8Array[]; pubs: readonly string[]; arrival: number; own: boolean; epoch: RosterEntry['epoch'] }> {
    const s = this.#require();
    return [...this.#group(s, groupId).entries.values()].map((h) => ({
      id: h.id,
      hex: h.hex,
      author: h.roster.author,
      seq: h.roster.seq,
      prev: h.roster.prev,
      heads: h.roster.heads,
      pubs: [...h.pubs],
      arrival: h.arrival,
      own: h.own,
      epoch: h.roster.epoch,
    }));
  }

  /**
   * The original blob of a stored entry for a peer or a repair: an own entry not yet posted is
   * sealed now, as for its first post (the outbox then posts that same blob), or null when it
   * is re-made meanwhile under a newer epoch.
   */
  async syncBlob(groupId: string, id: Uint8Array): Promise<Uint8Array | null> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    const h = g.entries.get(toHex(id));
    if (h === undefined) return null;
    if (h.own && !h.sealed) return this.#sealed(s, g, h);
    return (await s.blobs.get(groupScopedId(g.groupId, id))) ?? null;
  }

  /** The canonical encoding of a stored entry (tamper evidence carries entries), or null. */
  async entryEncoding(groupId: string, id: Uint8Array): Promise<Uint8Array | null> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    return (await s.entries.get(groupScopedId(g.groupId, id)))?.entry ?? null;
  }

  /** The keys of an epoch of the group whose secret we hold, or null (to check evidence). */
  epochKeys(groupId: string, epoch: { readonly number: number; readonly opener: Uint8Array }): EpochKeys | null {
    const s = this.#require();
    return this.#group(s, groupId).keys.get(epochKey(epoch)) ?? null;
  }

  #pubCounts(g: GroupState, h: Held): { accepted: number; total: number } {
    const pubs = g.roster.pubs;
    return { accepted: h.pubs.filter((p) => pubs.includes(p)).length, total: pubs.length };
  }

  #item(s: Session, g: GroupState, h: Held, entry: Entry, blocked?: ReadonlySet<string>): GroupItem | null {
    const key = g.order.key(h.hex);
    if (h.own && entry.content.kind === 'join' && g.ignored.has(h.hex)) {
      // our own join, refused by the roster (the invite expired, was used up, ...): said in place
      const reason = g.roster.ignored.find((i) => toHex(i.id) === h.hex)?.reason ?? 'refused';
      return { id: h.hex, kind: 'join-refused', author: s.o.address, ts: key?.ts ?? entry.timestamp, text: reason, status: ownStatus(this.#pubCounts(g, h)), pubs: this.#pubCounts(g, h) };
    }
    return buildItem(entry, {
      id: h.hex,
      ts: key?.ts ?? entry.timestamp,
      author: g.authors.get(toHex(entry.author)) ?? null,
      own: h.own,
      pubs: this.#pubCounts(g, h),
      ignored: g.ignored.has(h.hex),
      view: g.view.isMessage(h.hex)
        ? g.view.item(h.hex, {
            hideApplied: (id) => appliedOf(g.roster).has(id),
            counts: (id) => !g.ignored.has(id),
            hiddenForMe: g.hiddenForMe,
            blockedAuthors: blocked ?? this.#blockedAuthors(s, g),
            me: s.signingHex,
          })
        : null,
      addressOf: (authorHex) => g.authors.get(authorHex) ?? null,
    });
  }

  /** The author keys (hex) of the group's members this profile blocked as contacts. */
  #blockedAuthors(s: Session, g: GroupState): ReadonlySet<string> {
    const blocked = s.o.peers.blocked?.();
    const out = new Set<string>();
    if (blocked === undefined || blocked.size === 0) return out;
    for (const [key, address] of g.authors) if (blocked.has(address)) out.add(key);
    return out;
  }

  /**
   * What the log holds of entry `id` (extension point: membership): its author (profile signing
   * key) and kind, and whether the roster ignored it; null when not held.
   */
  entryInfo(groupId: string, id: string): { author: Uint8Array; kind: EntryContent['kind']; ignored: boolean } | null {
    const s = this.#require();
    const g = this.#group(s, groupId);
    const h = g.entries.get(id);
    return h === undefined ? null : { author: h.roster.author, kind: h.roster.action.kind, ignored: g.ignored.has(id) };
  }

  /** The ids this member hid for itself in a group (extension point: membership, which stores them). */
  setHiddenForMe(groupId: string, ids: ReadonlySet<string>): void {
    const s = this.#require();
    this.#group(s, groupId).hiddenForMe = ids;
  }

  /**
   * A remove-and-re-key entry found under an epoch we hold but posted in one we do not: accepted
   * when its key package verifies, is by an admin of our roster and is sealed to us
   * (protocol/rekey.ts openRekeyByPackage); null otherwise.
   */
  #rekeyByPackage(s: Session, g: GroupState, encoded: Uint8Array): Entry | null {
    if (encoded.length < 2 || encoded[1] !== EntryKind.REMOVE) return null;
    try {
      const { entry, keys } = openRekeyByPackage(encoded, g.roster, { identityKey: s.o.identityKey, dh: s.o.keys.dh });
      if (g.keys.has(epochKey(entry.epoch))) return null; // we hold its epoch: its signature must verify
      wipe(keys.secret);
      return entry;
    } catch (err) {
      if (isProtocolError(err)) {
        this.#log('group-rekey-by-package-refused', { level: 'debug', code: err.code, message: err.message });
        return null;
      }
      throw err;
    }
  }

  /**
   * Posts our stored entry `id` again, sealed under the keys of `epoch` (one we hold), to every
   * pub of the group (extension point: membership, for members locked out of the current epoch
   * who hold only `epoch`).
   */
  async repostUnder(groupId: string, id: string, epoch: { readonly number: number; readonly opener: Uint8Array }): Promise<void> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    const keys = g.keys.get(epochKey(epoch));
    const rec = await s.entries.get(groupScopedId(g.groupId, fromHex(id)));
    if (keys === undefined || rec === undefined) throw new ApiError('ERR_NOT_FOUND', 'no such entry or epoch key');
    const blob = sealBlob(keys, rec.entry);
    const held = g.entries.get(id);
    for (const pub of g.roster.pubs) {
      // after the pub accepted the entry itself (our posts go in seq order, so everything it
      // cites of ours is there before it): a reader meets what it needs first
      void (async () => {
        while (!s.stop.signal.aborted && held !== undefined && !held.pubs.includes(pub)) await new Promise((r) => setTimeout(r, 100));
        const links = s.pubLinks;
        if (s.stop.signal.aborted || links === null) return;
        await links.post(g.hex, pub, blob, s.stop.signal);
      })().catch((err: unknown) => {
        if (!s.stop.signal.aborted) warn(this.#log, 'group-post-failed', err);
      });
    }
  }

  /** message/didUpdate for a message whose view changed (membership). */
  async #viewChanged(s: Session, g: GroupState, target: string): Promise<void> {
    const h = g.entries.get(target);
    if (h === undefined || this.#s !== s) return;
    try {
      const r = await s.entries.get(groupScopedId(g.groupId, h.id));
      if (r === undefined) return;
      const item = this.#item(s, g, h, decodeEntry(r.entry));
      if (item !== null) this.#notify(s, 'message/didUpdate', { groupId: g.hex, message: item });
    } catch (err) {
      warn(this.#log, 'group-view-notify-failed', err);
    }
  }

  /** message/list for a group. */
  async listMessages(groupId: string, o: { before?: string | undefined; after?: string | undefined; limit: number }): Promise<GroupItem[]> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    const out: GroupItem[] = [];
    let before = o.before;
    let after = o.after;
    const gaps = this.#gapNotices(g);
    const lockedOut = this.#standing(s, g).lockedOut ? this.#lockedOutItem(s, g) : null;
    const blocked = this.#blockedAuthors(s, g);
    const openerHex = toHex(g.roster.epoch.opener);
    let lockedShown = false;
    // items not shown (invites, ...) are skipped: read on until the page is full or the log ends
    for (let rounds = 0; out.length < o.limit && rounds < 64; rounds++) {
      const want = o.limit - out.length;
      const ids = g.order.page({ before, after, limit: want + 8 });
      if (ids.length === 0) break;
      const entryIds = ids.filter((id) => g.entries.has(id));
      const records = await s.entries.getMany(entryIds.map((id) => groupScopedId(g.groupId, fromHex(id))));
      const byId = new Map<string, EntryRecord>();
      entryIds.forEach((id, i) => {
        const r = records[i];
        if (r !== undefined) byId.set(id, r);
      });
      const items: GroupItem[] = [];
      for (const id of ids) {
        for (const gap of gaps.get(`before:${id}`) ?? []) items.push(buildNoticeItem(id, gap, g.order.key(id)?.ts ?? 0));
        const notice = g.notices.get(id);
        if (notice !== undefined) {
          items.push(buildNoticeItem(id, notice, g.order.key(id)?.ts ?? notice.ts));
          continue;
        }
        const h = g.entries.get(id);
        const r = byId.get(id);
        if (h === undefined || r === undefined) continue;
        const item = this.#item(s, g, h, decodeEntry(r.entry), blocked);
        if (item !== null) items.push(item);
        for (const gap of gaps.get(`after:${id}`) ?? []) items.push(buildNoticeItem(id, gap, item?.ts ?? g.order.key(id)?.ts ?? 0));
        if (lockedOut !== null && id === openerHex) {
          items.push(lockedOut);
          lockedShown = true;
        }
      }
      if (after !== undefined) {
        out.push(...items.slice(0, want));
        after = ids[ids.length - 1];
      } else {
        out.unshift(...items.slice(Math.max(0, items.length - want)));
        before = ids[0];
      }
      if (ids.length < want + 8) break;
    }
    // the opener of the epoch we lack is not held: the notice closes the newest page
    if (lockedOut !== null && !lockedShown && o.before === undefined && !g.order.has(openerHex)) out.push(lockedOut);
    return out;
  }

  /** message/markRead for a group: everything up to `id` is read. */
  async markRead(groupId: string, id: string): Promise<void> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    return this.#serial(g, async () => {
      const pos = g.order.position(id);
      if (pos === -1) throw new ApiError('ERR_NOT_FOUND', 'no such entry in this group');
      const current = isAllZero(g.record.lastRead) ? -1 : g.order.position(toHex(g.record.lastRead));
      if (current >= pos) return;
      const record: GroupRecord = { ...g.record, lastRead: fromHex(id) };
      await s.collection.put(g.groupId, record);
      g.record = record;
      const before = g.unread;
      this.#recount(s, g);
      if (g.unread !== before) this.#groupChanged(s, g);
    });
  }

  // ---------------------------------------------------------------- notifications

  #notify<N extends Parameters<NotificationJournal['append']>[0]>(s: Session, method: N, body: Parameters<NotificationJournal['append']>[1] & object): void {
    (s.o.journal.append as (m: string, b: unknown) => Promise<unknown>)(method, body).catch((err: unknown) => warn(this.#log, 'journal-append-failed', err));
  }

  #groupChanged(s: Session, g: GroupState): void {
    this.#notify(s, 'group/didChange', { groupId: g.hex, group: g.record.gone ? null : this.#view(s, g) });
  }

  // ---------------------------------------------------------------- creating and authoring

  #checkPubs(pubs: readonly string[]): string[] {
    const out: string[] = [];
    for (const p of pubs) {
      try {
        parsePubAddress(p);
      } catch {
        throw new ApiError('ERR_BAD_ADDRESS', 'not a pub address');
      }
      if (isDevelopmentPubAddress(p) && !this.#development) throw new ApiError('ERR_BAD_ADDRESS', 'a loopback pub is for development mode only');
      const canonical = p.endsWith('.onion') || p.startsWith('ws:') ? p : `${p}.onion`;
      if (out.includes(canonical)) throw new ApiError('ERR_BAD_ADDRESS', 'a pub named twice');
      out.push(canonical);
    }
    return out;
  }

  /** group/create: the genesis entry, epoch 0's secret; queued for every pub. */
  async create(name: string, pubs: readonly string[]): Promise<string> {
    const s = this.#require();
    const list = this.#checkPubs(pubs);
    return this.#serialAll(async () => {
      const now = this.#now();
      const genesis = createGenesis(s.o.keys.signing, { certificate: s.o.certificate, timestamp: now, settings: { name, pubs: list, membersMayInvite: false } });
      const secret = generateEpochSecret();
      const record: GroupRecord = {
        groupId: genesis.groupId,
        gone: false,
        created: now,
        genesis: genesis.encoding,
        ownSeq: 1,
        ownLast: genesis.groupId,
        lastRead: ZERO,
        epochs: [{ number: 0, opener: genesis.groupId, secret }],
      };
      const rec: EntryRecord = { own: true, arrival: now, pubs: [], entry: genesis.encoding };
      await s.o.store.batch([s.collection.putOp(genesis.groupId, record), s.entries.putOp(groupScopedId(genesis.groupId, genesis.groupId), rec)]);
      const g = this.#newState(record);
      s.groups.set(g.hex, g);
      this.#index(s, g, genesis.entry, genesis.groupId, rec, false);
      this.#recompute(s, g);
      this.#log('group-created', {});
      this.#groupChanged(s, g);
      this.#updateSubscriptions(s);
      this.#kick(s, g);
      return g.hex;
    });
  }

  /**
   * Signs `content` as our next entry of the group under its current epoch, stores it durably
   * and queues it for every pub (extension point). ERR_NOT_FOUND for a group we are not in,
   * ERR_TOO_LONG when it fits no blob.
   */
  async author(groupId: string, content: EntryContent): Promise<{ id: string }> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    return this.#serial(g, async () => {
      if (g.record.gone) throw new ApiError('ERR_NOT_FOUND', 'no longer in that group');
      const keys = g.keys.get(epochKey(g.roster.epoch));
      if (keys === undefined) throw new ApiError('ERR_NOT_FOUND', 'no key for the group\'s current epoch');
      const held = await this.#authorLocked(s, g, keys, content);
      this.#kick(s, g);
      return { id: held.hex };
    });
  }

  async #authorLocked(s: Session, g: GroupState, keys: EpochKeys, content: EntryContent, extra: StoreOperation[] = []): Promise<Held> {
    const now = this.#now();
    const heads = this.#removedFirst(g, content, g.order.tips().filter((id) => g.entries.get(id)?.own === false))
      .slice(0, HEADS_MAX)
      .map(fromHex);
    let entry: Entry;
    try {
      entry = createEntry(keys, s.o.keys.signing, {
        seq: g.record.ownSeq + 1,
        ...(g.record.ownSeq > 0 ? { prev: g.record.ownLast } : {}),
        timestamp: Math.max(now, this.#lastOwnTs(g)),
        heads,
        content,
      });
    } catch (err) {
      if (isProtocolError(err, ProtocolErrorCode.TOO_LONG) || isProtocolError(err, ProtocolErrorCode.OVERSIZED)) throw new ApiError('ERR_TOO_LONG');
      throw err;
    }
    const bytes = encodeEntry(entry);
    if (blobSizeFor(bytes.length) === null) throw new ApiError('ERR_TOO_LONG');
    const id = entryId(bytes);
    const record: GroupRecord = { ...g.record, ownSeq: entry.seq, ownLast: id };
    const rec: EntryRecord = { own: true, arrival: now, pubs: [], entry: bytes };
    await s.o.store.batch([s.collection.putOp(g.groupId, record), s.entries.putOp(groupScopedId(g.groupId, id), rec), ...extra]);
    g.record = record;
    const held = this.#index(s, g, entry, id, rec, false);
    if (!isContentKind(entry.content.kind)) {
      const epochsBefore = epochsOf(g.roster);
      this.#recompute(s, g);
      if (epochsOf(g.roster) !== epochsBefore) await this.#openEpochs(s, g);
      this.#groupChanged(s, g);
    }
    return held;
  }

  /**
   * For a removal, the removed members' tips first: what a re-key names in its causal past is
   * all of theirs that counts (docs/groups.md, "Closing the old epoch"), and heads are limited.
   */
  #removedFirst(g: GroupState, content: EntryContent, tips: string[]): string[] {
    if (content.kind !== 'remove' || content.removed.length === 0 || tips.length <= HEADS_MAX) return tips;
    const removed = new Set(content.removed.map((k) => toHex(memberByIdentity(g.roster, k)?.certificate.signingKey ?? k)));
    const theirs = tips.filter((id) => removed.has(toHex(g.entries.get(id)!.roster.author)));
    return [...theirs, ...tips.filter((id) => !theirs.includes(id))];
  }

  /** Our last entry's timestamp (a new one is never older: a clock step back does not reorder us). */
  #lastOwnTs(g: GroupState): number {
    if (g.record.ownSeq === 0) return 0;
    return g.entries.get(toHex(g.record.ownLast))?.roster.timestamp ?? 0;
  }

  /** message/send for a group: a text (or a reply) entry. */
  async send(groupId: string, text: string, replyTo?: string): Promise<string> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    if (replyTo !== undefined && !g.entries.has(replyTo)) throw new ApiError('ERR_NOT_FOUND', 'no such entry to reply to');
    const content: EntryContent = replyTo === undefined ? { kind: 'text', text } : { kind: 'reply', target: fromHex(replyTo), text };
    return (await this.author(groupId, content)).id;
  }

  // ---------------------------------------------------------------- posting

  #updateSubscriptions(s: Session): void {
    const pubs = new Set<string>();
    for (const g of s.groups.values()) if (!g.record.gone) for (const p of g.roster.pubs) pubs.add(p);
    s.pubLinks?.setSubscriptions([...pubs].sort());
  }

  /** Starts a poster for each pub of the group that has something to post and none running. */
  #kick(s: Session, g: GroupState): void {
    if (s.pubLinks === null || s.stop.signal.aborted || g.record.gone) return;
    for (const pub of g.roster.pubs) {
      if (g.posters.has(pub)) continue;
      const run = this.#poster(s, g, pub).finally(() => {
        g.posters.delete(pub);
        // something queued while the poster was finishing (and not held back)
        const n = this.#nextFor(s, g, pub);
        if (!s.stop.signal.aborted && n !== null && this.#holdFor(g, n) === 0) this.#kick(s, g);
      });
      g.posters.set(pub, run);
    }
  }

  /**
   * Our first entry (by seq) that `pub` has not accepted, or null. The scan starts at the pub's
   * low-water mark (postedBelow), which it moves past every entry the pub accepted (never past
   * one not held), so a long chain is not walked from its start each time.
   */
  #nextFor(s: Session, g: GroupState, pub: string): Held | null {
    const chain = g.chains.get(s.signingHex);
    if (chain === undefined) return null;
    let from = g.postedBelow.get(pub) ?? 1;
    for (;;) {
      const h = g.entries.get(chain.get(from) ?? '');
      if (h === undefined || !h.own || !h.pubs.includes(pub)) break;
      from += 1;
    }
    g.postedBelow.set(pub, from);
    for (let seq = from; seq <= g.record.ownSeq; seq++) {
      const h = g.entries.get(chain.get(seq) ?? '');
      if (h !== undefined && h.own && !h.pubs.includes(pub)) return h;
    }
    return null;
  }

  /**
   * How long to hold our entry `h` back (ms; 0: post it): new content is not sealed while the
   * current epoch is exposed (someone who left or was removed holds its secret, docs/groups.md
   * section 8) until the settling re-key moves the epoch on, when it is made again under the new
   * one; for at most EXPOSED_HOLD_MAX_MS after it was written, in case no admin re-keys.
   */
  #holdFor(g: GroupState, h: Held): number {
    if (h.sealed || !isContentKind(h.roster.action.kind) || g.roster.exposed.length === 0) return 0;
    // our own re-key after it goes in seq order after it, and is never held: neither is it
    if (g.ownRemoveSeq > h.roster.seq && g.ownRemoveSeq <= g.record.ownSeq) return 0;
    return Math.max(0, h.arrival + EXPOSED_HOLD_MAX_MS - this.#now());
  }

  /**
   * Posts our entries to `pub` one after another in seq order, so a pub (and every reader of
   * it) receives a member's chain in order. Only the first post of a run pays GroupPubs' post
   * jitter: it keeps the run's start apart from whatever prompted it and the pubs' copies
   * apart from each other; the rest follow at the pace of proof of work and round trip (with a
   * jitter each, a backlog moved at about 6 posts a second on loopback). Ends when nothing is
   * left to post, an entry is held back, or a post or a seal failed; #kick starts it again.
   */
  async #poster(s: Session, g: GroupState, pub: string): Promise<void> {
    const signal = s.stop.signal;
    let first = true;
    while (!signal.aborted && s.pubLinks !== null && g.roster.pubs.includes(pub) && !g.record.gone) {
      const next = this.#nextFor(s, g, pub);
      if (next === null) return;
      const hold = this.#holdFor(g, next);
      if (hold > 0) {
        setTimeout(() => this.#kick(s, g), hold + 10).unref();
        return;
      }
      let blob: Uint8Array | null;
      try {
        blob = await this.#sealed(s, g, next);
      } catch (err) {
        warn(this.#log, 'group-seal-failed', err);
        return;
      }
      if (blob === null) continue; // re-made: look again
      try {
        await s.pubLinks.post(g.hex, pub, blob, signal, { jitter: first });
      } catch (err) {
        if (!signal.aborted) warn(this.#log, 'group-post-failed', err);
        return;
      }
      first = false;
      await this.#accepted(s, g, next.hex, pub).catch((err: unknown) => warn(this.#log, 'group-write-failed', err));
    }
  }

  /**
   * The blob of our entry `h`, sealing it now if it is not yet (its first post). An unsealed
   * entry of an epoch that is no longer current, which no pub has accepted, is made again under
   * the current epoch with every later unsealed own entry: null then (look again).
   */
  #sealed(s: Session, g: GroupState, h: Held): Promise<Uint8Array | null> {
    return this.#serial(g, async () => {
      const live = g.entries.get(h.hex);
      if (live === undefined) return null; // re-made meanwhile
      const cached = g.outboxBlobs.get(h.hex);
      if (cached !== undefined) return cached;
      if (live.sealed) {
        const blob = await s.blobs.get(groupScopedId(g.groupId, live.id));
        if (blob === undefined) throw new ApiError('ERR_INTERNAL', 'a sealed entry without its blob');
        g.outboxBlobs.set(h.hex, blob);
        return blob;
      }
      const action = live.roster.action.kind;
      const current = g.roster.epoch;
      // our own re-key (and what precedes it in our chain) stays as made: it opened the new epoch
      const stale =
        action !== 'genesis' && action !== 'join' && !epochNameEqual(live.roster.epoch, current) && live.pubs.length === 0 && !this.#ownRekeyFrom(s, g, live.roster.seq);
      if (stale && g.keys.has(epochKey(current))) {
        await this.#remake(s, g, live);
        return null;
      }
      const keys = g.keys.get(epochKey(live.roster.epoch));
      if (keys === undefined) throw new ApiError('ERR_INTERNAL', 'no key for an own entry\'s epoch');
      const rec = await s.entries.get(groupScopedId(g.groupId, live.id));
      if (rec === undefined) throw new ApiError('ERR_INTERNAL', 'an own entry without its record');
      const blob = sealBlob(keys, rec.entry);
      await s.blobs.put(groupScopedId(g.groupId, live.id), blob);
      live.sealed = true;
      g.outboxBlobs.set(h.hex, blob);
      return blob;
    });
  }

  /** True when one of our entries from `seq` on is a remove-and-re-key. */
  #ownRekeyFrom(s: Session, g: GroupState, seq: number): boolean {
    void s;
    return g.ownRemoveSeq >= seq && g.ownRemoveSeq <= g.record.ownSeq;
  }

  /** Re-makes `first` and every later own unsealed entry under the current epoch (same seqs). */
  async #remake(s: Session, g: GroupState, first: Held): Promise<void> {
    const chain = g.chains.get(s.signingHex)!;
    const olds: Held[] = [];
    for (let seq = first.roster.seq; seq <= g.record.ownSeq; seq++) {
      const h = g.entries.get(chain.get(seq) ?? '');
      if (h === undefined || h.sealed || h.pubs.length > 0) break;
      olds.push(h);
    }
    const keys = g.keys.get(epochKey(g.roster.epoch))!;
    const records = await s.entries.getMany(olds.map((h) => groupScopedId(g.groupId, h.id)));
    let prev = first.roster.prev;
    const ops: StoreOperation[] = [];
    const made: Array<{ old: Held; entry: Entry; id: Uint8Array; rec: EntryRecord }> = [];
    for (let i = 0; i < olds.length; i++) {
      const old = olds[i]!;
      const oldEntry = decodeEntry(records[i]!.entry);
      const entry = createEntry(keys, s.o.keys.signing, {
        seq: oldEntry.seq,
        ...(oldEntry.seq > 1 ? { prev } : {}),
        timestamp: oldEntry.timestamp,
        heads: oldEntry.heads.filter((hd) => !olds.some((o) => bytesEqual(o.id, hd))),
        content: oldEntry.content,
      });
      const bytes = encodeEntry(entry);
      const id = entryId(bytes);
      const rec: EntryRecord = { own: true, arrival: old.arrival, pubs: [], entry: bytes };
      ops.push(s.entries.delOp(groupScopedId(g.groupId, old.id)), s.entries.putOp(groupScopedId(g.groupId, id), rec));
      made.push({ old, entry, id, rec });
      prev = id;
    }
    const record: GroupRecord = { ...g.record, ownLast: made.length > 0 ? made[made.length - 1]!.id : g.record.ownLast };
    ops.push(s.collection.putOp(g.groupId, record));
    await s.o.store.batch(ops);
    g.record = record;
    for (const m of [...made].reverse()) {
      g.entries.delete(m.old.hex);
      g.order.remove(m.old.hex);
      g.chains.get(s.signingHex)?.delete(m.old.roster.seq);
    }
    for (const m of made) {
      this.#index(s, g, m.entry, m.id, m.rec, false);
      this.#notify(s, 'message/didChange', { groupId: g.hex, id: m.old.hex, newId: toHex(m.id), status: 'outbox', pubs: { accepted: 0, total: g.roster.pubs.length } });
    }
    this.#recompute(s, g);
    this.#log('group-entries-remade', { count: made.length });
  }

  /** `pub` accepted (or holds) our entry: durable, then message/didChange. */
  #accepted(s: Session, g: GroupState, hex: string, pub: string): Promise<void> {
    return this.#serial(g, async () => {
      const h = g.entries.get(hex);
      if (h === undefined || h.pubs.includes(pub)) return;
      const rec = await s.entries.get(groupScopedId(g.groupId, h.id));
      if (rec === undefined) return;
      const pubs = [...h.pubs, pub];
      await s.entries.put(groupScopedId(g.groupId, h.id), { ...rec, pubs });
      h.pubs = pubs;
      const counts = this.#pubCounts(g, h);
      if (counts.accepted >= counts.total) g.outboxBlobs.delete(hex);
      if (h.own) this.#notify(s, 'message/didChange', { groupId: g.hex, id: hex, status: ownStatus(counts), pubs: counts });
    });
  }

  // ---------------------------------------------------------------- receiving

  /**
   * PubBlobSink: resolves once the blob is stored or ignored. It rejects (so GroupPubs drops the
   * link and reads again from its saved cursor, losing nothing) only when the blob could not be
   * handled: the store failed or the profile was locked meanwhile. Whatever a pub sends, it
   * never rejects for the blob itself.
   */
  async blobReceived(pub: string, blob: Uint8Array): Promise<void> {
    await this.blobsReceived(pub, [blob]);
  }

  /**
   * PubBlobSink: a run of blobs from one pub (a fetched page, or the live queue), stored with one
   * synced batch (ingestRun); rejects, like blobReceived, only when the run could not be handled.
   */
  async blobsReceived(pub: string, blobs: readonly Uint8Array[]): Promise<void> {
    try {
      await this.ingestRun(null, blobs, { kind: 'pub', pub });
    } catch (err) {
      if (isStoreError(err) || isApiError(err, 'ERR_LOCKED')) throw err;
      warn(this.#log, 'group-ingest-failed', err);
    }
  }

  /** PubBlobSink: a notice on every group using the pub; rejects (to be told again) if it could not be stored. */
  async pruned(pub: string, info: { readonly start: bigint; readonly head: bigint }): Promise<void> {
    const s = this.#s;
    if (s === null) return;
    for (const g of s.groups.values()) {
      if (g.record.gone || !g.roster.pubs.includes(pub)) continue;
      await this.#serial(g, async () => {
        const ts = this.#now();
        const notice: NoticeRecord = { kind: 'pruned', ts, pub, start: info.start, head: info.head };
        const id = randomBytes(32);
        await s.notices.put(groupScopedId(g.groupId, id), notice);
        const hex = toHex(id);
        g.notices.set(hex, notice);
        g.order.add(hex, ts, ts, []);
        this.#notify(s, 'message/didReceive', { groupId: g.hex, message: buildNoticeItem(hex, notice, ts) });
      });
    }
  }

  /**
   * The one verify-and-store path (extension point). `groupId` null: trial-decrypt with the keys
   * of the groups that use `source.pub` (every group for other sources). One blob: ingestRun.
   */
  async ingest(groupId: string | null, blob: Uint8Array, source: IngestSource): Promise<IngestResult> {
    const [result] = await this.ingestRun(groupId, [blob], source);
    return result!;
  }

  /**
   * Ingests a run of blobs from one source: each is opened, decoded and verified on its own (a
   * bad one is `invalid` and the others go on); the new entries of the run, and the pubs added
   * to entries already held, are written in ONE synced batch; only then are the in-memory
   * indexes, roster, unread counts and notifications updated, entry by entry in run order.
   * Duplicates within the run and with what is held (from other pubs) are merged. Blobs that
   * open under no key are tried again once when the run gave us new epoch keys (a re-key early
   * in the run opens the later blobs), then remembered for a later re-key. One result per blob.
   */
  async ingestRun(groupId: string | null, blobs: readonly Uint8Array[], source: IngestSource): Promise<IngestResult[]> {
    const s = this.#require();
    const fixed = groupId !== null ? this.#group(s, groupId) : null;
    const results: IngestResult[] = blobs.map(() => ({ status: 'foreign' }));
    let pending = blobs.map((_, i) => i);
    for (;;) {
      const keysBefore = this.#keyCount(s);
      const candidates = fixed !== null ? [fixed] : [...s.groups.values()].filter((g) => !g.record.gone && (source.kind !== 'pub' || g.roster.pubs.includes(source.pub)));
      const opened: Opened[] = [];
      const foreign: number[] = [];
      const now = this.#now();
      await this.#openAll(s, candidates, pending.map((i) => blobs[i]!), (j, o) => {
        const i = pending[j]!;
        if (o === 'invalid') results[i] = { status: 'invalid' };
        else if (o === 'foreign') foreign.push(i);
        else opened.push(this.#prepare(s, o, blobs[i]!, i, source, now));
      });
      if (this.#s !== s) throw new ApiError('ERR_LOCKED');
      if (opened.length > 0) await this.#storeRun(s, opened, source, results);
      else if (foreign.length > 0 && candidates.length > 0) await this.#serialMany(candidates, async () => undefined); // a run stored meanwhile may have given us keys
      pending = foreign;
      if (foreign.length === 0 || this.#keyCount(s) === keysBefore || this.#s !== s) break;
    }
    if (source.kind === 'pub' && groupId === null && this.#unopenedMax > 0) {
      for (const i of pending) {
        s.unopened.push({ pub: source.pub, blob: blobs[i]! });
        if (s.unopened.length > this.#unopenedMax) s.unopened.shift();
      }
    }
    return results;
  }

  #keyCount(s: Session): number {
    let n = 0;
    for (const g of s.groups.values()) n += g.keys.size;
    return n;
  }

  /**
   * Opens and verifies each blob under the candidates' keys (no I/O, nothing changed): on the
   * event loop for short runs, in the open workers for runs of OPEN_POOL_MIN_RUN or more (the
   * same open.ts openWith either way; a failed pool falls back to the event loop for good).
   */
  async #openAll(
    s: Session,
    candidates: readonly GroupState[],
    blobs: readonly Uint8Array[],
    each: (j: number, o: Pick<Opened, 'g' | 'entry' | 'encoded' | 'id'> | 'invalid' | 'foreign') => void,
  ): Promise<void> {
    const keys = candidates.map((g) => keysNewestFirst(g.keys.values()));
    const pool = blobs.length >= OPEN_POOL_MIN_RUN && candidates.length > 0 ? this.#openPool() : null;
    let done = 0; // blobs handed to `each` so far; the rest is opened here if the pool fails
    if (pool !== null) {
      // only the pool's own failures turn it off (what `each` throws goes to the caller)
      let failure: unknown = null;
      let chunks: ReturnType<OpenPool['openChunks']> = [];
      try {
        chunks = pool.openChunks(keys, blobs, OPEN_CHUNK_BLOBS);
      } catch (err) {
        failure = err; // a pool that ended
      }
      for (const chunk of chunks) {
        let outcomes: Awaited<typeof chunk>;
        try {
          outcomes = await chunk;
        } catch (err) {
          failure = err;
          break;
        }
        if (this.#s !== s) return;
        for (const o of outcomes) {
          if (o.k === 'i') each(done, 'invalid');
          else if (o.k === 'f') each(done, 'foreign');
          else if (o.k === 'o') each(done, { g: candidates[o.g]!, entry: decodeEntry(o.encoded), encoded: o.encoded, id: o.entryId });
          else each(done, this.#refused(s, candidates[o.g]!, o.encoded));
          done++;
        }
      }
      if (failure === null) return;
      if (this.#s !== s) throw new ApiError('ERR_LOCKED'); // closed meanwhile: the pool ended with the session
      warn(this.#log, 'group-open-pool-failed', failure);
      if (this.#pool === pool) this.#pool = null;
      this.#poolFailed = true;
      void pool.close();
    }
    for (; done < blobs.length; done++) {
      const o = openWith(keys, blobs[done]!);
      if (o.kind === 'invalid' || o.kind === 'foreign') each(done, o.kind);
      else if (o.kind === 'opened') each(done, { g: candidates[o.group]!, entry: o.entry, encoded: o.encoded, id: o.id });
      else each(done, this.#refused(s, candidates[o.group]!, o.encoded));
    }
  }

  /**
   * An opened blob of a run, with its records made ready (sealed for the store) while the open
   * workers still open the rest of the run, when its entry is not held yet (#storeRun checks
   * again under the group's queue and uses them only if it still is not).
   */
  #prepare(s: Session, o: Pick<Opened, 'g' | 'entry' | 'encoded' | 'id'>, blob: Uint8Array, index: number, source: IngestSource, now: number): Opened {
    const hex = toHex(o.id);
    if (o.g.entries.has(hex)) return { ...o, blob, index, hex, fresh: null };
    const own = bytesEqual(o.entry.author, s.o.keys.signing.publicKey);
    const rec: EntryRecord = { own, arrival: now, pubs: source.kind === 'pub' ? [source.pub] : [], entry: o.encoded };
    const key = groupScopedId(o.g.groupId, o.id);
    return { ...o, blob, index, hex, fresh: { rec, ops: s.o.store.seal([s.entries.putOp(key, rec), s.blobs.putOp(key, blob)]) } };
  }

  /**
   * A blob authentic under one of the group's keys whose entry did not verify under that epoch:
   * a re-key of an epoch we do not hold, posted again under one we hold for us (we were locked
   * out of the epoch it was posted in), is accepted on its key package; anything else is invalid.
   */
  #refused(s: Session, g: GroupState, encoded: Uint8Array): Pick<Opened, 'g' | 'entry' | 'encoded' | 'id'> | 'invalid' {
    const byPackage = this.#rekeyByPackage(s, g, encoded);
    if (byPackage !== null) return { g, entry: byPackage, encoded, id: entryId(encoded) };
    this.#log('group-entry-refused', { level: 'debug' });
    return 'invalid';
  }

  #pool: OpenPool | null = null;
  #poolFailed = false;

  /** The open workers (started on the first long run; none when configured off or after one failed). */
  #openPool(): OpenPool | null {
    if (this.#openWorkers === 0 || this.#poolFailed) return null;
    if (this.#pool === null || !this.#pool.usable) this.#pool = new OpenPool(this.#openWorkers);
    return this.#pool;
  }

  /** Runs `op` after every earlier operation on each of `gs` (taken at once: no lock order to keep). */
  #serialMany<T>(gs: readonly GroupState[], op: () => Promise<T>): Promise<T> {
    if (gs.length === 1) return this.#serial(gs[0]!, op);
    const run = Promise.all(gs.map((g) => g.queue)).then(op);
    const settled = run.catch(() => undefined);
    for (const g of gs) g.queue = settled;
    return run;
  }

  /** Stores the opened entries of a run: one synced batch, then the indexes and notifications. */
  #storeRun(s: Session, opened: readonly Opened[], source: IngestSource, results: IngestResult[]): Promise<void> {
    const groups = [...new Set(opened.map((o) => o.g))];
    return this.#serialMany(groups, async () => {
      if (this.#s !== s) throw new ApiError('ERR_LOCKED');
      const ops: StoreOperation[] = [];
      const fresh: Array<{ readonly o: Opened; readonly id: Uint8Array; readonly rec: EntryRecord }> = [];
      const merged: Array<{ readonly g: GroupState; readonly held: Held; readonly pubs: string[] }> = [];
      const seen = new Set<string>();
      const now = this.#now();
      for (const o of opened) {
        const g = o.g;
        const id = o.id;
        const hex = o.hex;
        results[o.index] = { status: 'duplicate', groupId: g.hex, id: hex };
        if (seen.has(g.hex + hex)) continue; // twice in the run: the first one counts
        seen.add(g.hex + hex);
        const held = g.entries.get(hex);
        if (held === undefined) {
          const made = o.fresh ?? this.#prepare(s, o, o.blob, o.index, source, now).fresh!;
          ops.push(...made.ops);
          fresh.push({ o, id, rec: made.rec });
          results[o.index] = { status: 'stored', groupId: g.hex, id: hex };
        } else if (source.kind === 'pub' && !held.pubs.includes(source.pub)) {
          const rec = await s.entries.get(groupScopedId(g.groupId, id));
          if (rec === undefined) continue;
          const pubs = [...held.pubs, source.pub];
          ops.push(s.entries.putOp(groupScopedId(g.groupId, id), { ...rec, pubs }));
          merged.push({ g, held, pubs });
        }
      }
      if (ops.length === 0) return;
      await s.o.store.batch(ops); // durable before anything below is shown or acknowledged
      for (const { g, held, pubs } of merged) {
        held.pubs = pubs;
        if (held.own) {
          const counts = this.#pubCounts(g, held);
          this.#notify(s, 'message/didChange', { groupId: g.hex, id: held.hex, status: ownStatus(counts), pubs: counts });
        }
      }
      for (const { o, id, rec } of fresh) {
        try {
          await this.#indexStored(s, o.g, o.entry, id, rec);
        } catch (err) {
          if (isStoreError(err) || isApiError(err, 'ERR_LOCKED')) throw err;
          warn(this.#log, 'group-ingest-failed', err); // on disk; indexed again on the next unlock
        }
      }
    });
  }

  /** A new entry, already durable: the indexes, roster, epochs, unread count and notifications. */
  async #indexStored(s: Session, g: GroupState, entry: Entry, id: Uint8Array, rec: EntryRecord): Promise<void> {
    const own = rec.own;
    const hex = toHex(id);
    const h = this.#index(s, g, entry, id, rec, true);
    const kind = entry.content.kind;
    const authorIsMember = g.roster.members.some((m) => bytesEqual(m.certificate.signingKey, entry.author));
    const membersBefore = g.roster.members.length;
    const epochsBefore = epochsOf(g.roster);
    if (!isContentKind(kind) || !authorIsMember || g.awaited.has(hex)) this.#recompute(s, g);
    if (epochsOf(g.roster) !== epochsBefore) await this.#openEpochs(s, g);
    const item = this.#item(s, g, h, entry);
    if (!own && item !== null && countsAsUnread(entry)) {
      const readPos = isAllZero(g.record.lastRead) ? -1 : g.order.position(toHex(g.record.lastRead));
      if (g.order.position(hex) > readPos) g.unread++;
    }
    if (item !== null && !own) this.#notify(s, 'message/didReceive', { groupId: g.hex, message: item });
    if (!own && (countsAsUnread(entry) || g.roster.members.length !== membersBefore || !isContentKind(kind))) this.#groupChanged(s, g);
  }

  /**
   * The roster opened epochs we hold no secret of: open their key packages (the re-key entry
   * that opened each). When we are not a recipient, we were removed: the group is gone.
   */
  async #openEpochs(s: Session, g: GroupState): Promise<void> {
    const added: StoredEpoch[] = [];
    let removed = false;
    for (const e of g.roster.epochs) {
      if (g.keys.has(epochKey(e))) continue;
      const opener = g.entries.get(toHex(e.opener));
      if (opener === undefined || opener.roster.action.kind !== 'remove') continue;
      try {
        const pkg = consumeKeyPackage(opener.roster.action.keyPackage, g.groupId);
        const secret = openKeyPackage(pkg, { identityKey: s.o.identityKey, dh: s.o.keys.dh });
        added.push({ number: e.number, opener: e.opener.slice(), secret });
      } catch (err) {
        if (isProtocolError(err, ProtocolErrorCode.NOT_RECIPIENT)) removed = true;
        else warn(this.#log, 'group-key-package-failed', err);
      }
    }
    const stillMember = g.roster.members.some((m) => bytesEqual(m.identityKey, s.o.identityKey));
    if (added.length === 0 && !(removed && !stillMember)) return;
    const epochs = [...g.record.epochs, ...added].sort((a, b) => a.number - b.number || compareBytes(a.opener, b.opener));
    const record: GroupRecord = { ...g.record, epochs, gone: g.record.gone || (removed && !stillMember) };
    await s.collection.put(g.groupId, record);
    g.record = record;
    for (const e of added) {
      const name = { number: e.number, opener: e.opener };
      g.keys.set(epochKey(name), deriveEpochKeys(e.secret, g.groupId, name));
    }
    this.#groupChanged(s, g);
    if (record.gone) {
      this.#updateSubscriptions(s);
      return;
    }
    // blobs that opened under no key we held may be of the new epoch
    const retry = s.unopened.splice(0);
    queueMicrotask(() => {
      for (const u of retry) void this.ingest(g.hex, u.blob, { kind: 'pub', pub: u.pub }).catch(() => undefined);
    });
    this.#kick(s, g);
  }

  // ---------------------------------------------------------------- invites

  /** Whether we may post invites here (admins; members when the genesis lets them). */
  #mayInvite(s: Session, g: GroupState): void {
    const self = this.#memberSelf(s, g);
    if (!self.member || g.record.gone) throw new ApiError('ERR_NOT_FOUND', 'not in that group');
    if (self.role !== 'admin' && !g.roster.membersMayInvite) throw new ApiError('ERR_NOT_ADMIN');
  }

  /** The latest checkpoint (from the re-key that opened the current epoch), or null in epoch 0. */
  #checkpoint(g: GroupState): Checkpoint | null {
    if (g.roster.epoch.number === 0) return null;
    const opener = g.entries.get(toHex(g.roster.epoch.opener));
    if (opener === undefined || opener.roster.action.kind !== 'remove') return null;
    return consumeKeyPackage(opener.roster.action.keyPackage, g.groupId).checkpoint;
  }

  /**
   * Posts an invite entry and builds the invite that carries it. With history, the invite holds
   * every epoch secret we have (up to 256 earlier ones). Without, we first re-key the group to
   * its members as they are (a plain remove-and-re-key: admins only, ERR_NOT_ADMIN otherwise),
   * post the invite entry in that fresh epoch and give only its secret, with the checkpoint's
   * member certificates, so the joiner reads nothing from before and starts its roster there.
   */
  async #makeInvite(s: Session, g: GroupState, o: InviteChoice): Promise<Invite> {
    return this.#serial(g, async () => {
      this.#mayInvite(s, g);
      if (!o.history) {
        if (this.#memberSelf(s, g).role !== 'admin') throw new ApiError('ERR_NOT_ADMIN', 'only an admin can invite without history (it re-keys the group)');
        const keys = g.keys.get(epochKey(g.roster.epoch));
        if (keys === undefined) throw new ApiError('ERR_NOT_FOUND', 'no key for the group\'s current epoch');
        // members locked out of the current epoch hold only the one before it: as the duty
        // re-key does, the re-key is posted under that epoch too, so they can read it
        const previous = g.roster.lockedOut.length > 0 ? g.roster.epochs[g.roster.epochs.length - 2] : undefined;
        const rk = buildRekey(g.roster, { signer: s.o.keys.signing, removed: [] });
        let rekey: Held;
        try {
          rekey = await this.#authorLocked(s, g, keys, rk.content);
        } finally {
          wipe(rk.secret);
        }
        if (previous !== undefined) await this.repostUnder(g.hex, rekey.hex, previous);
      }
      const keys = g.keys.get(epochKey(g.roster.epoch));
      if (keys === undefined) throw new ApiError('ERR_NOT_FOUND', 'no key for the group\'s current epoch');
      const expires = this.#now() + o.expiresInMs;
      const held = await this.#authorLocked(s, g, keys, { kind: 'invite', inviteId: randomBytes(INVITE_ID_BYTES), includesHistory: o.history, expires, uses: o.uses });
      this.#kick(s, g);
      const earlier: EpochSecret[] = o.history
        ? g.record.epochs
            .filter((e) => e.number < keys.epoch.number)
            .map((e) => ({ epoch: { number: e.number, opener: e.opener }, secret: e.secret }))
            .slice(-256)
        : [];
      const checkpoint = this.#checkpoint(g);
      // without history the joiner starts its roster at the checkpoint: it needs each member's certificate
      const certificates = o.history || checkpoint === null
        ? []
        : checkpoint.members.map((m) => g.roster.members.find((x) => bytesEqual(x.identityKey, m.identityKey))!.certificate);
      return createInvite(
        {
          inviteEntry: held.id,
          genesis: g.record.genesis,
          checkpoint,
          current: { epoch: keys.epoch, secret: keys.secret },
          history: earlier,
          certificates,
          name: g.roster.name,
          pubs: g.roster.pubs,
        },
        { development: this.#development },
      );
    });
  }

  /** group/exportInvite: an invite entry (one use and 7 days unless asked otherwise) and its string. */
  async exportInvite(groupId: string, history: boolean, options: { readonly expiresInMs?: number; readonly uses?: number } = {}): Promise<string> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    const choice = { history, expiresInMs: options.expiresInMs ?? INVITE_EXPIRES_DEFAULT_MS, uses: options.uses ?? EXPORT_INVITE_USES };
    return encodeInvite(await this.#makeInvite(s, g, choice), { development: this.#development });
  }

  #parseInvite(text: string): Invite {
    try {
      return consumeInvite(text, { development: this.#development });
    } catch (err) {
      if (isProtocolError(err)) throw new ApiError('ERR_BAD_INVITE');
      throw err;
    }
  }

  /** group/join: the group of an invite, and our join entry citing it. */
  async join(text: string): Promise<string> {
    const s = this.#require();
    const invite = this.#parseInvite(text);
    return this.#joinInvite(s, invite);
  }

  #joinInvite(s: Session, invite: Invite): Promise<string> {
    return this.#serialAll(async () => {
      const groupId = inviteGroupId(invite);
      const hex = toHex(groupId);
      const inviteHex = toHex(invite.inviteEntry);
      const existing = s.groups.get(hex);
      if (existing !== undefined && !existing.record.gone && this.#memberSelf(s, existing).member) {
        await this.#forgetReceived(s, inviteHex);
        return hex;
      }
      const now = this.#now();
      const epochs: StoredEpoch[] = [...invite.history, invite.current]
        .map((e) => ({ number: e.epoch.number, opener: e.epoch.opener.slice(), secret: e.secret.slice() }))
        .sort((a, b) => a.number - b.number || compareBytes(a.opener, b.opener));
      const merged = existing === undefined ? epochs : mergeEpochs(existing.record.epochs, epochs);
      const record: GroupRecord = existing === undefined
        ? { groupId, gone: false, created: now, genesis: invite.genesis, ownSeq: 0, ownLast: ZERO, lastRead: ZERO, epochs: merged }
        : { ...existing.record, gone: false, epochs: merged };
      let g: GroupState;
      if (existing === undefined) {
        const genesisEntry = decodeEntry(invite.genesis);
        const rec: EntryRecord = { own: false, arrival: now, pubs: [], entry: invite.genesis };
        // without history the roster starts at the invite's checkpoint (membership/base.ts)
        const base = rosterBaseOf(invite);
        await s.o.store.batch([
          s.collection.putOp(groupId, record),
          s.entries.putOp(groupScopedId(groupId, groupId), rec),
          ...(base !== null ? [s.bases.putOp(groupId, invite)] : []),
        ]);
        g = this.#newState(record);
        g.base = base;
        s.groups.set(hex, g);
        this.#index(s, g, genesisEntry, groupId, rec, false);
        this.#recompute(s, g);
      } else {
        await s.collection.put(groupId, record);
        g = existing;
        g.record = record;
        for (const e of merged) {
          const name = { number: e.number, opener: e.opener };
          if (!g.keys.has(epochKey(name))) g.keys.set(epochKey(name), deriveEpochKeys(e.secret, groupId, name));
        }
      }
      const keys = g.keys.get(epochKey(invite.current.epoch))!;
      await this.#serial(g, async () => {
        await this.#authorLocked(s, g, keys, { kind: 'join', invite: invite.inviteEntry, certificate: s.o.certificate });
      });
      await this.#forgetReceived(s, inviteHex);
      this.#log('group-joined', {});
      this.#groupChanged(s, g);
      this.#updateSubscriptions(s);
      this.#kick(s, g);
      // blobs seen before we held the key
      const retry = s.unopened.splice(0);
      for (const u of retry) void this.ingest(hex, u.blob, { kind: 'pub', pub: u.pub }).catch(() => undefined);
      this.#readHistory(s, g);
      return hex;
    });
  }

  /** Reads each pub of a group just joined from cursor 0, once, in the background (./history.ts). */
  #readHistory(s: Session, g: GroupState): void {
    const read = s.o.history;
    if (read === undefined) return;
    for (const pub of g.roster.pubs) {
      void read(pub, async (blob) => void (await this.ingest(g.hex, blob, { kind: 'pub', pub })), s.stop.signal).catch((err: unknown) => {
        if (!s.stop.signal.aborted) warn(this.#log, 'group-history-failed', err);
      });
    }
  }

  /** group/invite: an invite entry (one use) for an accepted contact, sent over the peer link. */
  async invitePeer(groupId: string, address: OnionAddress, history: boolean, options: { readonly expiresInMs?: number; readonly uses?: number } = {}): Promise<void> {
    const s = this.#require();
    const g = this.#group(s, groupId);
    if (!s.o.peers.isAccepted(address)) throw new ApiError('ERR_NOT_CONTACT');
    const invite = await this.#makeInvite(s, g, { history, expiresInMs: options.expiresInMs ?? INVITE_EXPIRES_DEFAULT_MS, uses: options.uses ?? PEER_INVITE_USES });
    const bytes = encodeInviteBytes(invite, { development: this.#development });
    // a history-less invite to a large group (its certificates) may not fit one peer frame
    if (bytes.length > GROUP_INVITE_FRAME_MAX_BYTES) throw new ApiError('ERR_TOO_LONG', 'the invite does not fit a peer frame: export it as a string');
    const record: PeerInviteRecord = { peer: publicKeyOf(address), at: this.#now(), invite: bytes };
    await s.invitesOut.put(invite.inviteEntry, record);
    s.sent.set(toHex(invite.inviteEntry), record);
    this.#sendInvite(s, toHex(invite.inviteEntry), record);
  }

  #sendInvite(s: Session, _hex: string, r: PeerInviteRecord): void {
    const to = onionAddressFromPublicKey(r.peer);
    if (!s.o.peers.isOnline(to)) return;
    s.o.peers.sendFrame(to, { type: 'group-invite', invite: r.invite });
  }

  #resendInvites(): void {
    const s = this.#s;
    if (s === null) return;
    for (const [hex, r] of s.sent) this.#sendInvite(s, hex, r);
  }

  /** A contact's link came up: send it the invites it has not acknowledged. */
  linkUp(address: OnionAddress): void {
    const s = this.#s;
    if (s === null) return;
    for (const [hex, r] of s.sent) if (onionAddressFromPublicKey(r.peer) === address) this.#sendInvite(s, hex, r);
  }

  /**
   * A group frame from an accepted contact (routed by the contacts service): an invite is kept
   * durably and then acknowledged; an acknowledgement ends the resending. Anything that does not
   * check out is dropped quietly.
   */
  async frameReceived(from: OnionAddress, frame: PeerFrame): Promise<PeerFrame | null> {
    const s = this.#s;
    if (s === null) return null;
    if (frame.type === 'group-invite-ack') {
      const hex = toHex(frame.inviteEntry);
      const r = s.sent.get(hex);
      if (r === undefined || onionAddressFromPublicKey(r.peer) !== from) return null;
      await s.invitesOut.del(frame.inviteEntry);
      s.sent.delete(hex);
      return null;
    }
    if (frame.type !== 'group-invite') return null;
    let invite: Invite;
    try {
      invite = consumeInviteBytes(frame.invite, { development: this.#development });
    } catch {
      this.#log('group-invite-refused', { level: 'debug' });
      return null;
    }
    const hex = toHex(invite.inviteEntry);
    const ack: PeerFrame = { type: 'group-invite-ack', inviteEntry: invite.inviteEntry };
    const g = s.groups.get(toHex(inviteGroupId(invite)));
    if (s.received.has(hex) || (g !== undefined && !g.record.gone && this.#memberSelf(s, g).member)) return ack;
    return this.#serialAll(async () => {
      if (s.received.size >= RECEIVED_INVITES_MAX) {
        const oldest = [...s.received.entries()].reduce((a, b) => (b[1].at < a[1].at ? b : a));
        await s.invitesIn.del(fromHex(oldest[0]));
        s.received.delete(oldest[0]);
      }
      const record: PeerInviteRecord = { peer: publicKeyOf(from), at: this.#now(), invite: frame.invite };
      await s.invitesIn.put(invite.inviteEntry, record);
      s.received.set(hex, record);
      this.#notify(s, 'group/didInvite', { invite: this.#receivedView(hex, record) });
      return ack;
    });
  }

  #receivedView(_hex: string, r: PeerInviteRecord) {
    const invite = decodeInviteBytes(r.invite, { development: this.#development });
    return {
      from: onionAddressFromPublicKey(r.peer),
      name: invite.name,
      invite: encodeInvite(invite, { development: this.#development }),
      groupId: toHex(inviteGroupId(invite)),
      received: r.at,
    };
  }

  /** group/invites: received over peer links, not yet joined or declined, oldest first. */
  invites(): Array<ReturnType<GroupsService['receivedInviteView']>> {
    const s = this.#require();
    return [...s.received.entries()].sort((a, b) => a[1].at - b[1].at).map(([hex, r]) => this.#receivedView(hex, r));
  }

  receivedInviteView(hex: string) {
    const s = this.#require();
    const r = s.received.get(hex);
    if (r === undefined) throw new ApiError('ERR_NOT_FOUND');
    return this.#receivedView(hex, r);
  }

  /** group/decline: forgets a received invite. */
  async decline(text: string): Promise<void> {
    const s = this.#require();
    let invite: Invite;
    try {
      invite = decodeInvite(text, { development: this.#development });
    } catch {
      throw new ApiError('ERR_BAD_INVITE');
    }
    const hex = toHex(invite.inviteEntry);
    if (!s.received.has(hex)) throw new ApiError('ERR_NOT_FOUND', 'no such invite');
    await this.#serialAll(() => this.#forgetReceived(s, hex));
  }

  async #forgetReceived(s: Session, hex: string): Promise<void> {
    if (!s.received.has(hex)) return;
    await s.invitesIn.del(fromHex(hex));
    s.received.delete(hex);
  }

  /** How many entries this daemon holds across groups (logs and benches). */
  get entryCount(): number {
    const s = this.#s;
    if (s === null) return 0;
    let n = 0;
    for (const g of s.groups.values()) n += g.entries.size;
    return n;
  }
}

function mergeEpochs(a: readonly StoredEpoch[], b: readonly StoredEpoch[]): StoredEpoch[] {
  const out = new Map<string, StoredEpoch>();
  for (const e of [...a, ...b]) if (!out.has(epochKey(e))) out.set(epochKey(e), e);
  return [...out.values()].sort((x, y) => x.number - y.number || compareBytes(x.opener, y.opener));
}

function publicKeyOf(address: OnionAddress): Uint8Array {
  return publicKeyFromOnionAddress(address);
}
