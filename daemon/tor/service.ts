/**
 * TorService: our tor. In 'spawn' mode it runs and supervises its own `tor` with a generated
 * torrc under `dataDir` (ControlPort/SocksPort auto, cookie auth, __OwningControllerProcess and
 * TAKEOWNERSHIP so tor dies with us), restarts it with backoff when it dies and publishes the
 * onion services again. In 'attach' mode it uses a running tor by control and SOCKS address
 * (and reconnects if the control connection drops); `extraConfigFile` only applies to a tor we
 * spawn.
 *
 * In both modes the control listener must prove it is tor before any key is sent (auth.ts):
 * SAFECOOKIE with the cookie file we configured (spawn) or the user named, or a control socket
 * owned by us or the tor user.
 *
 * Events (TorServiceEvents): 'progress', 'state', and 'stalled' once when bootstrap makes no
 * progress for `stallTimeoutMs` (with tor's last warning, which names the cause).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import debugFactory from 'debug';
import { ready } from '../../protocol/crypto.js';
import { identityFromSeed, torExpandedSecretKey, type OnionAddress } from '../../protocol/identity.js';
import { settleWithin } from '../abort.js';
import { TypedEventTarget } from '../events.js';
import { authenticate, checkControlSocket, type AuthPolicy } from './auth.js';
import { findTor } from './binary.js';
import {
  BOOTSTRAP_STALL_MS,
  ONION_VIRTUAL_PORT,
  RESTART_BACKOFF_FACTOR,
  RESTART_BACKOFF_INITIAL_MS,
  RESTART_BACKOFF_MAX_MS,
  TOR_PASSWORD_ENV,
  TOR_PORT_FILE_POLL_MS,
  TOR_START_TIMEOUT_MS,
  TOR_STOP_GRACE_MS,
} from './constants.js';
import { TorControl } from './control.js';
import { TorError, TorErrorCode } from './errors.js';
import { isControlSocket, type HostPort, type TorOptions } from './options.js';
import { terminate, trackChild } from './reaper.js';
import { keywords, tokenize, type Reply } from './reply.js';

const log = debugFactory('snug:daemon:tor');
const torLog = debugFactory('snug:daemon:tor:log');

export type TorState = 'stopped' | 'starting' | 'bootstrapping' | 'ready' | 'restarting' | 'failed';

export interface TorServiceInit {
  /** Our directory (created 0700): torrc, tor's DataDirectory, control port file. */
  readonly dataDir: string;
  readonly options: TorOptions;
  /**
   * Control-port password for HASHEDPASSWORD, used only in attach mode with `allowPassword`;
   * default $SNUG_TOR_PASSWORD.
   */
  readonly password?: string;
  /** Per-command control timeout (ms); tests shorten it. */
  readonly controlTimeoutMs?: number;
  /** Bootstrap without progress for this long emits 'stalled' (ms); default BOOTSTRAP_STALL_MS. */
  readonly stallTimeoutMs?: number;
}

export interface TorProgress {
  readonly bootstrap: number;
  readonly summary: string;
}

/** Bootstrap made no progress for `forMs`: tor most likely cannot reach the Tor network. */
export interface TorStall {
  readonly bootstrap: number;
  readonly summary: string;
  readonly forMs: number;
  /** tor's last warning (a WARN event or the bootstrap problem it reported), if any. */
  readonly warning: string | undefined;
}

export interface TorServiceEvents {
  progress: TorProgress;
  state: TorState;
  stalled: TorStall;
}

export interface OnionService {
  readonly address: OnionAddress;
  /** Resolves once tor reported the descriptor uploaded (HS_DESC UPLOADED) for this service. */
  uploaded(options?: { signal?: AbortSignal }): Promise<void>;
  /** DEL_ONION; the service is no longer published (nor re-published after a restart). */
  remove(): Promise<void>;
}

function abortError(): TorError {
  return new TorError(TorErrorCode.ABORTED, 'aborted');
}

/** For settleWithin: waits here have no timeout of their own, only the caller's signal. */
const ABORT_ERRORS = { aborted: abortError, timeout: () => new TorError(TorErrorCode.TIMEOUT, 'timed out') };

/** Quotes a torrc value when it needs it (paths with spaces and the like). */
function torrcValue(value: string): string {
  return /^[^\s"#\\]+$/.test(value) ? value : '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** Parses the first IPv4/IPv6 "host:port" of a `net/listeners/socks` value. */
export function parseListener(value: string): HostPort | null {
  for (const t of tokenize(value)) {
    const m = /^(?:\[([0-9a-fA-F:]+)\]|([0-9.]+)):(\d{1,5})$/.exec(t.value);
    if (m) return { host: m[1] ?? m[2]!, port: Number(m[3]) };
  }
  return null;
}

class PublishedOnion implements OnionService {
  readonly address: OnionAddress;
  readonly serviceId: string;
  readonly seed: Uint8Array;
  readonly localPort: number;
  readonly virtualPort: number;
  readonly #owner: TorService;
  #uploaded = false;
  #removed = false;
  readonly #waiters = new Set<{ resolve: () => void; reject: (err: Error) => void }>();

  constructor(owner: TorService, address: OnionAddress, seed: Uint8Array, localPort: number, virtualPort: number) {
    this.#owner = owner;
    this.address = address;
    this.serviceId = address.slice(0, -'.onion'.length);
    this.seed = seed.slice();
    this.localPort = localPort;
    this.virtualPort = virtualPort;
  }

  republishing(): void {
    this.#uploaded = false;
  }

  markUploaded(): void {
    this.#uploaded = true;
    for (const w of this.#waiters) w.resolve();
    this.#waiters.clear();
  }

  dispose(reason: Error): void {
    this.#removed = true;
    this.seed.fill(0);
    for (const w of this.#waiters) w.reject(reason);
    this.#waiters.clear();
  }

  uploaded(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#removed) return Promise.reject(new TorError(TorErrorCode.NOT_RUNNING, 'the onion service was removed'));
    if (this.#uploaded) return Promise.resolve();
    return settleWithin<void>(options, ABORT_ERRORS, (resolve, reject) => {
      const waiter = { resolve: () => resolve(), reject };
      this.#waiters.add(waiter);
      return () => this.#waiters.delete(waiter);
    });
  }

  remove(): Promise<void> {
    return this.#owner.removeOnion(this);
  }
}

/** What one launch of tor (or one attachment) gave us. */
interface Session {
  readonly generation: number;
  readonly control: TorControl;
  readonly child: ChildProcess | null;
  /** null while tor has no SOCKS listener (e.g. DisableNetwork 1 in the --tor-config lines). */
  readonly socks: HostPort | null;
}

export class TorService extends TypedEventTarget<TorServiceEvents> {
  readonly #dataDir: string;
  readonly #options: TorOptions;
  readonly #password: string | undefined;
  readonly #controlTimeoutMs: number | undefined;
  readonly #stallTimeoutMs: number;
  #stallTimer: ReturnType<typeof setTimeout> | null = null;
  #lastWarning: string | undefined;
  #state: TorState = 'stopped';
  #bootstrap = 0;
  #summary = '';
  #controller: AbortController | null = null;
  #session: Session | null = null;
  #generation = 0;
  /** When the current session came up, and the delay before the next restart. */
  #sessionSince = 0;
  #restartDelay = RESTART_BACKOFF_INITIAL_MS;
  #torPath: string | null = null;
  #starting: Promise<void> | null = null;
  #extraLines: string[] = [];
  #lastLogLines: string[] = [];
  readonly #onions = new Map<string, PublishedOnion>();

  constructor(init: TorServiceInit) {
    super();
    this.#dataDir = init.dataDir;
    this.#options = init.options;
    this.#password = init.password ?? process.env[TOR_PASSWORD_ENV];
    this.#controlTimeoutMs = init.controlTimeoutMs;
    this.#stallTimeoutMs = init.stallTimeoutMs ?? BOOTSTRAP_STALL_MS;
  }

  get status(): { bootstrap: number; state: TorState } {
    return { bootstrap: this.#bootstrap, state: this.#state };
  }

  /** The pid of the tor we spawned (spawn mode, while it runs). */
  get pid(): number | undefined {
    return this.#session?.child?.pid;
  }

  /** tor's SOCKS port right now. */
  get socks(): HostPort {
    const session = this.#session;
    if (!session) throw new TorError(TorErrorCode.NOT_RUNNING, 'tor is not running');
    if (!session.socks) throw new TorError(TorErrorCode.NOT_RUNNING, 'tor has no SOCKS listener');
    return session.socks;
  }

  #setState(state: TorState): void {
    if (state === this.#state) return;
    log('state %s -> %s', this.#state, state);
    this.#state = state;
    if (state === 'bootstrapping') this.#watchStall();
    else this.#unwatchStall();
    this.emit('state', state);
  }

  #setProgress(bootstrap: number, summary: string): void {
    if (bootstrap === this.#bootstrap && summary === this.#summary) return;
    const moved = bootstrap !== this.#bootstrap;
    this.#bootstrap = bootstrap;
    this.#summary = summary;
    if (moved && this.#state === 'bootstrapping') this.#watchStall();
    this.emit('progress', { bootstrap, summary });
    if (bootstrap === 100 && this.#state === 'bootstrapping') this.#setState('ready');
  }

  /** (Re)starts the no-progress timer: it fires once unless bootstrap moves again. */
  #watchStall(): void {
    this.#unwatchStall();
    const since = Date.now();
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = null;
      if (this.#state !== 'bootstrapping') return;
      log('no bootstrap progress for %d ms (at %d%%)', Date.now() - since, this.#bootstrap);
      this.emit('stalled', { bootstrap: this.#bootstrap, summary: this.#summary, forMs: Date.now() - since, warning: this.#lastWarning });
    }, this.#stallTimeoutMs);
    this.#stallTimer.unref();
  }

  #unwatchStall(): void {
    if (this.#stallTimer !== null) clearTimeout(this.#stallTimer);
    this.#stallTimer = null;
  }

  /** Starts (or attaches to) tor; resolves once the control connection is authenticated. */
  start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#starting) return this.#starting;
    if (this.#state !== 'stopped' && this.#state !== 'failed') return Promise.resolve();
    this.#starting = this.#start(options).finally(() => (this.#starting = null));
    return this.#starting;
  }

  async #start(options: { signal?: AbortSignal }): Promise<void> {
    const controller = new AbortController();
    this.#controller = controller;
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
    this.#bootstrap = 0;
    this.#summary = '';
    this.#lastWarning = undefined;
    this.#setState('starting');
    try {
      if (this.#options.mode === 'spawn') {
        this.#torPath = await findTor(this.#options.torBin);
        await mkdir(this.#dataDir, { recursive: true, mode: 0o700 });
        await chmod(this.#dataDir, 0o700);
        this.#extraLines = await this.#readExtraConfig();
      }
      await this.#launch(signal);
    } catch (err) {
      await this.#teardown();
      if (this.#controller === controller) this.#setState('failed');
      throw err;
    }
  }

  async #readExtraConfig(): Promise<string[]> {
    const file = this.#options.extraConfigFile;
    if (file === undefined) return [];
    try {
      const text = await readFile(file, 'utf8');
      return text.split(/\r?\n/).filter((l) => l.trim().length > 0 && !l.trimStart().startsWith('#'));
    } catch (err) {
      throw new TorError(TorErrorCode.START_FAILED, `cannot read the --tor-config file ${file}`, { cause: err });
    }
  }

  /** Resolves when tor reports 100% bootstrapped. */
  waitBootstrapped(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    if (this.#state === 'stopped' || this.#state === 'failed') {
      return Promise.reject(new TorError(TorErrorCode.NOT_RUNNING, `tor is ${this.#state}`));
    }
    return settleWithin<void>(options, ABORT_ERRORS, (resolve, reject) => {
      const onState = (e: CustomEvent<TorState>) => {
        const state = e.detail;
        if (state === 'ready') resolve();
        else if (state === 'stopped' || state === 'failed') reject(new TorError(TorErrorCode.NOT_RUNNING, `tor is ${state}`));
      };
      this.addEventListener('state', onState);
      return () => this.removeEventListener('state', onState);
    });
  }

  /** GETINFO on our control connection (diagnostics and tests). */
  async getInfo(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Map<string, string>> {
    const session = this.#session;
    if (!session) throw new TorError(TorErrorCode.NOT_RUNNING, 'tor is not running');
    return session.control.getInfo(keys, options);
  }

  async publishOnion(
    init: { identitySeed: Uint8Array; localPort: number; virtualPort?: number },
    options: { signal?: AbortSignal } = {},
  ): Promise<OnionService> {
    if (this.#state === 'stopped' || this.#state === 'failed') throw new TorError(TorErrorCode.NOT_RUNNING, `tor is ${this.#state}`);
    for (const port of [init.localPort, init.virtualPort ?? ONION_VIRTUAL_PORT]) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('onion service ports are 1-65535');
    }
    await ready();
    const identity = identityFromSeed(init.identitySeed);
    const onion = new PublishedOnion(this, identity.address, init.identitySeed, init.localPort, init.virtualPort ?? ONION_VIRTUAL_PORT);
    identity.secretKey.fill(0);
    identity.seed.fill(0);
    if (this.#onions.has(onion.serviceId)) {
      onion.dispose(new TorError(TorErrorCode.COMMAND_FAILED, 'duplicate'));
      throw new TorError(TorErrorCode.COMMAND_FAILED, 'this onion service is already published');
    }
    this.#onions.set(onion.serviceId, onion);
    const session = this.#session;
    if (!session) return onion; // restarting: published when tor is back
    try {
      await this.#addOnion(session.control, onion, options.signal);
    } catch (err) {
      this.#onions.delete(onion.serviceId);
      onion.dispose(err as Error);
      throw err;
    }
    return onion;
  }

  async #addOnion(control: TorControl, onion: PublishedOnion, signal?: AbortSignal): Promise<void> {
    onion.republishing();
    const expandedKey = torExpandedSecretKey(onion.seed);
    let serviceId: string;
    try {
      serviceId = await control.addOnion(
        { expandedKey, virtualPort: onion.virtualPort, target: { host: '127.0.0.1', port: onion.localPort } },
        signal ? { signal } : {},
      );
    } finally {
      expandedKey.fill(0);
    }
    if (serviceId !== onion.serviceId) {
      await control.delOnion(serviceId).catch(() => {});
      throw new TorError(TorErrorCode.ONION_MISMATCH, `tor published ${serviceId}.onion, not the derived ${onion.address}`);
    }
    log('published %s', onion.address);
  }

  /** @internal (OnionService.remove) */
  async removeOnion(onion: PublishedOnion): Promise<void> {
    if (this.#onions.get(onion.serviceId) !== onion) return;
    this.#onions.delete(onion.serviceId);
    onion.dispose(new TorError(TorErrorCode.NOT_RUNNING, 'the onion service was removed'));
    const control = this.#session?.control;
    if (control && !control.closed) await control.delOnion(onion.serviceId);
  }

  #onEvent(reply: Reply): void {
    const first = reply.lines[0];
    if (!first) return;
    let tokens;
    try {
      tokens = tokenize(first.text);
    } catch {
      return; // an event we cannot read is not ours to act on
    }
    const type = tokens[0]?.value;
    if (type === 'STATUS_CLIENT' && tokens[2]?.value === 'BOOTSTRAP') {
      this.#onBootstrapText(first.text);
    } else if (type === 'WARN') {
      // A log line at warn level: "650 WARN <message>"; the latest names the cause of a stall.
      this.#lastWarning = first.text.slice('WARN '.length).trim() || this.#lastWarning;
    } else if (type === 'HS_DESC' && tokens[1]?.value === 'UPLOADED') {
      const onion = this.#onions.get(tokens[2]?.value ?? '');
      if (onion) {
        log('descriptor of %s uploaded', onion.address);
        onion.markUploaded();
      }
    }
  }

  #onBootstrapText(text: string): void {
    let kw: Map<string, string>;
    try {
      kw = keywords(text);
    } catch {
      return;
    }
    const progress = Number(kw.get('PROGRESS'));
    if (!Number.isInteger(progress) || progress < 0 || progress > 100) return;
    // A bootstrap problem ("STATUS_CLIENT WARN BOOTSTRAP ... WARNING=... REASON=...").
    const warning = kw.get('WARNING');
    if (warning !== undefined) {
      const reason = kw.get('REASON');
      const host = kw.get('HOSTADDR');
      this.#lastWarning = `${warning}${reason !== undefined ? ` (${reason})` : ''}${host !== undefined ? ` connecting to ${host}` : ''}`;
    }
    this.#setProgress(progress, kw.get('SUMMARY') ?? '');
  }

  /** Spawns (or connects to) tor, authenticates, subscribes, republishes. */
  async #launch(signal: AbortSignal): Promise<void> {
    const generation = ++this.#generation;
    let child: ChildProcess | null = null;
    let control: TorControl | null = null;
    try {
      const commandTimeout = this.#controlTimeoutMs !== undefined ? { commandTimeoutMs: this.#controlTimeoutMs } : {};
      let policy: AuthPolicy;
      if (this.#options.mode === 'spawn') {
        const spawned = await this.#spawn(signal);
        child = spawned.child;
        control = await TorControl.connect(spawned.control, { signal, ...commandTimeout });
        // Only the cookie we configured, never the path the listener reports.
        policy = { cookieFile: this.#cookieFile() };
      } else {
        const attach = this.#options;
        const trustedSocket = isControlSocket(attach.control);
        if (isControlSocket(attach.control)) await checkControlSocket(attach.control.socketPath);
        control = await TorControl.connect(attach.control, { signal, ...commandTimeout });
        policy = {
          cookieFile: attach.cookieFile,
          trustedSocket,
          ...(attach.allowPassword === true ? { password: { value: this.#password } } : {}),
        };
      }
      const method = await authenticate(control, policy, { signal });
      log('authenticated to the control port with %s', method);
      if (child) await control.takeOwnership({ signal });
      control.addEventListener('event', (e) => this.#onEvent(e.detail));
      await control.setEvents(['STATUS_CLIENT', 'HS_DESC', 'WARN'], { signal });
      let socks: HostPort | null;
      if (this.#options.mode === 'spawn') {
        const value = (await control.getInfo(['net/listeners/socks'], { signal })).get('net/listeners/socks') ?? '';
        socks = parseListener(value);
        if (!socks) log('tor reports no SOCKS listener (network disabled?)');
      } else {
        socks = this.#options.socks;
      }
      this.#session = { generation, control, child, socks };
      const phase = (await control.getInfo(['status/bootstrap-phase'], { signal })).get('status/bootstrap-phase') ?? '';
      this.#onBootstrapText(phase);
      for (const onion of this.#onions.values()) await this.#addOnion(control, onion, signal);
      if (signal.aborted) throw abortError();
      // From here on, losing tor means restarting it.
      const lost = (why: string) => this.#onLost(generation, why);
      control.addEventListener('close', () => lost('control connection closed'));
      child?.once('exit', (code, sig) => lost(`tor exited (${sig ?? code})`));
      if (control.closed) lost('control connection closed');
      else if (child && (child.exitCode !== null || child.signalCode !== null)) lost('tor exited');
      else {
        this.#sessionSince = Date.now();
        this.#setState(this.#bootstrap === 100 ? 'ready' : 'bootstrapping');
      }
    } catch (err) {
      if (this.#session?.generation === generation) this.#session = null;
      control?.close();
      if (child) await terminate(child, TOR_STOP_GRACE_MS);
      throw err;
    }
  }

  #onLost(generation: number, why: string): void {
    if (generation !== this.#generation || !this.#controller || this.#controller.signal.aborted) return;
    this.#generation += 1; // later signals from this session are stale
    log('lost tor: %s; restarting', why);
    const session = this.#session;
    this.#session = null;
    session?.control.close();
    if (session?.child) void terminate(session.child, TOR_STOP_GRACE_MS);
    // A tor that ran for a while starts the backoff afresh; one that keeps dying backs off further.
    if (Date.now() - this.#sessionSince > RESTART_BACKOFF_MAX_MS) this.#restartDelay = RESTART_BACKOFF_INITIAL_MS;
    this.#setState('restarting');
    void this.#restartLoop(this.#controller.signal);
  }

  async #restartLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const delay = this.#restartDelay;
      this.#restartDelay = Math.min(delay * RESTART_BACKOFF_FACTOR, RESTART_BACKOFF_MAX_MS);
      try {
        await sleep(delay, undefined, { signal });
        await this.#launch(signal);
        return;
      } catch (err) {
        if (signal.aborted) return;
        log('restart failed: %s', (err as Error).message);
      }
    }
  }

  async #spawn(signal: AbortSignal): Promise<{ child: ChildProcess; control: HostPort }> {
    const torPath = this.#torPath;
    if (!torPath) throw new TorError(TorErrorCode.NOT_RUNNING, 'no tor binary resolved');
    const dir = this.#dataDir;
    const torrc = join(dir, 'torrc');
    const defaults = join(dir, 'torrc-defaults');
    const portFile = join(dir, 'control-port');
    await rm(portFile, { force: true });
    const lines = [
      '# Generated by snug at every start; edits are lost. Extra lines: --tor-config FILE.',
      `DataDirectory ${torrcValue(join(dir, 'data'))}`,
      'ControlPort auto',
      `ControlPortWriteToFile ${torrcValue(portFile)}`,
      'ControlPortFileGroupReadable 0',
      'CookieAuthentication 1',
      `CookieAuthFile ${torrcValue(this.#cookieFile())}`,
      'SocksPort auto',
      `__OwningControllerProcess ${process.pid}`,
      'Log notice stdout',
      ...(this.#extraLines.length > 0 ? ['# from --tor-config', ...this.#extraLines] : []),
    ];
    await writeFile(torrc, lines.join('\n') + '\n', { mode: 0o600 });
    await writeFile(defaults, '', { mode: 0o600 });
    const child = spawn(torPath, ['-f', torrc, '--defaults-torrc', defaults], { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    this.#lastLogLines = [];
    const onOutput = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.length === 0) continue;
        torLog('%s', line);
        this.#lastLogLines.push(line);
        if (this.#lastLogLines.length > 10) this.#lastLogLines.shift();
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    let spawnError: Error | null = null;
    child.once('error', (err) => (spawnError = err));
    try {
      const deadline = Date.now() + TOR_START_TIMEOUT_MS;
      for (;;) {
        if (signal.aborted) throw abortError();
        if (spawnError || child.exitCode !== null || child.signalCode !== null) {
          throw new TorError(
            TorErrorCode.START_FAILED,
            `tor exited at start (${child.signalCode ?? child.exitCode}): ${this.#lastLogLines.slice(-3).join(' | ')}`,
            { cause: spawnError ?? undefined },
          );
        }
        const text = await readFile(portFile, 'utf8').catch(() => null);
        const m = text === null ? null : /^PORT=(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})\s*$/m.exec(text);
        if (m) return { child, control: { host: m[1]!, port: Number(m[2]) } };
        if (Date.now() > deadline) throw new TorError(TorErrorCode.START_FAILED, `tor did not open its control port in ${TOR_START_TIMEOUT_MS} ms`);
        await sleep(TOR_PORT_FILE_POLL_MS);
      }
    } catch (err) {
      await terminate(child, TOR_STOP_GRACE_MS);
      throw err;
    }
  }

  /** The cookie file of a tor we spawn (we configure it; it lives in our 0700 directory). */
  #cookieFile(): string {
    return join(this.#dataDir, 'control_auth_cookie');
  }

  async #teardown(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    if (!session) return;
    if (!session.child && !session.control.closed) {
      // Attached: our onion services would outlive us on someone else's tor.
      for (const onion of this.#onions.values()) await session.control.delOnion(onion.serviceId).catch(() => {});
    }
    session.control.close();
    if (session.child) await terminate(session.child, TOR_STOP_GRACE_MS);
  }

  /** Stops tor (or detaches), forgets published services. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#controller?.abort();
    this.#controller = null;
    this.#unwatchStall();
    this.#generation += 1;
    await this.#teardown();
    for (const onion of this.#onions.values()) onion.dispose(new TorError(TorErrorCode.NOT_RUNNING, 'tor stopped'));
    this.#onions.clear();
    this.#bootstrap = 0;
    this.#setState('stopped');
  }
}
