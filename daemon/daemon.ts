/**
 * The daemon's composition root: every service, built from (components, init), started in
 * order and stopped in reverse. Read this file to see the whole daemon.
 *
 *   home       HOME (0700, checked) and its one-daemon lock (daemon/home/)
 *   profile    the encrypted profile: identity, keys, record store (daemon/profile/)
 *   network    tor and the identity's onion service while unlocked (services/network.ts)
 *   session    unlock/lock: opens the journal (services/journal.ts), goes online, and back (services/session.ts);
 *              while unlocked: contacts and peer links (services/contacts.ts), then groups and
 *              their pub links (services/groups.ts: daemon/groups/ + daemon/group-pubs/), then group
 *              sync over the contacts' links (services/group-sync.ts: daemon/group-sync/)
 *   api        the local JSON-RPC API on HOME/snug.sock (daemon/api/), handlers in services/handlers.ts
 */
import { join } from 'node:path';
import { ready } from '../protocol/crypto.js';
import { ApiServer } from './api/server.js';
import { TOR_DIR } from './home/constants.js';
import { prepareHome } from './home/home.js';
import { HomeLock } from './home/lock.js';
import type { Log } from './log.js';
import { DEFAULT_KDF, DEVELOPMENT_KDF } from './profile/constants.js';
import { ProfileService } from './profile/profile.js';
import { contactHandlers } from './contacts/handlers.js';
import { groupHandlers } from './groups/handlers.js';
import { membershipHandlers } from './groups/membership/handlers.js';
import { MembershipParticipant } from './groups/membership/participant.js';
import { MembershipService } from './groups/membership/service.js';
import { GroupsService } from './groups/service.js';
import { GroupsParticipant } from './services/groups.js';
import { groupSyncHandlers } from './group-sync/handlers.js';
import { GroupSync } from './group-sync/service.js';
import { GroupSyncParticipant } from './services/group-sync.js';
import { ContactsService } from './contacts/service.js';
import { ContactsParticipant } from './services/contacts.js';
import { daemonHandlers } from './services/handlers.js';
import { ProfileJournal } from './services/journal.js';
import { NetworkService } from './services/network.js';
import { SessionService } from './services/session.js';
import type { TorOptions } from './tor/options.js';

/** The profile's directory inside the home. */
export const PROFILE_DIR = 'profile';

export interface DaemonConfig {
  readonly home: string;
  /** 'direct' (no tor, loopback only) is for development and needs dev.enabled. */
  readonly transport: 'tor' | 'direct';
  readonly tor: TorOptions;
  /**
   * Development only: `peerDir` (with the direct transport) is the shared directory that maps
   * onion addresses to peers' loopback listeners (daemon/peer-links/dev-directory.ts).
   */
  /** `postJitter: 'off'`: GroupPubs posts without POST_JITTER_MS's random wait (benchmarks only). */
  readonly dev: { readonly enabled: boolean; readonly kdf: 'default' | 'fast'; readonly peerDir?: string | undefined; readonly postJitter?: 'off' | undefined };
}

export interface DaemonComponents {
  readonly log: Log;
}

interface Service {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class Daemon {
  readonly #config: DaemonConfig;
  readonly #log: Log;
  readonly #started: Service[] = [];
  #lock: HomeLock | null = null;
  #requestShutdown!: () => void;
  /** Resolves when a client called daemon/shutdown. */
  readonly shutdownRequested = new Promise<void>((resolve) => (this.#requestShutdown = resolve));

  constructor(config: DaemonConfig, components: DaemonComponents) {
    if ((config.transport === 'direct' || config.dev.kdf === 'fast' || config.dev.peerDir !== undefined || config.dev.postJitter === 'off') && !config.dev.enabled) {
      throw new RangeError('the direct transport and the fast KDF are for development mode only');
    }
    this.#config = config;
    this.#log = components.log;
  }

  async start(): Promise<void> {
    const { home, dev } = this.#config;
    const log = this.#log;
    await ready();
    await prepareHome(home);
    this.#lock = await HomeLock.acquire(home);
    try {
      const profile = new ProfileService({}, { dir: join(home, PROFILE_DIR), kdf: dev.kdf === 'fast' ? DEVELOPMENT_KDF : DEFAULT_KDF });
      const network = new NetworkService(
        { log },
        this.#config.transport === 'direct' ? { transport: 'direct', devPeerDir: dev.peerDir } : { transport: 'tor', tor: this.#config.tor, torDir: join(home, TOR_DIR), development: dev.enabled },
      );
      const api = new ApiServer({ log: (event, fields = {}) => log(event, withoutNulls(fields)) }, { directory: home });
      const contacts = new ContactsService({ log });
      const peersOnline = new ContactsParticipant({ contacts, network, log });
      const groups = new GroupsService({ log }, { development: dev.enabled });
      const groupsOnline = new GroupsParticipant({ groups, contacts, network, log }, dev.postJitter === 'off' ? { postJitterMs: 0 } : {});
      const sync = new GroupSync({ groups, log });
      const syncOnline = new GroupSyncParticipant({ sync, contacts, groupsOnline, peersOnline });
      const membership = new MembershipService({ groups, log });
      const session = new SessionService(
        {
          profile, network, api, log,
          openJournal: (p) => ProfileJournal.open({ store: p.store, log }),
          participants: [peersOnline, groupsOnline, syncOnline, new MembershipParticipant(membership)],
        },
        { development: dev.enabled },
      );
      api.handleAll(daemonHandlers({ profile, network, session, shutdown: () => this.#requestShutdown(), peers: () => (peersOnline.links?.linked() ?? []).map((address) => ({ address, state: 'linked' })), pubs: () => groups.pubStates() }, { development: dev.enabled ? { testKdf: dev.kdf === 'fast' } : null }));
      api.handleAll(contactHandlers({ contacts, profile }));
      api.handleAll(groupHandlers({ groups, contacts, profile }));
      api.handleAll(membershipHandlers({ membership, contacts, profile }));
      api.handleAll(groupSyncHandlers({ sync, groups, profile }));
      for (const service of [profile, network, session, api]) {
        await service.start();
        this.#started.push(service);
      }
      log('daemon-started', { transport: this.#config.transport, development: dev.enabled });
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops every started service in reverse order, then releases the home. Safe to call twice. */
  async stop(): Promise<void> {
    while (this.#started.length > 0) {
      const service = this.#started.pop()!;
      await service.stop().catch((err: unknown) => this.#log('stop-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
    }
    await this.#lock?.release();
    this.#lock = null;
  }
}

function withoutNulls(fields: Readonly<Record<string, string | number | boolean | null>>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== null) out[k] = v;
  return out;
}
