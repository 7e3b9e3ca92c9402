/**
 * The session participant that brings group sync (daemon/group-sync/) up on unlock, after the
 * groups service and its pub links (services/groups.ts), and down on lock before them: it opens
 * on the profile's store, sends and receives over the contacts' peer links (the contacts service
 * routes sync frames and link changes to it), and posts repairs through the pub links. Member
 * links (with members who are not contacts) go through the link manager: group sync dials them
 * and takes the incoming ones.
 */
import type { NotificationJournal } from '../api/journal.js';
import type { ContactsService } from '../contacts/service.js';
import type { GroupSync } from '../group-sync/service.js';
import type { UnlockedProfile } from '../profile/profile.js';
import type { ContactsParticipant } from './contacts.js';
import type { GroupsParticipant } from './groups.js';
import type { SessionParticipant } from './session.js';

export interface GroupSyncParticipantComponents {
  readonly sync: GroupSync;
  readonly contacts: ContactsService;
  readonly groupsOnline: GroupsParticipant;
  /** The link manager's participant (member links); none: no member links. */
  readonly peersOnline?: ContactsParticipant;
}

export class GroupSyncParticipant implements SessionParticipant {
  readonly #c: GroupSyncParticipantComponents;

  constructor(components: GroupSyncParticipantComponents) {
    components.groupsOnline.attachEvidence(components.sync); // what the pub links see of the pubs: tamper evidence
    this.#c = components;
  }

  async online(profile: UnlockedProfile, _journal: NotificationJournal): Promise<void> {
    const { sync, contacts, groupsOnline, peersOnline } = this.#c;
    const links = peersOnline?.links ?? null;
    await sync.open({ store: profile.store, identityKey: profile.identity.publicKey, links: contacts, pubs: groupsOnline.pubLinks, members: links });
    contacts.attachSync(sync);
    links?.attachMembers(sync.memberLinks);
  }

  async offline(): Promise<void> {
    const { sync, contacts, peersOnline } = this.#c;
    peersOnline?.links?.attachMembers(null);
    contacts.attachSync(null);
    await sync.close();
  }
}
