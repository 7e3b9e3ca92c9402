/**
 * Errors of the local API's transport, on the client side: the daemon did not answer (it is
 * not running, the connection closed, the call timed out or was aborted, or what came back is
 * not JSON-RPC). A different class from ApiError (protocol/api/errors.ts), which means the
 * daemon answered with an error.
 */
import { SnugError, errorGuard } from '../../protocol/errors.js';

export const ApiTransportErrorCode = {
  /** Nothing listens on the socket (no daemon for this home): start one with `snug daemon`. */
  NOT_RUNNING: 'ERR_DAEMON_NOT_RUNNING',
  /** The connection closed before the answer came (or was closed by this side). */
  CLOSED: 'ERR_API_CLOSED',
  /** No answer in time. */
  TIMEOUT: 'ERR_API_TIMEOUT',
  /** The caller's signal aborted the call. */
  ABORTED: 'ERR_API_ABORTED',
  /** The daemon sent something that is not a JSON-RPC 2.0 answer of this API. */
  PROTOCOL: 'ERR_API_PROTOCOL',
  /** The socket path is longer than a Unix socket address can hold. */
  SOCKET_PATH_TOO_LONG: 'ERR_API_SOCKET_PATH_TOO_LONG',
  /** Something that is not a socket is where the socket should be (it is not removed). */
  NOT_A_SOCKET: 'ERR_API_NOT_A_SOCKET',
} as const;

export type ApiTransportErrorCode = (typeof ApiTransportErrorCode)[keyof typeof ApiTransportErrorCode];

export class ApiTransportError extends SnugError<ApiTransportErrorCode> {}

export const isApiTransportError = errorGuard(ApiTransportError);
