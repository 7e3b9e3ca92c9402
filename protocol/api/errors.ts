/**
 * The local API's error table (CONTRACT.md, "Local API"): every error the daemon answers has a
 * numeric JSON-RPC `code`, a `message` for humans, and `data.code`, a stable name that callers
 * and tests branch on. The JSON-RPC codes keep their meaning; application errors use 1000-1999.
 * Numbers and names never change once released; new ones are added at the end of their range.
 */
import { SnugError } from '../errors.js';

/** JSON-RPC 2.0's own codes (https://www.jsonrpc.org/specification#error_object). */
export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_REQUEST = -32600;
export const JSONRPC_METHOD_NOT_FOUND = -32601;
export const JSONRPC_INVALID_PARAMS = -32602;

/** The first and last code of the application range. */
export const APP_ERROR_MIN = 1000;
export const APP_ERROR_MAX = 1999;

export interface ApiErrorSpec {
  /** The numeric JSON-RPC error code. */
  readonly code: number;
  /** The default message (the daemon may say more; never branch on it). */
  readonly message: string;
}

export const API_ERRORS = {
  // --- JSON-RPC codes ---
  /** The line is not JSON (or not UTF-8). */
  ERR_PARSE: { code: JSONRPC_PARSE_ERROR, message: 'parse error: the line is not JSON' },
  /** JSON, but not a JSON-RPC 2.0 request object (or an empty batch). */
  ERR_INVALID_REQUEST: { code: JSONRPC_INVALID_REQUEST, message: 'invalid request' },
  /** A line longer than the limit; the connection is closed after this error. */
  ERR_LINE_TOO_LONG: { code: JSONRPC_INVALID_REQUEST, message: 'line too long; closing the connection' },
  /** A batch with more requests than the limit. */
  ERR_BATCH_TOO_LARGE: { code: JSONRPC_INVALID_REQUEST, message: 'batch too large' },
  /** No such method. */
  ERR_METHOD_NOT_FOUND: { code: JSONRPC_METHOD_NOT_FOUND, message: 'method not found' },
  /** The params do not match the method's schema (data.issues says where). */
  ERR_INVALID_PARAMS: { code: JSONRPC_INVALID_PARAMS, message: 'invalid params' },
  /** A param that should be a v3 onion address is not one. */
  ERR_BAD_ADDRESS: { code: JSONRPC_INVALID_PARAMS, message: 'not a v3 onion address' },
  /** A param that should be an invite is not one. */
  ERR_BAD_INVITE: { code: JSONRPC_INVALID_PARAMS, message: 'not a valid invite' },

  // --- application codes, 1000-1999 ---
  /** Something failed inside the daemon; the details are in its log, not in the answer. */
  ERR_INTERNAL: { code: 1000, message: 'internal error' },
  /** This home has no profile yet (profile/create makes one). */
  ERR_NO_PROFILE: { code: 1001, message: 'no profile in this home' },
  /** profile/create in a home that already has a profile. */
  ERR_PROFILE_EXISTS: { code: 1002, message: 'a profile already exists in this home' },
  /** The profile is locked (profile/unlock first). */
  ERR_LOCKED: { code: 1003, message: 'the profile is locked' },
  /** The passphrase does not open the profile. */
  ERR_BAD_PASSPHRASE: { code: 1004, message: 'wrong passphrase' },
  /** The thing named (group, contact, message) does not exist here. */
  ERR_NOT_FOUND: { code: 1005, message: 'not found' },
  /** The address is not an accepted contact. */
  ERR_NOT_CONTACT: { code: 1006, message: 'not an accepted contact' },
  /** Only a group's admins may do this. */
  ERR_NOT_ADMIN: { code: 1007, message: 'only admins may do this' },
  /** Only a message's author may do this. */
  ERR_NOT_AUTHOR: { code: 1008, message: 'only the author may do this' },
  /** A text longer than the protocol allows. */
  ERR_TOO_LONG: { code: 1009, message: 'too long' },
  /** A daemon is already running for this home (its socket answers). */
  ERR_DAEMON_RUNNING: { code: 1010, message: 'a daemon is already running for this home' },
  /** The daemon serves no more connections; this one is closed after the error. */
  ERR_TOO_MANY_CONNECTIONS: { code: 1011, message: 'too many connections' },
  /** The daemon is shutting down and takes no new requests. */
  ERR_SHUTTING_DOWN: { code: 1012, message: 'the daemon is shutting down' },
  /** event/subscribe on a connection that is already subscribed. */
  ERR_ALREADY_SUBSCRIBED: { code: 1013, message: 'this connection is already subscribed' },
  /** A group's last admin may not leave or step down without naming another admin. */
  ERR_LAST_ADMIN: { code: 1030, message: 'the last admin cannot leave or step down without naming another' },
  /** The address named is not a member of the group. */
  ERR_NOT_MEMBER: { code: 1031, message: 'not a member of the group' },
} as const satisfies Record<string, ApiErrorSpec>;

/** A stable error name, e.g. 'ERR_LOCKED'. */
export type ApiErrorName = keyof typeof API_ERRORS;

export const API_ERROR_NAMES = Object.keys(API_ERRORS) as ApiErrorName[];

export function isApiErrorName(value: unknown): value is ApiErrorName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(API_ERRORS, value);
}

/** The `error` member of a JSON-RPC error response, as this API sends it. */
export interface ApiErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data: { readonly code: string; readonly [key: string]: unknown };
}

/**
 * An error the daemon answers (server side: a handler throws it; client side: the daemon said so).
 * `code` is the stable name (as on every SnugError), `rpcCode` the numeric JSON-RPC code, `data`
 * any further members of the answer's `data` (always with `data.code`).
 */
export class ApiError extends SnugError {
  /** The stable name. On the client it may be a name this version does not know (a newer daemon). */
  declare readonly code: ApiErrorName | (string & {});
  readonly rpcCode: number;
  readonly data: { readonly code: string; readonly [key: string]: unknown };

  constructor(code: ApiErrorName, message?: string, data?: Readonly<Record<string, unknown>>);
  constructor(code: string, message: string, data: Readonly<Record<string, unknown>> | undefined, rpcCode: number);
  constructor(code: string, message?: string, data?: Readonly<Record<string, unknown>>, rpcCode?: number) {
    const spec: ApiErrorSpec | undefined = isApiErrorName(code) ? API_ERRORS[code] : undefined;
    super(code, message ?? spec?.message ?? code);
    this.name = 'ApiError';
    this.rpcCode = rpcCode ?? spec?.code ?? API_ERRORS.ERR_INTERNAL.code;
    this.data = { ...data, code };
  }

  /** The JSON-RPC `error` member for this error. */
  toErrorObject(): ApiErrorObject {
    return { code: this.rpcCode, message: this.message, data: this.data };
  }

  /** An ApiError from the `error` member of a response (unknown names are kept as they came). */
  static fromErrorObject(error: { code: number; message: string; data?: unknown }): ApiError {
    const data = typeof error.data === 'object' && error.data !== null && !Array.isArray(error.data) ? (error.data as Record<string, unknown>) : {};
    const name = typeof data['code'] === 'string' ? data['code'] : nameForCode(error.code);
    return new ApiError(name, error.message, data, error.code);
  }
}

/** The default name of a numeric code (for answers without data.code, e.g. from another server). */
function nameForCode(code: number): string {
  switch (code) {
    case JSONRPC_PARSE_ERROR:
      return 'ERR_PARSE';
    case JSONRPC_INVALID_REQUEST:
      return 'ERR_INVALID_REQUEST';
    case JSONRPC_METHOD_NOT_FOUND:
      return 'ERR_METHOD_NOT_FOUND';
    case JSONRPC_INVALID_PARAMS:
      return 'ERR_INVALID_PARAMS';
    default: {
      const found = API_ERROR_NAMES.find((name) => API_ERRORS[name].code === code && code >= APP_ERROR_MIN);
      return found ?? 'ERR_INTERNAL';
    }
  }
}

export function isApiError(err: unknown, code?: ApiErrorName): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}
