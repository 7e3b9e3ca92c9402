/**
 * Method dispatch: json-rpc-2.0's JSONRPCServer holds the method table, runs a request's method
 * and builds its response (nothing for a notification). Around it, what the library leaves to
 * us: params validated by the descriptor's schema before the handler runs (-32602 with
 * data.code), the result checked against the descriptor, an ApiError answered as it is, and any
 * other throw answered ERR_INTERNAL without its message. The library is given only requests that
 * envelope.ts already validated, one at a time (its batch handling answers a batch of one with a
 * bare object, against JSON-RPC 2.0; connection.ts assembles batches).
 */
import { JSONRPCServer, type JSONRPCRequest, type JSONRPCResponse } from 'json-rpc-2.0';
import type { MethodDescriptor } from '../../protocol/api/descriptor.js';
import { ApiError } from '../../protocol/api/errors.js';
import { errorResponse, invalidParamsResponse, type RequestMessage, type ResponseMessage } from './envelope.js';

/** What a handler knows about the call besides its params. */
export interface HandlerContext {
  /** The connection the request came on (stable while it is open). */
  readonly connectionId: number;
  /**
   * Aborted when the connection closes or the server stops. Not when the client only half-closes
   * (EOF): on a Unix socket that cannot be told from a full close, and a client such as
   * `nc -U` still reads the answer; writing to a client that is gone closes the connection.
   */
  readonly signal: AbortSignal;
  /** Runs `fn` once the answer to this request has been handed to the socket (e.g. exit after daemon/shutdown). */
  afterResponse(fn: () => void): void;
}

/** A handler typed by its descriptor: validated params in, a result (checked by the schema) out. */
export type RawHandler = (params: unknown, ctx: HandlerContext) => Promise<unknown>;

export type ApiLogField = string | number | boolean | null;
/** The same shape as the daemon's log (daemon/services/log.ts): an event and a few fields, never content. */
export type ApiLog = (event: string, fields?: Readonly<Record<string, ApiLogField>>) => void;

/** Per-call state the router threads through the library to its wrapper. */
export interface CallState {
  readonly ctx: HandlerContext;
  /** True once the server is stopping (ERR_SHUTTING_DOWN). */
  readonly stopping: () => boolean;
}

/** Thrown inside the library's method call to answer a ready-made error response. */
class Answer extends Error {
  constructor(readonly response: ResponseMessage) {
    super('answer');
  }
}

export class Router {
  readonly #rpc: JSONRPCServer<CallState>;
  readonly #log: ApiLog;

  constructor(log: ApiLog) {
    this.#log = log;
    // errors are logged by mapError below, once, without their messages
    this.#rpc = new JSONRPCServer<CallState>({ errorListener: () => {} });
    this.#rpc.mapErrorToJSONRPCErrorResponse = (id, error: unknown) => this.#mapError(id, error) as ReturnType<JSONRPCServer['mapErrorToJSONRPCErrorResponse']>;
    this.#rpc.handleMethodNotFound = async (request: JSONRPCRequest) =>
      request.id === undefined ? null : (errorResponse(request.id, 'ERR_METHOD_NOT_FOUND') as JSONRPCResponse);
  }

  has(method: string): boolean {
    return this.#rpc.hasMethod(method);
  }

  register(descriptor: MethodDescriptor, handler: RawHandler): void {
    if (this.#rpc.hasMethod(descriptor.method)) throw new Error(`a handler for ${descriptor.method} is already registered`);
    this.#rpc.addMethodAdvanced(descriptor.method, async (request, state) => {
      // 1. params, before anything else (absent params are {}; positional params are not taken)
      const raw = request.params === undefined ? {} : request.params;
      const parsed = Array.isArray(raw)
        ? null
        : descriptor.params.safeParse(raw);
      if (parsed === null || !parsed.success) {
        if (request.id === undefined) return null;
        throw new Answer(
          parsed === null
            ? errorResponse(request.id, 'ERR_INVALID_PARAMS', 'params are given by name, as one JSON object')
            : invalidParamsResponse(request.id, parsed.error.issues),
        );
      }
      // 2. the daemon's state
      if (state.stopping()) throw new ApiError('ERR_SHUTTING_DOWN');
      const result = await handler(parsed.data, state.ctx);
      // 3. the result as the descriptor says (a handler's bug is ERR_INTERNAL, not a broken answer)
      const checked = descriptor.result.safeParse(result);
      if (!checked.success) {
        this.#log('api-bad-result', { method: descriptor.method, issues: checked.error.issues.length });
        throw new ApiError('ERR_INTERNAL');
      }
      return request.id === undefined ? null : { jsonrpc: '2.0', id: request.id, result: checked.data };
    });
  }

  /** The response to one validated request, or null for a notification. */
  async dispatch(request: RequestMessage, state: CallState): Promise<ResponseMessage | null> {
    const response = await this.#rpc.receive(request as JSONRPCRequest, state);
    return response as ResponseMessage | null;
  }

  #mapError(id: RequestMessage['id'], error: unknown): ResponseMessage {
    const rid = id ?? null;
    if (error instanceof Answer) return { ...error.response, id: rid };
    if (error instanceof ApiError) return { jsonrpc: '2.0', id: rid, error: error.toErrorObject() };
    // never the message: it may name paths or worse; the name and code are enough to look further
    const name = error instanceof Error ? error.name : typeof error;
    const code = (error as { code?: unknown } | null | undefined)?.code;
    this.#log('api-internal-error', { error: name, code: typeof code === 'string' ? code : null });
    return errorResponse(rid, 'ERR_INTERNAL');
  }
}
