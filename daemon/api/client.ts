/**
 * The local API client, used by `snug rpc` and the terminal UI: one Unix-socket connection,
 * typed calls by descriptor or method name, notifications as typed events.
 *
 * Errors: a call rejects with ApiError (protocol/api/errors.ts) when the daemon answered with
 * an error, and with ApiTransportError (./errors.ts) when it did not answer: not running, the
 * connection closed, the time ran out, the caller aborted, or the answer was not JSON-RPC.
 *
 * Request ids and matching answers to calls are json-rpc-2.0's JSONRPCClient; framing,
 * validation of what comes back, timeouts and the transport errors are ours (the library's
 * timeout answers a made-up error response, which would look like the daemon's).
 */
import { connect, type Socket } from 'node:net';
import { JSONRPCClient, type JSONRPCResponse } from 'json-rpc-2.0';
import { z } from 'zod';
import type { MethodDescriptor, ParamsInput, ResultOutput } from '../../protocol/api/descriptor.js';
import { ApiError } from '../../protocol/api/errors.js';
import { METHODS, type MethodName, type Methods } from '../../protocol/api/methods.js';
import { NOTIFICATIONS, isNotificationName, type NotificationName, type NotificationParams } from '../../protocol/api/notifications.js';
import { settleWithin, type AbortOptions } from '../abort.js';
import { TypedEventTarget } from '../events.js';
import { CALL_TIMEOUT_MS, CONNECT_TIMEOUT_MS } from './constants.js';
import { ApiTransportError, ApiTransportErrorCode } from './errors.js';
import { LineSplitter } from './lines.js';
import { checkSocketPath } from './socket.js';

/** The longest line the client takes from the daemon (an OpenRPC document is far smaller). */
export const CLIENT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** A notification as it came: the method and its params (validated when the method is known). */
export interface RawNotification {
  readonly method: string;
  readonly params: unknown;
}

export type ApiClientEvents = {
  /** Every notification, known or not (a newer daemon may send ones this version does not know). */
  notification: RawNotification;
  /** The connection closed; `error` says why when it was not this side's close(). */
  close: { readonly error: ApiTransportError | ApiError | null };
} & { [N in NotificationName]: NotificationParams<N> };

export type ApiClientState = 'open' | 'closing' | 'closed';

export interface ApiClientInit {
  /** Milliseconds a call may take unless its options say otherwise (default CALL_TIMEOUT_MS). */
  readonly callTimeoutMs?: number;
}

const ResponseSchema = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: z.union([z.string(), z.number(), z.null()]), result: z.unknown() }).refine((r) => 'result' in r),
  z.object({
    jsonrpc: z.literal('2.0'),
    id: z.union([z.string(), z.number(), z.null()]),
    error: z.object({ code: z.int(), message: z.string(), data: z.unknown().optional() }),
  }),
]);

const NotificationSchema = z.object({ jsonrpc: z.literal('2.0'), method: z.string(), params: z.unknown().optional() });

function notRunning(cause?: unknown): ApiTransportError {
  return new ApiTransportError(ApiTransportErrorCode.NOT_RUNNING, 'no daemon is running for this home (start one with `snug daemon`)', { cause });
}

export class ApiClient extends TypedEventTarget<ApiClientEvents> {
  readonly #socket: Socket;
  readonly #rpc: JSONRPCClient;
  readonly #callTimeoutMs: number;
  readonly #closers = new Set<(err: ApiTransportError | ApiError) => void>();
  readonly #lines = new LineSplitter(CLIENT_MAX_LINE_BYTES);
  #closed = false;
  #closing = false;
  #closeError: ApiTransportError | ApiError | null = null;
  /** An error the daemon sent with id null (e.g. too many connections), kept for the close. */
  #unmatchedError: ApiError | null = null;

  private constructor(socket: Socket, init: ApiClientInit) {
    super();
    this.#socket = socket;
    this.#callTimeoutMs = init.callTimeoutMs ?? CALL_TIMEOUT_MS;
    this.#rpc = new JSONRPCClient((payload: unknown) => {
      if (this.#closed) throw this.#closedError();
      this.#socket.write(JSON.stringify(payload) + '\n');
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => {
      this.#closeError ??= new ApiTransportError(ApiTransportErrorCode.CLOSED, 'the connection to the daemon failed', { cause: err });
    });
    socket.on('close', () => this.#onClose());
  }

  /** Connects to the daemon's socket; ApiTransportError ERR_DAEMON_NOT_RUNNING if none answers. */
  static connect(socketPath: string, options: AbortOptions & ApiClientInit = {}): Promise<ApiClient> {
    checkSocketPath(socketPath);
    return settleWithin<ApiClient>(
      { signal: options.signal, timeoutMs: options.timeoutMs ?? CONNECT_TIMEOUT_MS },
      {
        timeout: () => new ApiTransportError(ApiTransportErrorCode.TIMEOUT, 'the daemon did not accept the connection in time'),
        aborted: () => new ApiTransportError(ApiTransportErrorCode.ABORTED, 'connecting was aborted'),
      },
      (resolve, reject) => {
        const socket = connect(socketPath);
        let settled = false;
        const onError = (err: NodeJS.ErrnoException) => {
          settled = true;
          reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? notRunning(err) : new ApiTransportError(ApiTransportErrorCode.CLOSED, `cannot connect to the daemon (${err.code ?? err.name})`, { cause: err }));
        };
        socket.once('error', onError);
        socket.once('connect', () => {
          settled = true;
          socket.off('error', onError);
          resolve(new ApiClient(socket, options));
        });
        return () => {
          if (!settled) socket.destroy();
        };
      },
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The connection's state: 'open', 'closing' (close() called), or 'closed'. */
  get state(): ApiClientState {
    return this.#closed ? 'closed' : this.#closing ? 'closing' : 'open';
  }

  /**
   * Calls a method of this API: params checked by the caller's types, the result validated by
   * the descriptor's schema (a result that does not match is ERR_API_PROTOCOL).
   */
  async call<M extends MethodName>(
    method: M | Methods[M],
    ...args: {} extends ParamsInput<Methods[M]> ? [params?: ParamsInput<Methods[M]>, options?: AbortOptions] : [params: ParamsInput<Methods[M]>, options?: AbortOptions]
  ): Promise<ResultOutput<Methods[M]>> {
    const [params, options] = args;
    const descriptor: MethodDescriptor = typeof method === 'string' ? METHODS[method] : method;
    const result = await this.request(descriptor.method, params, options);
    const checked = descriptor.result.safeParse(result);
    if (!checked.success) throw new ApiTransportError(ApiTransportErrorCode.PROTOCOL, `the daemon's result for ${descriptor.method} does not match this version's schema`);
    return checked.data as ResultOutput<Methods[M]>;
  }

  /** Calls any method by name with any params; the result as the daemon sent it (for `snug rpc`). */
  request(method: string, params?: unknown, options: AbortOptions = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const timeoutMs = options.timeoutMs ?? this.#callTimeoutMs;
    let id: number | string | null = null;
    return settleWithin<unknown>(
      { signal: options.signal, timeoutMs },
      {
        timeout: () => new ApiTransportError(ApiTransportErrorCode.TIMEOUT, `no answer to ${method} within ${timeoutMs} ms`),
        aborted: () => new ApiTransportError(ApiTransportErrorCode.ABORTED, `${method} was aborted`),
      },
      (resolve, reject) => {
        const onClose = (err: ApiTransportError | ApiError) => reject(err);
        this.#closers.add(onClose);
        const request = { jsonrpc: '2.0' as const, id: this.#nextId(), method, ...(params === undefined ? {} : { params }) };
        id = request.id;
        this.#rpc.requestAdvanced(request).then(
          (response: JSONRPCResponse) => {
            if (response.error) reject(ApiError.fromErrorObject(response.error));
            else resolve(response.result);
          },
          (err: unknown) => reject(err instanceof Error ? err : new ApiTransportError(ApiTransportErrorCode.CLOSED, 'sending failed')),
        );
        return () => {
          this.#closers.delete(onClose);
          // drop the library's entry for a call we gave up on (timeout, abort, close)
          if (id !== null) this.#rpc.receive({ jsonrpc: '2.0', id, result: null });
        };
      },
    );
  }

  #idCounter = 0;
  #nextId(): number {
    this.#idCounter += 1;
    return this.#idCounter;
  }

  /** Closes the connection; calls still waiting reject with ERR_API_CLOSED. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#closing = true;
      this.#socket.end();
      // a daemon that does not close its side promptly
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    });
  }

  #closedError(): ApiTransportError | ApiError {
    return this.#closeError ?? new ApiTransportError(ApiTransportErrorCode.CLOSED, 'the connection to the daemon is closed');
  }

  #onData(chunk: Buffer): void {
    const { lines, tooLong } = this.#lines.push(chunk);
    for (const line of lines) {
      this.#onLine(line);
      if (this.#closed) return;
    }
    if (tooLong) this.#protocolFault('a line from the daemon is too long');
  }

  #protocolFault(message: string): void {
    this.#closeError = new ApiTransportError(ApiTransportErrorCode.PROTOCOL, message);
    this.#socket.destroy();
  }

  #onLine(line: Buffer): void {
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      return this.#protocolFault('the daemon sent a line that is not JSON');
    }
    for (const message of Array.isArray(value) ? value : [value]) {
      if (typeof message === 'object' && message !== null && 'method' in message && !('id' in message)) {
        this.#onNotification(message);
        continue;
      }
      const response = ResponseSchema.safeParse(message);
      if (!response.success) return this.#protocolFault('the daemon sent something that is not a JSON-RPC 2.0 response');
      const r = response.data;
      if (r.id === null) {
        // not an answer to any call of ours (a refused connection, a line the daemon could not read)
        if ('error' in r) this.#unmatchedError = ApiError.fromErrorObject(r.error);
        continue;
      }
      this.#rpc.receive(r as JSONRPCResponse);
    }
  }

  #onNotification(message: object): void {
    const parsed = NotificationSchema.safeParse(message);
    if (!parsed.success) return this.#protocolFault('the daemon sent a malformed notification');
    const { method, params } = parsed.data;
    if (isNotificationName(method)) {
      const checked = NOTIFICATIONS[method].params.safeParse(params);
      // one that does not match this version's schema is passed on as it came, but not as a typed event
      this.emit('notification', { method, params: checked.success ? checked.data : params });
      if (checked.success) this.emit(method, checked.data as NotificationParams<typeof method>);
      return;
    }
    this.emit('notification', { method, params });
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = this.#unmatchedError ?? this.#closedError();
    for (const close of [...this.#closers]) close(err);
    this.#closers.clear();
    this.emit('close', { error: this.#closing && this.#unmatchedError === null ? null : err });
  }
}
