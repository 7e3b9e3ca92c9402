/**
 * GroupSync: members fill each other's gaps over peer links, and repair the pubs. Open while
 * the profile is unlocked, beside the groups service (daemon/groups/), whose extension points it
 * uses: chainEntries (the log's chain metadata), syncBlob, entryBlob and entryEncoding, epochKeys, and
 * ingest, the one verify-and-store path, for everything a peer sends.
 *
 * Peer sync (docs/peer-protocol.md section 8; the protocol is protocol/sync/session.ts):
 * - For every link to a contact who is a member of a group this profile is in (by the group's
 *   roster), one SyncSession per (contact, group), with the per-peer state (request skipping)
 *   kept durably in SYNC_PEERS_NAMESPACE. On link up each session sends its notes. A contact
 *   whose join has not reached me yet, sending sync frames of a group I am in, gets a session
 *   on probation: it reveals nothing and asks only for what the contact's notes name, so its
 *   join can arrive this way; once the roster names it, the session is promoted.
 * - Frames from a peer are handled one at a time, in arrival order (parts reassembled per link);
 *   a frame's blobs go through `groups.ingestRun(groupId, blobs, {kind: 'peer'})` (one synced
 *   batch, each blob verified on its own) before the next frame, so
 *   nothing corrupt is stored (what does not verify is dropped there).
 * - The log is looked at every SYNC_POLL_MS: when it changed (from a pub, a peer or the user),
 *   every session sends notes of what moved and asks for what it lacks.
 * - Back-fill is bounded (protocol/sync/backfill.ts); claims nobody could fill are kept per
 *   group (`report`) and logged.
 * - Member links (docs/peer-protocol.md "Member links"): with members of a group who are not
 *   contacts, over links of their own (the link manager's dialMember / MemberLinkHandler). One
 *   is accepted only from a member of the group's current roster whose SYNC_LINK proves, for
 *   this link, one or more epochs whose secret I hold (protocol/sync/link.ts); it carries that
 *   group's sync only, its notes and answers limited to entries of the epochs the peer proved and
 *   re-keys sealed to it (its state is per link, never stored); anything else ends it quietly;
 *   key requests are answered with re-keys sealed again under an epoch the peer holds. Both sides prove
 *   again when they gain an epoch (a missed re-key arrives over the link), widening it. With
 *   peer sync of the group on, a member dials up to MEMBER_DIALS_PER_GROUP members who are not
 *   contacts while the group has open gaps or no live pub; off, its member links close.
 *
 * Tamper evidence: forks and broken links found in the chain metadata become equivocation and
 * broken-chain evidence (protocol/sync/evidence.ts) built from the stored entries; blobs the
 * ingest refused after they opened under a group key become foreign-entry evidence
 * (`refusedBlob`, foreign-entry.ts; from pubs through pub-evidence.ts refusalSink, from peers
 * here); what the pub links saw of a pub's cursors becomes pub-order evidence (`pubFault`,
 * pub-evidence.ts watchPubOrder). All are kept durably in SYNC_EVIDENCE_NAMESPACE; all but
 * pub-order (an observation no key confirms) are passed once to every peer of the group (on a
 * member link, only evidence of epochs the peer proved); evidence a peer passes is kept when the
 * group's keys verify it, and passed on.
 *
 * A group joined without history (a roster base) counts each author's chain from a floor, the
 * lowest seq held of it (#floors): nothing below is a gap, and the notes claim the chain from there.
 *
 * In the local API (through GroupsService.attachSync / syncChanged): each poll, and whenever
 * evidence is kept, a group's marks (open gap ranges, cited ids not held, claims given up, evidence count,
 * equivocators) are recomputed if the log or the evidence changed; when they differ from what
 * was last told, the groups service emits group/didChange (with the evidence's kind and author
 * when evidence was just kept). group/list and message/list's gap items read the last marks.
 *
 * Pub repair, per (group, pub) whose link is live:
 * - an entry held for REPAIR_SETTLE_MS that the pub never served (nor accepted) is re-posted
 *   to it, its original blob byte for byte, each post after a random pause of
 *   REPAIR_JITTER_MIN_MS..REPAIR_JITTER_MAX_MS, on a posting connection of its own
 *   (GroupPubLinks.post with a repair group key, so not the group's usual one), at most
 *   REPAIR_ATTEMPTS_MAX times per (entry, pub);
 * - every `probeMs` one held entry the pub did serve is posted again: an answer that it was new
 *   (not a duplicate) means the pub lost its store (or pruned it), and every entry of the group is
 *   re-posted to it the same way (the pub dedupes what it still holds).
 */
import { bytesEqual, compareBytes, fromHex, toHex } from '../../protocol/bytes.js';
import { decodeEntry, entryId } from '../../protocol/entry.js';
import { sealBlob } from '../../protocol/blob.js';
import { consumeKeyPackage } from '../../protocol/key-package.js';
import { labelledHash } from '../../protocol/crypto.js';
import { isProtocolError } from '../../protocol/errors.js';
import { onionAddressFromPublicKey, publicKeyFromOnionAddress, type OnionAddress } from '../../protocol/identity.js';
import type { PeerFrame } from '../../protocol/peer/wire.js';
import { authorHexer, computeSummary, createSummary, type Summary } from '../../protocol/summary.js';
import { ANSWER_BLOBS_MAX, BackfillPlanner, WANT_SEQS_MAX, type UnfillableClaim, type Want } from '../../protocol/sync/backfill.js';
import {
  createBrokenChainEvidence,
  createEquivocationEvidence,
  createPubOrderEvidence,
  decodeEvidence,
  encodeEvidence,
  evidenceKey,
  evidenceSubject,
  verifyEvidence,
  type Evidence,
} from '../../protocol/sync/evidence.js';
import { SyncPartAssembler, syncFrames, type SyncFrame, type SyncLinkFrame } from '../../protocol/sync/frames.js';
import { findGaps, type ChainMeta, type GapReport } from '../../protocol/sync/gaps.js';
import { decodePeerSyncState, encodePeerSyncState, newPeerSyncState, type PeerSyncState } from '../../protocol/sync/notes.js';
import { groupOf, SyncSession, type SyncLogView } from '../../protocol/sync/session.js';
import { createSyncLinkProofs, matchSyncLinkProofs, syncLinkKey, SYNC_LINK_PROOFS_MAX } from '../../protocol/sync/link.js';
import type { EpochKeys } from '../../protocol/group.js';
import type { MemberLink, MemberLinkDialer, MemberLinkHandler, MemberLinkSink } from '../peer-links/members.js';
import type { GroupPubLinks } from '../group-pubs/types.js';
import { NO_SYNC_MARKS, type SyncMarks } from '../groups/items.js';
import type { GroupsService } from '../groups/service.js';
import type { Log } from '../log.js';
import type { Collection, RecordStore } from '../store/store.js';
import {
  MEMBER_ANSWER_TIMEOUT_MS,
  MEMBER_DIAL_BACKOFF_MAX_MS,
  MEMBER_DIAL_BACKOFF_MS,
  MEMBER_DIALS_PER_GROUP,
  MEMBER_LINKS_PER_GROUP,
  MEMBER_IDLE_CLOSE_MS,
  MEMBER_PUB_DEAD_MS,
  PEER_QUEUE_MAX,
  REPAIR_ATTEMPTS_MAX,
  REPAIR_JITTER_MAX_MS,
  REPAIR_JITTER_MIN_MS,
  REPAIR_PROBE_MS,
  REPAIR_QUEUE_MAX,
  REPAIR_SETTLE_MS,
  SYNC_EVIDENCE_NAMESPACE,
  SYNC_PEERS_NAMESPACE,
  SYNC_POLL_MS,
  SYNC_SETTINGS_NAMESPACE,
} from './constants.js';
import { GroupSyncError, GroupSyncErrorCode } from './errors.js';
import { FOREIGN_EVIDENCE_MAX, findForeignEntry } from './foreign-entry.js';
import type { PubOrderObservation } from '../../protocol/sync/pub-watch.js';

/** What group sync needs of the peer links (the contacts service in the daemon). */
export interface SyncLinks {
  /** True while an accepted contact's link is up. */
  isOnline(address: OnionAddress): boolean;
  /** True for an accepted contact (sync runs on its link; no member link is dialled to it). None: every address counts as one. */
  isAccepted?(address: OnionAddress): boolean;
  /** Sends a frame on the contact's link; false when none is up. */
  sendFrame(address: OnionAddress, frame: PeerFrame): boolean;
}

export interface GroupSyncComponents {
  readonly groups: GroupsService;
  readonly log: Log;
}

export interface GroupSyncInit {
  readonly pollMs?: number;
  readonly repairSettleMs?: number;
  readonly repairJitterMinMs?: number;
  readonly repairJitterMaxMs?: number;
  /** How often each live (group, pub) is probed for a lost store (ms); 0: never. */
  readonly probeMs?: number;
  readonly now?: () => number;
}

export interface OpenGroupSync {
  readonly store: RecordStore;
  /** This profile's identity key (the roster names members by it). */
  readonly identityKey: Uint8Array;
  readonly links: SyncLinks;
  /** Where repairs are posted; null: no repair. */
  readonly pubs: GroupPubLinks | null;
  /** Dials member links (the link manager); none: no member link is dialled. */
  readonly members?: MemberLinkDialer | null;
}

/** What `report` says of one group. */
export interface SyncReport {
  /** Known gaps: per author (hex signing key), the missing seq ranges. */
  readonly gaps: readonly { readonly author: string; readonly from: number; readonly to: number }[];
  /** Ids cited by held entries and not held. */
  readonly missingIds: readonly string[];
  /** Claims back-fill gave up on, against their authors. */
  readonly unfillable: readonly UnfillableClaim[];
  readonly evidence: readonly Evidence[];
  /** Authors (hex signing keys) proven to have equivocated or broken their chain. */
  readonly equivocators: readonly string[];
  /** Repair posts made so far, per pub. */
  readonly repaired: Readonly<Record<string, number>>;
}

const evidenceCodec = { what: 'sync evidence', encode: encodeEvidence, decode: decodeEvidence };
const stateCodec = { what: 'peer sync state', encode: encodePeerSyncState, decode: decodePeerSyncState };

/** This member's own sync settings of one group (group/setSettings). */
interface SyncSettings {
  readonly peerSync: boolean;
}
const SETTINGS_VERSION = 0x01;
const SETTINGS_PEER_SYNC_OFF = 0x01;
const settingsCodec = {
  what: 'group sync settings',
  encode: (v: SyncSettings): Uint8Array => Uint8Array.of(SETTINGS_VERSION, v.peerSync ? 0 : SETTINGS_PEER_SYNC_OFF),
  decode: (b: Uint8Array): SyncSettings => {
    if (b.length !== 2 || b[0] !== SETTINGS_VERSION || (b[1]! & ~SETTINGS_PEER_SYNC_OFF) !== 0) throw new TypeError('group sync settings');
    return { peerSync: (b[1]! & SETTINGS_PEER_SYNC_OFF) === 0 };
  },
};

interface Meta extends ChainMeta {
  readonly hex: string;
  readonly epoch: { readonly number: number; readonly opener: Uint8Array };
  readonly pubs: readonly string[];
  readonly arrival: number;
  readonly own: boolean;
}

/** One group's view of its log, rebuilt when the log changed. */
interface GroupState {
  readonly hex: string;
  readonly groupId: Uint8Array;
  readonly planner: BackfillPlanner;
  version: number;
  metas: Meta[];
  byId: Map<string, Meta>;
  bySeq: Map<string, Meta[]>;
  summary: Summary;
  gaps: GapReport;
  /** Where each author's chain counts from, for a group joined without history (#floors). */
  floors: Map<string, number> | undefined;
  readonly evidence: Map<string, Evidence>;
  /** Ids of the entries kept evidence carries, with their author. */
  readonly evidenceIds: Map<string, { readonly id: Uint8Array; readonly author: Uint8Array }>;
  readonly repair: Map<string, RepairState>;
  readonly repaired: Record<string, number>;
  /** The marks last told to the groups service (markSignature), to tell only changes. */
  lastMarks: string;
  /** What the API shows, as of the last poll (or evidence kept), and what it was computed from. */
  marks: SyncMarks;
  marksOf: string;
  /** When a pub link of the group was last seen live (or the state was made): member links are dialled once it is long ago. */
  pubLiveAt: number;
  /** When member links of the group were last needed (open gaps or no live pub): links I dialled close MEMBER_IDLE_CLOSE_MS after. */
  membersNeededAt: number;
}

interface RepairState {
  readonly queue: string[];
  readonly queued: Set<string>;
  readonly attempts: Map<string, number>;
  running: boolean;
  lastProbe: number;
}

interface PeerState {
  readonly address: OnionAddress;
  readonly key: Uint8Array;
  /** The planner's name of the peer (contacts: the address; member links: `m:` and the address). */
  readonly name: string;
  /** null: a contact's link; otherwise a member link and what it may carry. */
  readonly member: MemberPeer | null;
  readonly sessions: Map<string, SyncSession>;
  readonly assembler: SyncPartAssembler;
  readonly evidenceSent: Set<string>;
  queue: Promise<void>;
  waiting: number;
}

/** A member link's peer (docs/peer-protocol.md "Member links"). */
interface MemberPeer {
  readonly link: MemberLink;
  /** The one group the link carries. */
  readonly hex: string;
  /** The epochs (epochName) the peer proved on this link: its notes and answers show their entries (and `rekeys`). */
  readonly proven: Set<string>;
  /** Every proof the peer sent on this link, checked again when my keys change. */
  readonly proofs: Uint8Array[];
  /** My epochs (epochSignature) as last proved on this link. */
  sent: string;
  /** False until the dialler has the listener's answer. */
  ready: boolean;
  /** The notes' summary of the proven epochs, and what it was computed from. */
  view: { readonly of: string; readonly summary: Summary } | null;
  /** SYNC_KEY_WANTs answered on this link (at most MEMBER_KEY_WANTS_MAX). */
  keyWants: number;
  /** Ids (hex) of the roster's re-keys whose key package names the peer, and the roster epochs they were found in. */
  readonly rekeys: Set<string>;
  rekeysOf: string;
}

/** Key requests answered per member link; epochs asked for per (link, epoch set). */
const MEMBER_KEY_WANTS_MAX = 64;
const KEY_WANTS_PER_ASK = 4;

/** The most proofs kept per member link (a peer widening it again and again ends it). */
const MEMBER_PROOFS_KEPT_MAX = 4 * SYNC_LINK_PROOFS_MAX;

function epochName(e: { readonly number: number; readonly opener: Uint8Array }): string {
  return `${e.number}:${toHex(e.opener)}`;
}

function epochSignature(keys: readonly EpochKeys[]): string {
  return keys.map((k) => epochName(k.epoch)).sort().join(',');
}

interface Session {
  readonly o: OpenGroupSync;
  readonly states: Collection<PeerSyncState>;
  readonly evidenceStore: Collection<Evidence>;
  readonly settings: Collection<SyncSettings>;
  /** Groups (hex id) whose peer sync this member turned off. */
  readonly peerSyncOff: Set<string>;
  readonly groups: Map<string, GroupState>;
  readonly peers: Map<OnionAddress, PeerState>;
  /** Member links up (docs/peer-protocol.md "Member links"). */
  readonly members: Map<MemberLink, PeerState>;
  /** Member dials in flight, and failed members' backoff, by `groupHex:address`. */
  readonly dialing: Set<string>;
  readonly dialBackoff: Map<string, { failures: number; notBefore: number }>;
  readonly ownAddress: OnionAddress;
  readonly stop: AbortController;
  readonly timer: NodeJS.Timeout;
  lastCount: number;
  ticking: boolean;
}

function stateId(peerKey: Uint8Array, groupId: Uint8Array): Uint8Array {
  const id = new Uint8Array(64);
  id.set(peerKey, 0);
  id.set(groupId, 32);
  return id;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class GroupSync {
  readonly #groups: GroupsService;
  readonly #log: Log;
  readonly #pollMs: number;
  readonly #settleMs: number;
  readonly #jitter: readonly [number, number];
  readonly #probeMs: number;
  readonly #now: () => number;
  #s: Session | null = null;

  constructor(components: GroupSyncComponents, init: GroupSyncInit = {}) {
    this.#groups = components.groups;
    this.#log = components.log;
    this.#pollMs = init.pollMs ?? SYNC_POLL_MS;
    this.#settleMs = init.repairSettleMs ?? REPAIR_SETTLE_MS;
    this.#jitter = [init.repairJitterMinMs ?? REPAIR_JITTER_MIN_MS, init.repairJitterMaxMs ?? REPAIR_JITTER_MAX_MS];
    this.#probeMs = init.probeMs ?? REPAIR_PROBE_MS;
    this.#now = init.now ?? Date.now;
  }

  get isOpen(): boolean {
    return this.#s !== null;
  }

  // ---------------------------------------------------------------- lifecycle

  async open(o: OpenGroupSync): Promise<void> {
    await this.close();
    const stop = new AbortController();
    const s: Session = {
      o,
      states: o.store.collection(SYNC_PEERS_NAMESPACE, stateCodec),
      evidenceStore: o.store.collection(SYNC_EVIDENCE_NAMESPACE, evidenceCodec),
      settings: o.store.collection(SYNC_SETTINGS_NAMESPACE, settingsCodec),
      peerSyncOff: new Set(),
      groups: new Map(),
      peers: new Map(),
      members: new Map(),
      dialing: new Set(),
      dialBackoff: new Map(),
      ownAddress: onionAddressFromPublicKey(o.identityKey),
      stop,
      timer: setInterval(() => void this.#tick(), this.#pollMs),
      lastCount: -1,
      ticking: false,
    };
    s.timer.unref();
    this.#s = s;
    this.#groups.attachSync((groupId) => this.marks(groupId));
    for await (const { id, value } of s.settings.iterate()) if (!value.peerSync) s.peerSyncOff.add(toHex(id));
    for await (const { value } of s.evidenceStore.iterate()) {
      const g = this.#groupState(s, toHex(value.groupId));
      if (g !== null) {
        g.evidence.set(evidenceKey(value), value);
        this.#noteEvidenceIds(g, value);
      }
    }
  }

  async close(): Promise<void> {
    const s = this.#s;
    if (s === null) return;
    this.#s = null;
    this.#groups.attachSync(null);
    clearInterval(s.timer);
    s.stop.abort(new GroupSyncError(GroupSyncErrorCode.CLOSED, 'group sync closed'));
    for (const p of s.peers.values()) {
      await p.queue.catch(() => undefined);
      for (const session of p.sessions.values()) session.close();
      await this.#saveStates(s, p).catch(() => undefined);
    }
    s.peers.clear();
    for (const p of s.members.values()) {
      p.member!.link.close();
      for (const session of p.sessions.values()) session.close();
    }
    s.members.clear();
  }

  // ---------------------------------------------------------------- the log, per group

  #groupState(s: Session, hex: string): GroupState | null {
    let g = s.groups.get(hex);
    if (g !== undefined) return g;
    if (!this.#groups.isOpen || !this.#groups.list().some((v) => v.groupId === hex)) return null;
    const groupId = fromHex(hex);
    g = {
      hex,
      groupId,
      planner: new BackfillPlanner(),
      version: -1,
      metas: [],
      byId: new Map(),
      bySeq: new Map(),
      summary: computeSummary(groupId, []),
      gaps: findGaps(groupId, []),
      floors: undefined,
      evidence: new Map(),
      evidenceIds: new Map(),
      repair: new Map(),
      repaired: {},
      lastMarks: markSignature(NO_SYNC_MARKS),
      marks: NO_SYNC_MARKS,
      marksOf: '',
      pubLiveAt: this.#now(),
      membersNeededAt: 0,
    };
    s.groups.set(hex, g);
    return g;
  }

  /** Rebuilds the group's view when the log changed since it was built. */
  #fresh(g: GroupState): GroupState {
    const version = this.#groups.entryCount;
    if (g.version === version) return g;
    const metas: Meta[] = this.#groups.chainEntries(g.hex);
    const authorHex = authorHexer();
    g.metas = metas;
    g.byId = new Map(metas.map((m) => [m.hex, m]));
    g.bySeq = new Map();
    for (const m of metas) {
      const k = `${authorHex(m.author)}:${m.seq}`;
      const list = g.bySeq.get(k);
      if (list === undefined) g.bySeq.set(k, [m]);
      else list.push(m);
    }
    const based = this.#floors(metas, g.hex);
    const floors = based?.floors;
    g.floors = floors;
    let gaps = findGaps(g.groupId, metas, floors);
    // the summary is the gaps' contiguous positions (findGaps computes it with the same floors)
    g.summary = createSummary(
      g.groupId,
      gaps.authors.filter((a) => a.contiguousId !== null).map((a) => ({ author: a.author, seq: a.contiguous, id: a.contiguousId! })),
    );
    if (based !== undefined) {
      // an entry of the base's epoch may cite the last entries of the epoch before, which we
      // cannot open: an id cited only from there is not one we lack
      const citedFromLater = (m: { citedBy: readonly Uint8Array[] }) => m.citedBy.some((id) => (g.byId.get(toHex(id))?.epoch.number ?? based.base) > based.base);
      gaps = { ...gaps, missingIds: gaps.missingIds.filter(citedFromLater) };
    }
    // Entries that evidence names and this log lacks (the other half of a fork shown to
    // someone else) are asked for like any cited id, so both halves reach every member.
    const extra = [...g.evidenceIds.values()].filter((e) => !g.byId.has(toHex(e.id)) && !gaps.missingIds.some((m) => bytesEqual(m.id, e.id)));
    g.gaps = extra.length === 0 ? gaps : { ...gaps, missingIds: [...gaps.missingIds, ...extra.map((e) => ({ id: e.id, citedBy: [], citers: [e.author] }))].sort((x, y) => compareBytes(x.id, y.id)) };
    g.version = version;
    return g;
  }

  /**
   * Where each author's chain counts from, for a group we joined without history (docs/groups.md,
   * "Roster from a base"): the lowest seq we hold of it, the genesis aside. We hold nothing of
   * the epochs before the base's but the re-keys sealed to us, and cannot tell an author's
   * entries of those from entries of the base's epoch that reach us later than one after them,
   * so neither is a gap and our notes claim the chain from there; an author we hold nothing of
   * opens at 1.
   * Undefined for a group held from the genesis.
   */
  #floors(metas: readonly Meta[], hex: string): { readonly base: number; readonly floors: Map<string, number> } | undefined {
    let base: number | null;
    try {
      base = this.#groups.baseEpoch(hex);
    } catch {
      return undefined;
    }
    if (base === null) return undefined;
    const floors = new Map<string, number>();
    const authorHex = authorHexer();
    for (const m of metas) {
      if (m.hex === hex) continue; // the genesis, which the invite gave us
      const a = authorHex(m.author);
      const f = floors.get(a);
      if (f === undefined || m.seq < f) floors.set(a, m.seq);
    }
    return { base, floors };
  }

  #view(g: GroupState): SyncLogView {
    return {
      summary: () => this.#fresh(g).summary,
      gaps: () => this.#fresh(g).gaps,
      holds: (author, seq, id) => {
        const m = this.#fresh(g).byId.get(toHex(id));
        return m !== undefined && m.seq === seq && bytesEqual(m.author, author);
      },
    };
  }

  /** What a member link's session shows of the log: notes of the entries it may show (#mayShow) only. */
  #memberView(g: GroupState, mp: MemberPeer): SyncLogView {
    const full = this.#view(g);
    return {
      ...full,
      summary: () => {
        this.#fresh(g);
        const of = `${g.version}:${[...mp.proven].sort().join(',')}:${mp.rekeys.size}`;
        if (mp.view?.of !== of) mp.view = { of, summary: computeSummary(g.groupId, ...this.#shown(g, mp)) };
        return mp.view.summary;
      },
    };
  }

  /**
   * The entries a member link may show (#mayShow), and where each author's chain counts from in
   * what it shows: an author some of whose entries it may not show (of epochs the peer has not
   * proven: it joined without history) counts from the lowest seq shown, so the notes claim the
   * chain the peer can open and it asks for the rest of it.
   */
  #shown(g: GroupState, mp: MemberPeer): [Meta[], Map<string, number> | undefined] {
    const shown: Meta[] = [];
    const hidden = new Set<string>();
    const authorHex = authorHexer();
    for (const m of g.metas) {
      if (this.#mayShow(mp, m)) shown.push(m);
      else hidden.add(authorHex(m.author));
    }
    if (hidden.size === 0) return [shown, g.floors];
    const floors = new Map(g.floors ?? []);
    const lowest = new Map<string, number>();
    for (const m of shown) {
      const a = authorHex(m.author);
      if (hidden.has(a) && m.seq < (lowest.get(a) ?? Infinity)) lowest.set(a, m.seq);
    }
    for (const [a, seq] of lowest) floors.set(a, Math.max(seq, floors.get(a) ?? 1));
    return [shown, floors];
  }

  /** The members of the group's roster other than me (none when the roster is not to be had). */
  #others(s: Session, hex: string): { readonly identityKey: Uint8Array; readonly address: OnionAddress }[] {
    try {
      return this.#groups
        .roster(hex)
        .members.filter((m) => !bytesEqual(m.identityKey, s.o.identityKey))
        .map((m) => ({ identityKey: m.identityKey, address: onionAddressFromPublicKey(m.identityKey) }));
    } catch {
      return [];
    }
  }

  /** Members of the group other than me, by identity key (hex). */
  #isMember(hex: string, identityKey: Uint8Array): boolean {
    try {
      return this.#groups.roster(hex).members.some((m) => bytesEqual(m.identityKey, identityKey));
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- peers

  /** A contact's link came up or went down (the contacts service tells). */
  linkChanged(address: OnionAddress, online: boolean): void {
    const s = this.#s;
    if (s === null) return;
    this.#log('group-sync-link', { level: 'debug', online });
    const existing = s.peers.get(address);
    if (!online) {
      if (existing === undefined) return;
      s.peers.delete(address);
      void existing.queue.then(async () => {
        for (const session of existing.sessions.values()) session.close();
        await this.#saveStates(s, existing);
      }).catch((err: unknown) => this.#warn('group-sync-save-failed', err));
      return;
    }
    let key: Uint8Array;
    try {
      key = publicKeyFromOnionAddress(address);
    } catch {
      return;
    }
    if (existing !== undefined) s.peers.delete(address);
    const p: PeerState = { address, key, name: address, member: null, sessions: new Map(), assembler: new SyncPartAssembler(), evidenceSent: new Set(), queue: Promise.resolve(), waiting: 0 };
    s.peers.set(address, p);
    this.#enqueue(s, p, () => this.#startSessions(s, p));
  }

  #enqueue(s: Session, p: PeerState, op: () => Promise<void>): void {
    p.waiting++;
    p.queue = p.queue
      .then(() => (this.#s === s && (p.member === null ? s.peers.get(p.address) === p : s.members.get(p.member.link) === p) ? op() : undefined))
      .catch((err: unknown) => this.#warn('group-sync-frame-failed', err))
      .finally(() => {
        p.waiting--;
      });
  }

  /**
   * Opens a session for every group shared with the peer that has none yet, and starts it; with
   * `probation` (a sync frame of a group whose roster does not name the peer yet), one on
   * probation for that group (protocol/sync/session.ts). Promotes sessions whose peer the roster
   * now names.
   */
  async #startSessions(s: Session, p: PeerState, probation: string | null = null): Promise<void> {
    if (!this.#groups.isOpen) return;
    for (const v of this.#groups.list()) {
      if (s.peerSyncOff.has(v.groupId)) continue; // this member turned peer sync off for the group
      const member = this.#isMember(v.groupId, p.key);
      const existing = p.sessions.get(v.groupId);
      if (existing !== undefined) {
        if (existing.probation && member) {
          this.#send(s, p, existing.promote());
          this.#sendEvidence(s, p, this.#groupState(s, v.groupId)!);
        }
        continue;
      }
      if (!member && probation !== v.groupId) continue;
      const g = this.#groupState(s, v.groupId);
      if (g === null) continue;
      const stored = await s.states.get(stateId(p.key, g.groupId)).catch(() => undefined);
      const state = stored !== undefined && bytesEqual(stored.groupId, g.groupId) ? stored : newPeerSyncState(g.groupId);
      const session = new SyncSession(g.groupId, p.address, state, g.planner, this.#view(g), { probation: !member });
      this.#log('group-sync-session', { level: 'debug', probation: !member });
      p.sessions.set(v.groupId, session);
      this.#send(s, p, session.start());
      if (member) this.#sendEvidence(s, p, g);
    }
  }

  /**
   * group/setSettings: turns this member's peer sync of group `groupId` (hex) on or off, durably.
   * Off, the group's sessions on links already up end at once and no new ones start (frames of
   * the group from peers are then dropped quietly); on again, sessions start on every link.
   */
  async setPeerSync(groupId: string, on: boolean): Promise<void> {
    const s = this.#s;
    if (s === null) throw new GroupSyncError(GroupSyncErrorCode.CLOSED, 'group sync closed');
    await s.settings.put(fromHex(groupId), { peerSync: on });
    if (!on) {
      s.peerSyncOff.add(groupId);
      for (const p of s.peers.values()) p.sessions.delete(groupId);
      for (const p of s.members.values()) if (p.member!.hex === groupId) p.member!.link.close();
      return;
    }
    s.peerSyncOff.delete(groupId);
    for (const p of s.peers.values()) this.#enqueue(s, p, () => this.#startSessions(s, p));
  }

  async #saveStates(s: Session, p: PeerState): Promise<void> {
    if (p.member !== null) return; // a member link's state is its own, never stored
    for (const session of p.sessions.values()) await s.states.put(stateId(p.key, session.groupId), session.state);
  }

  #send(s: Session, p: PeerState, frames: readonly SyncFrame[]): void {
    if (p.member !== null) {
      for (const f of frames) if (!p.member.link.send(f)) return;
      return;
    }
    for (const f of frames) if (!s.o.links.sendFrame(p.address, f)) return;
  }

  /** A sync frame from a contact (routed by the contacts service). Handled in arrival order. */
  frameReceived(address: OnionAddress, frame: SyncFrame): void {
    const s = this.#s;
    if (s === null) return;
    let p = s.peers.get(address);
    if (p === undefined) {
      // A link that came up before group sync was attached (unlock brings links up first).
      if (!s.o.links.isOnline(address)) return;
      this.linkChanged(address, true);
      p = s.peers.get(address);
      if (p === undefined) return;
    }
    if (p.waiting >= PEER_QUEUE_MAX) {
      this.#log('group-sync-overrun', { level: 'warn' });
      return;
    }
    this.#enqueue(s, p, () => this.#handle(s, p, frame));
  }

  async #handle(s: Session, p: PeerState, frame: SyncFrame): Promise<void> {
    if (p.member !== null && !p.member.ready) return;
    let whole: SyncFrame | null = frame;
    if (frame.type === 'sync-part') {
      try {
        whole = p.assembler.push(frame);
      } catch {
        this.#log('group-sync-bad-part', { level: 'debug' });
        return;
      }
      if (whole === null) return;
    }
    if (whole.type === 'sync-part' || whole.type === 'sync-link') return;
    const hex = toHex(groupOf(whole));
    let session = p.sessions.get(hex);
    if (session === undefined && p.member !== null) return; // a member link carries its one group only
    if (session === undefined) {
      await this.#startSessions(s, p, hex); // a group shared since the link came up, or on probation
      session = p.sessions.get(hex);
      if (session === undefined) return; // not a group we share: ignored
    }
    const g = this.#groupState(s, hex)!;
    let actions;
    try {
      actions = session.receive(whole);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      this.#log('group-sync-refused', { level: 'debug', code: err.code });
      return;
    }
    // one run (one synced batch) per frame's blobs, each verified on its own
    const results = actions.ingest.length === 0 ? [] : await this.#groups.ingestRun(hex, actions.ingest, { kind: 'peer', address: p.address });
    for (const [i, r] of results.entries()) {
      if (r.status === 'invalid') this.refusedBlob(actions.ingest[i]!, { groupId: hex }); // evidence hook (foreign-entry.ts)
      if (r.status === 'invalid' || r.status === 'foreign') this.#log('group-sync-blob-refused', { level: 'debug' });
    }
    for (const want of actions.wants) this.#send(s, p, session.answer(want.requestId, await this.#answer(g, want.want, p.member)));
    for (const ev of actions.evidence) this.#received(s, g, ev);
    if (p.member !== null) for (const kw of actions.keyWants) this.#send(s, p, await this.#keyPackages(s, g, p, kw.epochNumber));
    for (const kp of actions.keyPackages) {
      if (!bytesEqual(kp.recipient, s.o.identityKey)) continue;
      const r = await this.#groups.ingest(hex, kp.blob, { kind: 'peer', address: p.address });
      this.#log('group-sync-key-package', { level: 'debug', status: r.status });
    }
    for (const u of actions.unfillable) this.#log('group-sync-unfillable', { level: 'info', kind: u.kind, attempts: u.attempts });
    this.#send(s, p, actions.send);
    if (p.member === null && (whole.type === 'sync-notes' || whole.type === 'sync-resync' || whole.type === 'sync-end')) {
      await s.states.put(stateId(p.key, session.groupId), session.state);
    }
  }

  /**
   * The original blobs answering a peer's request (at most ANSWER_BLOBS_MAX, each once); on a
   * member link only entries of the epochs the peer proved.
   */
  async #answer(g: GroupState, want: Want, member: MemberPeer | null = null): Promise<Uint8Array[]> {
    this.#fresh(g);
    const ids: string[] = [];
    const seen = new Set<string>();
    const add = (m: Meta) => {
      if (member !== null && !this.#mayShow(member, m)) return;
      if (!seen.has(m.hex) && ids.length < ANSWER_BLOBS_MAX) (seen.add(m.hex), ids.push(m.hex));
    };
    let seqs = 0;
    for (const r of want.ranges) {
      const a = toHex(r.author);
      for (let seq = r.from; seq <= r.to && seqs < WANT_SEQS_MAX; seq++, seqs++) for (const m of (g.bySeq.get(`${a}:${seq}`) ?? []).slice(0, 2)) add(m);
    }
    for (const id of want.ids) {
      const m = g.byId.get(toHex(id));
      if (m !== undefined) add(m);
    }
    const blobs: Uint8Array[] = [];
    for (const hex of ids) {
      const m = g.byId.get(hex)!;
      if (member !== null && !member.proven.has(epochName(m.epoch))) {
        // a re-key sealed to the peer, posted in an epoch it lacks: sealed again under one it holds
        const seal = this.#newestProven(g.hex, member);
        const encoding = seal === undefined ? null : await this.#groups.entryEncoding(g.hex, m.id);
        if (seal !== undefined && encoding !== null) blobs.push(sealBlob(seal, encoding));
        continue;
      }
      const b = await this.#groups.syncBlob(g.hex, fromHex(hex));
      if (b !== null) blobs.push(b);
    }
    return blobs;
  }

  /** The roster's epochs of a group, as one string (to tell when they change). */
  #rosterEpochs(hex: string): string {
    try {
      return this.#groups.roster(hex).epochs.map(epochName).join(',');
    } catch {
      return '';
    }
  }

  /** What a member link may show of an entry: one of an epoch the peer proved, or a re-key sealed to it. */
  #mayShow(mp: MemberPeer, m: Meta): boolean {
    return mp.proven.has(epochName(m.epoch)) || mp.rekeys.has(m.hex);
  }

  /** The keys of the newest epoch the member link's peer proved. */
  #newestProven(hex: string, mp: MemberPeer): EpochKeys | undefined {
    return this.#heldEpochs(hex)
      .filter((k) => mp.proven.has(epochName(k.epoch)))
      .sort((a, b) => b.epoch.number - a.epoch.number)[0];
  }

  /**
   * The re-keys of the roster whose key package names the member link's peer (rechecked when the
   * roster's epochs change): they count as shown to it whatever their epoch, so its chain of
   * their author stays whole and it can open the epochs they open.
   */
  async #refreshRekeys(g: GroupState, p: PeerState): Promise<boolean> {
    const mp = p.member!;
    let epochs;
    try {
      epochs = this.#groups.roster(g.hex).epochs;
    } catch {
      return false;
    }
    const of = this.#rosterEpochs(g.hex);
    if (of === mp.rekeysOf) return false;
    mp.rekeysOf = of;
    for (const e of epochs) {
      if (e.number < 1 || mp.rekeys.has(toHex(e.opener))) continue;
      const encoding = await this.#groups.entryEncoding(g.hex, e.opener);
      if (encoding === null) continue; // the roster applied it, so it is held
      try {
        const entry = decodeEntry(encoding);
        if (entry.content.kind !== 'remove') continue;
        const pkg = consumeKeyPackage(entry.content.keyPackage, g.groupId);
        if (pkg.checkpoint.members.some((m) => bytesEqual(m.identityKey, p.key))) mp.rekeys.add(toHex(e.opener));
      } catch (err) {
        if (!isProtocolError(err)) throw err;
      }
    }
    mp.view = null;
    return true;
  }

  // ---------------------------------------------------------------- member links

  /** Where the link manager hands incoming member links (attach with LinkManager.attachMembers). */
  readonly memberLinks: MemberLinkHandler = { incoming: (link, first) => this.#memberIncoming(link, first) };

  /** The keys of every epoch of the group whose secret I hold. */
  #heldEpochs(hex: string): EpochKeys[] {
    try {
      return this.#groups.roster(hex).epochs.map((e) => this.#groups.epochKeys(hex, e)).filter((k): k is EpochKeys => k !== null);
    } catch {
      return [];
    }
  }

  /** My SYNC_LINK for a link: proofs of my (newest) epochs of the group, or null when I hold none. */
  #proofsFrame(s: Session, hex: string, handshakeHash: Uint8Array, peerKey: Uint8Array): SyncLinkFrame | null {
    const keys = this.#heldEpochs(hex);
    if (keys.length === 0) return null;
    return { type: 'sync-link', proofs: createSyncLinkProofs(keys, { handshakeHash, prover: s.o.identityKey, verifier: peerKey }) };
  }

  /** The epochs of `hex` I hold that `proofs` prove for this link (the peer as prover). */
  #provenBy(s: Session, hex: string, proofs: readonly Uint8Array[], handshakeHash: Uint8Array, peerKey: Uint8Array): string[] {
    const candidates = this.#heldEpochs(hex).map((k) => ({ linkKey: syncLinkKey(k), name: epochName(k.epoch) }));
    return matchSyncLinkProofs(proofs, candidates, { handshakeHash, prover: peerKey, verifier: s.o.identityKey }).map((c) => c.name);
  }

  #membersOf(s: Session, hex: string): PeerState[] {
    return [...s.members.values()].filter((p) => p.member!.hex === hex);
  }

  /**
   * An incoming member link: kept only from a member of a group's current roster (peer sync on)
   * whose proofs prove, for this link, at least one epoch of that group I hold, and of exactly one
   * group; within the group's limit. Otherwise null: the link manager drops it with no answer.
   */
  #memberIncoming(link: MemberLink, first: SyncLinkFrame): MemberLinkSink | null {
    const s = this.#s;
    if (s === null || !this.#groups.isOpen) return null;
    let key: Uint8Array;
    try {
      key = publicKeyFromOnionAddress(link.address);
    } catch {
      return null;
    }
    const found: { hex: string; proven: string[] }[] = [];
    for (const v of this.#groups.list()) {
      if (s.peerSyncOff.has(v.groupId) || !this.#isMember(v.groupId, key)) continue;
      const proven = this.#provenBy(s, v.groupId, first.proofs, link.handshakeHash, key);
      if (proven.length > 0) found.push({ hex: v.groupId, proven });
    }
    if (found.length !== 1) {
      this.#log('group-sync-member-refused', { level: 'debug' });
      return null;
    }
    const { hex, proven } = found[0]!;
    const others = this.#membersOf(s, hex);
    // one link per (member, group): of two dialled at once, the one the lower address dialled
    const same = others.find((p) => p.address === link.address);
    if (same !== undefined) {
      if (same.member!.link.dialledByUs && s.ownAddress < link.address) return null;
      same.member!.link.close();
    } else if (others.length >= MEMBER_LINKS_PER_GROUP) {
      this.#log('group-sync-member-full', { level: 'debug' });
      return null;
    }
    const answer = this.#proofsFrame(s, hex, link.handshakeHash, key);
    if (answer === null) return null;
    const p = this.#newMemberPeer(s, link, hex, key, true);
    for (const e of proven) p.member!.proven.add(e);
    this.#keepProofs(p.member!, first.proofs);
    p.member!.sent = epochSignature(this.#heldEpochs(hex));
    link.send(answer);
    this.#log('group-sync-member-link', { level: 'debug', dialled: false, epochs: proven.length });
    this.#enqueue(s, p, async () => this.#startMemberSession(s, p));
    return this.#memberSink(s, p);
  }

  /** Keeps the proofs not kept yet (a side proves all its epochs each time); false past the limit. */
  #keepProofs(mp: MemberPeer, proofs: readonly Uint8Array[]): boolean {
    for (const proof of proofs) if (!mp.proofs.some((q) => bytesEqual(q, proof))) mp.proofs.push(proof);
    return mp.proofs.length <= MEMBER_PROOFS_KEPT_MAX;
  }

  #newMemberPeer(s: Session, link: MemberLink, hex: string, key: Uint8Array, ready: boolean): PeerState {
    const member: MemberPeer = { link, hex, proven: new Set(), proofs: [], sent: '', ready, view: null, keyWants: 0, rekeys: new Set(), rekeysOf: '' };
    const p: PeerState = { address: link.address, key, name: `m:${link.address}`, member, sessions: new Map(), assembler: new SyncPartAssembler(), evidenceSent: new Set(), queue: Promise.resolve(), waiting: 0 };
    s.members.set(link, p);
    return p;
  }

  #memberSink(s: Session, p: PeerState): MemberLinkSink {
    return {
      frame: (frame) => {
        if (this.#s !== s || s.members.get(p.member!.link) !== p) return;
        if (p.waiting >= PEER_QUEUE_MAX) {
          this.#log('group-sync-overrun', { level: 'warn' });
          return;
        }
        if (frame.type === 'sync-link') this.#enqueue(s, p, async () => this.#memberProofs(s, p, frame));
        else if (!p.member!.ready) p.member!.link.close(); // nothing but the answer before the answer
        else this.#enqueue(s, p, () => this.#handle(s, p, frame));
      },
      closed: () => this.#memberClosed(s, p),
    };
  }

  /** A SYNC_LINK on a member link: the dialler's answer, or either side widening the link. */
  async #memberProofs(s: Session, p: PeerState, frame: SyncLinkFrame): Promise<void> {
    const mp = p.member!;
    if (!this.#keepProofs(mp, frame.proofs)) return mp.link.close();
    const before = mp.proven.size;
    for (const e of this.#provenBy(s, mp.hex, mp.proofs, mp.link.handshakeHash, p.key)) mp.proven.add(e);
    if (!mp.ready) {
      if (mp.proven.size === 0) return mp.link.close(); // the listener proved nothing I hold
      mp.ready = true;
      mp.sent = epochSignature(this.#heldEpochs(mp.hex));
      s.dialBackoff.delete(`${mp.hex}:${p.address}`);
      this.#log('group-sync-member-link', { level: 'debug', dialled: true, epochs: mp.proven.size });
      return this.#startMemberSession(s, p);
    }
    if (mp.proven.size !== before) this.#send(s, p, p.sessions.get(mp.hex)?.changed() ?? []);
    // the peer gained an epoch: perhaps one whose key I lack, so ask again
    const g = this.#groupState(s, mp.hex);
    if (g !== null) this.#send(s, p, this.#keyWants(g));
    if (g !== null && p.sessions.has(mp.hex)) this.#sendEvidence(s, p, g); // of the epochs it just proved
  }

  async #startMemberSession(s: Session, p: PeerState): Promise<void> {
    const mp = p.member!;
    const g = this.#groupState(s, mp.hex);
    if (g === null || p.sessions.has(mp.hex)) return;
    await this.#refreshRekeys(g, p);
    if (p.sessions.has(mp.hex)) return;
    const session = new SyncSession(g.groupId, p.name, newPeerSyncState(g.groupId), g.planner, this.#memberView(g, mp));
    p.sessions.set(mp.hex, session);
    this.#send(s, p, session.start());
    this.#send(s, p, this.#keyWants(g));
    this.#sendEvidence(s, p, g);
  }

  /**
   * SYNC_KEY_WANTs for the epochs I may lack the key of: those of my roster whose secret I do not
   * hold (a re-key not sealed to me: I was locked out), and the one after the newest I know of.
   */
  #keyWants(g: GroupState): SyncFrame[] {
    let epochs;
    try {
      epochs = this.#groups.roster(g.hex).epochs;
    } catch {
      return [];
    }
    const numbers = new Set<number>();
    for (const e of epochs) if (this.#groups.epochKeys(g.hex, e) === null) numbers.add(e.number);
    numbers.add(Math.max(0, ...epochs.map((e) => e.number)) + 1);
    return [...numbers]
      .sort((a, b) => a - b)
      .slice(0, KEY_WANTS_PER_ASK)
      .filter((n) => n >= 1)
      .map((epochNumber) => ({ type: 'sync-key-want' as const, groupId: g.groupId, epochNumber }));
  }

  /**
   * The answer to a member's SYNC_KEY_WANT for epoch `number`: for each re-key of my roster opening
   * an epoch of that number that the member has not proved, whose key package has a slot for it,
   * the re-key entry sealed again under the newest epoch it did prove (so it opens it: on its key
   * package alone when the entry's own epoch is one it lacks), as SYNC_KEY_PACKAGE.
   */
  async #keyPackages(s: Session, g: GroupState, p: PeerState, number: number): Promise<SyncFrame[]> {
    const mp = p.member!;
    if (mp.keyWants >= MEMBER_KEY_WANTS_MAX) return [];
    mp.keyWants++;
    const seal = this.#heldEpochs(g.hex)
      .filter((k) => mp.proven.has(epochName(k.epoch)))
      .sort((a, b) => b.epoch.number - a.epoch.number)[0];
    if (seal === undefined) return [];
    const out: SyncFrame[] = [];
    for (const e of this.#groups.roster(g.hex).epochs) {
      if (e.number !== number || mp.proven.has(epochName(e))) continue;
      const encoding = await this.#groups.entryEncoding(g.hex, e.opener);
      if (encoding === null) continue;
      try {
        const entry = decodeEntry(encoding);
        if (entry.content.kind !== 'remove') continue;
        const pkg = consumeKeyPackage(entry.content.keyPackage, g.groupId);
        if (!pkg.checkpoint.members.some((m) => bytesEqual(m.identityKey, p.key))) continue;
        out.push(...syncFrames({ type: 'sync-key-package', groupId: g.groupId, recipient: p.key, epochNumber: e.number, opener: e.opener, blob: sealBlob(seal, encoding) }));
      } catch (err) {
        if (!isProtocolError(err)) throw err;
      }
    }
    return out;
  }

  #memberClosed(s: Session, p: PeerState): void {
    const mp = p.member!;
    if (s.members.get(mp.link) === p) s.members.delete(mp.link);
    if (mp.link.dialledByUs && !mp.ready) this.#dialFailed(s, `${mp.hex}:${p.address}`);
    void p.queue.then(() => {
      for (const session of p.sessions.values()) session.close();
    });
  }

  #dialFailed(s: Session, key: string): void {
    const b = s.dialBackoff.get(key) ?? { failures: 0, notBefore: 0 };
    b.failures += 1;
    b.notBefore = this.#now() + Math.min(MEMBER_DIAL_BACKOFF_MAX_MS, MEMBER_DIAL_BACKOFF_MS * 2 ** Math.min(b.failures - 1, 20)) * (0.5 + Math.random() / 2);
    s.dialBackoff.set(key, b);
  }

  /**
   * With peer sync of the group on and open gaps or no live pub: dials members of the roster who
   * are not contacts, up to MEMBER_DIALS_PER_GROUP links dialled by me per group.
   */
  #dialMembers(s: Session, g: GroupState, pubLinks: readonly { address: string; state: string }[]): void {
    const dialer = s.o.members ?? null;
    if (dialer === null || s.peerSyncOff.has(g.hex)) return;
    const gaps = this.#fresh(g).gaps;
    const now = this.#now();
    if (pubLinks.some((l) => l.state === 'live')) g.pubLiveAt = now;
    if (gaps.authors.length === 0 && gaps.missingIds.length === 0 && now - g.pubLiveAt < MEMBER_PUB_DEAD_MS) return;
    g.membersNeededAt = now;
    if (this.#heldEpochs(g.hex).length === 0) return;
    const linked = this.#membersOf(s, g.hex);
    let mine = linked.filter((p) => p.member!.link.dialledByUs).length + [...s.dialing].filter((k) => k.startsWith(`${g.hex}:`)).length;
    for (const { identityKey, address } of this.#others(s, g.hex)) {
      if (mine >= MEMBER_DIALS_PER_GROUP || linked.length >= MEMBER_LINKS_PER_GROUP) break;
      if (s.o.links.isAccepted?.(address) ?? true) continue; // a contact: sync runs on its own link
      const key = `${g.hex}:${address}`;
      if (s.dialing.has(key) || linked.some((p) => p.address === address) || (s.dialBackoff.get(key)?.notBefore ?? 0) > now) continue;
      mine++;
      void this.#dialMember(s, dialer, g.hex, address, identityKey);
    }
  }

  async #dialMember(s: Session, dialer: MemberLinkDialer, hex: string, address: OnionAddress, peerKey: Uint8Array): Promise<void> {
    const key = `${hex}:${address}`;
    s.dialing.add(key);
    try {
      let peer: PeerState | null = null;
      const link = await dialer.dialMember(
        address,
        (handshakeHash) => {
          const frame = this.#proofsFrame(s, hex, handshakeHash, peerKey);
          if (frame === null) throw new GroupSyncError(GroupSyncErrorCode.CLOSED, 'no epoch of the group is held');
          return frame;
        },
        (l) => {
          peer = this.#newMemberPeer(s, l, hex, peerKey, false);
          return this.#memberSink(s, peer);
        },
      );
      const timer = setTimeout(() => {
        if (peer !== null && !(peer as PeerState).member!.ready) link.close();
      }, MEMBER_ANSWER_TIMEOUT_MS);
      timer.unref();
      if (this.#s !== s) link.close();
    } catch (err) {
      this.#log('group-sync-member-dial-failed', { level: 'debug', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') });
      if (this.#s === s) this.#dialFailed(s, key);
    } finally {
      s.dialing.delete(key);
    }
  }

  /**
   * Each poll: member links of a group whose peer sync is off, that I left, or whose peer left the
   * roster close, and so do those I dialled once they were not needed for MEMBER_IDLE_CLOSE_MS;
   * when I hold new epochs of the group, I prove them on the link (widening it), and the peer's
   * proofs are checked again against my new keys.
   */
  #tendMemberLinks(s: Session): void {
    const listed = new Set(this.#groups.list().map((v) => v.groupId));
    for (const p of [...s.members.values()]) {
      const mp = p.member!;
      if (!listed.has(mp.hex) || s.peerSyncOff.has(mp.hex) || !this.#isMember(mp.hex, p.key)) {
        mp.link.close();
        continue;
      }
      const g = this.#groupState(s, mp.hex);
      const session = p.sessions.get(mp.hex);
      if (mp.link.dialledByUs && g !== null && this.#now() - g.membersNeededAt > MEMBER_IDLE_CLOSE_MS && session?.requesting !== true) {
        mp.link.close(); // no gap left and a pub live again: the link I dialled has done its work
        continue;
      }
      if (!mp.ready) continue;
      if (g !== null && session !== undefined && this.#rosterEpochs(mp.hex) !== mp.rekeysOf) {
        this.#enqueue(s, p, async () => {
          // the roster's epochs changed: what I show may have grown, and I may lack a new key
          if (await this.#refreshRekeys(g, p)) this.#send(s, p, [...session.changed(), ...this.#keyWants(g)]);
        });
      }
      const keys = this.#heldEpochs(mp.hex);
      const sig = epochSignature(keys);
      if (sig === mp.sent) continue;
      mp.sent = sig;
      this.#enqueue(s, p, async () => {
        const frame = this.#proofsFrame(s, mp.hex, mp.link.handshakeHash, p.key);
        if (frame !== null) this.#send(s, p, [frame]);
        const g = this.#groupState(s, mp.hex);
        if (g !== null) this.#send(s, p, this.#keyWants(g));
        const before = mp.proven.size;
        for (const e of this.#provenBy(s, mp.hex, mp.proofs, mp.link.handshakeHash, p.key)) mp.proven.add(e);
        if (mp.proven.size !== before) this.#send(s, p, p.sessions.get(mp.hex)?.changed() ?? []);
      });
    }
  }

  // ---------------------------------------------------------------- evidence

  /** Evidence a peer passed on: kept (and passed on) when the group's keys verify it. */
  #received(s: Session, g: GroupState, ev: Evidence): void {
    const key = evidenceKey(ev);
    if (g.evidence.has(key)) return;
    if (ev.kind === 'pub-order') return; // another member's own observation: no key can confirm it
    try {
      const check = verifyEvidence(ev, (epoch) => this.#groups.epochKeys(g.hex, epoch));
      if (!check.verified) return;
    } catch {
      this.#log('group-sync-evidence-refused', { level: 'debug' });
      return;
    }
    void this.#keep(s, g, ev);
  }

  async #keep(s: Session, g: GroupState, ev: Evidence): Promise<void> {
    const key = evidenceKey(ev);
    if (g.evidence.has(key)) return;
    g.evidence.set(key, ev);
    this.#noteEvidenceIds(g, ev);
    await s.evidenceStore.put(labelledHash('snug/v2/sync-evidence-id', [new TextEncoder().encode(key)]), ev);
    this.#log('group-sync-evidence', { level: 'warn', kind: ev.kind });
    this.#tellMarks(g, ev);
    for (const p of [...s.peers.values(), ...s.members.values()]) {
      const session = p.sessions.get(g.hex);
      if (session === undefined) continue;
      this.#enqueue(s, p, async () => {
        this.#sendEvidence(s, p, g);
        this.#send(s, p, session.changed()); // and ask for what the evidence shows we lack
      });
    }
  }

  #noteEvidenceIds(g: GroupState, ev: Evidence): void {
    if (ev.kind !== 'equivocation' && ev.kind !== 'broken-chain') return;
    for (const bytes of ev.kind === 'equivocation' ? [ev.a, ev.b] : [ev.earlier, ev.later]) {
      const id = entryId(bytes);
      g.evidenceIds.set(toHex(id), { id, author: decodeEntry(bytes).author });
    }
    g.version = -1; // the gaps now name what the evidence shows and this log lacks
  }

  #sendEvidence(s: Session, p: PeerState, g: GroupState): void {
    for (const [key, ev] of g.evidence) {
      if (p.evidenceSent.has(key) || ev.kind === 'pub-order') continue; // pub order stays mine (not provable)
      if (p.member !== null && !this.#mayShowEvidence(p.member, ev)) continue; // of an epoch it has not proven (yet)
      p.evidenceSent.add(key);
      this.#send(s, p, syncFrames({ type: 'sync-evidence', evidence: ev }));
    }
  }

  /**
   * Whether a member link may carry evidence: only when the peer proved every epoch whose
   * entries (or, for a foreign entry, whose key) it names, as with the entries themselves.
   */
  #mayShowEvidence(mp: MemberPeer, ev: Evidence): boolean {
    try {
      if (ev.kind === 'foreign-entry') return mp.proven.has(epochName(ev.epoch));
      if (ev.kind === 'pub-order') return false;
      const [x, y] = ev.kind === 'equivocation' ? [ev.a, ev.b] : [ev.earlier, ev.later];
      return [x, y].every((bytes) => mp.proven.has(epochName(decodeEntry(bytes).epoch)));
    } catch {
      return false;
    }
  }

  /**
   * A blob the groups service refused as invalid, from a pub (pub-evidence.ts refusalSink: any
   * group on that pub) or a peer (that group): kept as foreign-entry evidence when it opens under
   * one of the group's epoch keys and holds no entry of that epoch (foreign-entry.ts), at most
   * FOREIGN_EVIDENCE_MAX per (group, epoch).
   */
  refusedBlob(blob: Uint8Array, where: { readonly pub: string } | { readonly groupId: string }): void {
    const s = this.#s;
    if (s === null || !this.#groups.isOpen) return;
    const candidates = 'groupId' in where ? [where.groupId] : this.#groups.list().filter((v) => v.pubs.includes(where.pub)).map((v) => v.groupId);
    const ev = findForeignEntry(
      { epochsOf: (hex) => this.#groups.roster(hex).epochs, epochKeys: (hex, epoch) => this.#groups.epochKeys(hex, epoch) },
      candidates,
      blob,
    );
    if (ev === null) return;
    const g = this.#groupState(s, toHex(ev.groupId));
    if (g === null) return;
    const sameEpoch = [...g.evidence.values()].filter((x) => x.kind === 'foreign-entry' && x.epoch.number === ev.epoch.number && bytesEqual(x.epoch.opener, ev.epoch.opener));
    if (sameEpoch.length >= FOREIGN_EVIDENCE_MAX) return;
    void this.#keep(s, g, ev).catch((err: unknown) => this.#warn('group-sync-evidence-failed', err));
  }

  /**
   * A pub-order fault the pub links saw (pub-evidence.ts watchPubOrder): pub-order evidence in
   * every group that uses the pub, one per (group, pub, fault). It is this member's own
   * observation (no key can confirm it): shown and kept, never passed to peers.
   */
  pubFault(observation: PubOrderObservation): void {
    const s = this.#s;
    if (s === null || !this.#groups.isOpen) return;
    for (const v of this.#groups.list()) {
      if (!v.pubs.includes(observation.pub)) continue;
      const g = this.#groupState(s, v.groupId);
      if (g === null) continue;
      if ([...g.evidence.values()].some((x) => x.kind === 'pub-order' && x.pub === observation.pub && x.fault === observation.fault)) continue;
      let ev: Evidence;
      try {
        ev = createPubOrderEvidence({ groupId: g.groupId, pub: observation.pub, fault: observation.fault, first: observation.first, second: observation.second });
      } catch (err) {
        this.#warn('group-sync-evidence-failed', err); // an address a record cannot carry
        continue;
      }
      void this.#keep(s, g, ev).catch((err: unknown) => this.#warn('group-sync-evidence-failed', err));
    }
  }

  /** Forks and broken links in the log become evidence (the first pair found per (author, seq)). */
  async #scanEvidence(s: Session, g: GroupState): Promise<void> {
    const gaps = this.#fresh(g).gaps;
    const pairs: { kind: 'fork' | 'broken'; a: Uint8Array; b: Uint8Array; author: Uint8Array; seq: number }[] = [];
    for (const f of gaps.forks) pairs.push({ kind: 'fork', a: f.ids[0]!, b: f.ids[1]!, author: f.author, seq: f.seq });
    for (const l of gaps.brokenLinks) pairs.push({ kind: 'broken', a: l.heldPrev[0]!, b: l.id, author: l.author, seq: l.seq - 1 });
    for (const pair of pairs) {
      const key = `${g.hex}:fork:${toHex(pair.author)}:${pair.seq}`;
      if (g.evidence.has(key)) continue;
      const [x, y] = await Promise.all([this.#groups.entryEncoding(g.hex, pair.a), this.#groups.entryEncoding(g.hex, pair.b)]);
      if (x === null || y === null) continue;
      try {
        const ev = pair.kind === 'fork' ? createEquivocationEvidence(g.groupId, x, y) : createBrokenChainEvidence(g.groupId, x, y);
        await this.#keep(s, g, ev);
      } catch (err) {
        this.#warn('group-sync-evidence-failed', err);
      }
    }
  }

  // ---------------------------------------------------------------- the poll

  async #tick(): Promise<void> {
    const s = this.#s;
    if (s === null || s.ticking || !this.#groups.isOpen) return;
    s.ticking = true;
    try {
      const count = this.#groups.entryCount;
      const changed = count !== s.lastCount;
      s.lastCount = count;
      for (const v of this.#groups.list()) {
        const g = this.#groupState(s, v.groupId);
        if (g === null) continue;
        if (changed) {
          await this.#scanEvidence(s, g);
          for (const p of [...s.peers.values(), ...s.members.values()]) {
            const session = p.sessions.get(g.hex);
            if (session !== undefined) this.#enqueue(s, p, async () => this.#send(s, p, session.changed()));
          }
        }
        this.#scheduleRepair(s, g, v.pubLinks);
        this.#tellMarks(g);
        this.#dialMembers(s, g, v.pubLinks);
      }
      this.#tendMemberLinks(s);
      if (changed) for (const p of s.peers.values()) this.#enqueue(s, p, () => this.#startSessions(s, p));
      // Links that came up before group sync was attached (unlock brings the links up first),
      // or whose change was missed: any member whose contact link is up gets its sessions.
      for (const v of this.#groups.list()) {
        for (const { address } of this.#others(s, v.groupId)) if (!s.peers.has(address) && s.o.links.isOnline(address)) this.linkChanged(address, true);
      }
    } catch (err) {
      this.#warn('group-sync-tick-failed', err);
    } finally {
      s.ticking = false;
    }
  }

  // ---------------------------------------------------------------- pub repair

  #scheduleRepair(s: Session, g: GroupState, pubLinks: readonly { address: string; state: string }[]): void {
    const links = s.o.pubs;
    if (links === null) return;
    const now = this.#now();
    this.#fresh(g);
    for (const pl of pubLinks) {
      if (pl.state !== 'live') continue;
      let r = g.repair.get(pl.address);
      if (r === undefined) g.repair.set(pl.address, (r = { queue: [], queued: new Set(), attempts: new Map(), running: false, lastProbe: now }));
      for (const m of g.metas) {
        if (m.own || m.pubs.includes(pl.address) || now - m.arrival < this.#settleMs) continue;
        this.#queueRepair(r, m.hex);
      }
      if (this.#probeMs > 0 && !r.running && r.queue.length === 0 && now - r.lastProbe >= this.#probeMs) {
        r.lastProbe = now;
        const served = g.metas.filter((m) => m.pubs.includes(pl.address));
        if (served.length > 0) void this.#probe(s, g, pl.address, r, served[Math.floor(Math.random() * served.length)]!);
      }
      if (!r.running && r.queue.length > 0) void this.#runRepair(s, g, pl.address, r, links);
    }
  }

  #queueRepair(r: RepairState, hex: string, force = false): void {
    if (r.queued.has(hex) || r.queue.length >= REPAIR_QUEUE_MAX) return;
    const n = r.attempts.get(hex) ?? 0;
    if (n >= (force ? REPAIR_ATTEMPTS_MAX + 1 : REPAIR_ATTEMPTS_MAX)) return;
    if (force) r.attempts.set(hex, Math.min(n, REPAIR_ATTEMPTS_MAX - 1));
    r.queued.add(hex);
    r.queue.push(hex);
  }

  /** Posts one blob the pub served before: new to it means it lost its store; then refill it. */
  async #probe(s: Session, g: GroupState, pub: string, r: RepairState, m: Meta): Promise<void> {
    const links = s.o.pubs;
    if (links === null) return;
    r.running = true;
    try {
      const blob = await this.#groups.entryBlob(g.hex, m.id);
      if (blob === null) return;
      const ack = await links.post(`sync-repair:${g.hex}`, pub, blob, s.stop.signal);
      if (ack.duplicate) return;
      this.#log('group-sync-pub-lost-store', { level: 'warn' });
      for (const x of this.#fresh(g).metas) if (x.hex !== m.hex) this.#queueRepair(r, x.hex, true);
      g.repaired[pub] = (g.repaired[pub] ?? 0) + 1;
    } catch (err) {
      if (!s.stop.signal.aborted) this.#warn('group-sync-probe-failed', err);
    } finally {
      r.running = false;
    }
    if (r.queue.length > 0) void this.#runRepair(s, g, pub, r, links);
  }

  async #runRepair(s: Session, g: GroupState, pub: string, r: RepairState, links: GroupPubLinks): Promise<void> {
    if (r.running) return;
    r.running = true;
    try {
      while (r.queue.length > 0 && this.#s === s) {
        const [min, max] = this.#jitter;
        await sleep(min + Math.random() * Math.max(0, max - min), s.stop.signal);
        const hex = r.queue.shift()!;
        r.queued.delete(hex);
        const m = this.#fresh(g).byId.get(hex);
        if (m === undefined || (m.pubs.includes(pub) && (r.attempts.get(hex) ?? 0) >= REPAIR_ATTEMPTS_MAX)) continue;
        r.attempts.set(hex, (r.attempts.get(hex) ?? 0) + 1);
        const blob = await this.#groups.entryBlob(g.hex, m.id);
        if (blob === null) continue;
        await links.post(`sync-repair:${g.hex}`, pub, blob, s.stop.signal);
        g.repaired[pub] = (g.repaired[pub] ?? 0) + 1;
      }
    } catch (err) {
      if (!s.stop.signal.aborted) this.#warn('group-sync-repair-failed', err);
    } finally {
      r.running = false;
    }
  }

  // ---------------------------------------------------------------- reporting

  /**
   * What the local API shows of a group (group/list, group/didChange, message/list's gap
   * notices): its open gaps, cited ids not held, evidence count and equivocators, as of the last
   * poll (every SYNC_POLL_MS) or the last evidence kept. Constant time: the groups service calls
   * this whenever it builds a group's view (on every arrival), so it never looks at the log
   * itself; nor does it create the group's state.
   */
  marks(groupId: string): SyncMarks {
    return this.#s?.groups.get(groupId)?.marks ?? NO_SYNC_MARKS;
  }

  /** Recomputes a group's marks when the log or its evidence changed since they were computed. */
  #computeMarks(g: GroupState): SyncMarks {
    const gaps = this.#fresh(g).gaps;
    const unfillable = g.planner.unfillable().length;
    const of = `${g.version}:${g.evidence.size}:${unfillable}`;
    if (of === g.marksOf) return g.marks;
    g.marks = {
      gaps: gaps.authors.flatMap((a) => a.missing.map((m) => ({ author: toHex(a.author), from: m.from, to: m.to }))),
      missing: gaps.missingIds.length,
      unfillable,
      evidence: g.evidence.size,
      equivocators: this.#equivocators(g),
      evidenceAt: this.#evidenceAt(g),
    };
    g.marksOf = of;
    return g.marks;
  }

  /** The groups service emits group/didChange when the marks changed (or evidence was just kept). */
  #tellMarks(g: GroupState, ev?: Evidence): void {
    if (!this.#groups.isOpen) return;
    const sig = markSignature(this.#computeMarks(g));
    if (sig === g.lastMarks && ev === undefined) return;
    g.lastMarks = sig;
    let authorKey: string | null = null;
    if (ev !== undefined) {
      try {
        const subject = evidenceSubject(ev);
        authorKey = subject.kind === 'author' ? toHex(subject.author) : null;
      } catch {
        authorKey = null;
      }
    }
    this.#groups.syncChanged(g.hex, ev === undefined ? undefined : { kind: ev.kind, authorKey });
  }

  /** Where evidence about an author falls in the log (message/list's evidence items). */
  #evidenceAt(g: GroupState): { kind: string; author: string; seq: number }[] {
    const out: { kind: string; author: string; seq: number }[] = [];
    for (const ev of g.evidence.values()) {
      if (ev.kind !== 'equivocation' && ev.kind !== 'broken-chain') continue;
      try {
        const subject = evidenceSubject(ev);
        if (subject.kind === 'author') out.push({ kind: ev.kind, author: toHex(subject.author), seq: subject.seq });
      } catch {
        // kept evidence decoded once; nothing to place
      }
    }
    return out.sort((a, b) => (a.author < b.author ? -1 : a.author > b.author ? 1 : a.seq - b.seq));
  }

  #equivocators(g: GroupState): string[] {
    const equivocators = new Set<string>();
    for (const ev of g.evidence.values()) {
      if (ev.kind === 'equivocation' || ev.kind === 'broken-chain') {
        try {
          const subject = verifyEvidence(ev, (e) => this.#groups.epochKeys(g.hex, e));
          if (subject.verified && subject.subject.kind === 'author') equivocators.add(toHex(subject.subject.author));
        } catch {
          // kept evidence always verified once; a key since lost leaves it out here
        }
      }
    }
    return [...equivocators].sort();
  }

  /** Gaps, unfillable claims, evidence and repairs of a group. */
  report(groupId: string): SyncReport {
    const s = this.#s;
    if (s === null) throw new GroupSyncError(GroupSyncErrorCode.CLOSED, 'group sync is not open');
    const g = this.#groupState(s, groupId);
    if (g === null) return { gaps: [], missingIds: [], unfillable: [], evidence: [], equivocators: [], repaired: {} };
    const gaps = this.#fresh(g).gaps;
    const evidence = [...g.evidence.values()];
    const equivocators = this.#equivocators(g);
    return {
      gaps: gaps.authors.flatMap((a) => a.missing.map((m) => ({ author: toHex(a.author), from: m.from, to: m.to }))),
      missingIds: gaps.missingIds.map((m) => toHex(m.id)),
      unfillable: [...g.planner.unfillable()],
      evidence,
      equivocators,
      repaired: { ...g.repaired },
    };
  }

  #warn(event: string, err: unknown): void {
    this.#log(event, { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') });
  }
}

/** A compact text of what the API shows of a group's marks (equal marks, equal text). */
function markSignature(m: SyncMarks): string {
  return `${m.gaps.map((g) => `${g.author}:${g.from}-${g.to}`).join(',')}|${m.missing}|${m.unfillable}|${m.evidence}|${m.equivocators.join(',')}`;
}
