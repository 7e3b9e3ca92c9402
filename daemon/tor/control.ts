/**
 * A client of tor's control port (control-spec.txt). The reply parser is strict: every line
 * must be `XYZ` + one of ' ', '-', '+' + text + CRLF, '+' lines carry a dot-terminated data
 * block (dot-unescaped), lines and replies are size-capped, and anything else is a typed
 * error that closes the connection. Replies are matched to commands in order; `650` replies
 * are asynchronous events. Every command has a timeout; a timed-out command closes the
 * connection, since later replies could no longer be matched to their commands.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import debugFactory from 'debug';
import type { HostPort } from '../cli/options.js';
import {
  AUTH_COOKIE_BYTES,
  CONTROL_COMMAND_TIMEOUT_MS,
  CONTROL_CONNECT_TIMEOUT_MS,
  CONTROL_MAX_LINE_BYTES,
  CONTROL_MAX_REPLY_BYTES,
  SAFECOOKIE_CLIENT_KEY,
  SAFECOOKIE_NONCE_BYTES,
  SAFECOOKIE_SERVER_KEY,
} from './constants.js';
import { TorError, TorErrorCode } from './errors.js';

const log = debugFactory('snug:daemon:tor:control');

/** Status code of asynchronous event replies. */
export const ASYNC_EVENT_STATUS = 650;

export interface ReplyLine {
  readonly status: number;
  /** ' ' for the end line, '-' for a mid-reply line, '+' for a line followed by data. */
  readonly separator: ' ' | '-' | '+';
  readonly text: string;
  /** For '+' lines: the data block, dot-unescaped, lines joined with '\n'. */
  readonly data?: string;
}

export interface Reply {
  /** The status of the end line. */
  readonly status: number;
  readonly lines: readonly ReplyLine[];
}

function malformed(message: string): TorError {
  return new TorError(TorErrorCode.CONTROL_MALFORMED, message);
}

const LINE = /^([0-9]{3})([ +-])(.*)$/s;
// Control characters other than TAB have no place in a control-port line.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Incremental parser of control-port replies. Feed it bytes; it returns every reply completed
 * by them, and throws a CONTROL_MALFORMED TorError on the first violation (after which the
 * parser is unusable: the stream cannot be resynchronised).
 */
export class ReplyParser {
  readonly #maxLine: number;
  readonly #maxReply: number;
  #buffer: Buffer = Buffer.alloc(0);
  #lines: ReplyLine[] = [];
  #replyBytes = 0;
  /** Set while inside a '+' data block: the line that opened it and the data so far. */
  #data: { head: { status: number; text: string }; lines: string[] } | null = null;
  #failed = false;

  constructor(init: { maxLineBytes?: number; maxReplyBytes?: number } = {}) {
    this.#maxLine = init.maxLineBytes ?? CONTROL_MAX_LINE_BYTES;
    this.#maxReply = init.maxReplyBytes ?? CONTROL_MAX_REPLY_BYTES;
  }

  /** True while a reply has started but not ended (bytes or lines are pending). */
  get pending(): boolean {
    return this.#buffer.length > 0 || this.#lines.length > 0 || this.#data !== null;
  }

  push(chunk: Uint8Array): Reply[] {
    if (this.#failed) throw malformed('control stream already failed');
    try {
      return this.#push(chunk);
    } catch (err) {
      this.#failed = true;
      throw err;
    }
  }

  #push(chunk: Uint8Array): Reply[] {
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    const replies: Reply[] = [];
    for (;;) {
      const nl = this.#buffer.indexOf(0x0a);
      if (nl < 0) {
        if (this.#buffer.length > this.#maxLine) throw malformed(`line longer than ${this.#maxLine} bytes`);
        return replies;
      }
      if (nl + 1 > this.#maxLine + 2) throw malformed(`line longer than ${this.#maxLine} bytes`);
      if (nl === 0 || this.#buffer[nl - 1] !== 0x0d) throw malformed('line not terminated by CRLF');
      const raw = this.#buffer.subarray(0, nl - 1);
      this.#buffer = this.#buffer.subarray(nl + 1);
      this.#replyBytes += nl + 1;
      if (this.#replyBytes > this.#maxReply) throw malformed(`reply longer than ${this.#maxReply} bytes`);
      const line = raw.toString('utf8');
      if (FORBIDDEN.test(line) || line.includes('\ufffd')) throw malformed('control characters or invalid UTF-8 in a line');
      const reply = this.#line(line);
      if (reply) replies.push(reply);
    }
  }

  #line(line: string): Reply | null {
    if (this.#data) {
      if (line === '.') {
        const { head, lines } = this.#data;
        this.#data = null;
        this.#lines.push({ status: head.status, separator: '+', text: head.text, data: lines.join('\n') });
      } else {
        this.#data.lines.push(line.startsWith('.') ? line.slice(1) : line);
      }
      return null;
    }
    const m = LINE.exec(line);
    if (!m) throw malformed('line is not "XYZ" followed by " ", "-" or "+"');
    const status = Number(m[1]);
    if (status < 100) throw malformed(`status ${m[1]} out of range`);
    const separator = m[2] as ' ' | '-' | '+';
    const text = m[3]!;
    const first = this.#lines[0];
    // All lines of one reply share the status class (2xx, 5xx, 650 events).
    if (first && Math.floor(first.status / 100) !== Math.floor(status / 100)) {
      throw malformed(`status ${status} inside a ${first.status} reply`);
    }
    if (separator === '+') {
      this.#data = { head: { status, text }, lines: [] };
      return null;
    }
    this.#lines.push({ status, separator, text });
    if (separator === '-') return null;
    const reply: Reply = { status, lines: this.#lines };
    this.#lines = [];
    this.#replyBytes = 0;
    return reply;
  }
}

// ---------------------------------------------------------------------------------------------
// Reply text helpers

export interface Token {
  readonly key?: string;
  readonly value: string;
}

/** Reads a control-spec QuotedString starting at text[i] === '"'; returns value and next index. */
function readQuoted(text: string, i: number): { value: string; next: number } {
  let out = '';
  let j = i + 1;
  for (;;) {
    if (j >= text.length) throw malformed('unterminated quoted string');
    const c = text[j]!;
    if (c === '"') return { value: out, next: j + 1 };
    if (c === '\\') {
      const e = text[j + 1];
      if (e === undefined) throw malformed('unterminated escape in quoted string');
      out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
      j += 2;
    } else {
      out += c;
      j += 1;
    }
  }
}

/**
 * Splits reply text into space-separated tokens: positional words, `KEY=VALUE` and
 * `KEY="quoted value"`, and bare `"quoted"` strings.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ') {
      i += 1;
      continue;
    }
    if (text[i] === '"') {
      const q = readQuoted(text, i);
      tokens.push({ value: q.value });
      i = q.next;
      if (i < text.length && text[i] !== ' ') throw malformed('garbage after a quoted string');
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '=' && text[j] !== '"') j += 1;
    const word = text.slice(i, j);
    if (text[j] === '=') {
      if (text[j + 1] === '"') {
        const q = readQuoted(text, j + 1);
        tokens.push({ key: word, value: q.value });
        i = q.next;
        if (i < text.length && text[i] !== ' ') throw malformed('garbage after a quoted value');
      } else {
        let k = j + 1;
        while (k < text.length && text[k] !== ' ') k += 1;
        tokens.push({ key: word, value: text.slice(j + 1, k) });
        i = k;
      }
    } else if (text[j] === '"') {
      throw malformed('quote inside a word');
    } else {
      tokens.push({ value: word });
      i = j;
    }
  }
  return tokens;
}

/** The `KEY=VALUE` tokens of a text, as a map (last one wins). */
export function keywords(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const t of tokenize(text)) if (t.key !== undefined) map.set(t.key, t.value);
  return map;
}

/** Encodes a string as a control-spec QuotedString. */
export function quoteString(value: string): string {
  return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r/g, '\\r').replace(/\n/g, '\\n') + '"';
}

// ---------------------------------------------------------------------------------------------
// Client

export interface ProtocolInfo {
  readonly methods: ReadonlySet<string>;
  readonly cookieFile: string | undefined;
  readonly version: string | undefined;
}

export interface AuthenticateInit {
  /** Password for HASHEDPASSWORD; used when no cookie method works. */
  readonly password?: string | undefined;
}

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface ControlInit {
  readonly commandTimeoutMs?: number;
  readonly maxLineBytes?: number;
  readonly maxReplyBytes?: number;
}

/**
 * One authenticated-or-not connection to a control port. Events: 'event' (CustomEvent<Reply>,
 * the 650 replies) and 'close' (CustomEvent<Error | undefined>, once).
 */
export class TorControl extends EventTarget {
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

  /** Opens a TCP connection to a control port. */
  static connect(to: HostPort, init: ControlInit & { signal?: AbortSignal; connectTimeoutMs?: number } = {}): Promise<TorControl> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: to.host, port: to.port });
      const timeoutMs = init.connectTimeoutMs ?? CONTROL_CONNECT_TIMEOUT_MS;
      const finish = (err?: Error) => {
        clearTimeout(timer);
        init.signal?.removeEventListener('abort', onAbort);
        socket.off('connect', onConnect);
        socket.off('error', onError);
        if (err) {
          socket.destroy();
          reject(err);
        } else {
          resolve(new TorControl(socket, init));
        }
      };
      const onAbort = () => finish(new TorError(TorErrorCode.ABORTED, 'aborted while connecting to the control port'));
      const onConnect = () => finish();
      const onError = (err: Error) =>
        finish(new TorError(TorErrorCode.CONTROL_CLOSED, `cannot connect to the control port ${to.host}:${to.port}`, { cause: err }));
      const timer = setTimeout(
        () => finish(new TorError(TorErrorCode.CONTROL_TIMEOUT, `control port ${to.host}:${to.port} did not accept in ${timeoutMs} ms`)),
        timeoutMs,
      );
      if (init.signal?.aborted) return onAbort();
      init.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', onConnect);
      socket.once('error', onError);
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
        this.dispatchEvent(new CustomEvent<Reply>('event', { detail: reply }));
        continue;
      }
      const pending = this.#pending.shift();
      if (!pending) {
        this.#close(malformed(`unsolicited ${reply.status} reply`));
        return;
      }
      clearTimeout(pending.timer);
      pending.resolve(reply);
    }
  }

  #close(err: Error): void {
    if (this.#closed) return;
    this.#closed = err;
    log('control connection closed: %s', err.message);
    this.#socket.destroy();
    for (const p of this.#pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.dispatchEvent(new CustomEvent<Error>('close', { detail: err }));
  }

  /** Closes the connection (a tor that took ownership exits). */
  close(): void {
    this.#close(new TorError(TorErrorCode.CONTROL_CLOSED, 'control connection closed by us'));
  }

  /** Sends one command line and resolves with its reply, whatever its status. */
  request(line: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Reply> {
    if (/[\r\n]/.test(line)) return Promise.reject(new TypeError('a control command is one line'));
    if (this.#closed) return Promise.reject(this.#closed);
    if (options.signal?.aborted) return Promise.reject(new TorError(TorErrorCode.ABORTED, 'aborted'));
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const verb = line.split(' ', 1)[0];
    return new Promise<Reply>((resolve, reject) => {
      let settled = false;
      const settle = () => {
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
      };
      // An aborted command stays queued: its reply still arrives and must be consumed in order.
      const onAbort = () => {
        if (settled) return;
        settle();
        reject(new TorError(TorErrorCode.ABORTED, `${verb} aborted`));
      };
      const timer = setTimeout(
        () => this.#close(new TorError(TorErrorCode.CONTROL_TIMEOUT, `no complete reply to ${verb} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.push({
        resolve: (r) => {
          if (settled) return;
          settle();
          resolve(r);
        },
        reject: (e) => {
          if (settled) return;
          settle();
          reject(e);
        },
        timer,
      });
      this.#socket.write(line + '\r\n');
    });
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

  /**
   * Authenticates with the best method PROTOCOLINFO offers: SAFECOOKIE, then COOKIE, then
   * HASHEDPASSWORD (if a password was given), then NULL.
   */
  async authenticate(init: AuthenticateInit = {}, options: { signal?: AbortSignal } = {}): Promise<string> {
    const info = await this.protocolInfo(options);
    const failures: string[] = [];
    const cookieMethod = info.methods.has('SAFECOOKIE') ? 'SAFECOOKIE' : info.methods.has('COOKIE') ? 'COOKIE' : null;
    if (cookieMethod && info.cookieFile !== undefined) {
      let cookie: Buffer | null = null;
      try {
        cookie = await readFile(info.cookieFile);
      } catch (err) {
        failures.push(`cannot read the cookie file: ${(err as Error).message}`);
      }
      if (cookie) {
        if (cookie.length !== AUTH_COOKIE_BYTES) throw new TorError(TorErrorCode.AUTH_FAILED, 'the cookie file is not 32 bytes');
        try {
          if (cookieMethod === 'SAFECOOKIE') await this.#safeCookie(cookie, options);
          else await this.#authenticateWith(cookie.toString('hex'), options);
          return cookieMethod;
        } finally {
          cookie.fill(0);
        }
      }
    }
    if (info.methods.has('HASHEDPASSWORD') && init.password !== undefined) {
      await this.#authenticateWith(quoteString(init.password), options);
      return 'HASHEDPASSWORD';
    }
    if (info.methods.has('NULL')) {
      await this.#authenticateWith('', options);
      return 'NULL';
    }
    if (info.methods.has('HASHEDPASSWORD')) failures.push('tor wants a password (set SNUG_TOR_PASSWORD)');
    throw new TorError(
      TorErrorCode.AUTH_FAILED,
      `no usable control-port authentication (tor offers ${[...info.methods].join(',')})${failures.length ? ': ' + failures.join('; ') : ''}`,
    );
  }

  async #authenticateWith(arg: string, options: { signal?: AbortSignal }): Promise<void> {
    const reply = await this.request(arg === '' ? 'AUTHENTICATE' : `AUTHENTICATE ${arg}`, options);
    if (reply.status !== 250) {
      throw new TorError(TorErrorCode.AUTH_FAILED, `tor refused authentication (${reply.status})`, { status: reply.status });
    }
  }

  async #safeCookie(cookie: Buffer, options: { signal?: AbortSignal }): Promise<void> {
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
    const expected = createHmac('sha256', SAFECOOKIE_SERVER_KEY).update(message).digest();
    // The expected hash derives from the cookie (a secret): compare in constant time.
    if (!timingSafeEqual(expected, serverHash)) throw new TorError(TorErrorCode.AUTH_FAILED, 'tor does not know our cookie (SERVERHASH mismatch)');
    const clientHash = createHmac('sha256', SAFECOOKIE_CLIENT_KEY).update(message).digest();
    message.fill(0);
    await this.#authenticateWith(clientHash.toString('hex'), options);
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
