/**
 * The session participant that brings the groups service and its pub links up on unlock and
 * down on lock: the groups service opens on the profile's store and journal (after contacts,
 * whose links carry invites), GroupPubs starts with it as its sink and reports each pub link's
 * state to it, and the contacts service hands it the group frames of accepted contacts.
 * Lock: the reverse (posting stops, the pub links close, the groups are forgotten).
 */
import type { NotificationJournal } from '../api/journal.js';
import type { ContactsService } from '../contacts/service.js';
import { GroupPubs, type GroupPubsInit } from '../group-pubs/group-pubs.js';
import { pubLinksWithEvidence, type PubEvidenceTarget } from '../group-sync/pub-evidence.js';
import { pubHistoryReader } from './pub-history.js';
import type { GroupsService } from '../groups/service.js';
import type { Log } from '../log.js';
import type { UnlockedProfile } from '../profile/profile.js';
import type { NetworkService } from './network.js';
import type { SessionParticipant } from './session.js';

export interface GroupsParticipantComponents {
  readonly groups: GroupsService;
  readonly contacts: ContactsService;
  readonly network: NetworkService;
  readonly log: Log;
}

export class GroupsParticipant implements SessionParticipant {
  readonly #c: GroupsParticipantComponents;
  readonly #init: GroupPubsInit;
  #pubs: GroupPubs | null = null;
  #evidence: PubEvidenceTarget | null = null;

  constructor(components: GroupsParticipantComponents, init: GroupPubsInit = {}) {
    this.#c = components;
    this.#init = init;
  }

  /**
   * Where the pub links' tamper evidence goes (group sync: daemon/group-sync/pub-evidence.ts);
   * set before the first unlock (services/group-sync.ts does).
   */
  attachEvidence(target: PubEvidenceTarget | null): void {
    this.#evidence = target;
  }

  /** The pub links while unlocked (group sync posts its repairs through them). */
  get pubLinks(): GroupPubs | null {
    return this.#pubs;
  }

  async online(profile: UnlockedProfile, journal: NotificationJournal): Promise<void> {
    const { groups, contacts, network, log } = this.#c;
    await groups.open({
      store: profile.store,
      address: profile.address,
      name: profile.name,
      identityKey: profile.identity.publicKey,
      keys: profile.keys,
      certificate: profile.certificate,
      journal,
      peers: contacts,
      history: pubHistoryReader(network.pubDialer()),
    });
    const { dialer, sink } = pubLinksWithEvidence(network.pubDialer(), groups, this.#evidence, log);
    const pubs = new GroupPubs({ dialer, log, sink, store: profile.store }, this.#init);
    pubs.addEventListener('change', (e) => groups.pubChanged(e.detail));
    await pubs.start();
    this.#pubs = pubs;
    groups.attachPubs(pubs);
    contacts.attachGroups(groups);
  }

  async offline(): Promise<void> {
    const { groups, contacts } = this.#c;
    contacts.attachGroups(null);
    await groups.close();
    await this.#pubs?.stop();
    this.#pubs = null;
  }
}
