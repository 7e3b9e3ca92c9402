/**
 * Real signed group logs for the sync tests, vectors and bench: a genesis, epoch keys, and
 * text entries per author with real signatures, sealed into real blobs (deterministic nonces,
 * so the same inputs give the same bytes). No ids are made up: everything verifies.
 */
import { toHex, utf8Encode } from '../../protocol/bytes.js';
import { createCertificate, profileKeysFromSeeds, type Certificate, type ProfileKeys } from '../../protocol/certificate.js';
import { blake2b, ed25519KeyPairFromSeed } from '../../protocol/crypto.js';
import { sealBlobWithNonce } from '../../protocol/blob.js';
import { createEntry, createGenesis, encodeEntry, entryId, type Entry } from '../../protocol/entry.js';
import { deriveEpochKeys, type EpochKeys, type EpochName } from '../../protocol/group.js';
import { openBlob } from '../../protocol/blob.js';
import { consumeGroupEntry } from '../../protocol/entry.js';
import { isProtocolError } from '../../protocol/errors.js';
import { computeSummary, type Summary } from '../../protocol/summary.js';
import { createForeignEntryEvidence, evidenceKey, evidenceOfPair, type Evidence } from '../../protocol/sync/evidence.js';
import { findGaps, type ChainMeta, type GapReport } from '../../protocol/sync/gaps.js';
import { SyncSession, type SyncLogView } from '../../protocol/sync/session.js';
import { BackfillPlanner, type HeldBlobs, type UnfillableClaim } from '../../protocol/sync/backfill.js';
import type { SyncFrame } from '../../protocol/sync/frames.js';
import { newPeerSyncState, type PeerSyncState } from '../../protocol/sync/notes.js';
import { decodeFrame, encodeFrame } from '../../protocol/peer/wire.js';

export function seeded(tag: string, n = 32): Uint8Array {
  return blake2b(n, utf8Encode(`snug sync test ${tag}`));
}

export interface Author {
  readonly name: string;
  readonly profile: ProfileKeys;
  readonly certificate: Certificate;
}

export function author(name: string): Author {
  const identity = ed25519KeyPairFromSeed(seeded(`identity ${name}`));
  const profile = profileKeysFromSeeds(seeded(`signing ${name}`), seeded(`dh ${name}`));
  const certificate = createCertificate(identity, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, 1_767_225_600_000);
  return { name, profile, certificate };
}

/** One held entry: decoded, encoded, its id and its original blob. */
export interface LogEntry {
  readonly entry: Entry;
  readonly encoding: Uint8Array;
  readonly id: Uint8Array;
  readonly blob: Uint8Array;
}

export function metaOf(e: LogEntry): ChainMeta {
  return { id: e.id, author: e.entry.author, seq: e.entry.seq, prev: e.entry.prev, heads: e.entry.heads };
}

/** A group with one epoch (epoch 0) and a founder; `post` appends a text entry to an author's chain. */
export class SyncLog {
  readonly groupId: Uint8Array;
  readonly keys: EpochKeys;
  readonly genesis: LogEntry;
  readonly founder: Author;
  private readonly chains = new Map<string, { seq: number; prev: Uint8Array }>();
  private nonceCounter = 0;

  constructor(tag = 'group', founderName = 'founder') {
    this.founder = author(founderName);
    const g = createGenesis(this.founder.profile.signing, {
      certificate: this.founder.certificate,
      timestamp: 1_767_225_600_000,
      settings: { name: `sync ${tag}`, pubs: [], membersMayInvite: true },
      salt: seeded(`salt ${tag}`),
    });
    this.groupId = g.groupId;
    this.keys = deriveEpochKeys(seeded(`epoch secret ${tag}`), g.groupId, g.epoch);
    this.genesis = this.wrap(g.entry, g.encoding);
    this.chains.set(toHex(this.founder.profile.signing.publicKey), { seq: 1, prev: this.genesis.id });
  }

  get epoch(): EpochName {
    return this.keys.epoch;
  }

  private wrap(entry: Entry, encoding: Uint8Array, keys: EpochKeys = this.keys): LogEntry {
    const nonce = seeded(`nonce ${toHex(this.groupId)} ${this.nonceCounter++}`, 24);
    return { entry, encoding, id: entryId(encoding), blob: sealBlobWithNonce(keys, encoding, nonce) };
  }

  /** The next text entry of `who` (its chain continues from its last post unless told otherwise). */
  post(who: Author, text: string, options: { seq?: number; prev?: Uint8Array; heads?: readonly Uint8Array[]; keys?: EpochKeys; advance?: boolean } = {}): LogEntry {
    const key = toHex(who.profile.signing.publicKey);
    const chain = this.chains.get(key) ?? { seq: 0, prev: new Uint8Array(32) };
    const seq = options.seq ?? chain.seq + 1;
    const prev = options.prev ?? (seq === chain.seq + 1 ? chain.prev : new Uint8Array(32));
    const keys = options.keys ?? this.keys;
    const entry = createEntry(keys, who.profile.signing, { seq, prev, timestamp: 1_767_225_600_000 + (seq % 1_000_000), heads: options.heads ?? [], content: { kind: 'text', text } });
    const encoding = encodeEntry(entry);
    const e = this.wrap(entry, encoding, keys);
    if (options.advance !== false) this.chains.set(key, { seq, prev: e.id });
    return e;
  }

  /** `count` entries of each author in turn: author i's entries 1..count. */
  many(authors: readonly Author[], count: number): LogEntry[] {
    const out: LogEntry[] = [];
    for (let s = 0; s < count; s++) for (const a of authors) out.push(this.post(a, `${a.name} ${s}`));
    return out;
  }
}

/**
 * A member's log in memory, for the sync tests and the bench: it ingests blobs the way the
 * groups service does (open with the epoch key, decode, verify the signature, keep the original
 * blob), keeps equivocating entries apart (both stored, evidence made), and serves as the
 * session's view of the log (protocol/sync/session.ts SyncLogView).
 */
export class MemoryLog implements SyncLogView, HeldBlobs {
  readonly blobs: HeldBlobs = this;
  readonly entries = new Map<string, LogEntry>();
  private readonly bySeqMap = new Map<string, LogEntry[]>();
  readonly evidence = new Map<string, Evidence>();
  readonly rejected: { blob: Uint8Array; code: string }[] = [];
  private summaryCache: Summary | null = null;
  private gapsCache: GapReport | null = null;

  constructor(
    readonly groupId: Uint8Array,
    readonly keys: EpochKeys,
  ) {}

  /** Stores a held entry (as if authored here or ingested before). */
  add(e: LogEntry): 'stored' | 'duplicate' {
    const k = toHex(e.id);
    if (this.entries.has(k)) return 'duplicate';
    const sk = `${toHex(e.entry.author)}:${e.entry.seq}`;
    const same = this.bySeqMap.get(sk) ?? [];
    for (const other of [...same, ...(this.bySeqMap.get(`${toHex(e.entry.author)}:${e.entry.seq - 1}`) ?? []), ...(this.bySeqMap.get(`${toHex(e.entry.author)}:${e.entry.seq + 1}`) ?? [])]) {
      const ev = evidenceOfPair(this.groupId, other.encoding, e.encoding);
      if (ev !== null && !this.evidence.has(evidenceKey(ev))) this.evidence.set(evidenceKey(ev), ev);
    }
    same.push(e);
    this.bySeqMap.set(sk, same);
    this.entries.set(k, e);
    this.summaryCache = null;
    this.gapsCache = null;
    return 'stored';
  }

  /** Verifies and stores a blob; a blob that does not verify is rejected and not stored. */
  ingest(blob: Uint8Array): 'stored' | 'duplicate' | 'rejected' {
    let encoding: Uint8Array | null;
    try {
      encoding = openBlob(this.keys, blob);
    } catch (err) {
      this.rejected.push({ blob, code: isProtocolError(err) ? err.code : 'thrown' });
      return 'rejected';
    }
    if (encoding === null) {
      this.rejected.push({ blob, code: 'not-this-group' });
      return 'rejected';
    }
    let entry: Entry;
    try {
      entry = consumeGroupEntry(this.keys, encoding);
    } catch (err) {
      // It opened under this epoch's key, yet is no entry of this epoch: a member replayed it.
      this.rejected.push({ blob, code: isProtocolError(err) ? err.code : 'thrown' });
      const ev = createForeignEntryEvidence(this.groupId, this.keys.epoch, blob);
      this.evidence.set(evidenceKey(ev), ev);
      return 'rejected';
    }
    return this.add({ entry, encoding, id: entryId(encoding), blob });
  }

  metas(): ChainMeta[] {
    return [...this.entries.values()].map(metaOf);
  }

  summary(): Summary {
    return (this.summaryCache ??= computeSummary(this.groupId, this.metas()));
  }

  gaps(): GapReport {
    return (this.gapsCache ??= findGaps(this.groupId, this.metas()));
  }

  holds(author: Uint8Array, seq: number, id: Uint8Array): boolean {
    const e = this.entries.get(toHex(id));
    return e !== undefined && e.entry.seq === seq && toHex(e.entry.author) === toHex(author);
  }

  bySeq(author: Uint8Array, seq: number): readonly Uint8Array[] {
    return (this.bySeqMap.get(`${toHex(author)}:${seq}`) ?? []).map((e) => e.blob);
  }

  byId(id: Uint8Array): Uint8Array | null {
    return this.entries.get(toHex(id))?.blob ?? null;
  }

  /** The ids held, sorted (two logs are identical when these are). */
  ids(): string[] {
    return [...this.entries.keys()].sort();
  }
}

export interface SyncRun {
  /** Peer-frame bytes (plaintext, as encodeFrame gives them) each way. */
  readonly bytesAtoB: number;
  readonly bytesBtoA: number;
  readonly framesAtoB: number;
  readonly framesBtoA: number;
  /** Bytes of notes frames each way. */
  readonly notesBytes: number;
  readonly unfillable: UnfillableClaim[];
  readonly sessions: readonly [SyncSession, SyncSession];
}

/**
 * Runs the sync protocol between two in-memory logs until neither side has anything to send:
 * every frame goes through the real encoder and decoder (protocol/peer/wire.ts), one at a time,
 * alternating directions. `states`/`planners` carry request skipping and claim counts across runs.
 */
export function runSync(
  a: MemoryLog,
  b: MemoryLog,
  options: { states?: [PeerSyncState, PeerSyncState]; planners?: [BackfillPlanner, BackfillPlanner]; maxFrames?: number } = {},
): SyncRun {
  const states = options.states ?? [newPeerSyncState(a.groupId), newPeerSyncState(b.groupId)];
  const planners = options.planners ?? [new BackfillPlanner(), new BackfillPlanner()];
  const sa = new SyncSession(a.groupId, 'b', states[0], planners[0], a);
  const sb = new SyncSession(b.groupId, 'a', states[1], planners[1], b);
  const queues: [Uint8Array[], Uint8Array[]] = [[], []]; // [to b, to a]
  const counts = { ab: 0, ba: 0, fab: 0, fba: 0, notes: 0 };
  const unfillable: UnfillableClaim[] = [];
  const push = (dir: 0 | 1, frames: readonly SyncFrame[]): void => {
    for (const f of frames) {
      const bytes = encodeFrame(f);
      if (f.type === 'sync-notes') counts.notes += bytes.length;
      if (dir === 0) (counts.ab += bytes.length), counts.fab++;
      else (counts.ba += bytes.length), counts.fba++;
      queues[dir].push(bytes);
    }
  };
  push(0, sa.start());
  push(1, sb.start());
  const max = options.maxFrames ?? 100_000;
  let delivered = 0;
  while (queues[0].length > 0 || queues[1].length > 0) {
    if (++delivered > max) throw new Error('sync did not settle');
    for (const dir of [0, 1] as const) {
      const bytes = queues[dir].shift();
      if (bytes === undefined) continue;
      const frame = decodeFrame(bytes) as SyncFrame;
      const [session, log, reply] = dir === 0 ? ([sb, b, 1] as const) : ([sa, a, 0] as const);
      const actions = session.receive(frame);
      for (const blob of actions.ingest) log.ingest(blob);
      for (const ev of actions.evidence) log.evidence.set(evidenceKey(ev), ev);
      unfillable.push(...actions.unfillable);
      push(reply, actions.send);
    }
  }
  return { bytesAtoB: counts.ab, bytesBtoA: counts.ba, framesAtoB: counts.fab, framesBtoA: counts.fba, notesBytes: counts.notes, unfillable, sessions: [sa, sb] };
}
