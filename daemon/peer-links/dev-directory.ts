/**
 * Development addressing for the direct transport (never used on Tor): contacts are still named
 * by onion address, and a shared directory plays the part of Tor's directory. Each daemon given
 * `--dev --transport direct --dev-peer-dir DIR` writes its listener's `ws://127.0.0.1:PORT` to
 * `DIR/<its address>.url` while unlocked (and removes it on lock), and dials an onion address X
 * by reading `DIR/X.url`. A missing file is an unreachable peer.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { parseOnionAddress } from '../../protocol/identity.js';
import { DirectDialer } from '../transport/direct.js';
import { DialError, DialErrorCode, type DialOptions, type Dialer } from '../transport/types.js';
import { DEV_PEER_URL_SUFFIX } from './constants.js';

const URL_RE = /^ws:\/\/127\.0\.0\.1:\d{1,5}$/;

export class DevPeerDirectory {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  #file(address: string): string {
    return join(this.dir, parseOnionAddress(address) + DEV_PEER_URL_SUFFIX);
  }

  /** Names `url` as the listener of `address` (atomically: a temporary file renamed). */
  async publish(address: string, url: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.#file(address);
    await writeFile(`${file}.tmp`, url + '\n', { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  async unpublish(address: string): Promise<void> {
    await rm(this.#file(address), { force: true });
  }

  /** The listener URL of `address`, or null when it has none (offline, or unknown). */
  async lookup(address: string): Promise<string | null> {
    let text: string;
    try {
      text = (await readFile(this.#file(address), 'utf8')).trim();
    } catch {
      return null;
    }
    return URL_RE.test(text) ? text : null;
  }

  /** A Dialer of onion addresses over loopback, through this directory. */
  dialer(): Dialer {
    const direct = new DirectDialer();
    return {
      kind: 'direct',
      dial: async (address: string, options: DialOptions = {}): Promise<WebSocket> => {
        let url: string | null;
        try {
          url = await this.lookup(address);
        } catch (err) {
          throw new DialError(DialErrorCode.BAD_ADDRESS, 'not an onion address', { cause: err });
        }
        if (url === null) throw new DialError(DialErrorCode.FAILED, 'the peer is not in the development directory');
        return direct.dial(url, options);
      },
    };
  }
}
