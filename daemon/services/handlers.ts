/**
 * The daemon's handlers of the local API methods this issue serves (descriptors in
 * protocol/api/methods.ts). event/subscribe and rpc.discover are the API server's own. While
 * locked only daemon/status, daemon/shutdown, profile/unlock, profile/create (in a home without
 * a profile), profile/lock and rpc.discover answer; the rest get ERR_LOCKED or ERR_NO_PROFILE.
 */
import type { Handlers } from '../api/server.js';
import type { ProfileService } from '../profile/profile.js';
import { VERSION } from '../version.js';
import type { NetworkService } from './network.js';
import type { SessionService } from './session.js';

export interface HandlerComponents {
  readonly profile: ProfileService;
  readonly network: NetworkService;
  readonly session: SessionService;
  /** Asks the daemon to stop (after the answer is sent). */
  readonly shutdown: () => void;
  /** The peers with a link up (daemon/status `peers`), while unlocked. */
  readonly peers?: () => ReadonlyArray<{ readonly address: string; readonly state: string }>;
  /** The pubs subscribed to (daemon/status `pubs`), while unlocked. */
  readonly pubs?: () => ReadonlyArray<{ readonly address: string; readonly state: string; readonly lastError: string | null }>;
}

export interface HandlerInit {
  /** null outside development mode; else what daemon/status reports under `development`. */
  readonly development: { readonly testKdf: boolean } | null;
}

export function daemonHandlers(c: HandlerComponents, init: HandlerInit): Handlers {
  return {
    'daemon/status': async () => {
      const net = c.network.status;
      const open = c.profile.unlocked;
      const state = open !== null ? 'unlocked' : await c.profile.state();
      return {
        version: VERSION,
        pid: process.pid,
        tor: { transport: net.transport, bootstrap: net.bootstrap, state: net.state, onion: net.onion },
        profile: state === 'absent' ? null : { address: open?.address ?? null, name: open?.name ?? null, locked: open === null },
        pubs: open === null ? [] : [...(c.pubs?.() ?? [])],
        peers: open === null ? [] : [...(c.peers?.() ?? [])],
        development: init.development === null ? null : { testKdf: init.development.testKdf, listener: net.listener },
      };
    },
    'daemon/shutdown': async (_params, ctx) => {
      ctx.afterResponse(c.shutdown);
      return {};
    },
    'profile/create': async (params) => ({ address: await c.session.create(params.name, params.passphrase) }),
    'profile/unlock': async (params) => ({ address: await c.session.unlock(params.passphrase) }),
    'profile/lock': async () => {
      await c.session.lock();
      return {};
    },
    'profile/changePassphrase': async (params) => {
      await c.session.changePassphrase(params.passphrase, params.newPassphrase);
      return {};
    },
  };
}
