/**
 * A small builder of group logs in the roster's own terms (protocol/roster.ts RosterEntry), with
 * real certificates and real key packages, for the roster's table-driven tests and vectors.
 * Entry ids are made up (a hash of a counter and the author): the roster trusts the ids it is
 * given, so that is all it needs.
 */
import { compareBytes, toHex, utf8Encode } from '../../protocol/bytes.js';
import { createCertificate, profileKeysFromSeeds, type Certificate, type ProfileKeys } from '../../protocol/certificate.js';
import type { EpochNameLike, Role } from '../../protocol/checkpoint.js';
import { blake2b, ed25519KeyPairFromSeed, type Ed25519KeyPair } from '../../protocol/crypto.js';
import { createKeyPackage, encodeKeyPackage } from '../../protocol/key-package.js';
import type { RosterAction, RosterEntry } from '../../protocol/roster.js';

export interface Person {
  readonly name: string;
  readonly identity: Ed25519KeyPair;
  readonly profile: ProfileKeys;
  readonly certificate: Certificate;
}

function bytesOf(text: string): Uint8Array {
  return blake2b(32, utf8Encode(`snug roster test ${text}`));
}

/** A person with deterministic keys derived from the name. */
export function person(name: string): Person {
  const identity = ed25519KeyPairFromSeed(bytesOf(`identity ${name}`));
  const profile = profileKeysFromSeeds(bytesOf(`signing ${name}`), bytesOf(`dh ${name}`));
  const certificate = createCertificate(identity, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, 1_767_225_600_000);
  return { name, identity, profile, certificate };
}

export interface PostOptions {
  /** Heads; by default the id of the entry posted last (so the log is one causal line). */
  readonly heads?: readonly Uint8Array[];
  /** The epoch posted in; by default the builder's current epoch. */
  readonly epoch?: EpochNameLike;
  readonly timestamp?: number;
  /** A seq to use instead of the author's next one (to equivocate). */
  readonly seq?: number;
  readonly prev?: Uint8Array;
}

export class LogBuilder {
  readonly entries: RosterEntry[] = [];
  readonly people = new Map<string, Person>();
  readonly groupId: Uint8Array;
  /** The epoch entries are posted in by default: moved on by `rekey`. */
  epoch: EpochNameLike;
  private readonly chains = new Map<string, { seq: number; prev: Uint8Array }>();
  private counter = 0;
  private last: Uint8Array | null = null;

  constructor(
    founder: string,
    options: { admins?: readonly string[]; membersMayInvite?: boolean; name?: string; pubs?: readonly string[] } = {},
  ) {
    const admins = [founder, ...(options.admins ?? [])].map((n) => this.who(n));
    this.groupId = bytesOf(`genesis ${founder}`);
    this.epoch = { number: 0, opener: this.groupId };
    this.push(
      founder,
      {
        kind: 'genesis',
        certificate: this.who(founder).certificate,
        settings: { name: options.name ?? 'the snug', pubs: options.pubs ?? [], membersMayInvite: options.membersMayInvite ?? false },
        admins: admins.map((p) => p.identity.publicKey),
      },
      {},
      this.groupId,
    );
  }

  who(name: string): Person {
    let p = this.people.get(name);
    if (p === undefined) this.people.set(name, (p = person(name)));
    return p;
  }

  private push(name: string, action: RosterAction, o: PostOptions, id?: Uint8Array): Uint8Array {
    const p = this.who(name);
    const chain = this.chains.get(name) ?? { seq: 0, prev: new Uint8Array(32) };
    const seq = o.seq ?? chain.seq + 1;
    const prev = o.prev ?? chain.prev;
    const entryId = id ?? bytesOf(`entry ${this.counter++} ${name}`);
    const heads = o.heads ?? (this.last === null ? [] : [this.last]);
    this.entries.push({
      id: entryId,
      author: p.profile.signing.publicKey,
      seq,
      prev: seq === 1 ? new Uint8Array(32) : prev,
      heads: [...heads],
      timestamp: o.timestamp ?? 1_767_225_600_000 + this.counter,
      epoch: o.epoch ?? this.epoch,
      action,
    });
    if (o.seq === undefined) this.chains.set(name, { seq, prev: entryId });
    this.last = entryId;
    return entryId;
  }

  post(name: string, action: RosterAction, o: PostOptions = {}): Uint8Array {
    return this.push(name, action, o);
  }

  text(name: string, o: PostOptions = {}): Uint8Array {
    return this.post(name, { kind: 'text' }, o);
  }

  invite(name: string, o: PostOptions & { uses?: number; expires?: number } = {}): Uint8Array {
    return this.post(name, { kind: 'invite', includesHistory: false, expires: o.expires ?? 0, uses: o.uses ?? 0 }, o);
  }

  join(name: string, invite: Uint8Array, o: PostOptions = {}): Uint8Array {
    return this.post(name, { kind: 'join', invite, certificate: this.who(name).certificate }, o);
  }

  /** An add by `admin`; for role 'admin', followed by a role change (adds carry no role). */
  add(admin: string, name: string, role: Role = 'member', o: PostOptions = {}): Uint8Array {
    const id = this.post(admin, { kind: 'add', certificate: this.who(name).certificate }, o);
    if (role === 'admin') this.role(admin, name, 'admin');
    return id;
  }

  role(admin: string, name: string, role: Role, o: PostOptions = {}): Uint8Array {
    return this.post(admin, { kind: 'role', member: this.who(name).identity.publicKey, role }, o);
  }

  /**
   * A remove-and-re-key by `admin`: a real key package for `members` (name -> role) of epoch
   * current + 1. Moves the builder's epoch on unless `stay`.
   */
  rekey(admin: string, removed: readonly string[], members: Readonly<Record<string, Role>>, o: PostOptions & { stay?: boolean; signer?: string; previous?: EpochNameLike; keyPackageBytes?: Uint8Array } = {}): Uint8Array {
    const previous = o.previous ?? o.epoch ?? this.epoch;
    const keyPackage = createKeyPackage(
      {
        groupId: this.groupId,
        epoch: previous.number + 1,
        previous,
        members: Object.entries(members).map(([n, role]) => ({ identityKey: this.who(n).identity.publicKey, dhKey: this.who(n).profile.dh.publicKey, role })),
        secret: bytesOf(`epoch secret ${this.counter}`),
      },
      this.who(o.signer ?? admin).profile.signing,
    );
    const removedKeys = removed.map((n) => this.who(n).identity.publicKey).sort(compareBytes);
    const id = this.post(admin, { kind: 'remove', removed: removedKeys, keyPackage: o.keyPackageBytes ?? encodeKeyPackage(keyPackage) }, o);
    if (o.stay !== true) this.epoch = { number: previous.number + 1, opener: id };
    return id;
  }

  key(name: string): string {
    return toHex(this.who(name).identity.publicKey);
  }
}
