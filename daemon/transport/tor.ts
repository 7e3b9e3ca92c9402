/**
 * The Tor dialer: a WebSocket to `ws://<address>.onion/` through tor's SOCKS5 port. The
 * SOCKS username/password carry the caller's isolation key, so under tor's default
 * IsolateSOCKSAuth streams with different keys never share a circuit; without a key every
 * dial gets a fresh random one. `socks5h` makes tor (not Node) resolve the .onion name.
 */
import { randomUUID } from 'node:crypto';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { WebSocket } from 'ws';
import { ready } from '../../protocol/crypto.js';
import { parseOnionAddress } from '../../protocol/identity.js';
import { SOCKS5_MAX_AUTH_BYTES, TOR_DIAL_TIMEOUT_MS, TOR_MAX_PAYLOAD } from '../tor/constants.js';
import { TorError, TorErrorCode } from '../tor/errors.js';
import type { HostPort } from '../tor/options.js';
import { DialError, DialErrorCode, type DialOptions, type Dialer } from './types.js';
import { openWebSocket } from './websocket.js';

/** SOCKS username used for every dial; the isolation key goes in the password. */
const SOCKS_USER = 'snug';

export interface TorDialerInit {
  /** tor's SOCKS port, or a function returning the current one (it moves when tor restarts). */
  readonly socks: HostPort | (() => HostPort);
  /** Default time to open a connection (ms), unless a dial says otherwise. */
  readonly timeoutMs?: number;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export class TorDialer implements Dialer {
  readonly kind = 'tor' as const;
  readonly #socks: HostPort | (() => HostPort);
  readonly #timeoutMs: number;

  constructor(init: TorDialerInit) {
    this.#socks = init.socks;
    this.#timeoutMs = init.timeoutMs ?? TOR_DIAL_TIMEOUT_MS;
  }

  /** Dials `<56 chars>.onion` (or `ws://<56 chars>.onion/`), virtual port 80. */
  async dial(address: string, options: DialOptions = {}): Promise<WebSocket> {
    const bare = /^ws:\/\/([a-z2-7]{56}\.onion)\/?$/.exec(address)?.[1] ?? address;
    await ready();
    let onion: string;
    try {
      onion = parseOnionAddress(bare);
    } catch (err) {
      throw new DialError(DialErrorCode.BAD_ADDRESS, 'the tor dialer only reaches v3 onion addresses (<56 chars>.onion)', { cause: err });
    }
    const key = options.isolationKey ?? randomUUID();
    if (key.length === 0 || Buffer.byteLength(key) > SOCKS5_MAX_AUTH_BYTES) {
      throw new TorError(TorErrorCode.BAD_ISOLATION_KEY, `an isolation key is 1 to ${SOCKS5_MAX_AUTH_BYTES} bytes`);
    }
    const socks = typeof this.#socks === 'function' ? this.#socks() : this.#socks;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const agent = new SocksProxyAgent(
      `socks5h://${SOCKS_USER}:${encodeURIComponent(key)}@${hostForUrl(socks.host)}:${socks.port}`,
      { timeout: timeoutMs },
    );
    const ws = new WebSocket(`ws://${onion}/`, { agent, maxPayload: TOR_MAX_PAYLOAD, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    return openWebSocket(ws, timeoutMs, options.signal);
  }
}

/** A TorDialer over a running tor's SOCKS port, following it across restarts (TorService.socks). */
export function torDialer(tor: { readonly socks: HostPort }): TorDialer {
  return new TorDialer({ socks: () => tor.socks });
}
