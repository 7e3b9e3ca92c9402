/**
 * A client of tor's control port (control-spec.txt) over TCP or a Unix socket. Replies are
 * parsed strictly (reply.ts) and matched to commands in order; `650` replies are asynchronous
 * events. Every command has a timeout; a timed-out command closes the connection, since later
 * replies could no longer be matched to their commands. Which authentication to use, and
 * whether a listener is trusted with secrets at all, is auth.ts's job; this client only
 * carries out the method it is told.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import debugFactory from 'debug';
import { settleWithin } from '../abort.js';
import { TypedEventTarget } from '../events.js';
import { onceEvent } from '../once-event.js';
import {
  CONTROL_COMMAND_TIMEOUT_MS,
  CONTROL_CONNECT_TIMEOUT_MS,
  SAFECOOKIE_CLIENT_KEY,
  SAFECOOKIE_NONCE_BYTES,
  SAFECOOKIE_SERVER_KEY,
} from './constants.js';
import { TorError, TorErrorCode } from './errors.js';
import { describeControl, isControlSocket, type ControlAddress, type HostPort } from './options.js';
import { ASYNC_EVENT_STATUS, keywords, malformed, quoteString, ReplyParser, tokenize, type Reply } from './reply.js';

const log = debugFactory('snug:daemon:tor:control');

export interface ProtocolInfo {
  readonly methods: ReadonlySet<string>;
  readonly cookieFile: string | undefined;
  readonly version: string | undefined;
}

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (err: Error) => void;
}

export interface ControlEvents {
  /** An asynchronous (650) reply. */
  event: Reply;
  /** The connection closed (once), with why. */
  close: Error;
}

export interface ControlInit {
  readonly commandTimeoutMs?: number;
  readonly maxLineBytes?: number;
  readonly maxReplyBytes?: number;
}

/** One authenticated-or-not connection to a control port; events: ControlEvents. */
export class TorControl extends TypedEventTarget<ControlEvents> {
  readonly #socket: Socket;
  readonly #parser: ReplyParser;
  readonly #timeoutMs: number;
  readonly #pending: Pending[] = [];
  #closed: Error | null = null;

  private constructor(socket: Socket, init: ControlInit) {
    super();
    this.#socket = socket;
    this.#timeoutMs = init.commandTimeoutMs ?? CONTROL_COMMAND_TIMEOUT_MS;
    this.#parser = new ReplyParser(init);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#close(new TorError(TorErrorCode.CONTROL_CLOSED, 'control connection failed', { cause: err })));
    socket.on('close', () => this.#close(new TorError(TorErrorCode.CONTROL_CLOSED, 'control connection closed')));
  }

  /** Opens a connection to a control port (TCP, or a Unix socket). */
  static connect(to: ControlAddress, init: ControlInit & { signal?: AbortSignal; connectTimeoutMs?: number } = {}): Promise<TorControl> {
    const where = describeControl(to);
    const timeoutMs = init.connectTimeoutMs ?? CONTROL_CONNECT_TIMEOUT_MS;
    const socket = isControlSocket(to) ? connect({ path: to.socketPath }) : connect({ host: to.host, port: to.port });
    return onceEvent<TorControl>(
      socket,
      {
        event: 'connect',
        value: () => new TorControl(socket, init),
        failed: (err) => new TorError(TorErrorCode.CONTROL_CLOSED, `cannot connect to the control port ${where}`, { cause: err }),
      },
      { timeoutMs, ...(init.signal ? { signal: init.signal } : {}) },
      {
        timeout: () => new TorError(TorErrorCode.CONTROL_TIMEOUT, `control port ${where} did not accept in ${timeoutMs} ms`),
        aborted: () => new TorError(TorErrorCode.ABORTED, 'aborted while connecting to the control port'),
      },
    ).catch((err: unknown) => {
      socket.destroy();
      throw err;
    });
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  #onData(chunk: Buffer): void {
    let replies: Reply[];
    try {
      replies = this.#parser.push(chunk);
    } catch (err) {
      this.#close(err as Error);
      return;
    }
    for (const reply of replies) {
      if (reply.status === ASYNC_EVENT_STATUS) {
        this.emit('event', reply);
        continue;
      }
      const pending = this.#pending.shift();
      if (!pending) {
        this.#close(malformed(`unsolicited ${reply.status} reply`));
        return;
      }
      pending.resolve(reply);
    }
  }

  #close(err: Error): void {
    if (this.#closed) return;
    this.#closed = err;
    log('control connection closed: %s', err.message);
    this.#socket.destroy();
    for (const p of this.#pending.splice(0)) p.reject(err);
    this.emit('close', err);
  }

  /** Closes the connection (a tor that took ownership exits). */
  close(): void {
    this.#close(new TorError(TorErrorCode.CONTROL_CLOSED, 'control connection closed by us'));
  }

  /**
   * Sends one command line and resolves with its reply, whatever its status. An aborted command
   * stays queued (its reply still arrives and is consumed in order); a timed-out one closes the
   * connection.
   */
  request(line: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Reply> {
    if (/[\r\n]/.test(line)) return Promise.reject(new TypeError('a control command is one line'));
    if (this.#closed) return Promise.reject(this.#closed);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const verb = line.split(' ', 1)[0];
    return settleWithin<Reply>(
      { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
      {
        timeout: () => {
          const err = new TorError(TorErrorCode.CONTROL_TIMEOUT, `no complete reply to ${verb} within ${timeoutMs} ms`);
          this.#close(err);
          return err;
        },
        aborted: () => new TorError(TorErrorCode.ABORTED, `${verb} aborted`),
      },
      (resolve, reject) => {
        this.#pending.push({ resolve, reject });
        this.#socket.write(line + '\r\n');
      },
    );
  }

  /** Sends a command and requires a 250 reply. */
  async command(line: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Reply> {
    const reply = await this.request(line, options);
    if (reply.status !== 250) {
      const verb = line.split(' ', 1)[0];
      const text = reply.lines[reply.lines.length - 1]?.text ?? '';
      throw new TorError(TorErrorCode.COMMAND_FAILED, `${verb} failed: ${reply.status} ${text}`, { status: reply.status });
    }
    return reply;
  }

  async protocolInfo(options: { signal?: AbortSignal } = {}): Promise<ProtocolInfo> {
    const reply = await this.command('PROTOCOLINFO 1', options);
    let methods: Set<string> | undefined;
    let cookieFile: string | undefined;
    let version: string | undefined;
    for (const line of reply.lines) {
      const tokens = tokenize(line.text);
      const head = tokens[0]?.value;
      if (head === 'AUTH') {
        const kw = keywords(line.text);
        const m = kw.get('METHODS');
        if (m === undefined) throw malformed('PROTOCOLINFO AUTH line without METHODS');
        methods = new Set(m.split(',').filter((s) => s.length > 0));
        cookieFile = kw.get('COOKIEFILE');
      } else if (head === 'VERSION') {
        version = keywords(line.text).get('Tor');
      }
    }
    if (!methods) throw malformed('PROTOCOLINFO reply without an AUTH line');
    return { methods, cookieFile, version };
  }

  /** AUTHENTICATE with no secret (NULL). */
  authenticateNull(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#authenticateWith('', options);
  }

  /** AUTHENTICATE with a password (HASHEDPASSWORD). */
  authenticatePassword(password: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#authenticateWith(quoteString(password), options);
  }

  /** AUTHENTICATE with the cookie itself (COOKIE): only to a listener already known to be tor. */
  authenticateCookie(cookie: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#authenticateWith(Buffer.from(cookie).toString('hex'), options);
  }

  async #authenticateWith(arg: string, options: { signal?: AbortSignal }): Promise<void> {
    const reply = await this.request(arg === '' ? 'AUTHENTICATE' : `AUTHENTICATE ${arg}`, options);
    if (reply.status !== 250) {
      throw new TorError(TorErrorCode.AUTH_FAILED, `tor refused authentication (${reply.status})`, { status: reply.status });
    }
  }

  /**
   * SAFECOOKIE: the listener proves it knows `cookie` (SERVERHASH) before we prove we do, so a
   * listener that does not know it learns nothing and fails with AUTH_FAILED.
   */
  async authenticateSafeCookie(cookie: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    const clientNonce = randomBytes(SAFECOOKIE_NONCE_BYTES);
    const reply = await this.request(`AUTHCHALLENGE SAFECOOKIE ${clientNonce.toString('hex')}`, options);
    if (reply.status !== 250) {
      throw new TorError(TorErrorCode.AUTH_FAILED, `tor refused AUTHCHALLENGE (${reply.status})`, { status: reply.status });
    }
    const text = reply.lines[0]?.text ?? '';
    if (tokenize(text)[0]?.value !== 'AUTHCHALLENGE') throw malformed('AUTHCHALLENGE reply without its keyword');
    const kw = keywords(text);
    const serverHash = Buffer.from(kw.get('SERVERHASH') ?? '', 'hex');
    const serverNonce = Buffer.from(kw.get('SERVERNONCE') ?? '', 'hex');
    if (serverHash.length !== 32 || serverNonce.length !== SAFECOOKIE_NONCE_BYTES) {
      throw malformed('AUTHCHALLENGE reply without a 32-byte SERVERHASH and SERVERNONCE');
    }
    const message = Buffer.concat([cookie, clientNonce, serverNonce]);
    try {
      const expected = createHmac('sha256', SAFECOOKIE_SERVER_KEY).update(message).digest();
      // The expected hash derives from the cookie (a secret): compare in constant time.
      if (!timingSafeEqual(expected, serverHash)) throw new TorError(TorErrorCode.AUTH_FAILED, 'tor does not know our cookie (SERVERHASH mismatch)');
      const clientHash = createHmac('sha256', SAFECOOKIE_CLIENT_KEY).update(message).digest();
      await this.#authenticateWith(clientHash.toString('hex'), options);
    } finally {
      message.fill(0);
    }
  }

  /** GETINFO: values by key (data blocks for multi-line values). */
  async getInfo(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Map<string, string>> {
    for (const k of keys) if (!/^[A-Za-z0-9/_.:=-]+$/.test(k)) throw new TypeError(`bad GETINFO key ${k}`);
    const reply = await this.command(`GETINFO ${keys.join(' ')}`, options);
    const values = new Map<string, string>();
    for (const line of reply.lines) {
      if (line.separator === ' ') {
        if (line.text !== 'OK') throw malformed('GETINFO reply not ended by OK');
        continue;
      }
      const eq = line.text.indexOf('=');
      if (eq <= 0) throw malformed('GETINFO line without KEY=');
      const key = line.text.slice(0, eq);
      values.set(key, line.separator === '+' ? (line.data ?? '') : line.text.slice(eq + 1));
    }
    for (const k of keys) if (!values.has(k)) throw malformed(`GETINFO reply lacks ${k}`);
    return values;
  }

  async setEvents(events: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.command(`SETEVENTS ${events.join(' ')}`.trimEnd(), options);
  }

  async takeOwnership(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.command('TAKEOWNERSHIP', options);
  }

  /**
   * ADD_ONION with a supplied ED25519-V3 expanded key (64 bytes), `Flags=DiscardPK`, and one
   * port mapping. Resolves with the ServiceID tor reports (56 chars, no ".onion").
   */
  async addOnion(
    init: { expandedKey: Uint8Array; virtualPort: number; target: HostPort },
    options: { signal?: AbortSignal } = {},
  ): Promise<string> {
    if (init.expandedKey.length !== 64) throw new TypeError('an ED25519-V3 expanded key is 64 bytes');
    const key = Buffer.from(init.expandedKey).toString('base64');
    const reply = await this.command(
      `ADD_ONION ED25519-V3:${key} Flags=DiscardPK Port=${init.virtualPort},${init.target.host}:${init.target.port}`,
      options,
    );
    let serviceId: string | undefined;
    for (const line of reply.lines) {
      if (line.text.startsWith('ServiceID=')) serviceId = line.text.slice('ServiceID='.length);
    }
    if (serviceId === undefined || !/^[a-z2-7]{56}$/.test(serviceId)) throw malformed('ADD_ONION reply without a v3 ServiceID');
    return serviceId;
  }

  async delOnion(serviceId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!/^[a-z2-7]{56}$/.test(serviceId)) throw new TypeError('not a v3 ServiceID');
    await this.command(`DEL_ONION ${serviceId}`, options);
  }
}
