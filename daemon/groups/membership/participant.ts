/**
 * The session participant of the membership service: opens it on unlock (after the groups
 * service, whose extension points it uses) and closes it on lock.
 */
import type { NotificationJournal } from '../../api/journal.js';
import type { UnlockedProfile } from '../../profile/profile.js';
import type { MembershipService } from './service.js';

/** A SessionParticipant (daemon/services/session.ts) by shape: daemon/groups does not import daemon/services. */
export class MembershipParticipant {
  constructor(private readonly membership: MembershipService) {}

  async online(profile: UnlockedProfile, _journal: NotificationJournal): Promise<void> {
    await this.membership.open({ store: profile.store, identityKey: profile.identity.publicKey, signing: profile.keys.signing });
  }

  async offline(): Promise<void> {
    await this.membership.close();
  }
}
