/**
 * NetworkService: the daemon's presence on the network while a profile is unlocked. On
 * `online(seed)` it starts the peer listener and, on the tor transport, its tor (spawned or
 * attached), then publishes the identity's onion service on virtual port 80 forwarding to the
 * listener. `offline()` (lock) removes the onion service (DEL_ONION: tor forgets the key),
 * closes the listener and stops tor (or detaches from it): a locked daemon is not on the network.
 *
 * On the direct transport (development only) there is no tor: the listener alone, on loopback.
 *
 * Events: 'progress' ({bootstrap, summary}) while tor bootstraps, 'change' on any state change.
 */
import { ready, wipe } from '../../protocol/crypto.js';
import { ONION_VIRTUAL_PORT } from '../tor/constants.js';
import { TorService, type OnionService, type TorProgress, type TorState } from '../tor/service.js';
import type { TorOptions } from '../tor/options.js';
import type { Log } from '../log.js';
import { TypedEventTarget } from '../events.js';
import { PeerListener } from '../peer-links/listener.js';
import { DevPeerDirectory } from '../peer-links/dev-directory.js';
import { PubDialer } from '../group-pubs/dialer.js';
import { DirectDialer } from '../transport/direct.js';
import { torDialer } from '../transport/tor.js';
import type { Dialer } from '../transport/types.js';

/** tor.state in daemon/status: 'off' (no tor: locked so far, or the direct transport) or TorService's state. */
export type TorStatusState = 'off' | Exclude<TorState, 'stopped'>;
/** The onion service: 'off' (locked, or no tor), 'publishing' (waiting for tor, or the upload), 'published', 'failed'. */
export type OnionState = 'off' | 'publishing' | 'published' | 'failed';

export interface NetworkStatus {
  readonly transport: 'tor' | 'direct';
  readonly bootstrap: number;
  readonly state: TorStatusState;
  readonly onion: OnionState;
  /** The peer listener's ws://127.0.0.1:PORT on the direct transport, while online; else null. */
  readonly listener: string | null;
}

export interface NetworkEvents {
  progress: TorProgress;
  change: NetworkStatus;
}

export interface NetworkComponents {
  readonly log: Log;
}

export type NetworkInit =
  | {
      readonly transport: 'tor';
      readonly tor: TorOptions;
      readonly torDir: string;
      /** Development mode: pubDialer() also reaches ws://127.0.0.1:PORT pubs (default false). */
      readonly development?: boolean;
    }
  | { readonly transport: 'direct'; readonly devPeerDir?: string | undefined };

export class NetworkService extends TypedEventTarget<NetworkEvents> {
  readonly #log: Log;
  readonly #init: NetworkInit;
  readonly #tor: TorService | null;
  readonly #listener = new PeerListener({});
  #onion: OnionService | null = null;
  #onionState: OnionState = 'off';
  /** One per online(); offline() and stop() abort it. */
  #session: AbortController | null = null;
  #publishing: Promise<void> | null = null;

  constructor(components: NetworkComponents, init: NetworkInit) {
    super();
    this.#log = components.log;
    this.#init = init;
    this.#tor = init.transport === 'tor' ? new TorService({ dataDir: init.torDir, options: init.tor }) : null;
    this.#tor?.addEventListener('progress', (e) => {
      this.#log('tor-bootstrap', { percent: e.detail.bootstrap });
      this.emit('progress', e.detail);
      this.emit('change', this.status);
    });
    this.#tor?.addEventListener('state', (e) => {
      this.#log('tor-state', { state: e.detail });
      this.emit('change', this.status);
    });
    this.#tor?.addEventListener('stalled', (e) => {
      this.#log('tor-stalled', { level: 'warn', bootstrap: e.detail.bootstrap, forMs: e.detail.forMs, message: 'tor makes no bootstrap progress: can it reach the Tor network?' });
    });
  }

  get status(): NetworkStatus {
    const tor = this.#tor?.status;
    return {
      transport: this.#init.transport,
      bootstrap: tor?.bootstrap ?? 0,
      state: tor === undefined || tor.state === 'stopped' ? 'off' : tor.state,
      onion: this.#onionState,
      listener: this.#init.transport === 'direct' ? this.#listener.url : null,
    };
  }

  /** The peer listener (the onion service forwards to it): the link manager serves its connections. */
  get listener(): PeerListener {
    return this.#listener;
  }

  /**
   * The development directory of peers' listener URLs (direct transport with --dev-peer-dir
   * only; docs/daemon.md), or null.
   */
  get devPeers(): DevPeerDirectory | null {
    return this.#init.transport === 'direct' && this.#init.devPeerDir !== undefined ? new DevPeerDirectory(this.#init.devPeerDir) : null;
  }

  /** How peers are dialled by onion address: through tor, or (development) the peer directory. */
  peerDialer(): Dialer {
    if (this.#tor !== null) return torDialer(this.#tor);
    return this.devPeers?.dialer() ?? new DirectDialer();
  }

  /**
   * How pubs are dialled (daemon/group-pubs/dialer.ts): onion pubs through tor; ws://127.0.0.1
   * pubs directly, in development only (the direct transport is development; on the tor
   * transport only with `development`); otherwise a typed error (ERR_PUB_DEVELOPMENT_ONLY,
   * ERR_PUB_NO_TOR, ERR_BAD_ADDRESS) from dial().
   */
  pubDialer(): Dialer {
    const development = this.#init.transport === 'direct' || this.#init.development === true;
    return new PubDialer({ tor: this.#tor ? torDialer(this.#tor) : null, development });
  }

  /** The tor we run (tests and diagnostics), or null on the direct transport. */
  get tor(): TorService | null {
    return this.#tor;
  }

  /** Nothing runs until a profile is unlocked. */
  async start(): Promise<void> {}

  #setOnion(state: OnionState): void {
    if (state === this.#onionState) return;
    this.#onionState = state;
    this.#log('onion-state', { state });
    this.emit('change', this.status);
  }

  /**
   * Goes online for the identity whose seed is given (copied; the caller wipes its own). Resolves
   * once the listener runs; tor's bootstrap and the onion's upload continue in the background
   * and show in `status`.
   */
  async online(identitySeed: Uint8Array): Promise<void> {
    await this.offline();
    const session = new AbortController();
    this.#session = session;
    await this.#listener.start();
    if (!this.#tor) {
      this.emit('change', this.status);
      return;
    }
    const seed = identitySeed.slice();
    this.#setOnion('publishing');
    this.#publishing = this.#publish(this.#tor, seed, session.signal).finally(() => wipe(seed));
  }

  async #publish(tor: TorService, seed: Uint8Array, signal: AbortSignal): Promise<void> {
    try {
      await ready();
      await tor.start({ signal });
      await tor.waitBootstrapped({ signal });
      const port = this.#listener.port;
      if (port === null || signal.aborted) return;
      const onion = await tor.publishOnion({ identitySeed: seed, localPort: port, virtualPort: ONION_VIRTUAL_PORT }, { signal });
      if (signal.aborted) {
        await onion.remove().catch(() => {});
        return;
      }
      this.#onion = onion;
      await onion.uploaded({ signal });
      if (!signal.aborted) this.#setOnion('published');
    } catch (err) {
      if (signal.aborted) return;
      const code = (err as { code?: unknown }).code;
      this.#log('onion-failed', { code: typeof code === 'string' ? code : 'ERR_UNKNOWN' });
      this.#setOnion('failed');
    }
  }

  /** Takes the onion service down, closes the listener and stops (or detaches from) tor (lock). */
  async offline(): Promise<void> {
    this.#session?.abort();
    this.#session = null;
    await this.#publishing;
    this.#publishing = null;
    const onion = this.#onion;
    this.#onion = null;
    if (onion) await onion.remove().catch((err: unknown) => this.#log('onion-remove-failed', { code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
    await this.#listener.stop();
    this.#setOnion('off');
    await this.#tor?.stop();
  }

  async stop(): Promise<void> {
    await this.offline();
  }
}
