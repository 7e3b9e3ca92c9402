/**
 * The session participant that brings contacts and peer links up on unlock and down on lock:
 * the contacts service opens on the profile's store and journal, then (when there is a link
 * manager factory) the link manager starts and the peer listener hands it its connections.
 */
import type { NotificationJournal } from '../api/journal.js';
import type { ContactsService } from '../contacts/service.js';
import type { UnlockedProfile } from '../profile/profile.js';
import type { SessionParticipant } from './session.js';

export interface ContactsParticipantComponents {
  readonly contacts: ContactsService;
}

export class ContactsParticipant implements SessionParticipant {
  readonly #c: ContactsParticipantComponents;

  constructor(components: ContactsParticipantComponents) {
    this.#c = components;
  }

  async online(profile: UnlockedProfile, journal: NotificationJournal): Promise<void> {
    await this.#c.contacts.open({ store: profile.store, address: profile.address, name: profile.name, journal });
  }

  async offline(): Promise<void> {
    await this.#c.contacts.close();
  }
}
