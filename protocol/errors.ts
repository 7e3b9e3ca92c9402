/**
 * Typed errors of the protocol layer. Every decoder and every check in protocol/ fails with
 * one of these and never with anything else. Callers (and tests) branch on `code`, which is
 * stable across releases; `message` is for humans and may change.
 */

export const ProtocolErrorCode = {
  /** Input ended before the structure was complete. */
  TRUNCATED: 'ERR_TRUNCATED',
  /** Input is longer than the structure allows, or has trailing bytes. */
  OVERSIZED: 'ERR_OVERSIZED',
  /** A version byte or string names a version this implementation does not speak. */
  UNSUPPORTED_VERSION: 'ERR_UNSUPPORTED_VERSION',
  /** Bytes that decode but are not in the one canonical form (so would not re-encode identically). */
  NON_CANONICAL: 'ERR_NON_CANONICAL',
  /** A field holds a value outside its allowed range or set. */
  INVALID_FIELD: 'ERR_INVALID_FIELD',
  /** A signature, MAC or AEAD tag does not verify. */
  UNAUTHENTIC: 'ERR_UNAUTHENTIC',
  /** A checksum does not match. */
  BAD_CHECKSUM: 'ERR_BAD_CHECKSUM',
  /** A key is malformed, of small order, or otherwise unusable. */
  BAD_KEY: 'ERR_BAD_KEY',
  /** A text form (address, invite) is not well formed. */
  MALFORMED: 'ERR_MALFORMED',
  /** A text is longer than the longest message snug carries (docs/protocol.md, "Sizes"). */
  TOO_LONG: 'ERR_TOO_LONG',
  /** libsodium was used before `ready()` resolved. */
  NOT_READY: 'ERR_CRYPTO_NOT_READY',
  /** A key package has no slot for me: I am not a member of the roster it opens. */
  NOT_RECIPIENT: 'ERR_NOT_RECIPIENT',
  /** A development-only form (a loopback pub) where the caller did not ask for development mode. */
  DEVELOPMENT_ONLY: 'ERR_DEVELOPMENT_ONLY',
  /** A stateful object (a handshake, a cipher) used out of order, after failing or after close. */
  WRONG_STATE: 'ERR_WRONG_STATE',
  /** The other side refused (a peer that speaks another protocol version). */
  REFUSED: 'ERR_REFUSED',
  /** A cipher's nonce counter is used up: the link must be made anew. */
  NONCE_EXHAUSTED: 'ERR_NONCE_EXHAUSTED',
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** Base of every error snug raises on purpose. */
export class SnugError<Code extends string = string> extends Error {
  readonly code: Code;
  /** `name` is the class's own (a subclass need not set it). */
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The `isXError(err, code?)` type guard of an error class with a typed `code`: true when `err`
 * is one of that class (and of that code, when one is given).
 */
export function errorGuard<E extends SnugError>(cls: abstract new (...args: never[]) => E): (err: unknown, code?: E['code']) => err is E {
  return (err: unknown, code?: E['code']): err is E => err instanceof cls && (code === undefined || err.code === code);
}

export class ProtocolError extends SnugError {
  declare readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ProtocolError';
  }
}

export function isProtocolError(err: unknown, code?: ProtocolErrorCode): err is ProtocolError {
  return err instanceof ProtocolError && (code === undefined || err.code === code);
}
