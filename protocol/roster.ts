/**
 * The roster: who is in a group, with which role, in which epoch, computed by every member from
 * the log alone (docs/groups.md, "Roster"). A pure function of a set of decoded, verified
 * entries; two members holding the same set compute the same roster, whatever order they
 * received the entries in.
 *
 * Order. Entries are applied in one deterministic order: a topological order of the log's
 * causal graph (an entry comes after its prev, after each of its heads and, for a join, after
 * the invite entry it cites), taking at each step the ready entry with the smallest id (byte
 * order). An entry whose dependencies are not all held is *pending*: it and everything after it
 * wait until the missing entries arrive (sync fetches them). Closing the old epoch: an entry by
 * a member that a removal names, outside the removal's causal past, comes after the removal
 * (and is then ignored); an author's entry of an earlier epoch than one it already posted in is
 * ignored (`closed-epoch`). A member that joined without history computes from a base (the
 * invite's checkpoint and certificates) instead of the genesis.
 *
 * Authority. Each entry is applied or *ignored* (with a reason) by the rules below; an ignored
 * entry changes nothing, and its author's content should not be shown as the group's.
 *
 * | kind          | who may author it                       | effect                            |
 * | ------------- | --------------------------------------- | --------------------------------- |
 * | genesis       | the founder, one of the admins it names | founder, admins, name, pubs, ...  |
 * | invite        | an admin; a member if the genesis allows | an invite that joins can cite     |
 * | join          | the joiner (its certificate's key)      | joiner becomes a member           |
 * | add           | an admin                                | a member added by certificate     |
 * | remove-re-key | an admin, who signed its checkpoint     | roster := checkpoint; new epoch   |
 * | leave         | any member                              | the author is no longer a member  |
 * | role          | an admin                                | a member's role set               |
 * | pubs          | an admin                                | the group's pub list set          |
 * | hide          | an admin                                | an entry hidden for everyone      |
 * | content       | any member                              | none (text, reply, reaction, ...) |
 *
 * The detailed conditions (live invites, epochs, the last admin, group size) are in
 * docs/groups.md and in `apply` below, one branch per kind.
 */
import { bytesEqual, compareBytes, toHex } from './bytes.js';
import { GROUP_MEMBERS_MAX, type EpochNameLike, type Role } from './checkpoint.js';
import { verifyCertificate, type Certificate } from './certificate.js';
import { entryId, type Entry } from './entry.js';
import { isProtocolError, ProtocolError, ProtocolErrorCode } from './errors.js';
import { consumeKeyPackage, type KeyPackage } from './key-package.js';

/**
 * What an entry does to the roster: the entry's content, in the shapes of protocol/entry-body.ts
 * (a decoded entry's `content` is one of these; fields the roster does not read may be present).
 */
export type RosterAction =
  | {
      readonly kind: 'genesis';
      /** The founder's certificate: its signing key is the genesis entry's author. */
      readonly certificate: Certificate;
      readonly settings: { readonly name: string; readonly pubs: readonly string[]; readonly membersMayInvite: boolean };
      /** Identity keys of the admins, the founder's among them. */
      readonly admins: readonly Uint8Array[];
    }
  | {
      readonly kind: 'invite';
      readonly includesHistory: boolean;
      /** ms since the Unix epoch after which a join may no longer cite it; 0: never expires. */
      readonly expires: number;
      /** How many joins may cite it; 0: any number. */
      readonly uses: number;
    }
  | { readonly kind: 'join'; readonly invite: Uint8Array; readonly certificate: Certificate }
  | { readonly kind: 'add'; readonly certificate: Certificate }
  | { readonly kind: 'remove'; readonly removed: readonly Uint8Array[]; readonly keyPackage: Uint8Array }
  | { readonly kind: 'leave' }
  | { readonly kind: 'role'; readonly member: Uint8Array; readonly role: Role }
  | { readonly kind: 'pubs'; readonly pubs: readonly string[] }
  | { readonly kind: 'hide'; readonly target: Uint8Array }
  | { readonly kind: 'text' | 'reply' | 'reaction' | 'edit' | 'delete' };

/** One entry as the roster sees it: its place in the log and its action. */
export interface RosterEntry {
  /** The entry's id [32]. */
  readonly id: Uint8Array;
  /** The author's profile signing key [32]. */
  readonly author: Uint8Array;
  readonly seq: number;
  /** Id of the author's previous entry (32 zero bytes for seq 1). */
  readonly prev: Uint8Array;
  readonly heads: readonly Uint8Array[];
  readonly timestamp: number;
  /** The epoch the entry was posted in. */
  readonly epoch: EpochNameLike;
  readonly action: RosterAction;
}

/**
 * The roster's view of a decoded, verified entry v2 (`consumeGenesis` / `consumeEntry`). `id` is
 * the entry's id when the caller has it (entryId of the bytes received); it is computed otherwise.
 * The genesis entry's epoch field is (0, zero) on the wire; here it is epoch 0, (0, its id).
 */
export function rosterEntryOf(entry: Entry, id: Uint8Array = entryId(entry)): RosterEntry {
  const epoch = entry.content.kind === 'genesis' ? { number: 0, opener: id } : entry.epoch;
  return { id, author: entry.author, seq: entry.seq, prev: entry.prev, heads: entry.heads, timestamp: entry.timestamp, epoch, action: entry.content };
}

/** Why an entry was ignored. */
export const IgnoredReason = {
  /** The author is not a member (never was, or no longer). */
  NOT_MEMBER: 'not-member',
  /** Only an admin may author this kind (or, for an invite, the genesis does not let members). */
  NOT_ADMIN: 'not-admin',
  /** A roster change posted in an epoch other than the current one. */
  STALE_EPOCH: 'stale-epoch',
  /** A join cites no applied invite entry, or one of an earlier epoch, or of a departed inviter. */
  NO_INVITE: 'no-invite',
  /** A join after its invite's expiry. */
  INVITE_EXPIRED: 'invite-expired',
  /** A join beyond its invite's number of uses. */
  INVITE_USED_UP: 'invite-used-up',
  /** A join or add of someone already a member, or whose signing key a member already uses. */
  ALREADY_MEMBER: 'already-member',
  /** A join or add that would make the group larger than GROUP_MEMBERS_MAX. */
  GROUP_FULL: 'group-full',
  /** A certificate that does not verify, or a join not signed by its certificate's key. */
  BAD_CERTIFICATE: 'bad-certificate',
  /** A key package that does not verify, or is not for this group's next epoch, or not by the author. */
  BAD_KEY_PACKAGE: 'bad-key-package',
  /** A checkpoint naming someone who is not a member, with another role, or someone it removes. */
  BAD_CHECKPOINT: 'bad-checkpoint',
  /** A role change of a non-member. */
  NO_SUCH_MEMBER: 'no-such-member',
  /** A leave or role change that would leave the group without an admin. */
  LAST_ADMIN: 'last-admin',
  /** A second entry with an (author, seq) already applied: the author equivocated. */
  EQUIVOCATION: 'equivocation',
  /** A genesis entry other than the group's own. */
  NOT_GENESIS: 'not-genesis',
  /**
   * An entry of an earlier epoch than one its author already posted in (by seq): the epoch was
   * closed for that author by its own first entry in the later one.
   */
  CLOSED_EPOCH: 'closed-epoch',
} as const;
export type IgnoredReason = (typeof IgnoredReason)[keyof typeof IgnoredReason];

export interface Member {
  readonly identityKey: Uint8Array;
  readonly role: Role;
  /** The member's certificate (its signing and X25519 keys), from the genesis, join or add. */
  readonly certificate: Certificate;
  /** Id of the entry that made it a member (the genesis for the founding admins). */
  readonly since: Uint8Array;
}

export interface LiveInvite {
  /** The invite entry's id. */
  readonly id: Uint8Array;
  /** The inviter's identity key. */
  readonly inviter: Uint8Array;
  readonly includesHistory: boolean;
  readonly expires: number;
  /** Joins it still admits; null: any number. */
  readonly usesLeft: number | null;
}

export interface Roster {
  readonly groupId: Uint8Array;
  readonly name: string;
  readonly membersMayInvite: boolean;
  readonly pubs: readonly string[];
  /** The current epoch. */
  readonly epoch: EpochNameLike;
  /** Every epoch opened so far, in order (epoch 0 first). */
  readonly epochs: readonly EpochNameLike[];
  /** Ascending by identity key. */
  readonly members: readonly Member[];
  /** Identity keys of the admins, ascending. */
  readonly admins: readonly Uint8Array[];
  /** Open invites (a re-key closes all of them). */
  readonly invites: readonly LiveInvite[];
  /** Ids of hidden entries, ascending. */
  readonly hidden: readonly Uint8Array[];
  /** Identity keys the genesis names as admins who have not yet joined (a re-key forgets them). */
  readonly awaitingAdmins: readonly Uint8Array[];
  /**
   * Always empty: kept so that older callers still compile. A member a re-key's checkpoint does
   * not name (it joined concurrently) stays a member and is listed in `lockedOut`.
   * @deprecated use `lockedOut`.
   */
  readonly dropped: readonly Uint8Array[];
  /**
   * Identity keys that hold the current epoch's secret by the log (the checkpoint of the re-key
   * that opened it, or everyone admitted in epoch 0, and those admitted since in this epoch)
   * but are no longer members: they left, or were removed by a re-key that lost a race
   * (`superseded`). Ascending. While not empty the epoch is *exposed*: an admin re-keys.
   */
  readonly exposed: readonly Uint8Array[];
  /**
   * Identity keys of members that do not hold the current epoch's secret: they joined
   * concurrently with the re-key that opened it, or were admitted by a join racing it.
   * Ascending. While not empty an admin re-keys, sealing the next epoch to them.
   */
  readonly lockedOut: readonly Uint8Array[];
  /**
   * Ids of re-keys that lost a race (posted in the epoch the current one followed, ordered
   * after the re-key that opened it): their removals were applied, their key packages do not
   * count. In order applied.
   */
  readonly superseded: readonly Uint8Array[];
  /** Ids of the applied entries, in the order applied (the genesis first). */
  readonly applied: readonly Uint8Array[];
  /** Ignored entries with their reasons, in order. */
  readonly ignored: readonly { readonly id: Uint8Array; readonly reason: IgnoredReason }[];
  /** Ids of the entries waiting for a missing dependency, ascending. */
  readonly pending: readonly Uint8Array[];
  /** Signing keys of authors with two entries of one seq. */
  readonly equivocators: readonly Uint8Array[];
}

interface MutableMember {
  identityKey: Uint8Array;
  role: Role;
  certificate: Certificate;
  since: Uint8Array;
}

interface InviteState {
  id: Uint8Array;
  inviter: string;
  includesHistory: boolean;
  expires: number;
  usesLeft: number | null;
}

function fail(message: string): never {
  throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, message);
}

// ---- deterministic order ----

/** A binary min-heap of hex ids (lowercase hex of equal length sorts as the bytes do). */
class MinHeap {
  private readonly items: string[] = [];

  get size(): number {
    return this.items.length;
  }

  push(v: string): void {
    const a = this.items;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= a[i]!) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  pop(): string {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! < a[m]!) m = l;
        if (r < a.length && a[r]! < a[m]!) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Where a member that joined without history starts its roster (docs/groups.md, "Roster from a
 * base"): the checkpoint of the epoch it joined, with a certificate for each member it names
 * (from the invite), and the group's pubs as the invite gave them. It holds no entry of an
 * earlier epoch (it cannot open them), so the roster starts here instead of at the genesis.
 */
export interface RosterBase {
  /** The epoch the base opens (its opener: the re-key's id) and the one it followed. */
  readonly epoch: EpochNameLike;
  readonly previous: EpochNameLike;
  /**
   * The checkpoint's members with their certificates, ascending by identity key. The caller has
   * verified them (consumeInvite does), so a recompute does not verify 1,024 signatures again.
   */
  readonly members: readonly { readonly certificate: Certificate; readonly role: Role }[];
  readonly pubs: readonly string[];
}

/** The dependencies of an entry: prev (from seq 2), heads, and a join's invite. */
function dependencies(e: RosterEntry): string[] {
  const deps = new Set<string>();
  if (e.seq > 1) deps.add(toHex(e.prev));
  for (const h of e.heads) deps.add(toHex(h));
  if (e.action.kind === 'join') deps.add(toHex(e.action.invite));
  deps.delete(toHex(e.id));
  return [...deps];
}

/**
 * The closing of an epoch by a removal (docs/groups.md, "Closing the old epoch"): a member that
 * a remove-and-re-key entry R removes has its entries applied before R only when they are in R's
 * causal past (what R's author had seen: R's prev and heads, transitively). Any other entry of
 * theirs waits until R has been taken (and is then ignored, its author no longer a member). The
 * causal past is the per-author frontier R names: for each author, the last entry it accepts.
 */
class RemovalCloser {
  /** identity key hex -> the remove entries naming it. */
  private readonly removals = new Map<string, RosterEntry[]>();
  /** signing key hex -> identity key hex, from every certificate in the set. */
  private readonly identities = new Map<string, string>();
  /** remove entry id -> its causal past as a bitmap over `index`. */
  private readonly pasts = new Map<string, Uint8Array>();
  /** entry id -> its position, and each position's dependencies (held ones) as positions. */
  private readonly index = new Map<string, number>();
  private readonly depIndex: number[][] = [];
  /** Author keys as hex, by array (entries of one author usually share it). */
  private readonly authorHex = new WeakMap<Uint8Array, string>();

  constructor(
    private readonly byId: ReadonlyMap<string, RosterEntry>,
    private readonly depsOf: ReadonlyMap<string, readonly string[]>,
    /** Certificates known besides the entries' (a base's members). */
    certificates: readonly Certificate[] = [],
  ) {
    for (const c of certificates) this.identities.set(toHex(c.signingKey), toHex(c.identityKey));
    for (const e of byId.values()) {
      const a = e.action;
      if (a.kind === 'genesis' || a.kind === 'join' || a.kind === 'add') this.identities.set(toHex(a.certificate.signingKey), toHex(a.certificate.identityKey));
      if (a.kind === 'remove') {
        for (const k of a.removed) {
          const key = toHex(k);
          let list = this.removals.get(key);
          if (list === undefined) this.removals.set(key, (list = []));
          list.push(e);
        }
      }
    }
  }

  get idle(): boolean {
    return this.removals.size === 0;
  }

  /** The id of a remove entry not yet taken that `e` must wait for, or null. */
  waitFor(id: string, e: RosterEntry, taken: ReadonlySet<string>): string | null {
    let author = this.authorHex.get(e.author);
    if (author === undefined) this.authorHex.set(e.author, (author = toHex(e.author)));
    const identity = this.identities.get(author);
    if (identity === undefined) return null;
    for (const r of this.removals.get(identity) ?? []) {
      const rid = toHex(r.id);
      if (rid === id || taken.has(rid)) continue;
      if (this.past(rid)[this.index.get(id)!] !== 1) return rid;
    }
    return null;
  }

  /** The causal past of remove entry `rid` (held entries only): 1 at the position of each. */
  private past(rid: string): Uint8Array {
    let set = this.pasts.get(rid);
    if (set !== undefined) return set;
    if (this.index.size === 0) {
      // positions, built on the first need (a log without removals never pays for them)
      for (const id of this.byId.keys()) this.index.set(id, this.index.size);
      for (const id of this.byId.keys()) {
        const out: number[] = [];
        for (const d of this.depsOf.get(id) ?? []) {
          const i = this.index.get(d);
          if (i !== undefined) out.push(i);
        }
        this.depIndex.push(out);
      }
    }
    set = new Uint8Array(this.index.size);
    const stack = this.depIndex[this.index.get(rid)!]!.slice();
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (set[d] === 1) continue;
      set[d] = 1;
      for (const x of this.depIndex[d]!) if (set[x] !== 1) stack.push(x);
    }
    this.pasts.set(rid, set);
    return set;
  }
}

/**
 * The order the roster applies entries in (see the module comment) and the entries left
 * pending. Duplicate ids count once. An entry of a member that a removal names, outside that
 * removal's causal past, comes after the removal (RemovalCloser); when only such waiting
 * entries are left (two admins removing each other, or a removal that is itself pending), the
 * one with the smallest id goes first.
 */
export function rosterOrder(entries: readonly RosterEntry[], options: { readonly fromBase?: boolean; readonly certificates?: readonly Certificate[] } = {}): { order: RosterEntry[]; pending: RosterEntry[] } {
  const byId = new Map<string, RosterEntry>();
  for (const e of entries) if (!byId.has(toHex(e.id))) byId.set(toHex(e.id), e);
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const heap = new MinHeap();
  const depsOf = new Map<string, string[]>();
  for (const [id, e] of byId) {
    // From a base, a dependency not held is taken to be before the base (an entry of an epoch
    // the holder cannot open), not waited for.
    const deps = options.fromBase === true ? dependencies(e).filter((d) => byId.has(d)) : dependencies(e);
    waiting.set(id, deps.length);
    depsOf.set(id, deps);
    for (const d of deps) {
      let list = dependents.get(d);
      if (list === undefined) dependents.set(d, (list = []));
      list.push(id);
    }
    if (deps.length === 0) heap.push(id);
  }
  const closer = new RemovalCloser(byId, depsOf, options.certificates);
  const taken = new Set<string>();
  /** remove entry id -> entries waiting for it to be taken */
  const deferred = new Map<string, string[]>();
  const held = new MinHeap();
  const forced = new Set<string>();
  const order: RosterEntry[] = [];
  for (;;) {
    if (heap.size === 0) {
      if (held.size === 0) break;
      const id = held.pop();
      if (taken.has(id) || forced.has(id)) continue;
      forced.add(id);
      heap.push(id);
      continue;
    }
    const id = heap.pop();
    if (taken.has(id)) continue;
    const e = byId.get(id)!;
    if (!closer.idle && !forced.has(id)) {
      const r = closer.waitFor(id, e, taken);
      if (r !== null) {
        let list = deferred.get(r);
        if (list === undefined) deferred.set(r, (list = []));
        list.push(id);
        held.push(id);
        continue;
      }
    }
    taken.add(id);
    order.push(e);
    for (const d of deferred.get(id) ?? []) if (!taken.has(d)) heap.push(d);
    deferred.delete(id);
    for (const d of dependents.get(id) ?? []) {
      const left = waiting.get(d)! - 1;
      waiting.set(d, left);
      if (left === 0) heap.push(d);
    }
  }
  const pending = [...byId.entries()].filter(([id]) => waiting.get(id)! > 0).map(([, e]) => e);
  pending.sort((a, b) => compareBytes(a.id, b.id));
  return { order, pending };
}

// ---- applying ----

class State {
  name = '';
  membersMayInvite = false;
  pubs: readonly string[] = [];
  epoch: EpochNameLike;
  readonly epochs: EpochNameLike[] = [];
  /** identity key hex -> member */
  members = new Map<string, MutableMember>();
  /** signing key hex -> identity key hex */
  signers = new Map<string, string>();
  invites = new Map<string, InviteState>();
  /** The invites the re-key that opened the current epoch closed (a join racing it may cite them). */
  closedInvites = new Map<string, InviteState>();
  /** The epoch the current one followed; null in epoch 0. */
  previous: EpochNameLike | null = null;
  /** identity key hex -> key: who holds the current epoch's secret by the log. */
  holders = new Map<string, Uint8Array>();
  readonly superseded: Uint8Array[] = [];
  /** Identity keys (hex) the genesis names as admins whose certificate has not yet arrived. */
  readonly awaiting = new Map<string, Uint8Array>();
  readonly hidden = new Map<string, Uint8Array>();
  readonly applied: Uint8Array[] = [];
  readonly ignored: { id: Uint8Array; reason: IgnoredReason }[] = [];
  /** "author hex:seq" of applied or ignored entries (for equivocation). */
  readonly seen = new Set<string>();
  readonly equivocators = new Map<string, Uint8Array>();

  constructor(readonly groupId: Uint8Array) {
    this.epoch = { number: 0, opener: groupId.slice() };
    this.epochs.push(this.epoch);
  }

  /** The role someone arriving by join or add gets: admin when the genesis named them so. */
  arrivingRole(cert: Certificate): Role {
    const key = toHex(cert.identityKey);
    if (!this.awaiting.has(key)) return 'member';
    this.awaiting.delete(key);
    return 'admin';
  }

  adminCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.role === 'admin') n++;
    return n;
  }

  /** Admits a member; `holds`: it holds the current epoch's secret (admitted in this epoch). */
  addMember(cert: Certificate, role: Role, since: Uint8Array, holds: boolean): void {
    const key = toHex(cert.identityKey);
    this.members.set(key, { identityKey: cert.identityKey.slice(), role, certificate: cert, since: since.slice() });
    this.signers.set(toHex(cert.signingKey), key);
    if (holds) this.holders.set(key, cert.identityKey.slice());
  }

  removeMember(key: string): void {
    const m = this.members.get(key);
    if (m === undefined) return;
    this.members.delete(key);
    this.signers.delete(toHex(m.certificate.signingKey));
    for (const [id, inv] of this.invites) if (inv.inviter === key) this.invites.delete(id);
    for (const [id, inv] of this.closedInvites) if (inv.inviter === key) this.closedInvites.delete(id);
  }

  /** Posted in the epoch the current one followed: concurrent with the re-key that opened it. */
  inPreviousEpoch(e: RosterEntry): boolean {
    return this.previous !== null && e.epoch.number === this.previous.number && bytesEqual(e.epoch.opener, this.previous.opener);
  }

  inCurrentEpoch(e: RosterEntry): boolean {
    return e.epoch.number === this.epoch.number && bytesEqual(e.epoch.opener, this.epoch.opener);
  }
}

/** Applies one entry (not the genesis); returns the reason it is ignored, or null when applied. */
function apply(s: State, e: RosterEntry): IgnoredReason | null {
  const a = e.action;
  if (a.kind === 'genesis') return IgnoredReason.NOT_GENESIS;
  if (a.kind === 'join') return applyJoin(s, e, a);
  const authorKey = s.signers.get(toHex(e.author));
  if (authorKey === undefined) return IgnoredReason.NOT_MEMBER;
  const author = s.members.get(authorKey)!;
  const isAdmin = author.role === 'admin';
  switch (a.kind) {
    case 'text':
    case 'reply':
    case 'reaction':
    case 'edit':
    case 'delete':
      return null;
    case 'leave':
      if (isAdmin && s.adminCount() === 1) return IgnoredReason.LAST_ADMIN;
      s.removeMember(authorKey);
      return null;
    case 'hide':
      if (!isAdmin) return IgnoredReason.NOT_ADMIN;
      s.hidden.set(toHex(a.target), a.target.slice());
      return null;
    default:
      break;
  }
  // The rest change who may read or post: only in the current epoch (a re-key that lost a race
  // to the one that opened it still removes whom it removes).
  if (!isAdmin && !(a.kind === 'invite' && s.membersMayInvite)) return IgnoredReason.NOT_ADMIN;
  if (a.kind === 'remove' && s.inPreviousEpoch(e)) return applySupersededRemove(s, e, a);
  if (!s.inCurrentEpoch(e)) return IgnoredReason.STALE_EPOCH;
  switch (a.kind) {
    case 'invite':
      s.invites.set(toHex(e.id), {
        id: e.id.slice(),
        inviter: authorKey,
        includesHistory: a.includesHistory,
        expires: a.expires,
        usesLeft: a.uses === 0 ? null : a.uses,
      });
      return null;
    case 'add': {
      const bad = admissible(s, a.certificate);
      if (bad !== null) return bad;
      s.addMember(a.certificate, s.arrivingRole(a.certificate), e.id, true);
      return null;
    }
    case 'role': {
      const key = toHex(a.member);
      const target = s.members.get(key);
      if (target === undefined) return IgnoredReason.NO_SUCH_MEMBER;
      if (target.role === 'admin' && a.role !== 'admin' && s.adminCount() === 1) return IgnoredReason.LAST_ADMIN;
      target.role = a.role;
      if (a.role !== 'admin' && !s.membersMayInvite) {
        // A member may not invite here: the invites the demoted admin issued close.
        for (const [id, inv] of s.invites) if (inv.inviter === key) s.invites.delete(id);
      }
      return null;
    }
    case 'pubs':
      s.pubs = a.pubs.slice();
      return null;
    case 'remove':
      return applyRemove(s, e, a);
  }
}

/** Why `cert` may not become a member now, or null. */
function admissible(s: State, cert: Certificate): IgnoredReason | null {
  if (s.members.has(toHex(cert.identityKey)) || s.signers.has(toHex(cert.signingKey))) return IgnoredReason.ALREADY_MEMBER;
  if (s.members.size >= GROUP_MEMBERS_MAX) return IgnoredReason.GROUP_FULL;
  if (!verifyCertificate(cert)) return IgnoredReason.BAD_CERTIFICATE;
  return null;
}

function applyJoin(s: State, e: RosterEntry, a: { invite: Uint8Array; certificate: Certificate }): IgnoredReason | null {
  if (!bytesEqual(e.author, a.certificate.signingKey)) return IgnoredReason.BAD_CERTIFICATE;
  // A join racing the re-key that opened the current epoch (posted in the epoch it closed,
  // citing an invite it closed) is admitted, without the new epoch's secret (lockedOut).
  const current = s.inCurrentEpoch(e);
  if (!current && !(s.inPreviousEpoch(e) && s.closedInvites.has(toHex(a.invite)))) return IgnoredReason.STALE_EPOCH;
  const invite = (current ? s.invites : s.closedInvites).get(toHex(a.invite));
  if (invite === undefined) return IgnoredReason.NO_INVITE;
  if (invite.expires !== 0 && e.timestamp > invite.expires) return IgnoredReason.INVITE_EXPIRED;
  if (invite.usesLeft === 0) return IgnoredReason.INVITE_USED_UP;
  const bad = admissible(s, a.certificate);
  if (bad !== null) return bad;
  if (invite.usesLeft !== null) invite.usesLeft--;
  s.addMember(a.certificate, s.arrivingRole(a.certificate), e.id, current);
  return null;
}

/** The key package of a re-key posted in epoch `posted`, or why it does not count. */
function rekeyPackage(s: State, e: RosterEntry, bytes: Uint8Array, posted: EpochNameLike): KeyPackage | IgnoredReason {
  let keyPackage: KeyPackage;
  try {
    keyPackage = consumeKeyPackage(bytes, s.groupId);
  } catch (err) {
    if (isProtocolError(err)) return IgnoredReason.BAD_KEY_PACKAGE;
    throw err;
  }
  const cp = keyPackage.checkpoint;
  if (cp.epoch !== posted.number + 1 || cp.previous.number !== posted.number || !bytesEqual(cp.previous.opener, posted.opener) || !bytesEqual(cp.signer, e.author)) {
    return IgnoredReason.BAD_KEY_PACKAGE;
  }
  return keyPackage;
}

/**
 * A re-key posted in the epoch the current one followed, by an admin: it lost the race to the
 * re-key that opened the current epoch. Its removals still count (of those still members), so
 * concurrent removals merge; its key package does not (the epoch does not move). The removed
 * who still hold the current epoch are then `exposed`, and an admin re-keys.
 */
function applySupersededRemove(s: State, e: RosterEntry, a: { removed: readonly Uint8Array[]; keyPackage: Uint8Array }): IgnoredReason | null {
  const pkg = rekeyPackage(s, e, a.keyPackage, e.epoch);
  if (typeof pkg === 'string') return pkg;
  const gone = a.removed.map(toHex).filter((key) => s.members.has(key));
  const adminsLeft = [...s.members].filter(([key, m]) => m.role === 'admin' && !gone.includes(key)).length;
  if (adminsLeft === 0) return IgnoredReason.LAST_ADMIN;
  for (const key of gone) s.removeMember(key);
  s.superseded.push(e.id.slice());
  return null;
}

function applyRemove(s: State, e: RosterEntry, a: { removed: readonly Uint8Array[]; keyPackage: Uint8Array }): IgnoredReason | null {
  const keyPackage = rekeyPackage(s, e, a.keyPackage, s.epoch);
  if (typeof keyPackage === 'string') return keyPackage;
  const cp = keyPackage.checkpoint;
  const removed = new Set(a.removed.map(toHex));
  for (const m of cp.members) {
    const key = toHex(m.identityKey);
    const current = s.members.get(key);
    if (current === undefined || current.role !== m.role || removed.has(key)) return IgnoredReason.BAD_CHECKPOINT;
  }
  // Members the checkpoint does not name (and the entry does not remove) joined concurrently:
  // they stay members, without the new secret (lockedOut), until an admin re-keys.
  for (const key of removed) s.removeMember(key);
  s.closedInvites = s.invites;
  s.invites = new Map();
  s.awaiting.clear();
  s.holders = new Map(cp.members.map((m) => [toHex(m.identityKey), m.identityKey.slice()]));
  s.previous = s.epoch;
  s.epoch = { number: cp.epoch, opener: e.id.slice() };
  s.epochs.push(s.epoch);
  return null;
}

/** The roster state at a base: its members (holding its epoch), epoch and pubs. */
function startFromBase(s: State, base: RosterBase): void {
  if (base.members.length === 0 || base.members.length > GROUP_MEMBERS_MAX) fail('a base names 1..1,024 members');
  if (!base.members.some((m) => m.role === 'admin')) fail('a base names an admin');
  if (base.epoch.number < 1 || base.previous.number !== base.epoch.number - 1) fail('a base opens an epoch after 0 and follows the one before');
  for (const m of base.members) {
    if (s.members.has(toHex(m.certificate.identityKey)) || s.signers.has(toHex(m.certificate.signingKey))) fail('a base names a member twice');
    s.addMember(m.certificate, m.role, base.epoch.opener, true);
  }
  s.epochs.length = 0;
  s.epoch = { number: base.epoch.number, opener: base.epoch.opener.slice() };
  s.epochs.push(s.epoch);
  s.previous = { number: base.previous.number, opener: base.previous.opener.slice() };
  s.pubs = base.pubs.slice();
}

/**
 * Computes the roster of the group `groupId` from its entries (in any order; duplicates count
 * once). The genesis entry is the one whose id is `groupId`; without it, or when its author is
 * not one of the admins it names, or an admin certificate does not verify, the log has no
 * roster (INVALID_FIELD).
 *
 * With `base` (a member that joined without history): the roster starts at the base instead of
 * the genesis (whose name and settings still count), a dependency the set does not hold does not
 * hold an entry back, and entries posted in an epoch before the base's are ignored (`stale-epoch`).
 */
export function computeRoster(groupId: Uint8Array, entries: readonly RosterEntry[], base?: RosterBase): Roster {
  if (groupId.length !== 32) fail('a group id is 32 bytes');
  const { order, pending } = rosterOrder(entries, base === undefined ? {} : { fromBase: true, certificates: base.members.map((m) => m.certificate) });
  const genesis = order.find((e) => bytesEqual(e.id, groupId));
  if (genesis === undefined) fail('the log holds no genesis entry of this group');
  const g = genesis.action;
  if (g.kind !== 'genesis') fail('the entry with the group id is not a genesis entry');
  if (genesis.seq !== 1 || genesis.heads.length !== 0) fail('a genesis entry is its author\'s first and has no heads');
  // (The genesis entry's own epoch field is (0, zero) in entry v2: it opens epoch (0, group id).)
  if (genesis.epoch.number !== 0) fail('a genesis entry is of epoch 0');
  const s = new State(groupId);
  if (!bytesEqual(genesis.author, g.certificate.signingKey)) fail('the genesis author is not its founder certificate\'s signing key');
  if (!verifyCertificate(g.certificate)) fail('the founder certificate does not verify');
  if (!g.admins.some((k) => bytesEqual(k, g.certificate.identityKey))) fail('the founder is not one of the admins');
  if (base === undefined) {
    s.addMember(g.certificate, 'admin', genesis.id, true);
    for (const k of g.admins) if (!bytesEqual(k, g.certificate.identityKey)) s.awaiting.set(toHex(k), k.slice());
    s.pubs = g.settings.pubs.slice();
  } else {
    startFromBase(s, base);
  }
  s.name = g.settings.name;
  s.membersMayInvite = g.settings.membersMayInvite;
  s.seen.add(`${toHex(genesis.author)}:1`);
  s.applied.push(genesis.id.slice());

  /** author (signing key hex) -> the latest epoch number it posted in, along its chain. */
  const latestEpoch = new Map<string, number>();
  for (const e of order) {
    if (e === genesis) continue;
    // from a base: an entry of an epoch before it is not the holder's to apply (it cannot have
    // opened one; should it hold one anyway, the base already says what it came to)
    if (base !== undefined && e.epoch.number < base.epoch.number) {
      s.ignored.push({ id: e.id.slice(), reason: IgnoredReason.STALE_EPOCH });
      continue;
    }
    const slot = `${toHex(e.author)}:${e.seq}`;
    const authorHex = toHex(e.author);
    const latest = latestEpoch.get(authorHex) ?? 0;
    let reason: IgnoredReason | null;
    if (s.seen.has(slot)) {
      reason = IgnoredReason.EQUIVOCATION;
      s.equivocators.set(authorHex, e.author.slice());
    } else if (e.epoch.number < latest) {
      // an author's entries after its first one in a later epoch may not go back to an older one
      s.seen.add(slot);
      reason = IgnoredReason.CLOSED_EPOCH;
    } else {
      latestEpoch.set(authorHex, e.epoch.number);
      s.seen.add(slot);
      reason = apply(s, e);
    }
    if (reason === null) s.applied.push(e.id.slice());
    else s.ignored.push({ id: e.id.slice(), reason });
  }

  const members = [...s.members.values()]
    .map((m) => ({ identityKey: m.identityKey, role: m.role, certificate: m.certificate, since: m.since }))
    .sort((x, y) => compareBytes(x.identityKey, y.identityKey));
  const sortedValues = (m: Map<string, Uint8Array>) => [...m.values()].sort(compareBytes);
  return {
    groupId: groupId.slice(),
    name: s.name,
    membersMayInvite: s.membersMayInvite,
    pubs: s.pubs.slice(),
    epoch: s.epoch,
    epochs: s.epochs.slice(),
    members,
    admins: members.filter((m) => m.role === 'admin').map((m) => m.identityKey),
    invites: [...s.invites.values()]
      .map((i) => ({ id: i.id, inviter: s.members.get(i.inviter)!.identityKey, includesHistory: i.includesHistory, expires: i.expires, usesLeft: i.usesLeft }))
      .sort((x, y) => compareBytes(x.id, y.id)),
    hidden: sortedValues(s.hidden),
    awaitingAdmins: sortedValues(s.awaiting),
    dropped: [],
    exposed: sortedValues(new Map([...s.holders].filter(([key]) => !s.members.has(key)))),
    lockedOut: members.filter((m) => !s.holders.has(toHex(m.identityKey))).map((m) => m.identityKey),
    superseded: s.superseded.map((id) => id.slice()),
    applied: s.applied,
    ignored: s.ignored,
    pending: pending.map((e) => e.id.slice()),
    equivocators: sortedValues(s.equivocators),
  };
}

/** The member whose profile signing key is `signingKey`, or null. */
export function memberBySigningKey(roster: Roster, signingKey: Uint8Array): Member | null {
  return roster.members.find((m) => bytesEqual(m.certificate.signingKey, signingKey)) ?? null;
}
