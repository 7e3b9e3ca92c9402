/**
 * The session participant that brings group sync (daemon/group-sync/) up on unlock, after the
 * groups service and its pub links (services/groups.ts), and down on lock before them: it opens
 * on the profile's store, sends and receives over the contacts' peer links (the contacts service
 * routes sync frames and link changes to it), and posts repairs through the pub links.
 */
import type { NotificationJournal } from '../api/journal.js';
import type { ContactsService } from '../contacts/service.js';
import type { GroupSync } from '../group-sync/service.js';
import type { UnlockedProfile } from '../profile/profile.js';
import type { GroupsParticipant } from './groups.js';
import type { SessionParticipant } from './session.js';

export interface GroupSyncParticipantComponents {
  readonly sync: GroupSync;
  readonly contacts: ContactsService;
  readonly groupsOnline: GroupsParticipant;
}

export class GroupSyncParticipant implements SessionParticipant {
  readonly #c: GroupSyncParticipantComponents;

  constructor(components: GroupSyncParticipantComponents) {
    components.groupsOnline.attachEvidence(components.sync); // what the pub links see of the pubs: tamper evidence
    this.#c = components;
  }

  async online(profile: UnlockedProfile, _journal: NotificationJournal): Promise<void> {
    const { sync, contacts, groupsOnline } = this.#c;
    await sync.open({ store: profile.store, identityKey: profile.identity.publicKey, links: contacts, pubs: groupsOnline.pubLinks });
    contacts.attachSync(sync);
  }

  async offline(): Promise<void> {
    const { sync, contacts } = this.#c;
    contacts.attachSync(null);
    await sync.close();
  }
}
