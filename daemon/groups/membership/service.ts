/**
 * MembershipService: removal with re-keying, leaving, roles, pubs, hiding, reactions, edits and
 * deletes in groups (issue 14), on the groups service's extension points: `roster(groupId)`,
 * `author(groupId, content)` (signs, stores, queues for every pub), `entryInfo(groupId, id)` and
 * `setHiddenForMe(groupId, ids)`. Open while the profile is unlocked (MembershipParticipant).
 *
 * - Requests are checked against the roster first (plan.ts) and refused in the API's terms.
 * - group/removeMember builds the remove-and-re-key entry with protocol/rekey.ts buildRekey over
 *   the roster as computed (after a race: the merged one) and authors it.
 * - The re-key duty (docs/groups.md, section 8): every DUTY_POLL_MS the rosters of our groups
 *   are handed to the RekeyScheduler (duty.ts); when an epoch is unsettled (a leave, a removal
 *   that lost a race, a join racing a re-key) the admin ranked first re-keys after jitter, the
 *   others take over in turn.
 *   A re-key that seals to members locked out of the current epoch is also posted under the
 *   epoch before it (the one they hold), where they accept it on its key package.
 * - Hidden for me: kept in the profile's store (namespace `group-hidden`, id = group id [32] ||
 *   entry id [32], value: the record version 0x01), handed to the groups service's view.
 */
import { ApiError } from '../../../protocol/api/errors.js';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import type { Ed25519KeyPair } from '../../../protocol/crypto.js';
import { wipe } from '../../../protocol/crypto.js';
import type { EntryContent } from '../../../protocol/entry.js';
import { buildRekey, rekeyDuty } from '../../../protocol/rekey.js';
import type { Roster } from '../../../protocol/roster.js';
import type { Log } from '../../log.js';
import type { Collection, RecordCodec, RecordStore } from '../../store/store.js';
import { RekeyScheduler } from './duty.js';
import { planDelete, planEdit, planHide, planLeave, planReact, planRemove, planSetPubs, planSetRole, type Me, type TargetInfo } from './plan.js';

/** The store namespace of the ids hidden for me. */
export const GROUP_HIDDEN_NAMESPACE = 'group-hidden';
/** How often the rosters are looked at for a re-key duty (ms). */
export const DUTY_POLL_MS = 1_000;
const HIDDEN_RECORD_VERSION = 0x01;

const hiddenCodec: RecordCodec<true> = {
  what: 'hidden-for-me record',
  encode: () => Uint8Array.of(HIDDEN_RECORD_VERSION),
  decode: (bytes) => {
    if (bytes.length !== 1 || bytes[0] !== HIDDEN_RECORD_VERSION) throw new RangeError('unknown hidden-for-me record');
    return true;
  },
};

/** What membership needs of the groups service (GroupsService has all of it). */
export interface MembershipGroups {
  readonly isOpen: boolean;
  list(): ReadonlyArray<{ readonly groupId: string }>;
  roster(groupId: string): Roster;
  author(groupId: string, content: EntryContent): Promise<{ id: string }>;
  entryInfo(groupId: string, id: string): { author: Uint8Array; kind: EntryContent['kind']; ignored: boolean } | null;
  setHiddenForMe(groupId: string, ids: ReadonlySet<string>): void;
  repostUnder(groupId: string, id: string, epoch: { readonly number: number; readonly opener: Uint8Array }): Promise<void>;
}

export interface OpenMembership {
  readonly store: RecordStore;
  readonly identityKey: Uint8Array;
  readonly signing: Ed25519KeyPair;
}

export interface MembershipInit {
  readonly pollMs?: number;
  /** The re-key delay per rank (duty.ts); protocol/rekey.ts rekeyDelayMs by default. */
  readonly delayMs?: (rank: number, random: number) => number;
}

interface Session {
  readonly o: OpenMembership;
  readonly hidden: Collection<true>;
  readonly hiddenIds: Map<string, Set<string>>;
  readonly scheduler: RekeyScheduler;
  readonly seen: Map<string, Roster>;
  readonly timer: NodeJS.Timeout;
}

export class MembershipService {
  readonly #groups: MembershipGroups;
  readonly #log: Log;
  readonly #init: MembershipInit;
  #s: Session | null = null;

  constructor(components: { groups: MembershipGroups; log?: Log }, init: MembershipInit = {}) {
    this.#groups = components.groups;
    this.#log = components.log ?? (() => {});
    this.#init = init;
  }

  get isOpen(): boolean {
    return this.#s !== null && this.#groups.isOpen;
  }

  async open(o: OpenMembership): Promise<void> {
    if (this.#s !== null) return;
    const hidden = o.store.collection(GROUP_HIDDEN_NAMESPACE, hiddenCodec);
    const hiddenIds = new Map<string, Set<string>>();
    for await (const { id } of hidden.iterate()) {
      const g = toHex(id.subarray(0, 32));
      let set = hiddenIds.get(g);
      if (set === undefined) hiddenIds.set(g, (set = new Set()));
      set.add(toHex(id.subarray(32)));
    }
    const scheduler = new RekeyScheduler({
      rekey: (groupId, trigger) => this.#dutyRekey(groupId, trigger),
      ...(this.#init.delayMs !== undefined ? { delayMs: this.#init.delayMs } : {}),
      onError: (_groupId, err) => this.#log('membership-rekey-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }),
    });
    const timer = setInterval(() => this.#poll(), this.#init.pollMs ?? DUTY_POLL_MS);
    timer.unref();
    this.#s = { o, hidden, hiddenIds, scheduler, seen: new Map(), timer };
    this.#poll();
  }

  async close(): Promise<void> {
    const s = this.#s;
    if (s === null) return;
    this.#s = null;
    clearInterval(s.timer);
    s.scheduler.stop();
  }

  #require(): Session {
    if (this.#s === null || !this.#groups.isOpen) throw new ApiError('ERR_LOCKED');
    return this.#s;
  }

  #me(s: Session): Me {
    return { identityKey: s.o.identityKey, signingKey: s.o.signing.publicKey };
  }

  /** Hands every changed roster to the scheduler, and our hidden ids to the groups' views. */
  #poll(): void {
    const s = this.#s;
    if (s === null || !this.#groups.isOpen) return;
    for (const { groupId } of this.#groups.list()) {
      let roster: Roster;
      try {
        roster = this.#groups.roster(groupId);
      } catch {
        continue;
      }
      if (s.seen.get(groupId) === roster) continue;
      if (!s.seen.has(groupId)) this.#groups.setHiddenForMe(groupId, s.hiddenIds.get(groupId) ?? new Set());
      s.seen.set(groupId, roster);
      s.scheduler.update(groupId, roster, s.o.identityKey);
    }
  }

  /** The duty's re-key: only if the roster is still unsettled with the same trigger. */
  async #dutyRekey(groupId: string, trigger: string): Promise<void> {
    const s = this.#require();
    const roster = this.#groups.roster(groupId);
    const duty = rekeyDuty(roster);
    if (duty === null || toHex(duty.trigger) !== trigger) return;
    const id = await this.#rekey(s, groupId, roster, []);
    // members locked out of the current epoch hold only the one before it: post the re-key
    // under that epoch's key too, so they can read it (accepted there on its key package)
    const previous = roster.epochs[roster.epochs.length - 2];
    if (roster.lockedOut.length > 0 && previous !== undefined) await this.#groups.repostUnder(groupId, id, previous);
    this.#log('membership-duty-rekey', { epoch: roster.epoch.number + 1, lockedOut: roster.lockedOut.length });
  }

  async #rekey(s: Session, groupId: string, roster: Roster, removed: Uint8Array[]): Promise<string> {
    const rk = buildRekey(roster, { signer: s.o.signing, removed });
    try {
      return (await this.#groups.author(groupId, rk.content)).id;
    } finally {
      wipe(rk.secret);
    }
  }

  #target(groupId: string, id: string): TargetInfo | null {
    const info = this.#groups.entryInfo(groupId, id);
    if (info === null || info.ignored) return null;
    return { author: info.author, isMessage: info.kind === 'text' || info.kind === 'reply' };
  }

  /** group/removeMember: one remove-and-re-key entry. */
  async removeMember(groupId: string, address: string): Promise<void> {
    const s = this.#require();
    const roster = this.#groups.roster(groupId);
    const removed = planRemove(roster, this.#me(s), address);
    await this.#rekey(s, groupId, roster, [removed]);
    s.seen.delete(groupId);
  }

  /** group/leave: (a role entry for the successor, then) the leave entry. */
  async leave(groupId: string, successor?: string): Promise<void> {
    const s = this.#require();
    for (const content of planLeave(this.#groups.roster(groupId), this.#me(s), successor)) await this.#groups.author(groupId, content);
  }

  async setRole(groupId: string, address: string, role: 'admin' | 'member'): Promise<void> {
    const s = this.#require();
    await this.#groups.author(groupId, planSetRole(this.#groups.roster(groupId), this.#me(s), address, role));
  }

  async setPubs(groupId: string, pubs: readonly string[]): Promise<void> {
    const s = this.#require();
    await this.#groups.author(groupId, planSetPubs(this.#groups.roster(groupId), this.#me(s), pubs));
  }

  /** message/hide: for all (a hide entry, admins) or for me (stored here). */
  async hide(groupId: string, id: string, forAll: boolean): Promise<void> {
    const s = this.#require();
    const roster = this.#groups.roster(groupId);
    const content = planHide(roster, this.#me(s), this.#target(groupId, id), fromHex(id), forAll);
    if (content !== null) {
      await this.#groups.author(groupId, content);
      return;
    }
    await s.hidden.put(new Uint8Array([...fromHex(groupId), ...fromHex(id)]), true);
    let set = s.hiddenIds.get(groupId);
    if (set === undefined) s.hiddenIds.set(groupId, (set = new Set()));
    set.add(id);
    this.#groups.setHiddenForMe(groupId, set);
  }

  async react(groupId: string, id: string, reaction: string): Promise<string> {
    this.#require();
    return (await this.#groups.author(groupId, planReact(this.#target(groupId, id), fromHex(id), reaction))).id;
  }

  async edit(groupId: string, id: string, text: string): Promise<string> {
    const s = this.#require();
    return (await this.#groups.author(groupId, planEdit(this.#target(groupId, id), s.o.signing.publicKey, fromHex(id), text))).id;
  }

  async delete(groupId: string, id: string): Promise<string> {
    const s = this.#require();
    return (await this.#groups.author(groupId, planDelete(this.#target(groupId, id), s.o.signing.publicKey, fromHex(id)))).id;
  }
}
