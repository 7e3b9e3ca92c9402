/**
 * The session participant that brings contacts and peer links up on unlock and down on lock:
 * the contacts service opens on the profile's store and journal, the link manager starts with
 * it as its policy, and the peer listener hands the link manager its connections. In
 * development with a peer directory, the listener's URL is published there while unlocked.
 * Lock: the reverse (the listener refuses again, links close, the contacts are forgotten).
 */
import type { NotificationJournal } from '../api/journal.js';
import type { ContactsService } from '../contacts/service.js';
import type { Log } from '../log.js';
import { LinkManager, type LinkManagerInit } from '../peer-links/manager.js';
import type { UnlockedProfile } from '../profile/profile.js';
import type { NetworkService } from './network.js';
import type { SessionParticipant } from './session.js';

export interface ContactsParticipantComponents {
  readonly contacts: ContactsService;
  readonly network: NetworkService;
  readonly log: Log;
}

export type ContactsParticipantInit = Omit<LinkManagerInit, 'own'>;

export class ContactsParticipant implements SessionParticipant {
  readonly #c: ContactsParticipantComponents;
  readonly #init: ContactsParticipantInit;
  #links: LinkManager | null = null;
  #published: string | null = null;

  constructor(components: ContactsParticipantComponents, init: ContactsParticipantInit = {}) {
    this.#c = components;
    this.#init = init;
  }

  /** The link manager while unlocked. */
  get links(): LinkManager | null {
    return this.#links;
  }

  async online(profile: UnlockedProfile, journal: NotificationJournal): Promise<void> {
    const { contacts, network, log } = this.#c;
    await contacts.open({ store: profile.store, address: profile.address, name: profile.name, dh: profile.keys.dh, journal });
    const links = new LinkManager(
      { policy: contacts, dialer: network.peerDialer(), log },
      { ...this.#init, own: { address: profile.address, keys: profile.keys, certificate: profile.certificate, certificateBytes: profile.certificateBytes } },
    );
    this.#links = links;
    contacts.attachLinks(links);
    network.listener.serve((ws) => links.accept(ws));
    await links.start();
    const dev = network.devPeers;
    const url = network.listener.url;
    if (dev !== null && url !== null) {
      await dev.publish(profile.address, url);
      this.#published = profile.address;
    }
  }

  async offline(): Promise<void> {
    const { contacts, network } = this.#c;
    const dev = network.devPeers;
    if (dev !== null && this.#published !== null) await dev.unpublish(this.#published).catch(() => undefined);
    this.#published = null;
    network.listener.serve(null);
    await this.#links?.stop();
    this.#links = null;
    await contacts.close();
  }
}
