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
import type { ChainMeta } from '../../protocol/sync/gaps.js';

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
    const entry = createEntry(keys, who.profile.signing, { seq, prev, timestamp: 1_767_225_600_000 + seq, heads: options.heads ?? [], content: { kind: 'text', text } });
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
