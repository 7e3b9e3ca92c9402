/**
 * The dialer of pubs (NetworkService.pubDialer()): a pub's address is "<56>.onion" (or
 * "ws://<56>.onion/"), dialled through tor, or, in development only, "ws://127.0.0.1:PORT",
 * dialled directly over loopback. Anything else is refused with a typed error before any
 * connection is tried: a loopback pub outside development is ERR_PUB_DEVELOPMENT_ONLY, an onion
 * pub without tor (the direct transport) ERR_PUB_NO_TOR, anything else ERR_BAD_ADDRESS.
 */
import type { WebSocket } from 'ws';
import { DirectDialer } from '../transport/direct.js';
import { DialError, DialErrorCode, type DialOptions, type Dialer } from '../transport/types.js';
import { GroupPubsError, GroupPubsErrorCode } from './errors.js';

const ONION = /^(?:ws:\/\/)?[a-z2-7]{56}\.onion\/?$/;
const LOOPBACK = /^ws:\/\/(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):\d{1,5}\/?$/;

export interface PubDialerInit {
  /** The tor dialer, or null on the direct transport. */
  readonly tor: Dialer | null;
  /** Development mode: loopback pubs are allowed. */
  readonly development: boolean;
}

export class PubDialer implements Dialer {
  readonly kind: 'direct' | 'tor';
  readonly #tor: Dialer | null;
  readonly #direct: Dialer | null;

  constructor(init: PubDialerInit) {
    this.#tor = init.tor;
    this.#direct = init.development ? new DirectDialer() : null;
    this.kind = init.tor ? 'tor' : 'direct';
  }

  dial(address: string, options?: DialOptions): Promise<WebSocket> {
    if (ONION.test(address)) {
      if (!this.#tor) return Promise.reject(new GroupPubsError(GroupPubsErrorCode.NO_TOR, 'onion pubs need the tor transport'));
      return this.#tor.dial(address, options);
    }
    if (LOOPBACK.test(address)) {
      if (!this.#direct) return Promise.reject(new GroupPubsError(GroupPubsErrorCode.DEVELOPMENT_ONLY, 'ws://127.0.0.1 pubs are for development mode only'));
      return this.#direct.dial(address, options);
    }
    return Promise.reject(new DialError(DialErrorCode.BAD_ADDRESS, 'a pub address is <56 chars>.onion (or ws://127.0.0.1:PORT in development)'));
  }
}
