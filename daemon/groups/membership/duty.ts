/**
 * The re-key duty (docs/groups.md, section 8): when a group's current epoch is not settled (a
 * leave, a removal that lost a race, a join that raced a re-key), the admin the duty rule ranks
 * first re-keys after a short random delay, and each next admin takes over one takeover period
 * later if the epoch is still unsettled in the same way. This scheduler holds one timer per
 * group: `update` is called with the group's roster whenever it changes; the timer is dropped as
 * soon as the state it was set for is gone (settled, or unsettled in another way: a new
 * ranking). When it fires, `rekey` is asked to re-key if the state is still the same.
 */
import { bytesEqual, toHex } from '../../../protocol/bytes.js';
import { dutyRank, rekeyDelayMs, rekeyDuty } from '../../../protocol/rekey.js';
import type { Roster } from '../../../protocol/roster.js';

export interface RekeySchedulerInit {
  /**
   * Re-keys group `groupId` now, if its roster is still unsettled with duty trigger `trigger`
   * (the callee reads the roster afresh and builds the re-key from it). Rejecting reschedules
   * one takeover period later.
   */
  readonly rekey: (groupId: string, trigger: string) => Promise<void>;
  /** [0, 1); Math.random by default. */
  readonly random?: () => number;
  /** The delay for a rank; protocol/rekey.ts rekeyDelayMs by default (tests shorten it). */
  readonly delayMs?: (rank: number, random: number) => number;
  readonly onError?: (groupId: string, err: unknown) => void;
}

interface Pending {
  readonly trigger: string;
  readonly rank: number;
  timer: NodeJS.Timeout;
}

export class RekeyScheduler {
  readonly #init: RekeySchedulerInit;
  readonly #pending = new Map<string, Pending>();
  #stopped = false;

  constructor(init: RekeySchedulerInit) {
    this.#init = init;
  }

  /** The trigger a timer is set for in `groupId`, or null (for tests and status). */
  pendingTrigger(groupId: string): string | null {
    return this.#pending.get(groupId)?.trigger ?? null;
  }

  /** The group's roster changed (or was loaded); `me` is this profile's identity key. */
  update(groupId: string, roster: Roster, me: Uint8Array): void {
    if (this.#stopped) return;
    const duty = rekeyDuty(roster);
    const rank = duty === null ? -1 : dutyRank(duty, me);
    const isMember = roster.members.some((m) => bytesEqual(m.identityKey, me));
    const trigger = duty === null ? null : toHex(duty.trigger);
    const current = this.#pending.get(groupId);
    if (current !== undefined && current.trigger === trigger) return;
    this.cancel(groupId);
    if (trigger === null || rank < 0 || !isMember) return;
    this.#schedule(groupId, trigger, rank, rank);
  }

  #schedule(groupId: string, trigger: string, rank: number, delayRank: number): void {
    const delay = (this.#init.delayMs ?? rekeyDelayMs)(delayRank, (this.#init.random ?? Math.random)());
    const pending: Pending = {
      trigger,
      rank,
      timer: setTimeout(() => {
        void this.#fire(groupId, pending, delayRank);
      }, delay),
    };
    pending.timer.unref?.();
    this.#pending.set(groupId, pending);
  }

  async #fire(groupId: string, pending: Pending, delayRank: number): Promise<void> {
    if (this.#pending.get(groupId) !== pending || this.#stopped) return;
    try {
      await this.#init.rekey(groupId, pending.trigger);
      if (this.#pending.get(groupId) === pending) this.#pending.delete(groupId);
    } catch (err) {
      this.#init.onError?.(groupId, err);
      // still ours and still the same state: try again one takeover period later
      if (this.#pending.get(groupId) === pending && !this.#stopped) this.#schedule(groupId, pending.trigger, pending.rank, delayRank + 1);
    }
  }

  /** Drops the group's timer. */
  cancel(groupId: string): void {
    const p = this.#pending.get(groupId);
    if (p !== undefined) clearTimeout(p.timer);
    this.#pending.delete(groupId);
  }

  stop(): void {
    this.#stopped = true;
    for (const id of [...this.#pending.keys()]) this.cancel(id);
  }
}
