/**
 * The UI's one way to the daemon: an ApiClient (daemon/api/client.ts) kept connected. It
 * connects (asking the caller to start a daemon when none runs), reconnects when the daemon
 * goes away or restarts, and resubscribes with the last `seq` it saw, so notifications missed
 * while it was down are replayed by the daemon's journal. Notifications are passed on once
 * each, in `seq` order as they came.
 *
 * States: 'connecting' (the first time), 'open', 'reconnecting' (it was open and went away),
 * 'stopped' (stop() was called). Every listener added with `on` returns its own remover.
 */
import { ApiClient, type RawNotification } from '../../daemon/api/client.js';
import { ApiTransportError, isApiTransportError } from '../../daemon/api/errors.js';
import { ApiError } from '../../protocol/api/errors.js';

export type LinkState = 'connecting' | 'open' | 'reconnecting' | 'stopped';

/** Between connection attempts (ms), doubling up to RETRY_MAX_MS. */
export const RETRY_MIN_MS = 100;
export const RETRY_MAX_MS = 1_000;
/** With no daemon answering this long after the link went down, start one again (ms). */
export const RESTART_AFTER_MS = 5_000;

export interface DaemonLinkInit {
  readonly socketPath: string;
  /** Starts a daemon for the home in the background (resolves once it was spawned). */
  readonly startDaemon?: (() => Promise<void>) | undefined;
}

export interface SubscribeResult {
  readonly missed: number;
  readonly latest: number;
  /** True when this subscription picked up from an earlier one (a reconnect). */
  readonly resumed: boolean;
}

type Listener<T> = (value: T) => void;

export class DaemonLink {
  readonly #init: DaemonLinkInit;
  #state: LinkState = 'connecting';
  #detail: string | null = null;
  #client: ApiClient | null = null;
  #lastSeq = 0;
  #subscribedOnce = false;
  #stopped = false;
  #wake: (() => void) | null = null;
  readonly #stateListeners = new Set<Listener<{ state: LinkState; detail: string | null }>>();
  readonly #openListeners = new Set<Listener<void>>();
  readonly #notificationListeners = new Set<Listener<RawNotification>>();

  constructor(init: DaemonLinkInit) {
    this.#init = init;
  }

  get state(): LinkState {
    return this.#state;
  }
  get detail(): string | null {
    return this.#detail;
  }
  /** The newest `seq` passed on. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  onState(fn: Listener<{ state: LinkState; detail: string | null }>): () => void {
    this.#stateListeners.add(fn);
    return () => this.#stateListeners.delete(fn);
  }
  /** Each time a connection opens (the first, and after each reconnect). */
  onOpen(fn: Listener<void>): () => void {
    this.#openListeners.add(fn);
    return () => this.#openListeners.delete(fn);
  }
  onNotification(fn: Listener<RawNotification>): () => void {
    this.#notificationListeners.add(fn);
    return () => this.#notificationListeners.delete(fn);
  }

  #setState(state: LinkState, detail: string | null): void {
    if (state === this.#state && detail === this.#detail) return;
    this.#state = state;
    this.#detail = detail;
    for (const fn of [...this.#stateListeners]) fn({ state, detail });
  }

  /** Starts connecting (and keeps the link up until stop()). */
  start(): void {
    void this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    this.#setState('stopped', null);
    const c = this.#client;
    this.#client = null;
    if (c) await c.close();
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        this.#wake = null;
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    let delay = RETRY_MIN_MS;
    let downSince = Date.now();
    let startedAt: number | null = null;
    while (!this.#stopped) {
      let client: ApiClient;
      try {
        client = await ApiClient.connect(this.#init.socketPath, { timeoutMs: 2_000 });
      } catch (err) {
        const notRunning = isApiTransportError(err) && err.code === 'ERR_DAEMON_NOT_RUNNING';
        const start = this.#init.startDaemon;
        if (notRunning && start && (startedAt === null ? this.#state === 'connecting' || Date.now() - downSince >= RESTART_AFTER_MS : Date.now() - startedAt >= RESTART_AFTER_MS * 3)) {
          startedAt = Date.now();
          this.#setState(this.#state === 'open' ? 'reconnecting' : this.#state, 'starting the daemon');
          try {
            await start();
          } catch (e) {
            this.#setState(this.#state, `the daemon did not start: ${e instanceof Error ? e.message : String(e)}`);
          }
        } else {
          this.#setState(this.#state, notRunning ? (startedAt !== null ? 'waiting for the daemon to start' : 'no daemon is running for this home') : describeError(err));
        }
        await this.#sleep(delay);
        delay = Math.min(RETRY_MAX_MS, delay * 2);
        continue;
      }
      if (this.#stopped) {
        await client.close();
        return;
      }
      delay = RETRY_MIN_MS;
      startedAt = null;
      this.#client = client;
      const closed = new Promise<void>((resolve) => client.addEventListener('close', () => resolve(), { once: true }));
      client.addEventListener('notification', (e) => this.#onNotification(e.detail));
      this.#setState('open', null);
      for (const fn of [...this.#openListeners]) fn();
      await closed;
      if (this.#client === client) this.#client = null;
      if (this.#stopped) return;
      downSince = Date.now();
      this.#setState('reconnecting', 'the daemon went away; reconnecting');
    }
  }

  #onNotification(n: RawNotification): void {
    const seq = typeof n.params === 'object' && n.params !== null && 'seq' in n.params ? (n.params as { seq: unknown }).seq : undefined;
    if (typeof seq === 'number') {
      if (seq <= this.#lastSeq) return; // already passed on (a replay overlapping what we had)
      this.#lastSeq = seq;
    }
    for (const fn of [...this.#notificationListeners]) fn(n);
  }

  /**
   * Subscribes this connection to notifications: the first time from now on, after a
   * reconnect from the last `seq` seen (the daemon replays what was missed).
   */
  async subscribe(): Promise<SubscribeResult> {
    const resumed = this.#subscribedOnce;
    const r = await this.call('event/subscribe', resumed ? { since: this.#lastSeq } : {});
    const result = r as { missed?: unknown; latest?: unknown };
    const latest = typeof result.latest === 'number' ? result.latest : 0;
    if (!resumed) this.#lastSeq = Math.max(this.#lastSeq, latest);
    this.#subscribedOnce = true;
    return { missed: typeof result.missed === 'number' ? result.missed : 0, latest, resumed };
  }

  /** Calls a method by name; rejects with ApiError (the daemon said no) or ApiTransportError (not connected). */
  call(method: string, params?: unknown): Promise<unknown> {
    const c = this.#client;
    if (!c || this.#state !== 'open') return Promise.reject(new ApiTransportError('ERR_API_CLOSED', 'not connected to the daemon'));
    return c.request(method, params);
  }
}

/** Words for an error from the daemon or the link, for the screen. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    switch (err.code) {
      case 'ERR_METHOD_NOT_FOUND':
        return `this daemon does not offer that yet (${err.code})`;
      case 'ERR_NOT_CONTACT':
        return `not an accepted contact: they have not accepted yet (${err.code})`;
      case 'ERR_BAD_ADDRESS':
        return `that is not a snug address (56 characters and .onion) (${err.code})`;
      case 'ERR_BAD_INVITE':
        return `that is not a valid invite (${err.code})`;
      case 'ERR_BAD_PASSPHRASE':
        return 'wrong passphrase';
      case 'ERR_TOO_LONG':
        return `too long to send (${err.code})`;
      case 'ERR_NOT_ADMIN':
        return `only the group's admins may do that (${err.code})`;
      case 'ERR_NOT_FOUND':
        return `not found (${err.code})`;
      default:
        return `${err.message} (${err.code})`;
    }
  }
  if (isApiTransportError(err)) {
    if (err.code === 'ERR_API_CLOSED') return 'the daemon is not connected; try again when the link is back';
    return `${err.message} (${err.code})`;
  }
  return err instanceof Error ? err.message : String(err);
}
